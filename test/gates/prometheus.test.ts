import { beforeEach, describe, expect, it } from 'vitest';
import {
  createPrometheusTwin,
  PROMETHEUS_TWIN_ORIGIN as ORIGIN,
} from '../../sandbox/twins/prometheus/index.ts';
import { type Gate, gate as gateSchema, THRESHOLD_PROFILES } from '../../src/config/gates.ts';
import { captureBefore, createPrometheusGate } from '../../src/gates/providers/prometheus.ts';
import { renderGate } from '../../src/gates/render.ts';
import type { GateOf } from '../../src/gates/result.ts';
import { createPrometheus } from '../../src/platform/prometheus/index.ts';
import { gateContext, NOW } from '../helpers/gate-context.ts';
import { useTwins } from '../helpers/msw.ts';

const twin = createPrometheusTwin();
useTwins(...twin.handlers);
beforeEach(() => {
  twin.reset();
  asked.length = 0;
});

const asked: (string | undefined)[] = [];
const factory = (url: string | undefined) => {
  asked.push(url);
  return createPrometheus({ baseUrl: url ?? ORIGIN, timeoutMs: 2_000 });
};
const provider = createPrometheusGate({ prometheus: factory });
const prom = (input: Record<string, unknown>) =>
  gateSchema.parse({ kind: 'prometheus', ...input }) as GateOf<'prometheus'>;

const GOLDEN = 'sum(nova_golden_mismatch_total)';
const ERROR_RATE = 'sum(rate(http_requests_total{code=~"5.."}[5m])) / sum(rate(http_requests_total[5m]))';
const P95_MS =
  '1000 * histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket[5m])))';

describe('absolute rules', () => {
  it('passes and fails max and min, showing the value and the limit', async () => {
    twin.answer('up_instances', { scalar: 2 });
    const max = await provider.evaluate(
      'inflight',
      prom({ query: 'up_instances', rule: 'max', limit: 1 }),
      gateContext(),
    );
    expect(max).toMatchObject({ status: 'fail', observed: { value: 2 }, threshold: '<= 1', samples: 1 });
    expect(renderGate(max)).toBe('up_instances 2 (limit <= 1): FAIL');
    const min = await provider.evaluate(
      'up',
      prom({ query: 'up_instances', rule: 'min', limit: 2 }),
      gateContext(),
    );
    expect(min).toMatchObject({ status: 'pass', threshold: '>= 2' });
    expect(twin.queries[0]?.time).toEqual(NOW);
  });

  it("asks the service environment's Prometheus when the gate names none, and the gate's own when it does", async () => {
    twin.answer('up_instances', { scalar: 1 });
    const env = 'http://prometheus.env.test';
    await provider.evaluate(
      'up',
      prom({ query: 'up_instances', rule: 'max', limit: 1 }),
      gateContext({ prometheusUrl: env }),
    );
    await provider.evaluate(
      'up',
      prom({ query: 'up_instances', rule: 'max', limit: 1, url: ORIGIN }),
      gateContext({ prometheusUrl: env }),
    );
    await captureBefore({ golden: prom({ query: GOLDEN, rule: 'any-increase' }) }, factory, NOW, env);
    expect(asked).toEqual([env, ORIGIN, env]);
  });

  it('sums several series and says so', async () => {
    twin.answer('errors_by_instance', {
      vector: [
        { metric: { instance: 'a' }, value: 1 },
        { metric: { instance: 'b' }, value: 2.5 },
        { metric: { instance: 'c' }, value: 0 },
      ],
    });
    const result = await provider.evaluate(
      'errors',
      prom({ query: 'errors_by_instance', rule: 'max', limit: 3 }),
      gateContext(),
    );
    expect(result).toMatchObject({
      status: 'fail',
      observed: { value: 3.5 },
      samples: 3,
      samplesUnit: 'series',
    });
    expect(renderGate(result)).toBe('errors_by_instance 3.5 (sum of 3 series) (limit <= 3): FAIL');
  });
});

