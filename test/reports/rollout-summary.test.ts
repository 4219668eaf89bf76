import { describe, expect, it } from 'vitest';
import { renderGate } from '../../src/gates/render.ts';
import type { GateResult } from '../../src/gates/result.ts';
import { type CloudRunTarget, rolloutSummary, SUMMARY_SCHEMA } from '../../src/reports/rollout-summary.ts';
import type { CanaryState, PlanEntry } from '../../src/runbooks/types.ts';
import {
  APPROVERS,
  at,
  CANARY,
  Canary,
  REQUESTER,
  result,
  rollingBack,
  STABLE,
  scenario,
  standalone,
  watching,
} from '../blocks/fixtures.ts';
import { COMMAND, TARGET } from './target.ts';

// The rollout summary, field by field, for states the real canary and rollback runbooks reach (driven event
// by event in test/blocks/fixtures.ts): every value must be the one in the state, and a field with no value
// must say why.

const ID = 'control-prod-20261123T100000-a1b2';
const IMAGE = 'us-central1-docker.pkg.dev/openagentsgemini/openagents-control-service/control:v1.42.0';

const summaryOf = (state: CanaryState, target: CloudRunTarget | undefined = TARGET) =>
  rolloutSummary({ state, ...(target ? { target } : {}) });

describe('a promoted rollout', () => {
  const state = new Canary().deploy().promote().state;
  const s = summaryOf(state);

  it('names the rollout, the service, where it runs, who asked and the image', () => {
    expect(s.schema).toBe(SUMMARY_SCHEMA);
    expect(s.rolloutId).toBe(ID);
    expect(s.kind).toBe('canary');
    expect(s.dryRun).toBe(false);
    expect(s.service).toBe('control');
    expect(s.env).toBe('prod');
    expect(s.cloudRun).toEqual({
      service: 'control-prod',
      project: 'openagentsgemini',
      region: 'us-central1',
    });
    expect(s.requestedBy).toBe(REQUESTER);
    expect(s.image).toEqual({ ref: IMAGE, tag: 'v1.42.0' });
  });

  it('has the revision ids, the traffic before and after, the rollback command and the stable revision', () => {
    expect(s.revisions).toEqual({ stable: STABLE, canary: CANARY });
    expect(s.traffic).toEqual({ before: { [STABLE]: 100 }, after: { [CANARY]: 100 } });
    expect(s.rollback).toEqual({ command: COMMAND, stableRevision: STABLE, procedure: null });
    expect(s.missing).toEqual({});
    expect(s.notes).toEqual([]);
  });

  it('says it was promoted because every stage passed, at the last stage', () => {
    expect(s.outcome).toEqual({
      status: 'promoted',
      ended: true,
      reason: 'every stage passed',
      by: null,
      stage: 'E',
      attention: null,
      failures: [],
    });
    expect(s.promoteNow).toBeNull();
  });

  it("carries the smoke checks' one-line results and evidence", () => {
    expect(s.smokeChecks.map((c) => [c.gate, c.status, c.line, c.evidence])).toEqual([
      // The line is the one the thread showed for the same result.
      ['healthz', 'pass', renderGate(result('healthz', 'pass')), 'evidence of healthz'],
      ['readyz', 'pass', renderGate(result('readyz', 'pass')), 'evidence of readyz'],
    ]);
    expect(s.smokeChecks[0]).toMatchObject({
      kind: 'http',
      metric: 'GET /healthz',
      observed: { value: 200, unit: 'status' },
      threshold: 'status 200',
      baseline: null,
      samples: 1,
      latencyMs: 40,
      reason: null,
      failFast: false,
    });
  });

  it('has every stage with its approvals, every gate tick, the verdict and the timings', () => {
    expect(s.stages.map((st) => [st.name, st.traffic, st.result, st.verdict])).toEqual([
      ['A', 0, 'passed', 'pass'],
      ['B', 5, 'passed', 'pass'],
      ['C', 25, 'passed', 'pass'],
      ['D', 50, 'passed', 'pass'],
      ['E', 100, 'passed', 'pass'],
    ]);
    const [a, b] = s.stages;
    expect(a?.approval).toEqual({
      requestedAt: null,
      requests: 0,
      expiresAt: null,
      approvals: [],
      waitedMs: null,
    });
    expect(a?.ticks).toEqual([]);
    for (const [i, stage] of s.stages.entries()) {
      const progress = state.stages[i];
      if (!progress) throw new Error(`no stage ${i}`);
      expect(stage.startedAt).toBe(progress.startedAt);
      expect(stage.endedAt).toBe(progress.endedAt);
      expect(stage.durationMs).toBe(
        Date.parse(progress.endedAt ?? '') - Date.parse(progress.startedAt ?? ''),
      );
      expect(stage.ticks).toHaveLength(progress.ticks.length);
      // Every result of every tick, in order.
      expect(
        stage.ticks.flatMap((t) => t.results.map((r) => `${t.tick}:${r.gate}:${r.status}:${r.at}`)),
      ).toEqual(
        progress.ticks.flatMap((tick, n) => tick.map((r) => `${n + 1}:${r.gate}:${r.status}:${r.at}`)),
      );
      if (i > 0) {
        expect(stage.approval.approvals).toEqual(progress.approvals);
        expect(stage.approval.approvals.map((x) => x.userId)).toEqual(APPROVERS);
        expect(stage.approval.requestedAt).toBe(progress.approvalRequestedAt);
        expect(stage.approval.requests).toBe(1);
      }
    }
    expect(b?.ticks.length).toBeGreaterThanOrEqual(10);
    expect(b?.ticks[0]?.results.find((r) => r.gate === 'latency-p95')).toEqual({
      gate: 'latency-p95',
      kind: 'cloud-monitoring',
      status: 'pass',
      metric: 'p95 latency',
      observed: { value: 310, unit: 'ms' },
      threshold: '+20 %',
      baseline: { value: 300, unit: 'ms' },
      samples: 5210,
      samplesUnit: null,
      latencyMs: null,
      evidence: 'evidence of latency-p95',
      reason: null,
      summary: null,
      plot: null,
      at: b?.ticks[0]?.results[0]?.at,
      failFast: false,
      mode: 'enforce',
      line: renderGate(state.stages[1]?.ticks[0]?.find((r) => r.gate === 'latency-p95') as GateResult),
    });
    expect(b?.window).toEqual({
      startedAt: state.stages[1]?.startedAt,
      endsAt: state.stages[1]?.windowEndsAt,
      extensions: 0,
    });
  });

  it('has the start, end and duration of the rollout and its whole timeline', () => {
    expect(s.timings).toEqual({
      startedAt: at(0),
      endedAt: state.endedAt,
      durationMs: Date.parse(state.endedAt ?? '') - Date.parse(at(0)),
    });
    expect(s.timeline).toEqual(state.timeline);
    expect(s.plan).toBeNull();
  });

  it('a promote-now says who promoted and when', () => {
    const now = watching().send({ type: 'promote-now', by: 'UADMIN001' }).state;
    const c = new Canary();
    c.state = now;
    // promote-now: each remaining stage still shifts, runs its checks and its gates once.
    while (c.state.status !== 'promoted') {
      if (c.state.status === 'shifting') c.shifted();
      else if (c.state.status === 'checking') c.checked();
      else c.send({ type: 'gates-done', stage: c.state.stage, results: [result('error-rate', 'pass')] });
    }
    const promoted = summaryOf(c.state);
    expect(promoted.promoteNow).toEqual({ by: 'UADMIN001', at: now.promoteNow?.at });
    expect(promoted.outcome.reason).toContain('promoted now by UADMIN001');
  });
});

