import { describe, expect, it } from 'vitest';
import { streamCutoverRunbook } from '../../src/config/runbooks.ts';
import type { GateResult } from '../../src/gates/result.ts';
import { type CutoverInput, cutoverStep, newCutover } from '../../src/runbooks/cutover/index.ts';
import type { Effect, RunbookEvent, RunbookPolicy, StreamCutoverState } from '../../src/runbooks/types.ts';

// The stream cutover train as a pure function: the order of its steps, fail-fast on a breached hard
// gate, the flip-back of a route it flipped, approvals before the first change, abort and retries.

const runbook = streamCutoverRunbook.parse({
  kind: 'stream-cutover',
  smokes: ['chat-stream', 'chats-stream'],
  route: { verify: ['route-login'] },
});
const policy: RunbookPolicy = {
  requiredApprovals: 1,
  allowSelfApproval: false,
  approvalTtlMs: 3_600_000,
  onGateFailure: 'automatic',
  maxAttempts: 2,
  backoffMs: () => 10,
};
const ctx = { runbook, policy };
const AT = '2026-12-03T10:00:00.000Z';
const STABLE = 'web-00001-stb';
const CANARY = 'web-00002-can';

function train(input: Partial<CutoverInput> = {}, dryRun = false) {
  let state: StreamCutoverState = newCutover(
    { id: 't1', service: 'web', env: 'prod', requestedBy: 'UREQ', dryRun, at: AT },
    {
      stableRevision: STABLE,
      canaryRevision: CANARY,
      applyRouteFlip: true,
      errorBudgetConsumed: 1,
      ...input,
    },
    runbook,
  );
  let effects: Effect[] = [];
  const send = (event: RunbookEvent) => {
    const r = cutoverStep(state, event, ctx);
    if (r.refused !== undefined) throw new Error(`refused ${event.type}: ${r.refused}`);
    state = r.state;
    effects = r.effects;
    return r;
  };
  const asked = () => effects.find((e) => !['notify', 'schedule', 'cancel'].includes(e.type));
  return {
    send,
    asked,
    get state() {
      return state;
    },
    get effects() {
      return effects;
    },
  };
}

const result = (gate: string, status: GateResult['status'] = 'pass'): GateResult => ({
  gate,
  kind: 'sse-contract',
  status,
  metric: `stream POST ${gate}`,
  threshold: 'contract',
  samples: 1,
  evidence: 'curl',
  at: AT,
});
const smokes = (status: GateResult['status'] = 'pass'): RunbookEvent => ({
  type: 'checks-done',
  at: AT,
  results: [result('chat-stream', status), result('chats-stream')],
});

/** Walks a live train with the route flip to its verdict; each hook may answer one step its own way. */
function walk(t: ReturnType<typeof train>, post: RunbookEvent = smokes()) {
  t.send({ type: 'start', at: AT });
  t.send(smokes());
  t.send({ type: 'approve', at: AT, userId: 'UAPPROVER', stage: 1 });
  t.send({ type: 'route-read', at: AT, override: null, mode: 'rust' });
  t.send({ type: 'route-overridden', at: AT, target: 'rust', override: 'rust_shell' });
  t.send({ type: 'checks-done', at: AT, results: [result('route-login')] });
  t.send(post);
}

