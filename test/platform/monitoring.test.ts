import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { createMonitoringTwin, INSTANT_DATA } from '../../sandbox/twins/monitoring/index.ts';
import { createCloudMonitoring } from '../../src/platform/monitoring/index.ts';
import { PlatformError } from '../../src/runbooks/ports/errors.ts';
import { useTwins } from '../helpers/msw.ts';

// The Monitoring adapter through the real @google-cloud/monitoring client (REST fallback) against the
// stateful twin: what it reports is what the twin computed from the traffic fed in.

const twin = createMonitoringTwin({ project: 'p', service: 'svc', ...INSTANT_DATA });
const server = useTwins(...twin.handlers);

const target = { projectId: 'p', endpoint: { host: 'monitoring.twin', port: 80, protocol: 'http' as const } };
const monitoring = createCloudMonitoring({
  target,
  timeoutMs: 2_000,
  retryDelayMs: 1,
  visibility: INSTANT_DATA,
});
afterAll(() => monitoring.close());

const END = new Date('2026-11-20T10:10:00Z');
const START = new Date('2026-11-20T10:00:00Z');
const window = { start: START, end: END };
const minute = (n: number) => new Date(START.getTime() + n * 60_000);
const STABLE = 'svc-00010-abc';
const CANARY = 'svc-00011-def';
const query = { project: 'p', service: 'svc', revisions: [STABLE, CANARY], window };

beforeEach(() => twin.reset());