describe('a rollout rolled back after a gate failed at stage B', () => {
  const c = rollingBack();
  const failing = c.state.stages[1]?.ticks.at(-1)?.find((r) => r.status === 'fail');
  const state = c
    .send({ type: 'route-overridden', target: 'legacy' })
    .send({ type: 'traffic-set', traffic: { [STABLE]: 100 } })
    .send({
      type: 'checks-done',
      results: [result('healthz', 'pass'), result('auth-session', 'pass')],
    }).state;
  const s = summaryOf(state);

  it("says why: the failing gate's observed value beside its threshold", () => {
    expect(failing?.gate).toBe('latency-p95');
    expect(s.outcome.status).toBe('rolled-back');
    expect(s.outcome.stage).toBe('B');
    expect(s.outcome.by).toBeNull();
    expect(s.outcome.reason).toBe(state.rollback?.reason);
    expect(s.outcome.reason).toMatch(/^stage B: .*latency-p95/);
    // What failed, with the observed value beside the threshold.
    expect(s.outcome.failures).toHaveLength(1);
    expect(s.outcome.failures[0]).toMatchObject({
      stage: 'B',
      tick: state.stages[1]?.ticks.length,
      result: {
        gate: 'latency-p95',
        status: 'fail',
        observed: { value: 412, unit: 'ms' },
        threshold: '+20 %',
      },
    });
  });

  it('has the failing tick with observed, threshold, baseline and samples, and the stage failed', () => {
    const b = s.stages[1];
    expect(b?.result).toBe('failed');
    expect(b?.verdict).toBe('fail');
    const last = b?.ticks.at(-1);
    expect(last?.tick).toBe(state.stages[1]?.ticks.length);
    const gate = last?.results.find((r) => r.gate === 'latency-p95');
    expect(gate).toMatchObject({
      status: 'fail',
      observed: { value: 412, unit: 'ms' },
      threshold: '+20 %',
      baseline: { value: 300, unit: 'ms' },
      samples: 5210,
      line: renderGate(failing as GateResult),
    });
    // Earlier ticks are all there, the inconclusive one included.
    expect(b?.ticks.flatMap((t) => t.results).filter((r) => r.status === 'inconclusive')).toHaveLength(1);
    // The stage ended when the rollback began.
    expect(b?.endedAt).toBe(state.rollback?.startedAt);
    expect(s.stages.slice(2).map((st) => [st.result, st.startedAt, st.endedAt, st.durationMs])).toEqual([
      ['not reached', null, null, null],
      ['not reached', null, null, null],
      ['not reached', null, null, null],
    ]);
  });

  it('has the traffic before the rollout, at the failure, and after the rollback', () => {
    expect(s.traffic).toEqual({ before: { [STABLE]: 100 }, after: { [STABLE]: 100 } });
    expect(s.revisions).toEqual({ stable: STABLE, canary: CANARY });
    expect(s.rollback.command).toBe(COMMAND);
    expect(s.rollback.stableRevision).toBe(STABLE);
    expect(s.rollback.procedure).toMatchObject({
      trigger: 'gate',
      by: null,
      failedStage: 'B',
      mode: 'full',
      fromRevision: CANARY,
      toRevision: STABLE,
      routeOverride: 'legacy',
      trafficBefore: { [STABLE]: 95, [CANARY]: 5 },
      trafficAfter: { [STABLE]: 100 },
      status: 'done',
      attention: null,
      incident: true,
      startedAt: state.rollback?.startedAt,
      endedAt: state.rollback?.endedAt,
    });
    expect(s.rollback.procedure?.checks.map((r) => [r.gate, r.status])).toEqual([
      ['healthz', 'pass'],
      ['auth-session', 'pass'],
    ]);
  });

  it('a check failing on the stable revision afterwards is named as needing attention', () => {
    const after = summaryOf(scenario('rolled-back (checks failing after)'));
    expect(after.outcome.attention).toContain('auth-session');
    expect(after.rollback.procedure?.attention).toContain('auth-session');
  });
});

