import { describe, expect, it } from 'vitest';
import { flagCanaryRunbook } from '../../src/config/flags.ts';
import type { GateResult } from '../../src/gates/result.ts';
import { flagCanaryStep, newFlagCanary } from '../../src/runbooks/flag/index.ts';
import type { FlagCanaryInput } from '../../src/runbooks/flag/train.ts';
import type { Effect, FlagCanaryState, RunbookEvent, RunbookPolicy } from '../../src/runbooks/types.ts';

// The flag canary as a pure function: the seed's order, each rollback trigger, Prometheus unreachable
// (warn and go on, or stop), a sign-off expiring before the flags go on, abort and the off mode.

const runbook = flagCanaryRunbook.parse({
  kind: 'flag-canary',
  service: 'web',
  flags: [{ name: 'catalog', signoff: true }, { name: 'cost_sim' }],
  backend: { kind: 'http-json', url: '/api/feature-flags' },
  prerequisites: { shadowRun: ['shadow-mismatches'], health: ['healthz'] },
  smoke: { gate: 'smoke' },
  watch: '60s',
  interval: '20s',
  triggers: ['golden-mismatch', 'error-rate-delta'],
});
const policy: RunbookPolicy = {
  requiredApprovals: 1,
  allowSelfApproval: false,
  approvalTtlMs: 3_600_000,
  onGateFailure: 'automatic',
  maxAttempts: 2,
  backoffMs: () => 10,
};
const T0 = Date.parse('2026-12-03T10:00:00.000Z');
const at = (s: number) => new Date(T0 + s * 1000).toISOString();
const SIGNOFF = {
  flag: 'catalog',
  by: 'UQA',
  at: at(-60),
  expiresAt: at(3600),
  evidence: 'https://ci/run/1',
};

