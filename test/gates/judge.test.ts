import { describe, expect, it } from 'vitest';
import { judgeStage } from '../../src/gates/judge.ts';
import type { GateResult, GateStatus } from '../../src/gates/result.ts';

// Results as the go/no-go gates of seed 000 would give them; only the status matters to the judge.
function r(gate: string, status: GateStatus, extra: Partial<GateResult> = {}): GateResult {
  return {
    gate,
    kind: 'cloud-monitoring',
    status,
    metric: gate,
    ...(status === 'error' || status === 'skipped' ? {} : { observed: { value: 1 } }),
    threshold: '< 1',
    samples: 100,
    evidence: '-',
    at: '2026-11-02T10:00:00.000Z',
    ...(status === 'error' ? { reason: 'source unavailable' } : {}),
    ...extra,
  };
}

/** n ticks of the same statuses, e.g. ticks(3, {a: 'pass', b: 'inconclusive'}). */
function ticks(n: number, statuses: Record<string, GateStatus>): GateResult[][] {
  return Array.from({ length: n }, () => Object.entries(statuses).map(([gate, status]) => r(gate, status)));
}

describe('rule 2: failed ticks beyond the failure limit', () => {
  it('fails on the first fail with failureLimit 0, naming the gate and its line', () => {
    const judged = judgeStage(
      { ticks: [...ticks(2, { 'error-rate': 'pass' }), [r('error-rate', 'fail')]], windowComplete: false },
      { failureLimit: 0 },
    );
    expect(judged).toMatchObject({
      verdict: 'fail',
      reason: '1 failed tick (none tolerated): error-rate: error-rate 1 over 100 requests (limit < 1): FAIL',
      gates: ['error-rate'],
      lines: ['error-rate: error-rate 1 over 100 requests (limit < 1): FAIL'],
      failedTicks: 1,
      ticks: 3,
    });
  });

  it('tolerates failureLimit failed ticks, counted over the stage, not in a row', () => {
    const options = { failureLimit: 1 };
    const first = [r('error-rate', 'fail'), r('latency-p95', 'pass')];
    const calm = [r('error-rate', 'pass'), r('latency-p95', 'pass')];
    const second = [r('error-rate', 'pass'), r('latency-p95', 'fail')];
    expect(judgeStage({ ticks: [first, calm], windowComplete: false }, options)).toMatchObject({
      verdict: 'continue',
      reason: '1 failed tick(s), within limit',
    });
    const judged = judgeStage({ ticks: [first, calm, second], windowComplete: false }, options);
    expect(judged).toMatchObject({
      verdict: 'fail',
      reason:
        '2 failed ticks (limit 1): error-rate: error-rate 1 over 100 requests (limit < 1): FAIL; latency-p95: latency-p95 1 over 100 requests (limit < 1): FAIL',
      gates: ['error-rate', 'latency-p95'],
    });
  });

  it('counts a tick with two failing gates once', () => {
    const both = [r('error-rate', 'fail'), r('latency-p95', 'fail')];
    expect(judgeStage({ ticks: [both], windowComplete: false }, { failureLimit: 1 }).verdict).toBe(
      'continue',
    );
  });

  it('passes a complete window whose fails stayed within the limit', () => {
    const window = [[r('error-rate', 'fail')], ...ticks(9, { 'error-rate': 'pass' })];
    expect(judgeStage({ ticks: window, windowComplete: true }, { failureLimit: 1 })).toMatchObject({
      verdict: 'pass',
      failedTicks: 1,
      ticks: 10,
    });
  });
});

