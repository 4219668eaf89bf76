import { describe, expect, it } from 'vitest';
import { fastSignalFor } from '../../src/gates/fast-signal.ts';
import { createCloudMonitoringGate } from '../../src/gates/providers/cloud-monitoring.ts';
import { renderGate } from '../../src/gates/render.ts';
import {
  CANARY,
  context,
  END,
  exampleGate,
  gateOf,
  minute,
  STABLE,
  START,
  twinMonitoring,
  useObservabilityTwins,
} from '../helpers/observability-twins.ts';

// The cloud-monitoring gates through the real Monitoring adapter against the stateful twin: the canary
// and stable traffic fed in is what the gate judges.

const { metrics: twin } = useObservabilityTwins();
const monitoring = twinMonitoring({ timeoutMs: 2_000 });
const gates = createCloudMonitoringGate({ monitoring });

const monitoringGate = (input: unknown) => gateOf('cloud-monitoring', input);

const ERROR_RATE = exampleGate('cloud-monitoring', 'error-rate'); // < 1 %, 100 requests
const LATENCY_P95 = exampleGate('cloud-monitoring', 'latency-p95'); // +20 % vs stable, 100 requests

/** A 10-minute window at 100 requests a second, 5 % on the canary: 57,000 stable and 3,000 canary requests. */
function traffic(
  canary: { errors5xx?: number; p95?: number },
  stable: { errors5xx?: number; p95?: number } = {},
) {
  const latency = (p95: number) => ({ p50: 80, p95, p99: p95 * 3 });
  twin.addTraffic(STABLE, {
    requests: 57_000,
    errors5xx: stable.errors5xx ?? 57,
    latencyMs: latency(stable.p95 ?? 300),
    at: minute(4),
  });
  twin.addTraffic(CANARY, {
    requests: 3_000,
    errors5xx: canary.errors5xx ?? 3,
    latencyMs: latency(canary.p95 ?? 300),
    at: minute(5),
  });
}

/** The URL inside a curl evidence line. */
function urlIn(evidence: string): string {
  return /'(https:[^']+)'$/.exec(evidence)?.[1] ?? '';
}