describe('revisionStats', () => {
  it('reads requests, 5xx and p50/p95/p99 of canary and stable over the same window', async () => {
    twin.addTraffic(STABLE, {
      requests: 9_500,
      errors5xx: 19,
      latencyMs: { p50: 80, p95: 300, p99: 900 },
      at: minute(3),
    });
    twin.addTraffic(CANARY, {
      requests: 500,
      errors5xx: 10,
      latencyMs: { p50: 90, p95: 412, p99: 1_000 },
      at: minute(4),
    });

    const result = await monitoring.revisionStats(query);

    expect(result.stats).toEqual({
      [STABLE]: { requests: 9_500, errors5xx: 19, latencyMs: { p50: 80, p95: 300, p99: 900 } },
      [CANARY]: { requests: 500, errors5xx: 10, latencyMs: { p50: 90, p95: 412, p99: 1_000 } },
    });
    expect(result.window).toEqual(window);
    // One call for the counts and one per percentile, each for both revisions at once.
    expect(twin.recorder.requests).toHaveLength(4);
    expect(result.evidence.map((e) => e.measures)).toEqual([
      'request-count',
      'latency-p50',
      'latency-p95',
      'latency-p99',
    ]);
  });

  it('shows evidence a person can re-run, and sends exactly that', async () => {
    twin.addTraffic(CANARY, { requests: 10, at: minute(1) });
    const result = await monitoring.revisionStats({ ...query, percentiles: [95] });
    const [counts, p95] = result.evidence;
    expect(counts?.filter).toBe(
      'metric.type = "run.googleapis.com/request_count" AND resource.type = "cloud_run_revision" AND ' +
        `resource.labels.service_name = "svc" AND resource.labels.revision_name = one_of("${STABLE}", "${CANARY}")`,
    );
    expect(counts?.interval).toEqual({ startTime: '2026-11-20T10:00:00Z', endTime: '2026-11-20T10:10:00Z' });
    expect(counts?.aggregation).toEqual({
      alignmentPeriod: '600s',
      perSeriesAligner: 'ALIGN_DELTA',
      crossSeriesReducer: 'REDUCE_SUM',
      groupByFields: ['resource.labels.revision_name', 'metric.labels.response_code_class'],
    });
    expect(p95?.aggregation.crossSeriesReducer).toBe('REDUCE_PERCENTILE_95');
    expect(p95?.aggregation.groupByFields).toEqual(['resource.labels.revision_name']);

    const url = new URL(counts?.url as string);
    expect(url.origin + url.pathname).toBe('https://monitoring.googleapis.com/v3/projects/p/timeSeries');
    expect(url.searchParams.get('filter')).toBe(counts?.filter);
    expect(url.searchParams.getAll('aggregation.groupByFields')).toEqual(counts?.aggregation.groupByFields);

    // What went over the wire: the same filter, interval and aggregation (enums as numbers, as the REST
    // transport encodes them).
    const sent = new URL(`http://x${twin.recorder.requests[0]?.path}`).searchParams;
    expect(sent.get('filter')).toBe(counts?.filter);
    expect(sent.get('interval.startTime')).toBe('2026-11-20T10:00:00.000Z');
    expect(sent.get('interval.endTime')).toBe('2026-11-20T10:10:00.000Z');
    expect(sent.get('aggregation.alignmentPeriod')).toBe('600s');
    expect(sent.get('aggregation.perSeriesAligner')).toBe('1');
    expect(sent.get('aggregation.crossSeriesReducer')).toBe('4');
    expect(sent.getAll('aggregation.groupByFields')).toEqual(counts?.aggregation.groupByFields);
  });

  it('counts only requests inside the window', async () => {
    twin.addTraffic(CANARY, { requests: 7, errors5xx: 1, at: START }); // the start is inside
    twin.addTraffic(CANARY, { requests: 5, at: minute(9.99) });
    twin.addTraffic(CANARY, { requests: 100, errors5xx: 100, latencyMs: 5_000, at: minute(-0.01) }); // before
    twin.addTraffic(CANARY, { requests: 100, errors5xx: 100, latencyMs: 5_000, at: END }); // the end is outside
    twin.addTraffic(CANARY, { requests: 100, errors5xx: 100, latencyMs: 5_000, at: minute(30) });

    const { stats } = await monitoring.revisionStats(query);

    expect(stats[CANARY]).toEqual({
      requests: 12,
      errors5xx: 1,
      latencyMs: { p50: 100, p95: 100, p99: 100 },
    });
  });

  it('reports a revision with no traffic as zero requests and no latency', async () => {
    twin.addTraffic(STABLE, { requests: 1_000, latencyMs: 50, at: minute(5) });
    const { stats } = await monitoring.revisionStats(query);
    expect(stats[CANARY]).toEqual({ requests: 0, errors5xx: 0, latencyMs: undefined });
    expect(stats[STABLE]?.requests).toBe(1_000);
  });

  it('keeps to the service, the project and the revisions asked for', async () => {
    twin.addTraffic(CANARY, { requests: 10, at: minute(1) });
    twin.addTraffic(CANARY, { requests: 1_000, service: 'other-svc', at: minute(1) });
    twin.addTraffic(CANARY, { requests: 1_000, project: 'other-project', at: minute(1) });
    twin.addTraffic('svc-00009-old', { requests: 1_000, at: minute(1) });
    const { stats } = await monitoring.revisionStats({ ...query, percentiles: [] });
    expect(stats).toEqual({
      [STABLE]: { requests: 0, errors5xx: 0, latencyMs: undefined },
      [CANARY]: { requests: 10, errors5xx: 0, latencyMs: undefined },
    });
    expect(twin.recorder.requests).toHaveLength(1);

    const elsewhere = await monitoring.revisionStats({ ...query, location: 'europe-west1', percentiles: [] });
    expect(elsewhere.stats[CANARY]?.requests).toBe(0);
    expect(elsewhere.evidence[0]?.filter).toContain('resource.labels.location = "europe-west1"');
  });

  it('takes latencies from single requests as the sandbox feeds them in', async () => {
    for (let i = 1; i <= 100; i++) {
      twin.recordRequest(CANARY, { status: i <= 3 ? 500 : 200, latencyMs: i * 10, at: minute(i / 20) });
    }
    const { stats } = await monitoring.revisionStats({ ...query, revisions: [CANARY] });
    expect(stats[CANARY]).toEqual({
      requests: 100,
      errors5xx: 3,
      latencyMs: { p50: 500, p95: 950, p99: 990 },
    });
  });

  it('reads the window in whole seconds and refuses one shorter than a minute', async () => {
    const result = await monitoring.revisionStats({
      ...query,
      window: { start: new Date(START.getTime() + 400), end: new Date(END.getTime() + 700) },
      percentiles: [],
    });
    expect(result.window).toEqual(window);
    const short = { start: START, end: new Date(START.getTime() + 30_000) };
    await expect(monitoring.revisionStats({ ...query, window: short })).rejects.toMatchObject({
      system: 'monitoring',
      kind: 'invalid',
    });
    await expect(monitoring.revisionStats({ ...query, revisions: [] })).rejects.toMatchObject({
      kind: 'invalid',
    });
  });

  it('follows page tokens, and refuses an answer that runs past its page bound', async () => {
    const paged = createMonitoringTwin({
      origin: 'http://paged-monitoring.twin',
      seriesPerPage: 1,
      ...INSTANT_DATA,
    });
    server.use(...paged.handlers); // until the next resetHandlers
    paged.addTraffic(STABLE, { requests: 10, errors5xx: 2, at: minute(1) });
    paged.addTraffic(CANARY, { requests: 4, errors5xx: 1, at: minute(1) });
    const endpoint = { host: 'paged-monitoring.twin', port: 80, protocol: 'http' as const };
    const client = createCloudMonitoring({ target: { projectId: 'p', endpoint }, retryDelayMs: 1 });
    try {
      const { stats } = await client.revisionStats({ ...query, percentiles: [] });
      expect(stats[STABLE]).toMatchObject({ requests: 10, errors5xx: 2 });
      expect(stats[CANARY]).toMatchObject({ requests: 4, errors5xx: 1 });
      expect(paged.recorder.requests).toHaveLength(4); // four series (2 revisions x 2xx/5xx), one a page
      expect(paged.recorder.requests[1]?.path).toContain('pageToken=');

      const bounded = createCloudMonitoring({ target: { projectId: 'p', endpoint }, maxPages: 2 });
      await expect(bounded.revisionStats({ ...query, percentiles: [] })).rejects.toMatchObject({
        kind: 'invalid',
        message: expect.stringContaining('past 2 pages'),
      });
      await bounded.close();
    } finally {
      await client.close();
    }
  });
});