describe('stream cutover train', () => {
  it('walks every step in the seed order and passes when every hard gate holds', () => {
    const t = train();
    t.send({ type: 'start', at: AT });
    expect(t.asked()).toMatchObject({ type: 'evaluate', gates: ['chat-stream', 'chats-stream'] });
    t.send(smokes());
    expect(t.state.status).toBe('awaiting-approval');
    expect(() => t.send({ type: 'approve', at: AT, userId: 'UREQ', stage: 1 })).toThrow(/someone else/);
    t.send({ type: 'approve', at: AT, userId: 'UAPPROVER', stage: 1 });
    expect(t.asked()).toEqual({ type: 'route-status' });
    t.send({ type: 'route-read', at: AT, override: null, mode: 'rust' });
    expect(t.asked()).toEqual({ type: 'route-override', target: 'rust' });
    t.send({ type: 'route-overridden', at: AT, target: 'rust', override: 'rust_shell' });
    expect(t.asked()).toMatchObject({ type: 'evaluate', gates: ['route-login'] });
    t.send({ type: 'checks-done', at: AT, results: [result('route-login')] });
    t.send(smokes());
    expect(t.asked()).toEqual({ type: 'read-traffic' });
    t.send({ type: 'traffic-read', at: AT, traffic: { [STABLE]: 90, [CANARY]: 10 } });
    expect(t.asked()).toEqual({ type: 'rollback-traffic', toRevision: STABLE });
    t.send({ type: 'traffic-set', at: AT, traffic: { [STABLE]: 100 } });
    expect(t.asked()).toEqual({ type: 'set-split', split: { [STABLE]: 90, [CANARY]: 10 } });
    t.send({ type: 'traffic-set', at: AT, traffic: { [STABLE]: 90, [CANARY]: 10 } });
    expect(t.state.status).toBe('promoted');
    expect(t.state.steps.map((s) => [s.name, s.status])).toEqual([
      ['pre-smoke', 'passed'],
      ['approval', 'passed'],
      ['route-flip', 'passed'],
      ['post-smoke', 'passed'],
      ['canary-drill', 'passed'],
      ['error-budget', 'passed'],
      ['hard-gates', 'passed'],
    ]);
    expect(t.state.hardGates?.map((g) => [g.name, g.observed, g.status])).toEqual([
      ['route-flip-failures', 0, 'pass'],
      ['stream-smoke-failures', 0, 'pass'],
      ['canary-drill-failures', 0, 'pass'],
      ['dual-run-failures', 0, 'pass'],
      ['error-budget-consumed', 1, 'pass'],
    ]);
    expect(t.effects.map((e) => e.type)).toEqual(expect.arrayContaining(['write-report', 'release-lock']));
  });

  it('stops at a failed pre-flip smoke: no approval asked, no route touched, nothing to flip back', () => {
    const t = train();
    t.send({ type: 'start', at: AT });
    t.send(smokes('fail'));
    expect(t.state.status).toBe('failed');
    expect(t.state.steps.filter((s) => s.status === 'skipped').map((s) => s.name)).toEqual([
      'approval',
      'route-flip',
      'post-smoke',
      'canary-drill',
    ]);
    // The error budget is still read (the operator gave it here): every hard gate measured in the report.
    expect(t.state.steps.find((s) => s.name === 'error-budget')?.status).toBe('passed');
    expect(t.state.hardGates?.find((g) => g.name === 'stream-smoke-failures')).toMatchObject({
      observed: 1,
      status: 'fail',
    });
    expect(t.effects.some((e) => e.type === 'route-override')).toBe(false);
  });

  it('flips the route back when a post-flip smoke breaks the contract', () => {
    const t = train();
    walk(t, smokes('fail'));
    expect(t.state.status).toBe('rolling-back');
    expect(t.asked()).toEqual({ type: 'route-override', target: 'clear' });
    t.send({ type: 'route-overridden', at: AT, target: 'clear', override: null });
    expect(t.state.status).toBe('failed');
    expect(t.state.route).toMatchObject({ before: null, flipped: true, flippedBack: true });
    expect(t.state.steps.at(-1)).toMatchObject({ name: 'flip-back', status: 'passed' });
  });

  it('fails on an error budget over its most, after the drill, and flips back to the override it found', () => {
    const t = train({ errorBudgetConsumed: 7.5 });
    t.send({ type: 'start', at: AT });
    t.send(smokes());
    t.send({ type: 'approve', at: AT, userId: 'UAPPROVER', stage: 1 });
    t.send({ type: 'route-read', at: AT, override: 'legacy', mode: 'cohort' });
    t.send({ type: 'route-overridden', at: AT, target: 'rust' });
    t.send({ type: 'checks-done', at: AT, results: [result('route-login')] });
    t.send(smokes());
    t.send({ type: 'traffic-read', at: AT, traffic: { [CANARY]: 100 } });
    t.send({ type: 'traffic-set', at: AT, traffic: { [STABLE]: 100 } });
    t.send({ type: 'traffic-set', at: AT, traffic: { [CANARY]: 100 } });
    expect(t.state.hardGates?.find((g) => g.name === 'error-budget-consumed')).toMatchObject({
      observed: 7.5,
      max: 5,
      status: 'fail',
    });
    expect(t.asked()).toEqual({ type: 'route-override', target: 'legacy' });
  });

  it('counts a drill whose split does not read back, and a Cloud Run write that keeps failing', () => {
    const t = train();
    walk(t);
    t.send({ type: 'traffic-read', at: AT, traffic: { [STABLE]: 50, [CANARY]: 50 } });
    t.send({ type: 'traffic-set', at: AT, traffic: { [STABLE]: 50, [CANARY]: 50 } });
    t.send({ type: 'effect-failed', at: AT, effect: 'set-split', error: 'unavailable', retryable: true });
    expect(t.effects.find((e) => e.type === 'schedule')).toMatchObject({ timer: 'retry' });
    t.send({ type: 'retry', at: AT, effect: 'set-split' });
    t.send({ type: 'effect-failed', at: AT, effect: 'set-split', error: 'unavailable', retryable: true });
    expect(t.state.steps.find((s) => s.name === 'canary-drill')).toMatchObject({
      status: 'failed',
      failures: 2,
    });
    expect(t.state.status).toBe('rolling-back');
  });

  it('aborts at the approval without changing anything; refuses pause and promote', () => {
    const t = train();
    t.send({ type: 'start', at: AT });
    t.send(smokes());
    expect(() => t.send({ type: 'pause', at: AT, by: 'UREQ' })).toThrow(/cannot pause/);
    t.send({ type: 'abort', at: AT, by: 'UREQ', reason: 'wrong revisions' });
    expect(t.state.status).toBe('aborted');
    expect(t.effects.some((e) => e.type === 'route-override')).toBe(false);
  });

  it('aborted mid-flip: the train stops when the flip lands, then flips back', () => {
    const t = train();
    t.send({ type: 'start', at: AT });
    t.send(smokes());
    t.send({ type: 'approve', at: AT, userId: 'UAPPROVER', stage: 1 });
    t.send({ type: 'route-read', at: AT, override: null, mode: 'rust' });
    t.send({ type: 'abort', at: AT, by: 'UREQ' });
    t.send({ type: 'route-overridden', at: AT, target: 'rust' });
    t.send({ type: 'checks-done', at: AT, results: [result('route-login')] });
    expect(t.asked()).toEqual({ type: 'route-override', target: 'clear' });
    t.send({ type: 'route-overridden', at: AT, target: 'clear' });
    expect(t.state.status).toBe('aborted');
  });

  it('a dry run asks nobody and skips no step', () => {
    const t = train({ errorBudgetConsumed: undefined }, true);
    t.send({ type: 'start', at: AT });
    t.send(smokes());
    expect(t.state.steps.map((s) => s.name)).not.toContain('approval');
    expect(t.asked()).toEqual({ type: 'route-status' });
  });
});
