import { describe, expect, it } from 'vitest';
import { freezeRule } from '../../src/config/freezes.ts';
import { type GateMode, gate } from '../../src/config/gates.ts';
import { withGateModes } from '../../src/config/runbooks.ts';
import type { CloudMonitoring } from '../../src/gates/ports/monitoring.ts';
import type { GateContext, GateResult } from '../../src/gates/result.ts';
import { needBefore, withNeed } from '../../src/gates/sample-need.ts';
import { stageWait } from '../../src/gates/time-to-decision.ts';
import { recordEntryOf } from '../../src/runbooks/gate-record.ts';
import type { Effect } from '../../src/runbooks/types.ts';
import { CANARY, Rollout, runbookWith, STABLE, T0 } from '../helpers/canary-driver.ts';

// The post-promotion watch beside the other features of the canary: shadow and advisory gates (their
// asks and track record), freeze windows, and the time-to-decision estimate against a past baseline.

/** Cloud Run answers the tag change in flight. */
function tagged(r: Rollout): Effect[] {
  const asked = r.state.pending?.payload;
  if (asked?.type !== 'tag-revision') throw new Error(`no tag change in flight (${asked?.type})`);
  return r.send({
    type: 'revision-tagged',
    at: r.at(r.now + 2),
    tag: asked.tag,
    ...(asked.revision ? { revision: asked.revision, url: `https://${asked.tag}---web.run.app` } : {}),
  });
}

/** Through stages A-C: the post-promotion watch runs, its first tick scheduled. */
function inWatch(
  logs?: GateMode,
  freezes?: ReturnType<typeof freezeRule.parse>[],
  runbook = runbookWith(logs ? { logs } : {}, 0, { postPromotion: true }),
): Rollout {
  const r = new Rollout(runbook);
  if (freezes) r.ctx = { ...r.ctx, policy: { ...r.ctx.policy, freezes } };
  r.throughStageA();
  for (const _stage of ['B', 'C']) {
    r.approveAndShift();
    r.answer();
    r.watch();
  }
  expect(r.state.pending?.payload).toEqual({ type: 'tag-revision', tag: 'previous', revision: STABLE });
  tagged(r);
  expect(r.state).toMatchObject({ status: 'watching', stage: 3 });
  return r;
}

describe('an advisory gate in the post-promotion watch', () => {
  it('asks; continue goes on watching and the watch ends done', () => {
    const r = inWatch('advisory');
    r.tick({ 'error-logs': 'fail' });
    expect(r.state.status).toBe('needs-attention');
    expect(r.state.hold).toMatchObject({ cause: 'advisory-failed' });
    expect(r.stage.asks).toHaveLength(1);
    r.send({ type: 'resume', at: r.at(r.now + 5), by: 'UAPP', advisory: r.ask() });
    expect(r.state.status).toBe('watching');
    r.watch({ 'error-logs': 'fail' });
    tagged(r);
    expect(r.state.status).toBe('promoted');
    expect(recordEntryOf(r.state)).toMatchObject({
      outcome: 'promoted',
      gates: { 'error-logs': { mode: 'advisory', blocked: ['post-promotion'] } },
    });
  });

  it('roll back returns to the previous revision, releases its tag, and is recorded for cause', () => {
    const r = inWatch('advisory');
    r.tick({ 'error-logs': 'fail' });
    const back = r.send({
      type: 'rollback',
      at: r.at(r.now + 5),
      by: 'UAPP',
      reason: 'advisory roll back',
      advisory: r.ask(),
    });
    expect(back.at(-1)).toEqual({ type: 'rollback-traffic', toRevision: STABLE });
    expect(r.state.rollback).toMatchObject({ trigger: 'gate', toRevision: STABLE, fromRevision: CANARY });
    r.send({ type: 'traffic-set', at: r.at(r.now + 5), traffic: { [STABLE]: 100 } });
    expect(r.state.pending?.payload).toEqual({ type: 'tag-revision', tag: 'previous' });
    tagged(r);
    expect(r.state).toMatchObject({ status: 'rolled-back', postPromotion: { released: {} } });
    expect(r.stage.asks?.[0]?.decision).toMatchObject({ choice: 'roll back', by: 'UAPP' });
    expect(recordEntryOf(r.state)).toMatchObject({
      outcome: 'rolled-back',
      gates: { 'error-logs': { mode: 'advisory', blocked: ['post-promotion'] } },
    });
  });

  it('/canary done while it asks is the answer that keeps the new revision: the ask is decided', () => {
    const r = inWatch('advisory');
    r.tick({ 'error-logs': 'fail' });
    const ref = r.ask();
    r.send({ type: 'end-watch', at: r.at(r.now + 5), by: 'UREQ' });
    // The ask is closed as decided by that person, not left open for ever.
    expect(r.stage.asks?.[0]?.decision).toMatchObject({ choice: 'continue', by: 'UREQ' });
    expect(r.state.timeline.at(-2)?.what).toMatch(/keeping the new revision despite the failed gate/);
    tagged(r);
    expect(r.state.status).toBe('promoted');
    expect(r.refuse({ type: 'resume', at: r.at(r.now + 1), by: 'UAPP', advisory: ref })).toBe(
      'rollout already promoted',
    );
  });
});

