import { describe, expect, it } from 'vitest';
import { gate as gateSchema } from '../../src/config/gates.ts';
import { judgeStage } from '../../src/gates/judge.ts';
import { captureBefore, createPrometheusGate } from '../../src/gates/providers/prometheus.ts';
import { renderGate } from '../../src/gates/render.ts';
import type { GateOf, GateResult } from '../../src/gates/result.ts';
import { createPrometheus } from '../../src/platform/prometheus/index.ts';
import { gateContext } from '../helpers/gate-context.ts';
import {
  type PrometheusServer,
  prometheusBinary,
  type TestMetricsApp,
  usePrometheus,
  useTestMetricsApp,
} from '../helpers/prometheus-server.ts';

// The prometheus gate with the real client against a real Prometheus server (Debian's package, started
// here on a free port, scrape interval 500 ms) scraping apps whose counters and histograms the tests
// drive: seed 003's triggers (error-rate delta %, p95 delta ms, any increase of golden_mismatch), each
// captured before the change, then breached; a healthy run; Prometheus stopped mid-watch. Windows of 30 s
// hold every scrape of a test (each takes a few seconds), so rate() sees the traffic before and after.
// Each test has its own app, selected by `instance`, so their counters do not mix.

type PrometheusGate = GateOf<'prometheus'>;

const WINDOW = '30s';
const errorRateQuery = (app: TestMetricsApp) =>
  `sum(rate(requests_total{instance="${app.target}",status=~"5.."}[${WINDOW}]))` +
  ` / sum(rate(requests_total{instance="${app.target}"}[${WINDOW}]))`;
const p95MsQuery = (app: TestMetricsApp) =>
  `1000 * histogram_quantile(0.95, sum by (le) (rate(request_duration_seconds_bucket{instance="${app.target}"}[${WINDOW}])))`;
const goldenQuery = (app: TestMetricsApp) => `sum(golden_mismatch_total{instance="${app.target}"})`;

const apps = {
  healthy: useTestMetricsApp(),
  errors: useTestMetricsApp(),
  latency: useTestMetricsApp(),
  golden: useTestMetricsApp(),
  unwatched: useTestMetricsApp(),
};
const prometheus = usePrometheus(() => ({
  targets: [apps.healthy.target, apps.errors.target, apps.latency.target, apps.golden.target],
}));
/** A second server, for the test that stops it. */
const doomed = usePrometheus(() => ({ targets: [apps.unwatched.target] }));

// Every gate names its server, so the default url is never used.
const factory = (url: string | undefined) =>
  createPrometheus({ baseUrl: url ?? prometheus.url, timeoutMs: 2_000 });
const provider = createPrometheusGate({ prometheus: factory });
const prom = (input: Record<string, unknown>) =>
  gateSchema.parse({ kind: 'prometheus', ...input }) as PrometheusGate;

/** Seed 003's three triggers for one app, moderate profile (error rate +50 %, p95 +500 ms). */
function seedGates(app: TestMetricsApp, server: PrometheusServer): Record<string, PrometheusGate> {
  return {
    'error-rate': prom({
      url: server.url,
      query: errorRateQuery(app),
      rule: 'delta-percent',
      profile: 'moderate',
    }),
    'latency-p95': prom({ url: server.url, query: p95MsQuery(app), rule: 'delta', profile: 'moderate' }),
    'golden-mismatch': prom({ url: server.url, query: goldenQuery(app), rule: 'any-increase' }),
  };
}

/** Traffic before the change (1 % errors, all at 40 ms), scraped, then the values captured before. */
async function baseline(app: TestMetricsApp, server: PrometheusServer) {
  app.requests(198);
  app.errors(2);
  await server.waitForScrape();
  const gates = seedGates(app, server);
  const captured = await captureBefore(gates, factory, new Date());
  expect(captured.missing).toEqual({});
  // 2 of 200 requests; p95 inside the (25 ms, 50 ms] bucket: 25 + 25 * 190/200; nothing mismatched.
  expect(captured.values['error-rate']).toBeCloseTo(0.01, 6);
  expect(captured.values['latency-p95']).toBeCloseTo(48.75, 3);
  expect(captured.values['golden-mismatch']).toBe(0);
  return { gates, before: captured.values };
}

/** One tick of the watch: every gate evaluated now, by name. */
async function tick(
  gates: Record<string, PrometheusGate>,
  before: Record<string, number>,
): Promise<Record<string, GateResult>> {
  const ctx = gateContext({ now: () => new Date(), before });
  const results = await Promise.all(
    Object.entries(gates).map(
      async ([name, gate]) => [name, await provider.evaluate(name, gate, ctx)] as const,
    ),
  );
  return Object.fromEntries(results);
}

const statuses = (results: Record<string, GateResult>) =>
  Object.fromEntries(Object.entries(results).map(([name, result]) => [name, result.status]));

