import { describe, expect, it, vi } from 'vitest';
import type { TwinMessage } from '../../sandbox/twins/slack/state.ts';
import { ACTIONS } from '../../src/blocks/actions.ts';
import type { CanaryState } from '../../src/runbooks/types.ts';
import { APPROVERS, DEPLOYER_2, OUTSIDER, REQUESTER, testConfig } from '../helpers/engine-world.ts';
import { buttonsOf, firstReply, useSlackWorld } from '../helpers/slack-world.ts';

// Shadow and advisory gates through Slack alone: the error-rate gate fails on every tick (half of the
// canary's requests are 5xx). In shadow mode the rollout is promoted and the thread says the gate would
// have rolled back; in advisory mode the thread asks for one click, continue (an approver, not the
// requester) or roll back (the requester may, alone). /gates report then shows each one's record.

const s = useSlackWorld('slack-gate-modes');
const { world, slack } = s;

async function startWithErrors(tag: string) {
  const stable = world.seed();
  const started = await s.command(REQUESTER, '/canary', `start ${tag}`);
  const id = /`([^`]+)`/.exec(started.text)?.[1] as string;
  world.feed(world.canaryRevision(id, tag), 50);
  const card = await s.waitForMessage((m) => m.thread_ts === undefined && m.text.includes(tag));
  return { id, card, stable, revision: world.canaryRevision(id, tag) };
}

/** Approves stage `stage` by its request's button in the card's thread. */
async function approve(card: TwinMessage, stage: number, by: string = APPROVERS[0]) {
  const request = await s.waitForMessage(
    (m) =>
      m.thread_ts === card.ts &&
      buttonsOf(m).some((b) => b.action_id === ACTIONS.approve && JSON.parse(b.value).s === stage),
  );
  await s.click(by, request, ACTIONS.approve);
}

const reply = (url: string) => firstReply(slack, url);

describe('a shadow gate through Slack', () => {
  it('fails on every tick and the rollout is promoted; the thread and /gates report say what it would have done', async () => {
    await s.start(testConfig({ errorRateMode: 'shadow' }));
    const { id, card, revision } = await startWithErrors('v2.0.0');
    for (const stage of [1, 2, 3, 4]) {
      await approve(card, stage);
      await world.until(s.current.engine, id, (v) => {
        const state = v.state as CanaryState;
        expect(state.stage > stage || state.status === 'promoted').toBe(true);
      });
    }
    await world.until(s.current.engine, id, (v) => expect(v.status).toBe('promoted'));
    expect(world.split()).toEqual({ [revision]: 100 });
    const gates = await s.waitForMessage(
      (m) =>
        m.thread_ts === card.ts &&
        JSON.stringify(m.blocks).includes('*error-rate* _(shadow: would have rolled back)_'),
    );
    expect(gates.text).toMatch(/Gates of stage/);
    await s.current.engine.idle();

    // Anyone may read the record; the answer is theirs alone.
    const report = await s.command(OUTSIDER, '/gates', 'report web');
    expect(report.text).toContain(
      '*error-rate* _shadow_: would have blocked *1* of the last 1 rollout: 1 promoted healthy (1 false alarm); no rollback for cause to miss.',
    );
    expect(report.text).toContain('*healthz* _enforce_: would have blocked none of the last 1 rollout');
  });
});

describe('an advisory gate through Slack', () => {
  it('asks in the thread; continue is an approval, roll back is the requester’s too; both are recorded', async () => {
    await s.start(testConfig({ errorRateMode: 'advisory' }));
    const { id, card, stable } = await startWithErrors('v3.0.0');
    await approve(card, 1);
    const isAsk = (stage: number) => (m: TwinMessage) =>
      m.thread_ts === card.ts &&
      buttonsOf(m).some((b) => b.action_id === ACTIONS.advisoryContinue && JSON.parse(b.value).s === stage);
    const ask = await s.waitForMessage(isAsk(1));
    expect(buttonsOf(ask).map((b) => b.action_id)).toEqual([
      ACTIONS.advisoryContinue,
      ACTIONS.advisoryRollback,
    ]);
    expect(JSON.stringify(ask.blocks)).toContain('*Advisory gate failed* at stage B (5 %)');
    const waiting = (await s.current.engine.get(id))?.state as CanaryState;
    expect(waiting).toMatchObject({ status: 'needs-attention', hold: { cause: 'advisory-failed' } });

    // The requester may not continue past it (self-approval is off here); an outsider may not roll back.
    expect(await reply(await s.click(REQUESTER, ask, ACTIONS.advisoryContinue))).toContain(
      'someone else has to approve it',
    );
    expect(await reply(await s.click(OUTSIDER, ask, ACTIONS.advisoryRollback))).toContain(
      'you may not roll back here',
    );
    expect((await s.current.engine.get(id))?.status).toBe('needs-attention');

    // An approver continues: stage B goes on (the gate waived for it) and C asks for approval.
    await s.click(APPROVERS[1], ask, ACTIONS.advisoryContinue);
    await world.until(s.current.engine, id, (v) => {
      expect(v.status).toBe('awaiting-approval');
      expect((v.state as CanaryState).stage).toBe(2);
    });
    await vi.waitFor(
      () => {
        const decided = slack.message(ask.channel, ask.ts);
        expect(buttonsOf(decided as TwinMessage)).toEqual([]);
        expect(JSON.stringify(decided?.blocks)).toContain(`*Continued* past advisory`);
        expect(JSON.stringify(decided?.blocks)).toContain(`<@${APPROVERS[1]}>`);
      },
      { timeout: 10_000, interval: 20 },
    );
    expect(await reply(await s.click(APPROVERS[0], ask, ACTIONS.advisoryContinue))).toContain(
      'decided already',
    );
    // A deployer's late Roll back on it asks nobody for a rollback: the ask is over.
    expect(await reply(await s.click(DEPLOYER_2, ask, ACTIONS.advisoryRollback))).toContain(
      'decided already',
    );
    expect((await s.current.engine.get(id))?.status).toBe('awaiting-approval');

    // Stage C asks again, in a message of its own; the requester rolls back, alone.
    await approve(card, 2);
    const again = await s.waitForMessage(isAsk(2));
    await s.click(REQUESTER, again, ACTIONS.advisoryRollback);
    const done = await world.until(s.current.engine, id, (v) => expect(v.status).toBe('rolled-back'));
    expect((done.state as CanaryState).rollback).toMatchObject({
      trigger: 'gate',
      by: REQUESTER,
      failedStage: 'C',
    });
    expect(world.split()).toEqual({ [stable]: 100 });
    await s.current.engine.idle();
    expect(JSON.stringify(slack.message(again.channel, again.ts)?.blocks)).toContain(
      '*Rolled back* at advisory',
    );
    // The evidence report says who decided what at each ask, and marks the gate's results advisory.
    const { md: summary } = await s.reportFiles();
    expect(summary).toContain('- Advisory `error-rate` asked at');
    expect(summary).toContain(`continue by \`${APPROVERS[1]}\``);
    expect(summary).toContain(`roll back by \`${REQUESTER}\``);
    expect(summary).toContain('**FAIL** (advisory: asked)');

    const report = await s.command(REQUESTER, '/gates', 'report web prod');
    expect(report.text).toContain(
      '*error-rate* _advisory_: would have blocked *1* of the last 1 rollout: 1 was rolled back for cause; missed 0 of 1 rollback for cause.',
    );
  });
});

describe('/gates', () => {
  it('answers bad input with what was wrong and the right form', async () => {
    await s.start();
    expect((await s.command(REQUESTER, '/gates', 'report webb')).text).toMatch(
      /`webb` is not a service or an environment here\. Did you mean `web`\?[\s\S]*\/gates report \[service\] \[env\]/,
    );
    expect((await s.command(REQUESTER, '/gates', 'report web --last 0')).text).toContain(
      '`--last` is a whole number',
    );
    const empty = await s.command(REQUESTER, '/gates', 'report');
    expect(empty.text).toContain('Not evaluated in any recorded rollout yet');
  });
});
