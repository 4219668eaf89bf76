import { InvalidArgument } from '../google-rest.ts';
import type { MonitoringFilter, SeriesIdentity } from './filter.ts';
import { type Batch, percentileOf } from './traffic.ts';

// listTimeSeries over the twin's requests: raw series (one per label set, as Cloud Run writes them),
// aligned into periods ending at the interval's end, then reduced across series grouped by fields.
// Periods are [end - (k+1)P, end - kP): a request at the interval's start counts, one at its end does
// not (Monitoring's own edges differ by a sample at most; the twin counts single requests, not 60 s
// samples). Supported: ALIGN_DELTA, ALIGN_SUM, ALIGN_RATE, ALIGN_PERCENTILE_{99,95,50,05}; REDUCE_NONE,
// SUM, MEAN, MIN, MAX, COUNT, PERCENTILE_{99,95,50,05}. Anything else answers 400.

export const METRICS = {
  'run.googleapis.com/request_count': { valueType: 'INT64', unit: '1' },
  'run.googleapis.com/request_latencies': { valueType: 'DISTRIBUTION', unit: 'ms' },
} as const;

export type MetricType = keyof typeof METRICS;

export interface SeriesQuery {
  project: string;
  filter: MonitoringFilter;
  /** Epoch milliseconds. */
  start: number;
  end: number;
  periodMs: number;
  aligner: string;
  reducer: string;
  groupBy: readonly string[];
}

type Value =
  | { type: 'INT64'; value: number }
  | { type: 'DOUBLE'; value: number }
  | { type: 'DISTRIBUTION'; samples: [number, number][] };

interface Series extends SeriesIdentity {
  kind: 'DELTA' | 'GAUGE';
  /** By period index k (0 is the newest period). */
  points: Map<number, Value>;
}

export interface SeriesOut {
  metric: { type: string; labels: Record<string, string> };
  resource: { type: string; labels: Record<string, string> };
  metricKind: 'DELTA' | 'GAUGE';
  valueType: Value['type'];
  unit: string;
  points: { interval: { startTime: string; endTime: string }; value: Record<string, unknown> }[];
}

const PERCENTILE = /_PERCENTILE_(\d\d)$/;

export function listSeries(batches: readonly Batch[], query: SeriesQuery): SeriesOut[] {
  const metricType = query.filter.metricType as MetricType;
  const metric = METRICS[metricType];
  const raw = new Map<string, { identity: SeriesIdentity; byPeriod: Map<number, Batch[]> }>();
  const periods = Math.max(1, Math.ceil((query.end - query.start) / query.periodMs));
  for (const batch of batches) {
    if (batch.project !== query.project || batch.at < query.start || batch.at >= query.end) continue;
    const identity = identityOf(batch, metricType);
    if (!query.filter.matches(identity)) continue;
    const k = Math.ceil((query.end - batch.at) / query.periodMs) - 1; // [end-(k+1)P, end-kP)
    if (k >= periods) continue;
    const key = JSON.stringify([identity.metric.labels, identity.resource.labels]);
    const series = raw.get(key) ?? { identity, byPeriod: new Map() };
    raw.set(key, series);
    series.byPeriod.set(k, [...(series.byPeriod.get(k) ?? []), batch]);
  }

  const aligned: Series[] = [...raw.values()].map(({ identity, byPeriod }) => {
    const points = new Map<number, Value>();
    for (const [k, inPeriod] of byPeriod) points.set(k, align(metric.valueType, inPeriod, query));
    return { ...identity, kind: alignedKind(query.aligner), points };
  });
  const reduced = query.reducer === 'REDUCE_NONE' ? aligned : reduce(aligned, query);
  return reduced.map((series) => render(series, query, metric.unit));
}