describe('a shadow gate in the post-promotion watch', () => {
  it('failing every tick never rolls back; it is noted and recorded as a false alarm of a promoted rollout', () => {
    const r = inWatch('shadow');
    r.watch({ 'error-logs': 'fail' });
    expect(r.state.rollback).toBeUndefined();
    tagged(r);
    expect(r.state.status).toBe('promoted');
    expect(
      r.state.timeline.some((l) =>
        l.what.includes('stage post-promotion: shadow gate error-logs would have rolled back'),
      ),
    ).toBe(true);
    expect(recordEntryOf(r.state)?.gates['error-logs']).toEqual({
      mode: 'shadow',
      blocked: ['post-promotion'],
    });
  });
});

describe('a gate named only by the post-promotion stage', () => {
  it('keeps its mode: in shadow it never rolls back', () => {
    const base = runbookWith({}, 0, { postPromotion: true });
    const post = base.postPromotion as NonNullable<typeof base.postPromotion>;
    const book = withGateModes(
      { ...base, postPromotion: { ...post, gates: ['error-rate', 'latency'] } },
      {
        'error-rate': gate.parse({ kind: 'cloud-monitoring', metric: 'error-rate', belowPercent: 1 }),
        latency: gate.parse({
          kind: 'cloud-monitoring',
          metric: 'latency',
          percentile: 95,
          maxIncreasePercent: 50,
          mode: 'shadow',
        }),
      },
    );
    expect(book.gateModes).toEqual({ latency: 'shadow' });
    const r = inWatch(undefined, undefined, book);
    r.watch({ latency: 'fail' });
    expect(r.state.rollback).toBeUndefined();
    tagged(r);
    expect(r.state.status).toBe('promoted');
    expect(recordEntryOf(r.state)?.gates.latency).toEqual({ mode: 'shadow', blocked: ['post-promotion'] });
  });
});

describe('a freeze window during the post-promotion watch', () => {
  it('holds nothing: no traffic goes forward, the watch goes on to its end', () => {
    // All day, every day: the stages before ask for approval as they do anyway; the watch is after 100 %.
    const allDay = freezeRule.parse({
      name: 'all-day',
      timeZone: 'UTC',
      weeklyWindows: [
        {
          daysOfWeek: ['MONDAY', 'TUESDAY', 'WEDNESDAY', 'THURSDAY', 'FRIDAY', 'SATURDAY', 'SUNDAY'],
          startTime: '00:00',
          endTime: '23:59',
        },
      ],
    });
    const r = inWatch(undefined, [allDay]);
    r.watch();
    tagged(r);
    expect(r.state.status).toBe('promoted');
    expect(r.state.stages[3]?.approvalRequestedAt).toBeUndefined();
  });
});