describe('error-rate', () => {
  it('passes a canary below 1 % and no worse than stable, showing both and the evidence', async () => {
    traffic({ errors5xx: 6 }, { errors5xx: 57 });
    const result = await gates.evaluate('error-rate', ERROR_RATE, context());
    expect(result).toMatchObject({
      gate: 'error-rate',
      kind: 'cloud-monitoring',
      status: 'pass',
      metric: '5xx rate',
      observed: { value: 0.2, unit: '%' },
      baseline: { value: 0.1, unit: '%' },
      threshold: '< 1 % (shown at alpha 0.01), no regression vs stable',
      samples: 3_000,
      at: END.toISOString(),
    });
    expect(result.reason).toMatch(/^6 of 63 5xx on the canary at 5 % traffic, sequential p = 0\.\d+$/);
    // The evidence is the request a person re-runs: the Monitoring URL of the counts, with their token.
    expect(result.evidence).toMatch(
      /^curl -sS -H "authorization: Bearer \$\(gcloud auth print-access-token\)" '/,
    );
    const url = new URL(urlIn(result.evidence));
    expect(url.origin + url.pathname).toBe('https://monitoring.googleapis.com/v3/projects/p/timeSeries');
    expect(url.searchParams.get('filter')).toContain(
      `resource.labels.revision_name = one_of("${STABLE}", "${CANARY}")`,
    );
    expect(url.searchParams.get('interval.startTime')).toBe('2026-11-20T10:00:00Z');
    expect(renderGate(result)).toContain('5xx rate 0.2 % vs stable 0.1 %');
  });

  it('fails a canary shown above the absolute bound, even when stable is as bad', async () => {
    traffic({ errors5xx: 90 }, { errors5xx: 1_710 }); // 3 % on both: no regression, but over the seed's 1 %
    const result = await gates.evaluate('error-rate', ERROR_RATE, context());
    expect(result).toMatchObject({ status: 'fail', observed: { value: 3 } });
    expect(result.reason).toBe('not below 1 %: shown at alpha 0.01 (99 % lower limit 2 %)');
    expect(result.summary).toBe("The canary's 5xx rate is above 1 %.");
    // For the stage chart: the bound, and the confidence band whose lower edge is over it.
    expect(result.plot).toMatchObject({ panel: 'error-rate', limit: 1 });
    const [low, high] = result.plot?.band ?? [];
    expect(low).toBeCloseTo(2, 0);
    expect(low).toBeGreaterThan(1);
    expect(high).toBeGreaterThan(3);
    expect(high).toBeLessThan(5);
  });

  it('gives the chart a band that holds the observed share, under the bound when it passes', async () => {
    traffic({ errors5xx: 6 }, { errors5xx: 57 });
    const result = await gates.evaluate('error-rate', ERROR_RATE, context());
    expect(result.summary).toBe('Under 1 %, and no worse than stable.');
    const [low, high] = result.plot?.band ?? [];
    expect(low).toBeLessThan(0.2);
    expect(high).toBeGreaterThan(0.2);
    const point = { ...ERROR_RATE, rule: 'point' as const };
    const literal = await gates.evaluate('error-rate', point, context());
    expect(literal.plot).toEqual({ panel: 'error-rate', limit: 1 }); // no band without the confidence rule
  });

  it('does not fail a share whose excess over the bound is noise (confidence rule)', async () => {
    traffic({ errors5xx: 42 }, { errors5xx: 798 }); // 1.4 % on both: 42 errors cannot show a rate above 1 %
    const result = await gates.evaluate('error-rate', ERROR_RATE, context());
    expect(result).toMatchObject({ status: 'pass', observed: { value: 1.4 } });
    expect(result.reason).toMatch(
      /^1\.4 % observed, not shown above 1 % at alpha 0\.01 \(99 % lower limit 0\.\d+ %\); 42 of 840 5xx/,
    );
  });

  it('fails on the point estimate alone with rule: point (the seed read literally)', async () => {
    const literal = { ...ERROR_RATE, rule: 'point' as const };
    traffic({ errors5xx: 42 }, { errors5xx: 798 });
    const result = await gates.evaluate('error-rate', literal, context());
    expect(result).toMatchObject({ status: 'fail', observed: { value: 1.4 }, reason: 'not below 1 %' });
    expect(result.threshold).toBe('< 1 %, no regression vs stable (alpha 0.01)');

    twin.reset();
    traffic({ errors5xx: 30 }, { errors5xx: 570 }); // exactly 1 %: not below it
    expect(await gates.evaluate('error-rate', literal, context())).toMatchObject({
      status: 'fail',
      reason: 'not below 1 %',
    });
  });

  it('fails a regression against stable that stays under the absolute bound (the sequential test)', async () => {
    traffic({ errors5xx: 15 }, { errors5xx: 57 }); // 0.5 % against 0.1 %: five times worse, under 1 %
    const result = await gates.evaluate('error-rate', ERROR_RATE, context());
    expect(result).toMatchObject({ status: 'fail', observed: { value: 0.5 }, baseline: { value: 0.1 } });
    expect(result.reason).toMatch(
      /^regression vs stable: 15 of 72 5xx on the canary at 5 % traffic, sequential p = [\d.e-]+$/,
    );
  });

  it('names both rules when both break', async () => {
    traffic({ errors5xx: 90 }, { errors5xx: 57 });
    const result = await gates.evaluate('error-rate', ERROR_RATE, context());
    expect(result.status).toBe('fail');
    expect(result.reason).toMatch(
      /^not below 1 %: shown at alpha 0\.01 \(99 % lower limit [\d.]+ %\); and regression vs stable: 90 of 147 5xx on the canary/,
    );
  });

  it('does not call a canary better than stable a regression, whatever its share', async () => {
    traffic({ errors5xx: 0 }, { errors5xx: 500 });
    const result = await gates.evaluate('error-rate', ERROR_RATE, context({ canaryShare: 0.5 }));
    expect(result).toMatchObject({ status: 'pass', observed: { value: 0 } });
    expect(result.reason).toBe('0 of 500 5xx on the canary at 50 % traffic, sequential p = 1');
  });

  it('stops a bad canary early: the same cumulative window read at every minute, as the judge does', async () => {
    // 5 % of 100 rps; the canary at 0.67 %, stable at 0.1 %: under 1 % all along, 6.3 times worse.
    const verdicts: string[] = [];
    for (let m = 0; m < 10; m++) {
      twin.addTraffic(STABLE, { requests: 5_700, errors5xx: 6, at: minute(m + 0.5) });
      twin.addTraffic(CANARY, { requests: 300, errors5xx: 2, at: minute(m + 0.5) });
      const result = await gates.evaluate(
        'error-rate',
        ERROR_RATE,
        context({ window: { start: START, end: minute(m + 1) } }),
      );
      verdicts.push(result.status);
    }
    const first = verdicts.indexOf('fail');
    expect(verdicts[0]).toBe('pass');
    expect(first).toBeGreaterThan(0);
    expect(first).toBeLessThan(5); // within the first half of the 10-minute window
    expect(verdicts.slice(first).every((v) => v === 'fail')).toBe(true);
  });

  it('is inconclusive below minRequests, never a failure, however bad the few requests were', async () => {
    twin.addTraffic(STABLE, { requests: 5_000, errors5xx: 5, at: minute(1) });
    twin.addTraffic(CANARY, { requests: 40, errors5xx: 40, at: minute(1) });
    const result = await gates.evaluate('error-rate', ERROR_RATE, context());
    expect(result).toMatchObject({
      status: 'inconclusive',
      observed: { value: 100, unit: '%' },
      samples: 40,
      reason: 'fewer than the 100 canary requests needed to judge',
    });
  });

  it('judges on the absolute rule alone at 100 % canary, where there is no stable traffic', async () => {
    twin.addTraffic(CANARY, { requests: 60_000, errors5xx: 300, at: minute(1) });
    const result = await gates.evaluate('error-rate', ERROR_RATE, context({ canaryShare: 1 }));
    expect(result).toMatchObject({
      status: 'pass',
      threshold: '< 1 % (shown at alpha 0.01)',
      observed: { value: 0.5 },
    });
    expect(result.baseline).toBeUndefined();
    expect(result.reason).toBeUndefined();
  });

  it.each([
    [403, /permission|denied/i],
    [503, /unavailable|2 attempts/i],
  ])('is error, not fail, when Cloud Monitoring answers %i', async (status, reason) => {
    traffic({ errors5xx: 300 });
    twin.recorder.inject({ match: 'timeSeries', status, times: 10 });
    const result = await gates.evaluate('error-rate', ERROR_RATE, context());
    expect(result).toMatchObject({ status: 'error', samples: 0, metric: '5xx rate' });
    expect(result.reason).toMatch(reason);
    expect(result.observed).toBeUndefined();
    expect(result.evidence).toContain('request_count of svc revisions');
  });
});