describe('rule 1: fail-fast and critical gates', () => {
  it('fails at once on a failFast result (golden_mismatch any-increase), whatever the limit', () => {
    const golden = r('golden-mismatch', 'fail', { kind: 'prometheus', failFast: true });
    const judged = judgeStage(
      { ticks: [[r('error-rate', 'pass'), golden]], windowComplete: false },
      { failureLimit: 5 },
    );
    expect(judged).toMatchObject({
      verdict: 'fail',
      reason:
        'golden-mismatch: golden-mismatch 1 (sum of 100 series) (limit < 1): FAIL, and it fails the stage at once',
      gates: ['golden-mismatch'],
    });
  });

  it('does not fail on a failFast gate that passes', () => {
    const golden = r('golden-mismatch', 'pass', { kind: 'prometheus', failFast: true });
    expect(judgeStage({ ticks: [[golden]], windowComplete: false }, { failureLimit: 0 }).verdict).toBe(
      'continue',
    );
  });

  it('fails at once on a gate named critical', () => {
    const judged = judgeStage(
      { ticks: [[r('healthz', 'fail')]], windowComplete: false },
      { failureLimit: 3, critical: ['healthz'] },
    );
    expect(judged).toMatchObject({ verdict: 'fail', gates: ['healthz'] });
  });
});

describe('rule 3: inconclusive never fails', () => {
  it('does not count inconclusive ticks as failures', () => {
    const judged = judgeStage(
      {
        ticks: ticks(10, { 'error-rate': 'inconclusive', 'route-split-audit': 'pass' }),
        windowComplete: true,
      },
      { failureLimit: 0 },
    );
    expect(judged).toMatchObject({ verdict: 'pass', failedTicks: 0 });
    // The gate that never judged is named, with its line, so nobody mistakes the pass for its pass.
    expect(judged.warnings).toEqual([
      'error-rate: error-rate 1 over 100 requests (limit < 1): inconclusive (never passed in the window)',
    ]);
  });

  it('passes at 100 % where p95 against stable cannot be judged and the absolute gates decide', () => {
    const stageE = ticks(10, { 'error-rate': 'pass', 'latency-p95': 'inconclusive' });
    expect(judgeStage({ ticks: stageE, windowComplete: true }, { failureLimit: 0 }).verdict).toBe('pass');
  });
});

describe('rule 7: a window where nothing could judge is not a pass', () => {
  const nothing = ticks(10, { 'error-rate': 'inconclusive', 'latency-p95': 'inconclusive', auth: 'skipped' });

  it('extends the window once, then hands the decision to a person', () => {
    const options = { failureLimit: 0 };
    expect(judgeStage({ ticks: nothing, windowComplete: false }, options).verdict).toBe('continue');
    expect(judgeStage({ ticks: nothing, windowComplete: true }, options)).toMatchObject({
      verdict: 'extend',
      reason: 'no gate could judge the window; watching longer',
      gates: ['error-rate', 'latency-p95', 'auth'],
    });
    expect(judgeStage({ ticks: nothing, windowComplete: true, extensionsUsed: 1 }, options)).toMatchObject({
      verdict: 'inconclusive',
      reason: 'no gate could judge the window, even extended: a person decides',
    });
  });

  it('takes the bound on extensions from the options', () => {
    const judged = judgeStage(
      { ticks: nothing, windowComplete: true },
      { failureLimit: 0, maxExtensions: 0 },
    );
    expect(judged.verdict).toBe('inconclusive');
  });

  it('passes a stage without gates', () => {
    expect(judgeStage({ ticks: [[], []], windowComplete: true }, { failureLimit: 0 }).verdict).toBe('pass');
  });
});

describe('rule 4: errors are not failures, but a silent gate needs attention', () => {
  it('continues through a few errors, with the erroring gate in the warnings', () => {
    const three = ticks(3, { 'error-rate': 'error', 'latency-p95': 'pass' });
    const judged = judgeStage({ ticks: three, windowComplete: false }, { failureLimit: 0 });
    expect(judged).toMatchObject({ verdict: 'continue', failedTicks: 0 });
    expect(judged.warnings).toEqual([
      'error-rate: error-rate could not be measured: source unavailable: ERROR',
    ]);
  });

  it('needs attention after the consecutive error limit (4 by default), without rolling back', () => {
    const four = ticks(4, { 'error-rate': 'error', 'latency-p95': 'pass' });
    expect(judgeStage({ ticks: four, windowComplete: false }, { failureLimit: 0 })).toMatchObject({
      verdict: 'needs-attention',
      reason: 'error-rate: 4 errors in a row, nothing is watching',
      gates: ['error-rate'],
      lines: ['error-rate: error-rate could not be measured: source unavailable: ERROR'],
    });
    const two = ticks(2, { prom: 'error' });
    expect(
      judgeStage({ ticks: two, windowComplete: false }, { failureLimit: 0, consecutiveErrorLimit: 2 })
        .verdict,
    ).toBe('needs-attention');
  });

  it('does not add up errors that are not in a row', () => {
    const flaky = Array.from({ length: 10 }, (_, i) => [r('error-rate', i % 3 === 2 ? 'pass' : 'error')]);
    const judged = judgeStage({ ticks: flaky, windowComplete: true }, { failureLimit: 0 });
    expect(judged.verdict).toBe('pass');
  });

  it('needs attention at window end for a gate that never answered, even below the limit', () => {
    const short = ticks(2, { 'error-rate': 'error', 'latency-p95': 'pass' });
    expect(judgeStage({ ticks: short, windowComplete: true }, { failureLimit: 0 })).toMatchObject({
      verdict: 'needs-attention',
      reason: 'error-rate could not be measured at all in the window',
    });
  });
});