describe('deltas against the value captured before the change (seed 003)', () => {
  it('fails p95 more than the profile allows above before, in ms', async () => {
    const gate = prom({ query: P95_MS, rule: 'delta', profile: 'moderate' });
    const before = { before: { 'p95-delta': 300 } };
    twin.answer(P95_MS, { vector: [{ value: 700 }] });
    expect(await provider.evaluate('p95-delta', gate, gateContext(before))).toMatchObject({ status: 'pass' });
    twin.answer(P95_MS, { vector: [{ value: 900 }] });
    const result = await provider.evaluate('p95-delta', gate, gateContext(before));
    expect(result).toMatchObject({
      status: 'fail',
      metric: 'p95-delta query',
      observed: { value: 900, unit: 'ms' },
      baseline: { value: 300, unit: 'ms' },
      threshold: '+500 ms',
    });
    expect(renderGate(result)).toBe('p95-delta query 900 ms vs before 300 ms (+600 ms, limit +500 ms): FAIL');
  });

  it('fails an error-rate rise beyond the profile percentage, relative to before', async () => {
    const gate = prom({ query: ERROR_RATE, rule: 'delta-percent', profile: 'conservative' });
    const ctx = gateContext({ before: { 'error-delta': 0.02 } });
    twin.answer(ERROR_RATE, { vector: [{ value: 0.021 }] });
    expect(await provider.evaluate('error-delta', gate, ctx)).toMatchObject({
      status: 'pass',
      threshold: '+10 %',
    });
    twin.answer(ERROR_RATE, { vector: [{ value: 0.03 }] });
    const result = await provider.evaluate('error-delta', gate, ctx);
    expect(result.status).toBe('fail');
    expect(renderGate(result)).toBe('error-delta query 0.03 vs before 0.02 (+50 %, limit +10 %): FAIL');
  });

  it('treats a rise from 0 as beyond any percentage, and no change from 0 as a pass', async () => {
    const gate = prom({ query: ERROR_RATE, rule: 'delta-percent', limit: 50 });
    const ctx = gateContext({ before: { e: 0 } });
    twin.answer(ERROR_RATE, { vector: [{ value: 0.01 }] });
    expect(await provider.evaluate('e', gate, ctx)).toMatchObject({ status: 'fail', reason: 'rose from 0' });
    twin.answer(ERROR_RATE, { vector: [{ value: 0 }] });
    expect(await provider.evaluate('e', gate, ctx)).toMatchObject({ status: 'pass' });
  });

  it('fails any increase of golden_mismatch at once (failFast), and passes no change', async () => {
    const gate = prom({ query: GOLDEN, rule: 'any-increase' });
    const ctx = gateContext({ before: { 'golden-mismatch': 0 } });
    twin.answer(GOLDEN, { vector: [{ value: 0 }] });
    expect(await provider.evaluate('golden-mismatch', gate, ctx)).toMatchObject({
      status: 'pass',
      failFast: true,
    });
    twin.answer(GOLDEN, { vector: [{ value: 1 }] });
    const result = await provider.evaluate('golden-mismatch', gate, ctx);
    expect(result).toMatchObject({ status: 'fail', failFast: true, threshold: 'no increase' });
    expect(renderGate(result)).toBe(
      'sum(nova_golden_mismatch_total) 1 vs before 0 (+1, limit no increase): FAIL',
    );
  });

  it('uses each of the three profiles by name', async () => {
    twin.answer(P95_MS, { vector: [{ value: 0 }] });
    for (const [profile, limits] of Object.entries(THRESHOLD_PROFILES)) {
      const ctx = gateContext({ before: { g: 0 } });
      const delta = await provider.evaluate('g', prom({ query: P95_MS, rule: 'delta', profile }), ctx);
      expect(delta.threshold).toBe(`+${limits.latencyP95DeltaMs.toLocaleString('en-US')} ms`);
      const pct = await provider.evaluate('g', prom({ query: P95_MS, rule: 'delta-percent', profile }), ctx);
      expect(pct.threshold).toBe(`+${limits.errorRateDeltaPercent} %`);
    }
  });

  it('is inconclusive without a value captured before', async () => {
    twin.answer(GOLDEN, { vector: [{ value: 4 }] });
    const result = await provider.evaluate(
      'golden',
      prom({ query: GOLDEN, rule: 'any-increase' }),
      gateContext(),
    );
    expect(result).toMatchObject({
      status: 'inconclusive',
      observed: { value: 4 },
      reason: 'no value was captured before the change to compare with',
    });
    expect(renderGate(result)).toBe(
      'sum(nova_golden_mismatch_total) 4 (no value was captured before the change to compare with): inconclusive',
    );
  });
});

