import { describe, expect, it } from 'vitest';
import { ACTIONS } from '../../src/blocks/actions.ts';
import type { ShiftgateConfig } from '../../src/config/schema.ts';
import { ADMIN, APPROVERS, REQUESTER, SERVICE, testConfig } from '../helpers/engine-world.ts';
import { buttonsOf, CHANNEL, useSlackWorld } from '../helpers/slack-world.ts';

// Incidents at their edges, through Slack: two open in one channel, two people resolving at once, a
// link preview that is not an edit, a reply after closing, and a private channel the bot cannot join.

const s = useSlackWorld('slack-incidents-edges');
const { world, slack } = s;

const idOf = (text: string) => /`(incident-[^`]+)`/.exec(text)?.[1] as string;
const cardOf = (id: string) =>
  s.waitForMessage((m) => buttonsOf(m).some((b) => b.action_id === ACTIONS.resolve && b.value.includes(id)));
const notes = async (id: string) =>
  (await world.store.timelines.list(id)).filter((e) => e.source === 'human').map((e) => e.text);

describe('incidents at their edges', () => {
  it('two open in one channel: notes go to the newest, closing it leaves the older one reachable', async () => {
    await s.start();
    world.seed();
    const older = idOf((await s.command(REQUESTER, '/incident', `open ${SERVICE} login errors`)).text);
    const newer = idOf((await s.command(REQUESTER, '/incident', `open ${SERVICE} checkout slow`)).text);
    expect(older).not.toBe(newer);
    const olderCard = await cardOf(older);

    // A :memo: on a reply in the older incident's thread belongs to the older incident.
    const { message, delivered } = slack.people.say(
      APPROVERS[0],
      olderCard.channel,
      'sessions expire',
      olderCard.ts,
    );
    await s.deliver(delivered);
    await s.deliver(slack.people.react(APPROVERS[1], olderCard.channel, message.ts, 'memo'));
    await s.current.bot.idle();
    expect(await notes(older)).toEqual(['sessions expire']);

    // A :memo: on another app's alert (words only in an attachment) adds it under the app's name.
    const alert = slack.people.app('PagerDuty', olderCard.channel, 'Triggered: checkout 5xx > 2 %');
    await s.deliver(slack.people.react(APPROVERS[1], olderCard.channel, alert.ts, 'memo'));
    await s.current.bot.idle();
    const [noted] = (await world.store.timelines.list(newer)).filter((e) => e.source === 'human');
    expect(noted).toMatchObject({ author: 'PagerDuty' });
    expect(noted?.text).toContain('Triggered: checkout 5xx > 2 %');

    // A :memo: whose message cannot be read is said to the person who added it, never lost silently.
    slack.failNext('conversations.history', 'internal_error');
    await s.deliver(slack.people.react(APPROVERS[0], olderCard.channel, alert.ts, 'memo'));
    await s.current.bot.idle();
    expect(slack.ephemerals(APPROVERS[0]).map((e) => e.text)).toEqual([
      expect.stringContaining('could not add that to the incident'),
    ]);

    expect((await s.command(REQUESTER, '/incident', 'note db pool exhausted')).text).toContain(newer);
    expect((await s.command(REQUESTER, '/incident', 'close pool resized')).text).toContain(
      `Closed \`${newer}\``,
    );
    expect((await s.command(REQUESTER, '/incident', 'note still seeing 401s')).text).toContain(older);
    expect(await notes(older)).toEqual(['sessions expire', 'still seeing 401s']);
    expect(await notes(newer)).toEqual([expect.stringContaining('Triggered'), 'db pool exhausted']);
  });

  it('two people resolving at once: one resolution, one report upload', async () => {
    await s.start();
    world.seed();
    const id = idOf((await s.command(REQUESTER, '/incident', `open ${SERVICE} 5xx`)).text);
    const card = await cardOf(id);
    const [byCommand] = await Promise.all([
      s.command(APPROVERS[0], '/incident', 'close fixed'),
      s.click(ADMIN, card, ACTIONS.resolve),
    ]);
    await s.current.bot.idle();
    const incident = await s.current.side.incidents.get(id);
    expect(incident?.status).toBe('resolved');
    expect(slack.files().filter((f) => f.thread_ts === card.ts)).toHaveLength(2);
    const resolutions = (await world.store.timelines.list(id)).filter((e) =>
      e.text.startsWith('Resolved by'),
    );
    expect(resolutions).toHaveLength(1);
    // The command's answer is either the closing or that someone else resolves it.
    expect(byCommand.text).toMatch(/Closed|being resolved|already resolved|No incident is open/);
  });

  it('a link preview is not an edit; a reply after closing is not captured', async () => {
    await s.start();
    world.seed();
    const id = idOf((await s.command(REQUESTER, '/incident', `open ${SERVICE} cdn`)).text);
    const card = await cardOf(id);
    const { message, delivered } = slack.people.say(
      APPROVERS[0],
      card.channel,
      'see https://status.example',
      card.ts,
    );
    await s.deliver(delivered);
    // Slack's unfurl: message_changed with the same text and no `edited`.
    const unfurl = slack.people.edit(card.channel, message.ts, 'see https://status.example');
    const inner = unfurl.event.message as Record<string, unknown>;
    delete inner.edited;
    await s.deliver(unfurl);
    await s.current.bot.idle();
    const [note] = (await world.store.timelines.list(id)).filter((e) => e.source === 'human');
    expect(note).toMatchObject({ text: 'see https://status.example' });
    expect(note?.editedAt).toBeUndefined();

    expect((await s.command(REQUESTER, '/incident', 'close')).text).toContain('Closed');
    await s.deliver(slack.people.say(APPROVERS[1], card.channel, 'one more thing', card.ts).delivered);
    await s.current.bot.idle();
    expect(await notes(id)).toEqual(['see https://status.example']);
  });

  it('keeps what people typed: Slack escapes &, < and > in commands and messages, the notes do not', async () => {
    await s.start();
    world.seed();
    const id = idOf(
      (await s.command(REQUESTER, '/incident', `open ${SERVICE} p95 &gt; 2s &amp; rising`)).text,
    );
    const card = await cardOf(id);
    expect(JSON.stringify(card.blocks)).toContain('p95 &gt; 2s &amp; rising');
    await s.deliver(
      slack.people.say(APPROVERS[0], card.channel, 'error rate &lt; 1 % now', card.ts).delivered,
    );
    expect((await s.command(REQUESTER, '/incident', 'note A/B &amp; C')).text).toContain('Noted');
    await s.current.bot.idle();
    expect(await notes(id)).toEqual(['error rate < 1 % now', 'A/B & C']);
    expect((await s.current.side.incidents.get(id))?.symptom).toBe('p95 > 2s & rising');
  });

  it('in a private channel the bot cannot join, the thread says how to get notes captured', async () => {
    const base = testConfig();
    const config: ShiftgateConfig = {
      ...base,
      services: {
        ...base.services,
        [SERVICE]: {
          ...(base.services[SERVICE] as ShiftgateConfig['services'][string]),
          slackChannel: '#private-ops',
        },
      },
    };
    await s.start(config);
    world.seed();
    const opened = await s.command(REQUESTER, '/incident', `open ${SERVICE} private trouble`, '#private-ops');
    const id = idOf(opened.text);
    const channel = slack.channelId('#private-ops');
    const [card] = slack.channel(channel);
    expect(card?.text).toContain('private trouble');
    const [warning] = slack.thread(channel, card?.ts as string);
    expect(warning?.text).toContain('invite it');
    expect((await s.command(REQUESTER, '/incident', 'note by command', '#private-ops')).text).toContain(id);
    expect(CHANNEL).toBe('#deploys');
  });
});