describe('an aborted rollout', () => {
  it('before anything was deployed: every field it cannot have says why', () => {
    const c = new Canary({ policy: { maxAttempts: 1 } })
      .send({ type: 'start' })
      .send({ type: 'preconditions-done', results: [], blocking: [] })
      .send({ type: 'effect-failed', effect: 'deploy', error: 'image not found', retryable: false });
    c.min = 5;
    const state = c.send({ type: 'abort', by: REQUESTER, reason: 'wrong image' }).state;
    const s = summaryOf(state);
    expect(s.outcome).toEqual({
      status: 'aborted',
      ended: true,
      reason: 'wrong image',
      by: REQUESTER,
      stage: 'A',
      attention: null,
      failures: [],
    });
    expect(s.image).toEqual({ ref: IMAGE, tag: 'v1.42.0' });
    expect(s.revisions).toEqual({ stable: null, canary: null });
    expect(s.traffic).toEqual({ before: null, after: null });
    expect(s.rollback).toEqual({ command: null, stableRevision: null, procedure: null });
    expect(s.smokeChecks).toEqual([]);
    expect(Object.keys(s.missing).sort()).toEqual([
      'revisions.canary',
      'revisions.stable',
      'rollback.command',
      'rollback.stableRevision',
      'smokeChecks',
      'traffic.after',
      'traffic.before',
    ]);
    // Why nothing was deployed: the deploy's last error, from the state.
    const why =
      'the rollout ended before stage A deployed a revision (deploy failed (not retryable, 1 attempt): image not found)';
    expect(s.missing['revisions.canary']).toBe(`none: ${why}`);
    expect(s.missing['traffic.before']).toBe(`not read: ${why}`);
    expect(s.missing.smokeChecks).toBe(`not run: ${why}`);
    expect(s.missing['rollback.command']).toBe('none: no stable revision was recorded');
    expect(s.stages[0]).toMatchObject({ result: 'stopped', startedAt: null, endedAt: at(5), verdict: null });
    expect(s.stages.slice(1).every((st) => st.result === 'not reached')).toBe(true);
    expect(s.timings.endedAt).toBe(at(5));
    expect(s.timings.durationMs).toBe(5 * 60_000);
  });

  it('after the canary had traffic: traffic returned to stable, with no incident', () => {
    const state = scenario('aborted (traffic returned)');
    const s = summaryOf(state);
    expect(s.outcome).toMatchObject({ status: 'aborted', by: REQUESTER, stage: 'B' });
    expect(s.outcome.reason).toBe(`wrong tag; traffic returned to ${STABLE}`);
    expect(s.traffic).toEqual({ before: { [STABLE]: 100 }, after: { [STABLE]: 100 } });
    expect(s.rollback.procedure).toMatchObject({
      trigger: 'manual',
      mode: 'traffic-only',
      incident: false,
      routeOverride: null,
      trafficBefore: { [STABLE]: 95, [CANARY]: 5 },
      trafficAfter: { [STABLE]: 100 },
    });
    expect(s.stages[1]).toMatchObject({ result: 'stopped', endedAt: state.rollback?.startedAt });
  });
});