describe('failures', () => {
  it.each([
    [403, 'permission-denied', /roles\/monitoring\.viewer.*Permission monitoring\.timeSeries\.list denied/],
    [404, 'not-found', /not found/],
    [401, 'unauthorized', /credentials/],
    [400, 'invalid', /Field filter had an invalid value/],
  ] as const)('maps %i to %s with what the API said', async (status, kind, message) => {
    const said: Record<number, string> = {
      403: 'Permission monitoring.timeSeries.list denied (or the resource may not exist).',
      400: 'Field filter had an invalid value of "x": bad',
    };
    twin.recorder.inject({
      match: 'timeSeries',
      status,
      ...(said[status] ? { message: said[status] } : {}),
      times: 9,
    });
    const error = await monitoring.revisionStats(query).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PlatformError);
    expect(error).toMatchObject({ system: 'monitoring', kind });
    expect((error as Error).message).toMatch(message);
  });

  it('retries an unavailable answer once, then succeeds', async () => {
    twin.addTraffic(CANARY, { requests: 3, at: minute(1) });
    twin.recorder.inject({ match: 'timeSeries', status: 503 });
    const { stats } = await monitoring.revisionStats({ ...query, percentiles: [] });
    expect(stats[CANARY]?.requests).toBe(3);
    expect(twin.recorder.requests).toHaveLength(2);
  });

  it('gives up as unavailable when 5xx persists, after the bounded attempts', async () => {
    twin.recorder.inject({ match: 'timeSeries', status: 503, times: 10 });
    await expect(monitoring.revisionStats({ ...query, percentiles: [] })).rejects.toMatchObject({
      kind: 'unavailable',
      message: expect.stringContaining('2 attempts'),
    });
    expect(twin.recorder.requests).toHaveLength(2);
  });

  it('reports a persistent 429 as rate-limited', async () => {
    twin.recorder.inject({ match: 'timeSeries', status: 429, retryAfter: 1, times: 10 });
    await expect(monitoring.revisionStats({ ...query, percentiles: [] })).rejects.toMatchObject({
      kind: 'rate-limited',
    });
  });

  it('reports a slow answer as a timeout within the bound instead of hanging', async () => {
    const fast = createCloudMonitoring({ target, timeoutMs: 150, attempts: 1 });
    twin.recorder.inject({ match: 'timeSeries', delayMs: 20_000 });
    const started = Date.now();
    await expect(fast.revisionStats({ ...query, percentiles: [] })).rejects.toMatchObject({
      system: 'monitoring',
      kind: 'timeout',
      message: expect.stringContaining('150 ms'),
    });
    expect(Date.now() - started).toBeLessThan(5_000);
    await fast.close();
  });

  it('fails the whole read when one of its calls fails', async () => {
    twin.recorder.inject({ match: 'timeSeries', status: 403, times: 1 });
    await expect(monitoring.revisionStats(query)).rejects.toMatchObject({ kind: 'permission-denied' });
  });
});