function identityOf(batch: Batch, metricType: string): SeriesIdentity {
  return {
    project: batch.project,
    metric: {
      type: metricType,
      labels: {
        response_code: String(batch.status),
        response_code_class: `${Math.floor(batch.status / 100)}xx`,
      },
    },
    resource: {
      type: 'cloud_run_revision',
      labels: {
        project_id: batch.project,
        service_name: batch.service,
        revision_name: batch.revision,
        location: batch.location,
        configuration_name: batch.service,
      },
    },
  };
}

const alignedKind = (aligner: string): Series['kind'] =>
  aligner === 'ALIGN_DELTA' || aligner === 'ALIGN_SUM' ? 'DELTA' : 'GAUGE';

function align(valueType: 'INT64' | 'DISTRIBUTION', batches: Batch[], query: SeriesQuery): Value {
  const { aligner } = query;
  if (valueType === 'INT64') {
    const count = batches.reduce((sum, batch) => sum + batch.count, 0);
    if (aligner === 'ALIGN_DELTA' || aligner === 'ALIGN_SUM') return { type: 'INT64', value: count };
    if (aligner === 'ALIGN_RATE') return { type: 'DOUBLE', value: count / (query.periodMs / 1000) };
  } else {
    const samples = batches.flatMap((batch) => batch.latencies);
    if (aligner === 'ALIGN_DELTA' || aligner === 'ALIGN_SUM') return { type: 'DISTRIBUTION', samples };
    const percentile = PERCENTILE.exec(aligner)?.[1];
    if (percentile) return { type: 'DOUBLE', value: percentileOf(samples, Number(percentile)) ?? 0 };
  }
  throw new InvalidArgument(
    `The aligner ${aligner} is not valid for a ${valueType} metric (or not supported by the twin).`,
  );
}

function reduce(series: Series[], query: SeriesQuery): Series[] {
  const groups = new Map<string, Series[]>();
  for (const one of series) {
    const key = JSON.stringify(query.groupBy.map((field) => fieldValue(one, field)));
    groups.set(key, [...(groups.get(key) ?? []), one]);
  }
  return [...groups.values()].map((members) => {
    const first = members[0] as Series;
    const kept: SeriesIdentity = {
      project: first.project,
      metric: { type: first.metric.type, labels: keptLabels(first, 'metric', query.groupBy) },
      resource: { type: first.resource.type, labels: keptLabels(first, 'resource', query.groupBy) },
    };
    const periods = new Set(members.flatMap((member) => [...member.points.keys()]));
    const points = new Map<number, Value>();
    for (const k of periods) {
      const values = members.flatMap((member) =>
        member.points.has(k) ? [member.points.get(k) as Value] : [],
      );
      points.set(k, reduceValues(values, query.reducer));
    }
    const kind = query.reducer === 'REDUCE_SUM' || query.reducer === 'REDUCE_COUNT' ? first.kind : 'GAUGE';
    return { ...kept, kind, points };
  });
}

function reduceValues(values: Value[], reducer: string): Value {
  const first = values[0] as Value;
  if (reducer === 'REDUCE_COUNT') return { type: 'INT64', value: values.length };
  if (first.type === 'DISTRIBUTION') {
    const samples = values.flatMap((value) => (value.type === 'DISTRIBUTION' ? value.samples : []));
    if (reducer === 'REDUCE_SUM') return { type: 'DISTRIBUTION', samples };
    if (reducer === 'REDUCE_MEAN') return { type: 'DOUBLE', value: meanOf(samples) };
    const percentile = PERCENTILE.exec(reducer)?.[1];
    if (percentile) return { type: 'DOUBLE', value: percentileOf(samples, Number(percentile)) ?? 0 };
  } else {
    const numbers = values.map((value) => (value.type === 'DISTRIBUTION' ? 0 : value.value));
    const type = first.type;
    if (reducer === 'REDUCE_SUM') return { type, value: numbers.reduce((a, b) => a + b, 0) };
    if (reducer === 'REDUCE_MIN') return { type, value: Math.min(...numbers) };
    if (reducer === 'REDUCE_MAX') return { type, value: Math.max(...numbers) };
    if (reducer === 'REDUCE_MEAN')
      return { type: 'DOUBLE', value: numbers.reduce((a, b) => a + b, 0) / numbers.length };
    const percentile = PERCENTILE.exec(reducer)?.[1];
    if (percentile) {
      const asSamples = numbers.map((value) => [value, 1] as [number, number]);
      return { type: 'DOUBLE', value: percentileOf(asSamples, Number(percentile)) ?? 0 };
    }
  }
  throw new InvalidArgument(
    `The reducer ${reducer} is not valid for ${first.type} values (or not supported by the twin).`,
  );
}