function canary(input: Partial<FlagCanaryInput> = {}, dryRun = false, book = runbook) {
  let state: FlagCanaryState = newFlagCanary(
    { id: 'f1', service: 'web', env: 'prod', requestedBy: 'UREQ', dryRun, at: at(0), config: 'm4-canary' },
    { mode: 'canary', signoffs: [SIGNOFF], ...input },
    book,
  );
  let effects: Effect[] = [];
  const send = (event: RunbookEvent) => {
    const r = flagCanaryStep(state, event, { runbook: book, policy });
    if (r.refused !== undefined) throw new Error(`refused ${event.type}: ${r.refused}`);
    state = r.state;
    effects = r.effects;
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

const result = (
  gate: string,
  status: GateResult['status'],
  value?: number,
  failFast = false,
): GateResult => ({
  gate,
  kind: 'prometheus',
  status,
  metric: gate,
  threshold: 'any increase',
  samples: 1,
  evidence: 'promql',
  at: at(0),
  ...(value === undefined ? {} : { observed: { value } }),
  ...(failFast ? { failFast } : {}),
});
const reading = (on: boolean) => ({
  values: { catalog: on, cost_sim: on },
  version: on ? 'v2' : 'v1',
  where: 'https://web/flags',
});

/** Up to the watch: prerequisites, values, baseline, approval, flags on, smoke. */
function toWatch(c: ReturnType<typeof canary>) {
  c.send({ type: 'start', at: at(0) });
  c.send({
    type: 'checks-done',
    at: at(1),
    results: [result('shadow-mismatches', 'pass'), result('healthz', 'pass')],
  });
  c.send({ type: 'flags-read', at: at(2), reading: reading(false) });
  c.send({ type: 'before-captured', at: at(3), values: { 'golden-mismatch': 0, 'error-rate-delta': 0.5 } });
  c.send({ type: 'approve', at: at(4), userId: 'UAPPROVER', stage: 3 });
  c.send({ type: 'flags-set', at: at(5), result: { ...reading(true), written: true } });
  c.send({ type: 'checks-done', at: at(6), results: [result('smoke', 'pass')] });
}

describe('flag canary train', () => {
  it('walks the seed order and passes when no trigger fires through the window', () => {
    const c = canary();
    c.send({ type: 'start', at: at(0) });
    expect(c.asked()).toMatchObject({ type: 'evaluate', gates: ['shadow-mismatches', 'healthz'] });
    c.send({
      type: 'checks-done',
      at: at(1),
      results: [result('shadow-mismatches', 'pass'), result('healthz', 'pass')],
    });
    expect(c.asked()).toEqual({ type: 'read-flags' });
    c.send({ type: 'flags-read', at: at(2), reading: reading(false) });
    expect(c.asked()).toEqual({ type: 'capture-before', gates: ['golden-mismatch', 'error-rate-delta'] });
    c.send({ type: 'before-captured', at: at(3), values: { 'golden-mismatch': 0 } });
    expect(c.state.status).toBe('awaiting-approval');
    expect(() => c.send({ type: 'approve', at: at(4), userId: 'UREQ', stage: 3 })).toThrow(/someone else/);
    c.send({ type: 'approve', at: at(4), userId: 'UAPPROVER', stage: 3 });
    expect(c.asked()).toEqual({ type: 'set-flags', values: { catalog: true, cost_sim: true } });
    c.send({ type: 'flags-set', at: at(5), result: { ...reading(true), written: true } });
    expect(c.asked()).toMatchObject({ type: 'evaluate', gates: ['smoke'] });
    c.send({ type: 'checks-done', at: at(6), results: [result('smoke', 'pass')] });
    expect(c.state.status).toBe('watching');
    expect(c.effects.find((e) => e.type === 'schedule')).toMatchObject({ timer: 'tick', at: at(26) });
    for (const t of [26, 46, 66]) {
      c.send({ type: 'tick', at: at(t), stage: 6 });
      c.send({
        type: 'gates-done',
        at: at(t),
        stage: 6,
        results: [result('golden-mismatch', 'pass', 0), result('error-rate-delta', 'pass', 0.6)],
      });
    }
    expect(c.state.status).toBe('promoted');
    expect(c.state.ticks).toHaveLength(3);
    expect(c.state.smokeReturnCode).toBe(0);
    expect(c.effects.map((e) => e.type)).toEqual(expect.arrayContaining(['write-report', 'release-lock']));
  });

  it('golden_mismatch increasing rolls back at once, in the seed words, to the values before', () => {
    const c = canary();
    toWatch(c);
    c.send({ type: 'tick', at: at(26), stage: 6 });
    c.send({
      type: 'gates-done',
      at: at(26),
      stage: 6,
      results: [result('golden-mismatch', 'fail', 1, true), result('error-rate-delta', 'pass', 0.6)],
    });
    expect(c.state.rollback).toMatchObject({
      trigger: 'trigger',
      reason: 'golden_mismatch increased: 0 -> 1',
    });
    expect(c.asked()).toEqual({ type: 'set-flags', values: { catalog: false, cost_sim: false } });
    c.send({ type: 'flags-set', at: at(27), result: { ...reading(false), written: true } });
    expect(c.state.status).toBe('rolled-back');
    expect(c.state.steps.map((s) => [s.name, s.status]).at(-2)).toEqual(['watch', 'failed']);
  });

  it('a failing smoke rolls back with return code 1', () => {
    const c = canary();
    c.send({ type: 'start', at: at(0) });
    c.send({
      type: 'checks-done',
      at: at(1),
      results: [result('shadow-mismatches', 'pass'), result('healthz', 'pass')],
    });
    c.send({ type: 'flags-read', at: at(2), reading: reading(false) });
    c.send({ type: 'before-captured', at: at(3), values: {} });
    c.send({ type: 'approve', at: at(4), userId: 'UAPPROVER', stage: 3 });
    c.send({
      type: 'flags-set',
      at: at(5),
      result: { ...reading(true), written: true, restore: 'web-00001' },
    });
    c.send({ type: 'checks-done', at: at(6), results: [result('smoke', 'fail')] });
    expect(c.state.smokeReturnCode).toBe(1);
    expect(c.asked()).toEqual({
      type: 'set-flags',
      values: { catalog: false, cost_sim: false },
      restore: 'web-00001',
    });
  });

  it('Prometheus unreachable warns and goes on, or stops when the runbook says so', () => {
    const c = canary();
    toWatch(c);
    c.send({ type: 'tick', at: at(26), stage: 6 });
    c.send({
      type: 'gates-done',
      at: at(26),
      stage: 6,
      results: [result('golden-mismatch', 'error'), result('error-rate-delta', 'error')],
    });
    expect(c.state.status).toBe('watching');
    expect(c.state.warnings[0]).toContain('the watch goes on');
    const strict = { ...runbook, prometheusUnavailable: 'stop' as const };
    const s = canary({}, false, strict);
    toWatch(s);
    s.send({ type: 'tick', at: at(26), stage: 6 });
    s.send({ type: 'gates-done', at: at(26), stage: 6, results: [result('golden-mismatch', 'error')] });
    expect(s.state.rollback?.trigger).toBe('prometheus');
  });

  it('a sign-off that expired while waiting for approval keeps the flags off', () => {
    const c = canary({ signoffs: [{ ...SIGNOFF, expiresAt: at(4) }] });
    c.send({ type: 'start', at: at(0) });
    c.send({ type: 'checks-done', at: at(1), results: [] });
    c.send({ type: 'flags-read', at: at(2), reading: reading(false) });
    c.send({ type: 'before-captured', at: at(3), values: {} });
    c.send({ type: 'approve', at: at(5), userId: 'UAPPROVER', stage: 3 });
    expect(c.state.status).toBe('failed');
    expect(c.effects.some((e) => e.type === 'set-flags')).toBe(false);
  });

  it('failing prerequisites stop before any change', () => {
    const c = canary();
    c.send({ type: 'start', at: at(0) });
    c.send({
      type: 'checks-done',
      at: at(1),
      results: [result('shadow-mismatches', 'fail', 3), result('healthz', 'pass')],
    });
    expect(c.state.status).toBe('failed');
    expect(c.effects.some((e) => e.type === 'read-flags' || e.type === 'set-flags')).toBe(false);
  });

  it('a person rolls the flags back during the watch; abort before the change ends it aborted', () => {
    const c = canary();
    toWatch(c);
    c.send({ type: 'rollback', at: at(10), by: 'UONCALL', reason: 'errors in the logs' });
    expect(c.state.rollback).toMatchObject({ trigger: 'manual', by: 'UONCALL' });
    const a = canary();
    a.send({ type: 'start', at: at(0) });
    a.send({ type: 'checks-done', at: at(1), results: [] });
    a.send({ type: 'flags-read', at: at(2), reading: reading(false) });
    a.send({ type: 'before-captured', at: at(3), values: {} });
    a.send({ type: 'abort', at: at(4), by: 'UREQ' });
    expect(a.state.status).toBe('aborted');
  });

  it('mode off reads the flags, turns them off and ends rolled-back', () => {
    const c = canary({ mode: 'off', reason: 'mismatches' });
    c.send({ type: 'start', at: at(0) });
    expect(c.asked()).toEqual({ type: 'read-flags' });
    c.send({ type: 'flags-read', at: at(1), reading: reading(true) });
    expect(c.asked()).toEqual({ type: 'set-flags', values: { catalog: false, cost_sim: false } });
    c.send({ type: 'flags-set', at: at(2), result: { ...reading(false), written: true } });
    expect(c.state.status).toBe('rolled-back');
  });
});