describe('the prometheus gate against a real Prometheus', () => {
  it('passes a healthy change and the judge passes the stage', async () => {
    const app = apps.healthy;
    const { gates, before } = await baseline(app, prometheus);
    app.requests(297);
    app.errors(3);
    await prometheus.waitForScrape();

    const results = await tick(gates, before);
    expect(statuses(results)).toEqual({
      'error-rate': 'pass',
      'latency-p95': 'pass',
      'golden-mismatch': 'pass',
    });
    expect(results['error-rate']?.observed?.value).toBeCloseTo(0.01, 6);
    expect(results['latency-p95']).toMatchObject({ observed: { unit: 'ms' }, baseline: { unit: 'ms' } });
    expect(results['golden-mismatch']).toMatchObject({ observed: { value: 0 }, baseline: { value: 0 } });
    const verdict = judgeStage(
      { ticks: [Object.values(results)], windowComplete: true },
      { failureLimit: 0 },
    );
    expect(verdict.verdict).toBe('pass');
  });

  it('fails an error rate more than 50 % above before', async () => {
    const app = apps.errors;
    const { gates, before } = await baseline(app, prometheus);
    app.requests(150);
    app.errors(50);
    await prometheus.waitForScrape();

    const results = await tick(gates, before);
    expect(statuses(results)).toEqual({
      'error-rate': 'fail',
      'latency-p95': 'pass',
      'golden-mismatch': 'pass',
    });
    // 52 errors of 400 requests: 13 %, from 1 %.
    const errorRate = results['error-rate'] as GateResult;
    expect(errorRate.observed?.value).toBeCloseTo(0.13, 6);
    expect(renderGate(errorRate)).toBe('error-rate query 0.13 vs before 0.01 (+1,200 %, limit +50 %): FAIL');
    const verdict = judgeStage(
      { ticks: [Object.values(results)], windowComplete: false },
      { failureLimit: 0 },
    );
    expect(verdict).toMatchObject({ verdict: 'fail', gates: ['error-rate'] });
  });

  it('fails a p95 more than 500 ms above before', async () => {
    const app = apps.latency;
    const { gates, before } = await baseline(app, prometheus);
    app.requests(100, { latencyMs: 1500 });
    await prometheus.waitForScrape();

    const results = await tick(gates, before);
    expect(statuses(results)).toEqual({
      'error-rate': 'pass',
      'latency-p95': 'fail',
      'golden-mismatch': 'pass',
    });
    // 100 of 300 requests at 1.5 s: p95 inside the (1 s, 2.5 s] bucket, 1 s + 1.5 s * 85/100.
    const p95 = results['latency-p95'] as GateResult;
    expect(p95.observed).toEqual({ value: expect.closeTo(2275, 3), unit: 'ms' });
    expect(renderGate(p95)).toBe(
      'latency-p95 query 2,275 ms vs before 48.8 ms (+2,226 ms, limit +500 ms): FAIL',
    );
  });

  it('fails at once on any increase of golden_mismatch, whatever the failure limit', async () => {
    const app = apps.golden;
    const { gates, before } = await baseline(app, prometheus);
    app.requests(200);
    app.mismatches();
    await prometheus.waitForScrape();

    const results = await tick(gates, before);
    expect(statuses(results)).toEqual({
      'error-rate': 'pass',
      'latency-p95': 'pass',
      'golden-mismatch': 'fail',
    });
    const golden = results['golden-mismatch'] as GateResult;
    expect(golden).toMatchObject({ observed: { value: 1 }, baseline: { value: 0 }, failFast: true });
    expect(renderGate(golden)).toBe(`${goldenQuery(app)} 1 vs before 0 (+1, limit no increase): FAIL`);
    const verdict = judgeStage(
      { ticks: [Object.values(results)], windowComplete: false },
      { failureLimit: 3 },
    );
    expect(verdict).toMatchObject({ verdict: 'fail', gates: ['golden-mismatch'] });
  });

  it('answers error when Prometheus stops mid-watch, and the stage continues with a warning', async () => {
    const app = apps.unwatched;
    const { gates, before } = await baseline(app, doomed);
    app.requests(100);
    await doomed.waitForScrape();
    const first = await tick(gates, before);
    expect(Object.values(first).map((r) => r.status)).toEqual(['pass', 'pass', 'pass']);

    await doomed.stop();
    const second = await tick(gates, before);
    for (const result of Object.values(second)) {
      expect(result.status).toBe('error');
      expect(result.reason).toMatch(/could not be reached/);
    }
    // The trigger that fails fast fails fast only on a fail: an error is a warning like the others.
    expect(second['golden-mismatch']?.failFast).toBe(true);
    const verdict = judgeStage(
      { ticks: [Object.values(first), Object.values(second)], windowComplete: false },
      { failureLimit: 0 },
    );
    expect(verdict.verdict).toBe('continue');
    expect(verdict.warnings).toHaveLength(3);
  });
});

describe('the server helper', () => {
  it('says how to install Prometheus when the binary is missing, instead of skipping', () => {
    expect(() => prometheusBinary({ SHIFTGATE_PROMETHEUS: '/nonexistent/prometheus', PATH: '' })).toThrow(
      /not an executable Prometheus server: .*apt-get install --no-install-recommends prometheus/,
    );
  });
});
