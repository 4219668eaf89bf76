import { beforeEach, describe, expect, it } from 'vitest';
import { createMonitoringTwin, INSTANT_DATA } from '../../sandbox/twins/monitoring/index.ts';
import { useTwins } from '../helpers/msw.ts';

// The Monitoring twin on the wire: the REST shapes it answers and the requests it refuses loudly.

const twin = createMonitoringTwin(INSTANT_DATA);
useTwins(...twin.handlers);
beforeEach(() => twin.reset());

const START = '2026-11-20T10:00:00Z';
const END = '2026-11-20T10:10:00Z';
const at = (minutes: number) => new Date(Date.parse(START) + minutes * 60_000);
const COUNT = 'metric.type = "run.googleapis.com/request_count"';
const LATENCY = 'metric.type = "run.googleapis.com/request_latencies"';

async function list(params: Record<string, string | string[]>) {
  const search = new URLSearchParams({ 'interval.startTime': START, 'interval.endTime': END });
  for (const [name, value] of Object.entries(params)) {
    search.delete(name);
    for (const one of Array.isArray(value) ? value : [value]) search.append(name, one);
  }
  const response = await fetch(`http://monitoring.twin/v3/projects/p/timeSeries?${search}`);
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe('answers', () => {
  it('aligns into periods ending at the interval end, newest first, with labels kept by group', async () => {
    twin.addTraffic('r1', { requests: 4, errors5xx: 1, at: at(1) });
    twin.addTraffic('r1', { requests: 6, at: at(7) });
    const { status, body } = await list({
      filter: COUNT,
      'aggregation.alignmentPeriod': '300s',
      'aggregation.perSeriesAligner': 'ALIGN_DELTA',
      'aggregation.crossSeriesReducer': 'REDUCE_SUM',
      'aggregation.groupByFields': 'resource.labels.revision_name',
    });
    expect(status).toBe(200);
    expect(body).toEqual({
      timeSeries: [
        {
          metric: { type: 'run.googleapis.com/request_count', labels: {} },
          resource: { type: 'cloud_run_revision', labels: { revision_name: 'r1' } },
          metricKind: 'DELTA',
          valueType: 'INT64',
          unit: '1',
          points: [
            {
              interval: { startTime: '2026-11-20T10:05:00.000Z', endTime: END.replace('Z', '.000Z') },
              value: { int64Value: '6' },
            },
            {
              interval: { startTime: '2026-11-20T10:00:00.000Z', endTime: '2026-11-20T10:05:00.000Z' },
              value: { int64Value: '4' },
            },
          ],
        },
      ],
    });
  });

  it('keeps every label without a reducer, and encodes enums as numbers when asked', async () => {
    twin.addTraffic('r1', { requests: 3, errors5xx: 1, at: at(1) });
    const search = new URLSearchParams({
      filter: COUNT,
      'interval.startTime': START,
      'interval.endTime': END,
      'aggregation.alignmentPeriod': '600s',
      'aggregation.perSeriesAligner': '1',
      $alt: 'json;enum-encoding=int',
    });
    const body = (await (
      await fetch(`http://monitoring.twin/v3/projects/p/timeSeries?${search}`)
    ).json()) as {
      timeSeries: {
        metric: { labels: Record<string, string> };
        resource: { labels: Record<string, string> };
        metricKind: unknown;
        valueType: unknown;
      }[];
    };
    expect(body.timeSeries).toHaveLength(2);
    expect(body.timeSeries[0]).toMatchObject({
      metric: { labels: { response_code: '200', response_code_class: '2xx' } },
      resource: {
        labels: {
          project_id: 'p',
          service_name: 'svc',
          revision_name: 'r1',
          location: 'us-central1',
          configuration_name: 'svc',
        },
      },
      metricKind: 2,
      valueType: 2,
    });
  });

  it('answers latency distributions, percentiles and rates', async () => {
    twin.addTraffic('r1', { requests: 100, latencyMs: { p50: 20, p95: 300, p99: 700 }, at: at(1) });
    const sum = await list({
      filter: LATENCY,
      'aggregation.alignmentPeriod': '600s',
      'aggregation.perSeriesAligner': 'ALIGN_DELTA',
      'aggregation.crossSeriesReducer': 'REDUCE_SUM',
    });
    const distribution = (
      sum.body.timeSeries as { points: { value: { distributionValue: Record<string, unknown> } }[] }[]
    )[0]?.points[0]?.value.distributionValue;
    expect(distribution).toMatchObject({ count: '100', mean: 50 * 0.2 + 45 * 3 + 5 * 7 });
    expect((distribution as { bucketCounts: string[] }).bucketCounts.reduce((a, b) => a + Number(b), 0)).toBe(
      100,
    );

    const p99 = await list({
      filter: LATENCY,
      'aggregation.alignmentPeriod': '600s',
      'aggregation.perSeriesAligner': 'ALIGN_PERCENTILE_99',
      'aggregation.crossSeriesReducer': 'REDUCE_MAX',
    });
    expect(p99.body).toMatchObject({
      timeSeries: [{ valueType: 'DOUBLE', points: [{ value: { doubleValue: 700 } }] }],
    });

    const rate = await list({
      filter: COUNT,
      'aggregation.alignmentPeriod': '600s',
      'aggregation.perSeriesAligner': 'ALIGN_RATE',
      'aggregation.crossSeriesReducer': 'REDUCE_SUM',
    });
    expect(rate.body).toMatchObject({ timeSeries: [{ points: [{ value: { doubleValue: 100 / 600 } }] }] });
  });

  it('answers an empty object when nothing matches', async () => {
    const { status, body } = await list({
      filter: COUNT,
      'aggregation.alignmentPeriod': '600s',
      'aggregation.perSeriesAligner': '1',
    });
    expect(status).toBe(200);
    expect(body).toEqual({});
  });
});

describe('refuses loudly', () => {
  const aligned = { 'aggregation.alignmentPeriod': '600s', 'aggregation.perSeriesAligner': 'ALIGN_DELTA' };
  it.each([
    [{ filter: `${COUNT} OR resource.type = "x"`, ...aligned }, 400, /only AND/],
    [{ filter: `(${COUNT})`, ...aligned }, 400, /expected a selector/],
    [{ filter: `${COUNT} AND resource.labels.revision_name : "x"`, ...aligned }, 400, /supports = and !=/],
    [{ filter: 'resource.type = "cloud_run_revision"', ...aligned }, 400, /exactly one metric type/],
    [{ filter: `${COUNT} AND metric.typo = "x"`, ...aligned }, 400, /unknown selector/],
    [{ filter: 'metric.type = "run.googleapis.com/nothing"', ...aligned }, 404, /Cannot find metric/],
    [{ filter: COUNT }, 400, /aligned queries only/],
    [{ filter: COUNT, 'aggregation.crossSeriesReducer': 'REDUCE_SUM' }, 400, /requires a per-series aligner/],
    [{ filter: COUNT, 'aggregation.perSeriesAligner': 'ALIGN_DELTA' }, 400, /alignment period is required/],
    [{ filter: COUNT, ...aligned, 'aggregation.alignmentPeriod': '30s' }, 400, /at least 60 seconds/],
    [
      { filter: COUNT, ...aligned, 'aggregation.perSeriesAligner': 'ALIGN_PERCENTILE_95' },
      400,
      /not valid for a INT64/,
    ],
    [{ filter: COUNT, ...aligned, 'aggregation.perSeriesAligner': 'ALIGN_SOMETHING' }, 400, /Invalid value/],
    [{ filter: COUNT, ...aligned, 'aggregation.groupByFields': 'revision' }, 400, /group-by field/],
    [
      { filter: COUNT, ...aligned, 'secondaryAggregation.alignmentPeriod': '60s' },
      400,
      /not supported by the twin/,
    ],
    [{ filter: COUNT, ...aligned, bogus: '1' }, 400, /Unknown name "bogus"/],
    [{ filter: COUNT, ...aligned, pageToken: 'abc' }, 400, /Invalid page token/],
    [
      { filter: COUNT, ...aligned, 'interval.startTime': '2026-11-20T11:00:00Z' },
      400,
      /start time must not be later/,
    ],
  ])('%j -> %i', async (params, status, message) => {
    twin.addTraffic('r1', { requests: 1, at: at(1) });
    const answer = await list(params as Record<string, string>);
    expect(answer.status).toBe(status);
    expect(answer.body).toMatchObject({ error: { code: status, message: expect.stringMatching(message) } });
  });
});