describe('answers that cannot be judged', () => {
  it('is inconclusive for an empty vector and for NaN', async () => {
    const gate = prom({ query: ERROR_RATE, rule: 'max', limit: 0.01 });
    const empty = await provider.evaluate('e', gate, gateContext());
    expect(empty).toMatchObject({
      status: 'inconclusive',
      reason: 'the query matched no series',
      samples: 0,
    });
    expect(empty.observed).toBeUndefined();
    twin.answer(ERROR_RATE, { vector: [{ value: Number.NaN }] });
    const nan = await provider.evaluate('e', gate, gateContext());
    expect(nan).toMatchObject({
      status: 'inconclusive',
      reason: 'Prometheus answered NaN (0/0: no traffic?)',
    });
    expect(renderGate(nan)).toMatch(/ NaN \(Prometheus answered NaN/);
  });

  it('is an error when Prometheus is unavailable or answers garbage: the judge continues with a warning', async () => {
    const gate = prom({ query: GOLDEN, rule: 'any-increase' });
    twin.recorder.inject({ match: 'POST /api/v1/query', status: 503 });
    const down = await provider.evaluate('golden', gate, gateContext({ before: { golden: 0 } }));
    expect(down).toMatchObject({ status: 'error', samples: 0 });
    expect(down.reason).toMatch(/unavailable \(503\)/);
    twin.recorder.inject({ match: 'POST /api/v1/query', kind: 'proxy-error' });
    const proxy = await provider.evaluate('golden', gate, gateContext({ before: { golden: 0 } }));
    expect(proxy.status).toBe('error');
    expect(renderGate(proxy)).toMatch(
      /^sum\(nova_golden_mismatch_total\) could not be measured: .*502.*: ERROR$/,
    );
  });

  it("shows Prometheus' warnings beside the verdict", async () => {
    twin.answer(GOLDEN, { vector: [{ value: 0 }], warnings: ['remote read of store eu-1 failed'] });
    const result = await provider.evaluate(
      'golden',
      prom({ query: GOLDEN, rule: 'any-increase' }),
      gateContext({ before: { golden: 0 } }),
    );
    expect(result).toMatchObject({
      status: 'pass',
      reason: 'Prometheus warns: remote read of store eu-1 failed',
    });
  });
});

describe('evidence and the client used', () => {
  it("asks the gate's own Prometheus with a curl line, or the environment's with the query and time", async () => {
    const own = prom({ query: GOLDEN, rule: 'max', limit: 0, url: `${ORIGIN}/` });
    const result = await provider.evaluate('g', own, gateContext());
    expect(result.evidence).toBe(
      `curl -sS '${ORIGIN}/api/v1/query' --data-urlencode 'query=${GOLDEN}' --data-urlencode 'time=${NOW.getTime() / 1000}.000'`,
    );
    const envs = await provider.evaluate('g', prom({ query: GOLDEN, rule: 'max', limit: 0 }), gateContext());
    expect(envs.evidence).toBe(
      `PromQL at 2026-11-02T10:10:00.000Z (time=${NOW.getTime() / 1000}.000): ${GOLDEN}`,
    );
    expect(asked).toEqual([`${ORIGIN}/`, undefined]);
  });
});

describe('captureBefore', () => {
  it('reads every delta gate once, summed; a counter with no series yet counts 0', async () => {
    twin.answer(P95_MS, { vector: [{ value: 120 }, { value: 80 }] });
    twin.answer(ERROR_RATE, { vector: [{ value: Number.NaN }] });
    const gates: Record<string, Gate> = {
      golden: prom({ query: GOLDEN, rule: 'any-increase' }),
      p95: prom({ query: P95_MS, rule: 'delta', profile: 'conservative' }),
      errors: prom({ query: ERROR_RATE, rule: 'delta-percent', limit: 50 }),
      missing: prom({ query: 'nothing_here', rule: 'delta', limit: 1 }),
      absolute: prom({ query: 'up', rule: 'max', limit: 1 }),
      healthz: { kind: 'route-split', path: '/login', expect: 'rust_shell' },
    };
    const at = new Date('2026-11-02T10:00:00Z');
    const captured = await captureBefore(gates, factory, at);
    expect(captured).toEqual({
      values: { golden: 0, p95: 200 },
      missing: { errors: 'Prometheus answered NaN', missing: 'the query matched no series' },
    });
    expect(twin.queries.map((q) => q.query).sort()).toEqual(
      [ERROR_RATE, GOLDEN, P95_MS, 'nothing_here'].sort(),
    );
    expect(twin.queries.every((q) => q.time.getTime() === at.getTime())).toBe(true);
  });

  it('records why a value could not be captured', async () => {
    twin.recorder.inject({ match: 'POST /api/v1/query', status: 503 });
    const captured = await captureBefore({ golden: prom({ query: GOLDEN, rule: 'any-increase' }) }, factory);
    expect(captured.values).toEqual({});
    expect(captured.missing.golden).toMatch(/503/);
  });
});