describe('rule 5: a fail outranks a silent gate', () => {
  it('rolls back when one gate failed beyond the limit and another stopped answering', () => {
    const window = [
      ...ticks(4, { 'error-rate': 'error', 'latency-p95': 'pass' }),
      [r('latency-p95', 'fail')],
    ];
    expect(judgeStage({ ticks: window, windowComplete: false }, { failureLimit: 0 })).toMatchObject({
      verdict: 'fail',
      gates: ['latency-p95'],
    });
  });
});

describe('the engine loop', () => {
  it('acts on the first verdict other than continue when asked after every tick', () => {
    const stream = [
      ...ticks(3, { 'error-rate': 'inconclusive', 'latency-p95': 'pass' }),
      [r('error-rate', 'fail'), r('latency-p95', 'pass')],
      ...ticks(3, { 'error-rate': 'pass', 'latency-p95': 'pass' }),
    ];
    const verdicts = stream.map(
      (_, i) =>
        judgeStage({ ticks: stream.slice(0, i + 1), windowComplete: false }, { failureLimit: 0 }).verdict,
    );
    expect(verdicts.indexOf('fail')).toBe(3);
    expect(verdicts.slice(0, 3)).toEqual(['continue', 'continue', 'continue']);
  });
});

describe('rule 7a: a window whose data has not all arrived', () => {
  const END = '2026-11-02T10:10:00.000Z';
  const through = (iso: string) => ({ dataThrough: iso });

  it('waits while a gate has judged data ending before the window, then passes once it covers it', () => {
    const early = [r('error-rate', 'pass', through('2026-11-02T10:07:00.000Z')), r('healthz', 'pass')];
    const waiting = judgeStage({ ticks: [early], windowComplete: true, windowEnd: END }, { failureLimit: 0 });
    expect(waiting).toMatchObject({
      verdict: 'continue',
      reason: 'window over at 10:10:00Z; waiting for late data: error-rate judged data through 10:07:00Z',
    });
    const covered = [r('error-rate', 'pass', through(END)), r('healthz', 'pass')];
    expect(
      judgeStage({ ticks: [early, covered], windowComplete: true, windowEnd: END }, { failureLimit: 0 })
        .verdict,
    ).toBe('pass');
  });

  it('is inconclusive, never pass, when the wait is over and the data still stops short, naming how far', () => {
    const early = [r('error-rate', 'pass', through('2026-11-02T10:08:00.000Z'))];
    const judged = judgeStage(
      { ticks: [early], windowComplete: true, windowEnd: END, dataWaitOver: true },
      { failureLimit: 0 },
    );
    expect(judged).toMatchObject({
      verdict: 'inconclusive',
      reason:
        'the data never covered the window to 10:10:00Z: error-rate judged data through 10:08:00Z; a person decides',
      gates: ['error-rate'],
    });
  });

  it('still fails at once on a failure found in the part of the data that is there', () => {
    const bad = [r('error-rate', 'fail', through('2026-11-02T10:05:00.000Z'))];
    expect(
      judgeStage({ ticks: [bad], windowComplete: true, windowEnd: END }, { failureLimit: 0 }).verdict,
    ).toBe('fail');
  });
});