describe('a rollout failed at stage A', () => {
  const state = scenario('failed');
  const s = summaryOf(state);

  it('names the failing smoke check with its output; the new revision never had traffic', () => {
    expect(s.outcome.status).toBe('failed');
    expect(s.outcome.stage).toBe('A');
    expect(s.outcome.reason).toBe(
      `stage A checks failed: healthz: ${renderGate(result('healthz', 'fail'))}; the new revision never had traffic`,
    );
    expect(s.smokeChecks.map((c) => [c.gate, c.status, c.observed])).toEqual([
      ['healthz', 'fail', { value: 503, unit: 'status' }],
      ['readyz', 'pass', { value: 200, unit: 'status' }],
    ]);
    expect(s.smokeChecks[0]?.reason).toBe('expected status 200');
    expect(s.outcome.failures).toEqual([{ stage: 'A', tick: null, result: s.smokeChecks[0] }]);
    expect(s.stages[0]).toMatchObject({ result: 'failed', verdict: 'fail', endedAt: state.endedAt });
    expect(s.stages.slice(1).map((st) => st.result)).toEqual(Array(4).fill('not reached'));
  });

  it('has the revisions and the unchanged traffic; the rollback command stands', () => {
    expect(s.revisions).toEqual({ stable: STABLE, canary: CANARY });
    expect(s.traffic).toEqual({ before: { [STABLE]: 100 }, after: { [STABLE]: 100 } });
    expect(s.rollback).toEqual({ command: COMMAND, stableRevision: STABLE, procedure: null });
    expect(s.missing).toEqual({});
  });
});

describe('a rollout whose rollback got stuck and people took over', () => {
  it('failed: what the person said, why the rollback was stuck, and the traffic as last reported', () => {
    const c = rollingBack()
      .send({ type: 'route-overridden', target: 'legacy' })
      .send({ type: 'traffic-set', traffic: { [STABLE]: 90, [CANARY]: 10 } });
    const stuck = c.state.rollback?.attention;
    const state = c.send({ type: 'abort', by: REQUESTER, reason: 'fixing it by hand' }).state;
    const s = summaryOf(state);
    expect(stuck).toContain(`expected ${STABLE} 100 %`);
    expect(s.outcome).toMatchObject({
      status: 'failed',
      ended: true,
      reason: `stopped while the rollback needed attention: fixing it by hand; the rollback was stuck: ${stuck}`,
      by: REQUESTER,
      stage: 'B',
      attention: null,
    });
    expect(s.traffic.after).toEqual({ [STABLE]: 90, [CANARY]: 10 });
    expect(s.rollback.procedure).toMatchObject({
      status: 'needs-attention',
      attention: stuck,
      endedAt: null,
    });
  });
});

