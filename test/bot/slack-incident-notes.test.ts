import { describe, expect, it, vi } from 'vitest';
import { ACTIONS } from '../../src/blocks/actions.ts';
import type { IncidentReport } from '../../src/reports/incident-report.ts';
import type { CanaryState } from '../../src/runbooks/types.ts';
import { APPROVERS, REQUESTER } from '../helpers/engine-world.ts';
import { buttonsOf, textsOf, useSlackWorld } from '../helpers/slack-world.ts';

// Issue 7's "done when": an incident opened by an automatic rollback ends with a report that holds the
// notes typed in its thread. People reply in the thread (Events API message events), edit and delete,
// Slack redelivers an event, someone adds a channel message with :memo:, the bot restarts mid-incident,
// and `/incident close` posts the report (Markdown and JSON) into the thread and keeps it in Redis.

const s = useSlackWorld('slack-incident-notes');
const { world, slack } = s;
const wait = { timeout: 15_000, interval: 25 };

describe('incident notes from the thread', () => {
  it('an automatic rollback opens an incident whose thread replies end in its report', async () => {
    await s.start();
    const stable = world.seed();
    const started = await s.command(REQUESTER, '/canary', 'start v3.0.0');
    const id = /`([^`]+)`/.exec(started.text)?.[1] as string;
    const canary = world.canaryRevision(id, 'v3.0.0');
    world.feed(stable, 0);
    world.feed(canary, 40); // a bad release: 40 % of its requests answer 5xx

    const card = await s.waitForMessage((m) => m.thread_ts === undefined && m.text.includes('v3.0.0'));
    const approval = await s.waitForMessage(
      (m) => m.thread_ts === card.ts && buttonsOf(m).some((b) => b.action_id === ACTIONS.approve),
    );
    await s.click(APPROVERS[0], approval, ACTIONS.approve);
    await world.until(s.current.engine, id, (v) => expect(v.status).toBe('rolled-back'));
    expect(world.split()).toEqual({ [stable]: 100 });

    const incidentCard = await s.waitForMessage((m) =>
      buttonsOf(m).some((b) => b.action_id === ACTIONS.resolve),
    );
    const channel = incidentCard.channel;
    // The card of an automatic rollback shows the traffic it found and the traffic it left.
    const fields = textsOf(incidentCard.blocks);
    expect(fields).toContain(`*Traffic before*\n\`${stable}\` 95 %\n\`${canary}\` 5 %`);
    expect(fields).toContain(`*Traffic after*\n\`${stable}\` 100 %`);
    const say = async (user: string, text: string) => {
      const { message, delivered } = slack.people.say(user, channel, text, incidentCard.ts);
      await s.deliver(delivered);
      return { message, delivered };
    };
    const incidentId = `incident-${id}`;
    const notes = async () =>
      (await world.store.timelines.list(incidentId)).filter((e) => e.source === 'human');

    // Replies become notes with author and time; a redelivery (same event, retried) adds nothing.
    const first = await say(APPROVERS[0], 'canary 5xx at 40 %, rollback looks right');
    await s.deliver(first.delivered, { retryNum: 1, retryReason: 'http_timeout' });
    const typo = await say(REQUESTER, 'follow-up: add a 5xx alert on the canary tag URLL');
    const wrong = await say(APPROVERS[1], 'wrong thread, sorry');
    await vi.waitFor(async () => expect(await notes()).toHaveLength(3), wait);

    // Edits and deletions follow the messages.
    await s.deliver(
      slack.people.edit(channel, typo.message.ts, 'follow-up: add a 5xx alert on the canary tag URL'),
    );
    await s.deliver(slack.people.remove(channel, wrong.message.ts));
    // A :memo: on a channel message adds it; the same message twice adds it once.
    const top = slack.people.say(APPROVERS[1], channel, 'status page updated').message;
    await s.deliver(slack.people.react(APPROVERS[1], channel, top.ts, 'memo'));
    await s.deliver(slack.people.react(REQUESTER, channel, top.ts, 'memo'));
    // Someone else's message in the channel, not in the thread, is not a note.
    await s.deliver(slack.people.say(REQUESTER, channel, 'lunch?').delivered);
    await vi.waitFor(
      async () =>
        expect((await notes()).map((n) => [n.author, n.text])).toEqual([
          [APPROVERS[0], 'canary 5xx at 40 %, rollback looks right'],
          [REQUESTER, 'follow-up: add a 5xx alert on the canary tag URL'],
          [APPROVERS[1], 'status page updated'],
        ]),
      wait,
    );

    // The bot restarts in the middle of the incident: a new replica goes on capturing.
    await s.current.engine.idle();
    await s.start();
    await say(APPROVERS[0], 'error rate back to baseline');
    await vi.waitFor(async () => expect(await notes()).toHaveLength(4), wait);

    const closed = await s.command(APPROVERS[0], '/incident', 'close bad build, rolled back by the gate');
    expect(closed.text).toContain('the report (4 notes) is in its thread');

    // The report: in the thread as Markdown and JSON, and in Redis, field by field.
    const files = await vi.waitFor(() => {
      const found = slack.files().filter((f) => f.thread_ts === incidentCard.ts);
      expect(found).toHaveLength(2);
      return found;
    }, wait);
    const json = files.find((f) => f.name.endsWith('.json'))?.content as string;
    const md = files.find((f) => f.name.endsWith('.md'))?.content as string;
    const report = JSON.parse(json) as IncidentReport;
    const state = (await s.current.engine.get(id))?.state as CanaryState;
    expect(report).toMatchObject({
      incidentId,
      service: 'web',
      env: 'prod',
      status: 'resolved',
      failedStage: 'B',
      rolloutId: id,
      revisions: { from: canary, to: stable },
      traffic: { before: state.rollback?.trafficBefore, after: { [stable]: 100 } },
      resolved: { by: APPROVERS[0], summary: 'bad build, rolled back by the gate' },
      followUps: [{ text: 'add a 5xx alert on the canary tag URL', by: REQUESTER }],
    });
    expect(report.traffic.before).toEqual({ [stable]: 95, [canary]: 5 });
    expect(report.symptom).toMatch(/5xx/);
    expect(report.people).toEqual(expect.arrayContaining([REQUESTER, APPROVERS[0], APPROVERS[1]]));
    const human = report.timeline.filter((e) => e.source === 'human').map((e) => e.text);
    expect(human).toEqual([
      'canary 5xx at 40 %, rollback looks right',
      'follow-up: add a 5xx alert on the canary tag URL',
      'status page updated',
      'error rate back to baseline',
    ]);
    expect(report.timeline.find((e) => e.text.includes('URL'))?.editedAt).toBeDefined();
    // The bot's own actions are in the timeline with the notes, in time order.
    expect(report.timeline.some((e) => e.source === 'bot' && /approved/i.test(e.text))).toBe(true);
    expect(report.timeline.some((e) => e.source === 'bot' && /5xx/i.test(e.text))).toBe(true);
    const times = report.timeline.map((e) => Date.parse(e.at));
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(md).toContain('| failed stage | B |');
    expect(md).toContain(`| traffic after | ${stable} 100 % |`);
    expect(md).toContain('- [ ] add a 5xx alert on the canary tag URL');
    expect(md).not.toContain('wrong thread');
    expect(
      JSON.parse((await world.store.redis.get(world.store.keys.incidentReport(incidentId))) as string),
    ).toEqual(report);

    // Closed: later replies in the thread are not captured into a finished report.
    await say(APPROVERS[1], 'one more thing');
    expect((await s.command(APPROVERS[1], '/incident', 'note too late')).text).toContain(
      'No incident is open',
    );
    await s.current.bot.idle();
    expect(await notes()).toHaveLength(4);
  });
});