describe('time to decision in the post-promotion watch', () => {
  it('after promote-now the watch still has its window: one that cannot decide says so', () => {
    const r = new Rollout(runbookWith({}, 0, { postPromotion: true }));
    r.throughStageA();
    r.approveAndShift();
    r.answer();
    r.send({ type: 'promote-now', at: r.at(r.now + 5), by: 'UADMIN' });
    r.answer();
    // Stage C shifts by itself (promote-now), runs its checks and its gates once.
    r.send({ type: 'traffic-set', at: r.at(r.now + 5), traffic: { [CANARY]: 100 } });
    r.answer();
    r.answer();
    tagged(r);
    expect(r.state).toMatchObject({ status: 'watching', stage: 3 });
    const scheduled = r.last.find(
      (e): e is Extract<Effect, { type: 'schedule' }> => e.type === 'schedule' && e.timer === 'tick',
    );
    if (!scheduled) throw new Error('no tick scheduled');
    r.send({ ...scheduled.event, at: r.at((Date.parse(scheduled.at) - T0) / 1000) });
    const start = r.stage.startedAt as string;
    const at = r.at(r.now + 2);
    // 10 canary requests in the window's first minute: 30 by its end of the 1000 needed.
    const waiting: GateResult = {
      gate: 'error-rate',
      kind: 'cloud-monitoring',
      status: 'inconclusive',
      metric: '5xx rate',
      threshold: '< 1 %',
      samples: 10,
      evidence: '-',
      at,
      sampleNeed: {
        needed: 1000,
        counted: 10,
        through: new Date(Date.parse(start) + 60_000).toISOString(),
        share: 1,
        traffic: {
          canary: 10,
          stable: 0,
          from: start,
          through: new Date(Date.parse(start) + 60_000).toISOString(),
        },
      },
    };
    const judged = r.send({ type: 'gates-done', at, stage: 3, results: [waiting] });
    const gates = judged.find((e) => e.type === 'notify' && e.notification.kind === 'gates');
    expect(gates).toMatchObject({ notification: { cannotDecide: { gate: 'error-rate' } } });
  });

  it("estimates the canary's rate from its own requests, never the previous revision's past window", async () => {
    // The watch window: 3 minutes from 10:30Z; Monitoring's data complete through 10:27Z (waiting).
    const start = new Date(T0 + 30 * 60_000);
    const end = new Date(start.getTime() + 3 * 60_000);
    const baseline = { start: new Date(T0 - 2 * 3_600_000), end: new Date(T0) };
    // The 5 minutes before: the promoted revision served 1 req/s (300); the previous one, over its past
    // 2 hours, 72 000 requests, served in another window and not beside it.
    const monitoring: CloudMonitoring = {
      async revisionStats(query) {
        const stats = Object.fromEntries(
          query.revisions.map((rev) => [
            rev,
            { requests: rev === CANARY ? 300 : 72_000, errors5xx: 0, latencyMs: undefined },
          ]),
        );
        return { stats, evidence: [], window: query.window };
      },
    } as CloudMonitoring;
    const ctx = {
      project: 'proj-test',
      service: 'web-prod',
      region: 'us-central1',
      stableRevision: STABLE,
      canaryRevision: CANARY,
      canaryShare: 1,
      alpha: 0.05,
      window: { start, end: new Date(start.getTime() + 60_000) },
      baseline: { revision: STABLE, window: baseline },
      now: () => new Date(start.getTime() + 60_000),
    } as unknown as GateContext;
    const through = new Date(start.getTime() - 3 * 60_000);
    const need = await needBefore(monitoring, 1000, {
      ctx: { ...ctx, window: { start, end: through } },
      dataThrough: through.toISOString(),
      behindMs: 4 * 60_000,
      waiting: true,
    });
    const result = withNeed(
      {
        gate: 'error-rate',
        kind: 'cloud-monitoring',
        status: 'inconclusive',
        metric: '5xx rate',
        threshold: '< 1 %',
        samples: 0,
        evidence: '-',
        at: ctx.now().toISOString(),
      } satisfies GateResult,
      need,
    );
    const wait = stageWait([result], { start: start.toISOString(), end: end.toISOString() });
    expect(wait?.rate.perSecond).toBe(1);
    // 1 req/s for 3 minutes is 180 of the 1000 needed: the window cannot decide, and says so.
    expect(wait?.decision.kind).toBe('cannot-decide');
  });
});
