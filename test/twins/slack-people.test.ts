import { WebClient } from '@slack/web-api';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createSlackTwin } from '../../sandbox/twins/slack/index.ts';
import { useTwins } from '../helpers/msw.ts';

// People in the Slack twin: what they say lands in the twin (so conversations.history and .replies find
// it) and comes back as the Events API event Slack would deliver; edits, deletions and reactions too.

const twin = createSlackTwin();
useTwins(...twin.handlers);
let client: WebClient;
beforeAll(() => {
  client = new WebClient(twin.botToken, { slackApiUrl: twin.apiUrl, retryConfig: { retries: 0 } });
});
beforeEach(() => twin.reset());

describe('people in the Slack twin', () => {
  it('delivers a thread reply as a message event with thread_ts, and keeps it in the thread', async () => {
    const root = await client.chat.postMessage({ channel: '#deploys', text: 'Incident web' });
    const channel = root.channel as string;
    const { message, delivered } = twin.people.say('UALICE', channel, 'pods restarted', root.ts);
    expect(delivered.event).toMatchObject({
      type: 'message',
      channel,
      user: 'UALICE',
      text: 'pods restarted',
      ts: message.ts,
      thread_ts: root.ts,
    });
    expect(delivered.eventId).toMatch(/^Ev[0-9A-F]{12}$/);

    const replies = await client.conversations.replies({ channel, ts: message.ts });
    expect(replies.messages?.map((m) => m.text)).toEqual(['Incident web', 'pods restarted']);
    expect(replies.messages?.[1]).not.toHaveProperty('bot_id');
    expect(replies.messages?.[0]).toHaveProperty('bot_id');
  });

  it('finds one top-level message by ts through conversations.history', async () => {
    const first = twin.people.say('UBOB', '#deploys', 'first').message;
    twin.people.say('UBOB', '#deploys', 'second');
    const found = await client.conversations.history({
      channel: first.channel,
      latest: first.ts,
      oldest: first.ts,
      inclusive: true,
      limit: 1,
    });
    expect(found.messages?.map((m) => [m.text, m.user])).toEqual([['first', 'UBOB']]);
    const all = await client.conversations.history({ channel: first.channel });
    expect(all.messages?.map((m) => m.text)).toEqual(['second', 'first']);
  });

  it('delivers edits, deletions and reactions the way Slack shapes them', async () => {
    const root = await client.chat.postMessage({ channel: '#deploys', text: 'Incident web' });
    const channel = root.channel as string;
    const { message } = twin.people.say('UALICE', channel, 'typo', root.ts);

    const edited = twin.people.edit(channel, message.ts, 'fixed');
    expect(edited.event).toMatchObject({
      subtype: 'message_changed',
      channel,
      message: { ts: message.ts, text: 'fixed', thread_ts: root.ts, user: 'UALICE' },
      previous_message: { text: 'typo' },
    });
    expect(twin.thread(channel, root.ts as string).map((m) => m.text)).toEqual(['fixed']);

    const reacted = twin.people.react('UBOB', channel, message.ts, 'memo');
    expect(reacted.event).toMatchObject({
      type: 'reaction_added',
      user: 'UBOB',
      reaction: 'memo',
      item: { type: 'message', channel, ts: message.ts },
      item_user: 'UALICE',
    });

    const deleted = twin.people.remove(channel, message.ts);
    expect(deleted.event).toMatchObject({
      subtype: 'message_deleted',
      channel,
      deleted_ts: message.ts,
      previous_message: { thread_ts: root.ts },
    });
    expect(twin.thread(channel, root.ts as string)).toEqual([]);
  });
});