describe('error-rate after promotion, against the previous revision before it', () => {
  // The watch after 100 %: the promoted CANARY serves everything over the window, and STABLE (the
  // previous revision) is read over the two hours before the promotion (GateContext.baseline).
  const PAST = { start: minute(-120), end: START };
  const watch = () => context({ canaryShare: 1, baseline: { revision: STABLE, window: PAST } });

  /** The previous revision at 0.1 % over its past window; the promoted one with `errors5xx` of 10,000. */
  function promoted(errors5xx: number) {
    twin.addTraffic(STABLE, { requests: 100_000, errors5xx: 100, at: minute(-60) });
    twin.addTraffic(CANARY, { requests: 10_000, errors5xx, at: minute(5) });
  }

  it('fails five times the past 5xx rate, under the absolute bound, naming the revision and its window', async () => {
    promoted(50); // 0.5 % against 0.1 % before: under 1 %, five times worse
    const result = await gates.evaluate('error-rate', ERROR_RATE, watch());
    expect(result).toMatchObject({ status: 'fail', observed: { value: 0.5 }, baseline: { value: 0.1 } });
    expect(result.threshold).toBe(
      `< 1 % (shown at alpha 0.01), no regression vs previous revision ${STABLE} from 08:00:00Z to 10:00:00Z`,
    );
    expect(result.reason).toMatch(
      new RegExp(
        `^regression vs previous revision ${STABLE} from 08:00:00Z to 10:00:00Z: 50 of 150 5xx on the canary, ` +
          'which served 9.09 % of the requests compared, sequential p = [\\d.e-]+$',
      ),
    );
    expect(result.summary).toBe(
      "The canary's 5xx rate is worse than the previous revision's before promotion.",
    );
    // Both Monitoring reads are the evidence: the canary's window, then the previous revision's past one.
    const [now, before] = result.evidence.split(' && ').map(urlIn);
    expect(decodeURIComponent(now ?? '')).toContain(CANARY);
    expect(decodeURIComponent(before ?? '')).toContain(STABLE);
    expect(decodeURIComponent(before ?? '')).toContain('interval.startTime=2026-11-20T08:00:00Z');
  });

  it('passes the same rate as before promotion', async () => {
    promoted(10); // 0.1 %, as before
    const result = await gates.evaluate('error-rate', ERROR_RATE, watch());
    expect(result).toMatchObject({ status: 'pass', observed: { value: 0.1 }, baseline: { value: 0.1 } });
    expect(result.reason).toMatch(
      /^10 of 110 5xx on the canary, which served 9\.09 % of the requests compared/,
    );
    expect(result.summary).toBe('Under 1 %, and no worse than the previous revision before promotion.');
  });

  it('with no past traffic to compare with, judges on the absolute bound and says why', async () => {
    twin.addTraffic(CANARY, { requests: 10_000, errors5xx: 50, at: minute(5) });
    const result = await gates.evaluate('error-rate', ERROR_RATE, watch());
    expect(result.status).toBe('pass');
    expect(result.reason).toBe(
      `no regression test: ${STABLE} served no requests from 08:00:00Z to 10:00:00Z`,
    );
  });

  it('has no fast signal: the request logs have no stable serving beside the promoted revision', () => {
    if (ERROR_RATE.metric !== 'error-rate') throw new Error('the example error-rate gate is not one');
    expect(fastSignalFor(ERROR_RATE, context({ canaryShare: 0.5 }))).toBeDefined();
    expect(fastSignalFor(ERROR_RATE, { ...watch(), canaryShare: 0.5 })).toBeUndefined();
  });
});

