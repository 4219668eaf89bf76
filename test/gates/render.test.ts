import { describe, expect, it } from 'vitest';
import { formatNumber, renderGate } from '../../src/gates/render.ts';
import type { GateResult } from '../../src/gates/result.ts';

const AT = '2026-11-02T10:10:00.000Z';
const result = (
  fields: Partial<GateResult> & Pick<GateResult, 'kind' | 'status' | 'metric'>,
): GateResult => ({
  gate: 'g',
  threshold: '-',
  samples: 0,
  evidence: '-',
  at: AT,
  ...fields,
});

describe('cloud-monitoring lines', () => {
  const latency = {
    kind: 'cloud-monitoring',
    metric: 'p95 latency',
    observed: { value: 412, unit: 'ms' },
    baseline: { value: 300, unit: 'ms' },
    threshold: '+20 %',
    samples: 5210,
  } as const;

  it('shows p95 against stable with the change and the limit', () => {
    expect(renderGate(result({ ...latency, status: 'fail' }))).toBe(
      'p95 latency 412 ms vs stable 300 ms over 5,210 requests (+37.3 %, limit +20 %): FAIL',
    );
    expect(renderGate(result({ ...latency, status: 'pass', observed: { value: 310, unit: 'ms' } }))).toBe(
      'p95 latency 310 ms vs stable 300 ms over 5,210 requests (+3.33 %, limit +20 %): pass',
    );
  });

  it('shows a rate of its requests', () => {
    const rate = result({
      kind: 'cloud-monitoring',
      status: 'pass',
      metric: '5xx rate',
      observed: { value: 0.4, unit: '%' },
      threshold: '< 1 %',
      samples: 5210,
    });
    expect(renderGate(rate)).toBe('5xx rate 0.4 % of 5,210 requests (limit < 1 %): pass');
  });

  it('shows the value and the sample size when too little traffic to judge', () => {
    const thin = result({
      kind: 'cloud-monitoring',
      status: 'inconclusive',
      metric: '5xx rate',
      observed: { value: 0, unit: '%' },
      threshold: '< 1 %',
      samples: 12,
      reason: 'needs 100',
    });
    expect(renderGate(thin)).toBe('5xx rate 0 % of 12 requests (needs 100): inconclusive');
  });

  it('says what could not be measured and why', () => {
    const down = result({
      kind: 'cloud-monitoring',
      status: 'error',
      metric: '5xx rate',
      reason: 'monitoring unavailable: 503',
    });
    expect(renderGate(down)).toBe('5xx rate could not be measured: monitoring unavailable: 503: ERROR');
  });
});

describe('cloud-logging lines', () => {
  it('shows a ratio against stable when the limit is a ratio, with its own samples unit', () => {
    const spike = result({
      kind: 'cloud-logging',
      status: 'fail',
      metric: 'auth verify errors per request',
      observed: { value: 0.008 },
      baseline: { value: 0.002 },
      threshold: '<= 2x stable',
      samples: 1800,
      samplesUnit: 'canary requests',
    });
    expect(renderGate(spike)).toBe(
      'auth verify errors per request 0.008 vs stable 0.002 over 1,800 canary requests (4x, limit <= 2x stable): FAIL',
    );
  });

  it('defaults the samples to log entries', () => {
    const audit = result({
      kind: 'cloud-logging',
      status: 'pass',
      metric: 'audit events route.split.decision',
      observed: { value: 42, unit: 'entries' },
      threshold: '>= 1 each',
      samples: 42,
    });
    expect(renderGate(audit)).toBe(
      'audit events route.split.decision 42 entries over 42 log entries (limit >= 1 each): pass',
    );
  });
});

describe('probe lines (http, sse-contract, route-split)', () => {
  it('shows status and latency, and what was expected', () => {
    const health = { kind: 'http', metric: 'GET /healthz', latencyMs: 40, threshold: 'status 200' } as const;
    expect(
      renderGate(
        result({
          ...health,
          status: 'fail',
          observed: { value: 503, unit: 'status' },
          reason: 'expected status 200',
        }),
      ),
    ).toBe('GET /healthz 503 in 40 ms (expected status 200): FAIL');
    expect(renderGate(result({ ...health, status: 'pass', observed: { value: 200, unit: 'status' } }))).toBe(
      'GET /healthz 200 in 40 ms (expected status 200): pass',
    );
  });

  it('shows a route decision with an arrow', () => {
    const route = result({
      kind: 'route-split',
      status: 'fail',
      metric: 'route /login',
      observed: { value: 'legacy', unit: 'target' },
      threshold: 'rust_shell',
      samples: 1,
    });
    expect(renderGate(route)).toBe('route /login -> legacy (expected rust_shell): FAIL');
  });

  it('shows the broken stream rule', () => {
    const stream = result({
      kind: 'sse-contract',
      status: 'fail',
      metric: 'POST /api/chat stream',
      observed: { value: 200, unit: 'status' },
      latencyMs: 1234.4,
      threshold: 'the stream contract',
      reason: 'two [DONE] markers (events 7 and 9)',
    });
    expect(renderGate(stream)).toBe(
      'POST /api/chat stream 200 in 1,234 ms (two [DONE] markers (events 7 and 9)): FAIL',
    );
  });

  it('says why a check was skipped', () => {
    const skipped = result({
      kind: 'http',
      status: 'skipped',
      metric: 'GET /api/auth/session',
      reason: 'no access token is configured for this environment',
    });
    expect(renderGate(skipped)).toBe(
      'GET /api/auth/session: skipped (no access token is configured for this environment)',
    );
  });
});

describe('prometheus lines', () => {
  it('compares with the value before the change, and names summed series', () => {
    const golden = result({
      kind: 'prometheus',
      status: 'fail',
      metric: 'sum(nova_golden_mismatch_total)',
      observed: { value: 3 },
      baseline: { value: 1 },
      threshold: 'no increase',
      samples: 2,
    });
    expect(renderGate(golden)).toBe(
      'sum(nova_golden_mismatch_total) 3 vs before 1 (sum of 2 series) (+2, limit no increase): FAIL',
    );
  });

  it('keeps an observed value on an error and a reason on a fail', () => {
    const odd = result({
      kind: 'prometheus',
      status: 'fail',
      metric: 'q',
      observed: { value: 0.01 },
      baseline: { value: 0 },
      threshold: '+50 %',
      samples: 1,
      reason: 'rose from 0',
    });
    // No relative change from 0: the absolute one is shown.
    expect(renderGate(odd)).toBe('q 0.01 vs before 0 (+0.01, limit +50 %; rose from 0): FAIL');
    expect(
      renderGate(result({ kind: 'prometheus', status: 'error', metric: 'q', observed: { value: 1 } })),
    ).toBe('q 1 could not be measured: no reason given: ERROR');
  });
});

describe('numbers', () => {
  it('groups thousands, keeps three significant digits, and spells NaN and infinities', () => {
    expect(
      [5210, 412.34, 37.33, 0.00432, 1234.5, -2, Number.NaN, Number.POSITIVE_INFINITY].map(formatNumber),
    ).toEqual(['5,210', '412', '37.3', '0.00432', '1,235', '-2', 'NaN', '+Inf']);
  });

  it('never hides the observed value: a line without one says so', () => {
    expect(
      renderGate(
        result({ kind: 'cloud-monitoring', status: 'inconclusive', metric: '5xx rate', reason: 'no data' }),
      ),
    ).toBe('5xx rate (nothing observed) over 0 requests (no data): inconclusive');
  });
});