describe('other runs', () => {
  it('a dry run says it changed nothing and carries its plan in words', () => {
    const state = new Canary({ dryRun: true }).deploy().promote().state;
    const plan: PlanEntry[] = [
      {
        n: 1,
        at: at(0),
        after: 'start',
        effect: { type: 'deploy', image: `${IMAGE}:v1.42.0`, tag: 'v1.42.0' },
      },
      {
        n: 2,
        at: at(1),
        after: 'approve',
        effect: { type: 'set-traffic', stable: STABLE, canary: CANARY, canaryPercent: 5 },
      },
      { n: 3, at: at(2), after: 'gates-done', effect: { type: 'write-report' } },
    ];
    const s = rolloutSummary({ state, plan, target: TARGET });
    expect(s.dryRun).toBe(true);
    expect(s.notes).toEqual([
      'Dry run: nothing was changed. Revisions and traffic are what the plan would have used; no gate was evaluated.',
    ]);
    expect(s.plan).toEqual([
      {
        n: 1,
        at: at(0),
        after: 'start',
        what: `deploy ${IMAGE}:v1.42.0 as a revision with no traffic, tagged canary`,
      },
      { n: 2, at: at(1), after: 'approve', what: `set traffic ${STABLE} 95 %, ${CANARY} 5 %` },
      { n: 3, at: at(2), after: 'gates-done', what: 'write this report' },
    ]);
    expect(rolloutSummary({ state }).missing.plan).toBe('not recorded');
  });

  it('a rollout not ended yet says so instead of inventing an end', () => {
    const state = watching().state;
    const s = summaryOf(state);
    expect(s.outcome).toMatchObject({ status: 'watching', ended: false, reason: 'not ended: watching' });
    expect(s.timings).toEqual({ startedAt: at(0), endedAt: null, durationMs: null });
    expect(s.missing['timings.endedAt']).toBe('not ended: the rollout is watching');
    expect(s.stages[1]).toMatchObject({ result: 'in progress', endedAt: null, durationMs: null });
  });

  it('without the service in the config there is no Cloud Run target, so no command: it says why', () => {
    const s = rolloutSummary({ state: scenario('promoted') });
    expect(s.cloudRun).toBeNull();
    expect(s.rollback).toEqual({ command: null, stableRevision: STABLE, procedure: null });
    expect(s.missing.cloudRun).toBe('not in the config: no service control in environment prod');
    expect(s.missing['rollback.command']).toContain('no longer names the Cloud Run service');
  });

  it('a standalone /rollback: the revision it rolled back to is the stable one; it deployed nothing', () => {
    const rb = standalone('full');
    rb.send({ type: 'route-overridden', target: 'legacy' });
    rb.send({ type: 'traffic-set', traffic: { [STABLE]: 100 } });
    const state = rb.send({
      type: 'checks-done',
      results: [result('healthz', 'pass'), result('auth-session', 'pass')],
    });
    const s = rolloutSummary({ state, target: TARGET });
    expect(s.kind).toBe('rollback');
    expect(s.requestedBy).toBe('UONCALL01');
    expect(s.outcome).toMatchObject({
      status: 'rolled-back',
      ended: true,
      reason: '5xx spike after v1.42.0 <!channel>',
      by: 'UONCALL01',
    });
    expect(s.revisions).toEqual({ stable: STABLE, canary: null });
    expect(s.missing['revisions.canary']).toBe(
      `none: a rollback deploys nothing (it rolled back from ${CANARY})`,
    );
    expect(s.image).toEqual({ ref: null, tag: null });
    expect(s.traffic).toEqual({ before: null, after: { [STABLE]: 100 } });
    expect(s.missing['traffic.before']).toContain(CANARY);
    expect(s.rollback.command).toBe(COMMAND);
    expect(s.rollback.procedure).toMatchObject({
      fromRevision: CANARY,
      toRevision: STABLE,
      routeOverride: 'legacy',
    });
    expect(s.stages).toEqual([]);
  });
});