describe('latency', () => {
  it('passes a p95 within +20 % of stable, with both values and the computed limit', async () => {
    traffic({ p95: 330 }, { p95: 300 });
    const result = await gates.evaluate('latency-p95', LATENCY_P95, context());
    expect(result).toMatchObject({
      status: 'pass',
      metric: 'p95 latency',
      observed: { value: 330, unit: 'ms' },
      baseline: { value: 300, unit: 'ms' },
      threshold: '+20 % (360 ms)',
      samples: 3_000,
    });
    expect(result.reason).toBeUndefined();
    expect(new URL(urlIn(result.evidence)).searchParams.get('aggregation.crossSeriesReducer')).toBe(
      'REDUCE_PERCENTILE_95',
    );
    expect(renderGate(result)).toContain('p95 latency 330 ms vs stable 300 ms');
  });

  it('fails a p95 more than +20 % above stable', async () => {
    traffic({ p95: 412 }, { p95: 300 });
    const result = await gates.evaluate('latency-p95', LATENCY_P95, context());
    expect(result).toMatchObject({
      status: 'fail',
      observed: { value: 412 },
      baseline: { value: 300 },
      reason: 'more than 20 % above stable',
      summary: "The canary's p95 is more than 20 % above stable's.",
      plot: { panel: 'latency', limit: 360 },
    });
  });

  it('fails over an absolute bound, alone or beside the relative one, and says which broke', async () => {
    traffic({ p95: 380 }, { p95: 300 });
    const absolute = monitoringGate({ kind: 'cloud-monitoring', metric: 'latency', maxMs: 350 });
    expect(await gates.evaluate('p95-abs', absolute, context())).toMatchObject({
      status: 'fail',
      threshold: '<= 350 ms',
      reason: 'over the 350 ms bound',
    });
    const both = monitoringGate({ ...LATENCY_P95, maxMs: 500 });
    expect(await gates.evaluate('p95-both', both, context())).toMatchObject({
      status: 'fail',
      threshold: '+20 % (360 ms) and <= 500 ms',
      reason: 'more than 20 % above stable',
    });
    const loose = monitoringGate({ ...LATENCY_P95, maxIncreasePercent: 50, maxMs: 500 });
    expect(await gates.evaluate('p95-loose', loose, context())).toMatchObject({ status: 'pass' });
  });

  it('reads the percentile the gate names', async () => {
    traffic({ p95: 300 }, { p95: 300 }); // p99 is 3x p95 in this traffic: 900 on both
    const p99 = monitoringGate({ kind: 'cloud-monitoring', metric: 'latency', percentile: 99, maxMs: 800 });
    const result = await gates.evaluate('p99', p99, context());
    expect(result).toMatchObject({ status: 'fail', metric: 'p99 latency', observed: { value: 900 } });
    expect(urlIn(result.evidence)).toContain('REDUCE_PERCENTILE_99');
  });

  it('without a stable baseline (stable idle or 100 % canary) judges on maxMs only, else is inconclusive', async () => {
    twin.addTraffic(STABLE, { requests: 12, latencyMs: 100, at: minute(1) });
    twin.addTraffic(CANARY, { requests: 3_000, latencyMs: { p50: 80, p95: 412, p99: 900 }, at: minute(1) });
    const relative = await gates.evaluate('latency-p95', LATENCY_P95, context());
    expect(relative).toMatchObject({
      status: 'inconclusive',
      observed: { value: 412 },
      threshold: '+20 % vs stable',
      reason: 'no stable baseline (12 stable requests, fewer than 100)',
    });
    expect(relative.baseline).toBeUndefined();

    const bounded = monitoringGate({ ...LATENCY_P95, maxMs: 500 });
    expect(await gates.evaluate('p95', bounded, context({ canaryShare: 1 }))).toMatchObject({
      status: 'pass',
      reason: 'no stable baseline (12 stable requests): judged on 500 ms only',
    });
    const tight = monitoringGate({ ...LATENCY_P95, maxMs: 400 });
    expect(await gates.evaluate('p95', tight, context())).toMatchObject({
      status: 'fail',
      reason: 'no stable baseline (12 stable requests): judged on 400 ms only; over the 400 ms bound',
    });
  });

  it('is inconclusive below minRequests, never a failure, however slow the few requests were', async () => {
    twin.addTraffic(STABLE, { requests: 5_000, latencyMs: 100, at: minute(1) });
    twin.addTraffic(CANARY, { requests: 50, latencyMs: 5_000, at: minute(1) });
    const result = await gates.evaluate('latency-p95', LATENCY_P95, context());
    expect(result).toMatchObject({
      status: 'inconclusive',
      observed: { value: 5_000 },
      baseline: { value: 100 },
      samples: 50,
      reason: 'fewer than the 100 canary requests needed to judge',
    });
  });

  it.each([
    [403, /permission|denied/i],
    [503, /unavailable|2 attempts/i],
  ])('is error, not fail, when Cloud Monitoring answers %i', async (status, reason) => {
    traffic({ p95: 5_000 });
    twin.recorder.inject({ match: 'timeSeries', status, times: 10 });
    const result = await gates.evaluate('latency-p95', LATENCY_P95, context());
    expect(result).toMatchObject({ status: 'error', metric: 'p95 latency', threshold: '+20 % vs stable' });
    expect(result.reason).toMatch(reason);
  });
});
