import { WebClient } from '@slack/web-api';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createSlackTwin } from '../../sandbox/twins/slack/index.ts';
import { md, textMessage } from '../../src/blocks/message.ts';
import { createMessageRefs } from '../../src/platform/slack/message-refs.ts';
import { createPoster, type Poster } from '../../src/platform/slack/poster.ts';
import { useTwins } from '../helpers/msw.ts';
import { openTestStore } from '../helpers/redis.ts';

// Files into threads (reports, results.tsv): uploaded through the real WebClient's filesUploadV2 to the
// Slack twin, once per (owner, purpose) however often the step that attaches them is repeated.

const slack = createSlackTwin();
useTwins(...slack.handlers);
const db = openTestStore('poster');
let poster: Poster;

beforeAll(() => {
  const client = new WebClient(slack.botToken, { slackApiUrl: slack.apiUrl, retryConfig: { retries: 0 } });
  poster = createPoster(client, createMessageRefs(db.redis, db.store.keys));
});
beforeEach(() => slack.reset());
afterAll(() => db.cleanup());

describe('poster.attach', () => {
  it('uploads every file into the thread with one comment, and only once per purpose', async () => {
    const root = await poster.post({ channel: '#deploys' }, textMessage(md`Canary web`));
    const where = { channel: root.channel, threadTs: root.ts };
    const files = [
      { filename: 'summary.json', content: '{"ok":true}\n' },
      { filename: 'SUMMARY.md', title: 'Summary', content: '# Rollout\n' },
    ];
    const first = await poster.attach('r1', 'report', where, { comment: 'Evidence report', files });
    const again = await poster.attach('r1', 'report', where, { comment: 'Evidence report', files });

    expect(again).toBe(first);
    // The WebClient uploads the files concurrently: their order is not kept.
    const byName = [...slack.files()].sort((a, b) => (a.name < b.name ? -1 : 1));
    expect(byName).toMatchObject([
      { name: 'SUMMARY.md', title: 'Summary', content: '# Rollout\n', completed: true },
      { name: 'summary.json', title: 'summary.json', content: '{"ok":true}\n', completed: true },
    ]);
    const replies = slack.thread(root.channel, root.ts);
    expect(replies).toHaveLength(1);
    expect(replies[0]).toMatchObject({ text: 'Evidence report', thread_ts: root.ts });
  });
});

describe('poster.attach after an upload whose answer was lost', () => {
  it('adopts the upload found in the thread by its first title instead of uploading again', async () => {
    const root = await poster.post({ channel: '#deploys' }, textMessage(md`Canary web`));
    const where = { channel: root.channel, threadTs: root.ts };
    const files = [{ filename: 'summary.json', title: 'r-up summary.json', content: '{"ok":true}\n' }];
    // The dying replica: its marker, then the upload Slack completed, then nothing recorded.
    expect(await createMessageRefs(db.redis, db.store.keys).markPosting('r-up', 'report')).toBe(true);
    const client = new WebClient(slack.botToken, { slackApiUrl: slack.apiUrl, retryConfig: { retries: 0 } });
    await client.filesUploadV2({
      channel_id: where.channel,
      thread_ts: where.threadTs,
      initial_comment: 'Evidence report',
      file_uploads: [
        { file: Buffer.from('{"ok":true}\n'), filename: 'summary.json', title: 'r-up summary.json' },
      ],
    });
    expect(slack.files()).toHaveLength(1);

    const id = await poster.attach('r-up', 'report', where, { comment: 'Evidence report', files });
    expect(id).toBe(slack.files()[0]?.id);
    expect(slack.files()).toHaveLength(1);
    expect(slack.thread(root.channel, root.ts)).toHaveLength(1);
  });
});

describe('poster.upsert after a post whose answer was lost', () => {
  // A replica that died after Slack answered chat.postMessage, before the ts was recorded: the marker is
  // written and the message is in the channel, with its metadata, but no ref.
  async function lostPost(owner: string, purpose: string, where: { channel: string; threadTs?: string }) {
    const refs = createMessageRefs(db.redis, db.store.keys);
    expect(await refs.markPosting(owner, purpose)).toBe(true);
    const client = new WebClient(slack.botToken, { slackApiUrl: slack.apiUrl, retryConfig: { retries: 0 } });
    await client.chat.postMessage({
      channel: where.channel,
      text: 'deploying, no traffic',
      ...(where.threadTs ? { thread_ts: where.threadTs } : {}),
      metadata: { event_type: 'shiftgate_message', event_payload: { owner, purpose } },
    });
  }

  it('adopts the card found in the channel by its metadata instead of posting it twice', async () => {
    const channel = (await poster.post({ channel: '#deploys' }, textMessage(md`before`))).channel;
    await lostPost('r-lost', 'card', { channel });
    const ref = await poster.upsert('r-lost', 'card', { channel }, textMessage(md`at 5 %`));
    const cards = slack.channel(channel).filter((m) => m.text.startsWith('deploying') || m.text === 'at 5 %');
    expect(cards).toHaveLength(1);
    expect(cards[0]).toMatchObject({ ts: ref.ts, text: 'at 5 %' });
  });

  it('adopts a thread reply found by its metadata', async () => {
    const root = await poster.post({ channel: '#deploys' }, textMessage(md`card`));
    const where = { channel: root.channel, threadTs: root.ts };
    await lostPost('r-lost-2', 'gates:B', where);
    await poster.upsert('r-lost-2', 'gates:B', where, textMessage(md`tick 2`));
    const replies = slack.thread(root.channel, root.ts);
    expect(replies.map((m) => m.text)).toEqual(['tick 2']);
  });
});