export function checkGroupByField(field: string): void {
  if (field === 'resource.type' || /^(metric|resource)\.labels?\.[\w-]+$/.test(field)) return;
  throw new InvalidArgument(
    `Invalid group-by field ${field} (the twin groups by metric and resource labels).`,
  );
}

function fieldValue(series: SeriesIdentity, field: string): string {
  if (field === 'resource.type') return series.resource.type;
  const [owner, , key] = field.split('.') as ['metric' | 'resource', string, string];
  return series[owner].labels[key] ?? '';
}

function keptLabels(series: SeriesIdentity, owner: 'metric' | 'resource', groupBy: readonly string[]) {
  const labels: Record<string, string> = {};
  for (const field of groupBy) {
    const [head, , key] = field.split('.') as [string, string, string | undefined];
    if (head === owner && key !== undefined && series[owner].labels[key] !== undefined) {
      labels[key] = series[owner].labels[key] as string;
    }
  }
  return labels;
}

function meanOf(samples: readonly [number, number][]): number {
  const count = samples.reduce((sum, [, n]) => sum + n, 0);
  return count === 0 ? 0 : samples.reduce((sum, [value, n]) => sum + value * n, 0) / count;
}

// Cloud Run's latency distribution uses exponential buckets; explicit bounds read the same way.
const BOUNDS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1_000, 2_000, 5_000, 10_000, 20_000, 50_000, 100_000];

function render(series: Series, query: SeriesQuery, unit: string): SeriesOut {
  const points = [...series.points.entries()]
    .sort(([a], [b]) => a - b) // newest period first, as Monitoring lists points
    .map(([k, value]) => {
      const end = query.end - k * query.periodMs;
      const start = series.kind === 'GAUGE' ? end : end - query.periodMs;
      return { interval: { startTime: iso(start), endTime: iso(end) }, value: encode(value) };
    });
  const valueType = series.points.values().next().value?.type ?? 'INT64';
  return {
    metric: series.metric,
    resource: series.resource,
    metricKind: series.kind,
    valueType,
    unit: valueType === 'DOUBLE' && unit === '1' ? '1/s' : unit,
    points,
  };
}

function encode(value: Value): Record<string, unknown> {
  if (value.type === 'INT64') return { int64Value: String(value.value) };
  if (value.type === 'DOUBLE') return { doubleValue: value.value };
  const count = value.samples.reduce((sum, [, n]) => sum + n, 0);
  const mean = meanOf(value.samples);
  const counts = new Array<number>(BOUNDS.length + 1).fill(0);
  let squares = 0;
  for (const [sample, n] of value.samples) {
    const bucket = BOUNDS.findIndex((bound) => sample < bound);
    counts[bucket < 0 ? BOUNDS.length : bucket] = (counts[bucket < 0 ? BOUNDS.length : bucket] ?? 0) + n;
    squares += n * (sample - mean) ** 2;
  }
  return {
    distributionValue: {
      count: String(count),
      mean,
      sumOfSquaredDeviation: squares,
      bucketOptions: { explicitBuckets: { bounds: BOUNDS } },
      bucketCounts: counts.map(String),
    },
  };
}

const iso = (ms: number) => new Date(ms).toISOString();
