import type { LatencyPercentile, MonitoringEvidence } from '../../gates/ports/monitoring.ts';

// The Cloud Monitoring requests behind revisionStats, built once so the adapter sends exactly what the
// evidence shows. Two kinds, each one call for every revision at once:
// - counts: request_count, ALIGN_DELTA + REDUCE_SUM grouped by revision and response_code_class;
// - a percentile: request_latencies (a distribution), ALIGN_DELTA + REDUCE_PERCENTILE_xx grouped by
//   revision, which merges the revision's distributions before taking the percentile (ALIGN_PERCENTILE
//   + REDUCE_MAX would take the worst of per-response-code percentiles instead).
// The alignment period is the whole window, so each revision answers with one point.

export const REQUEST_COUNT = 'run.googleapis.com/request_count';
export const REQUEST_LATENCIES = 'run.googleapis.com/request_latencies';
export const REVISION_LABEL = 'resource.labels.revision_name';
export const CODE_CLASS_LABEL = 'metric.labels.response_code_class';

const PERCENTILE_REDUCER = {
  50: 'REDUCE_PERCENTILE_50',
  95: 'REDUCE_PERCENTILE_95',
  99: 'REDUCE_PERCENTILE_99',
} as const satisfies Record<LatencyPercentile, string>;

type Reducer = 'REDUCE_SUM' | (typeof PERCENTILE_REDUCER)[LatencyPercentile];

export interface Scope {
  project: string;
  service: string;
  location?: string;
  revisions: readonly string[];
  /** Whole seconds since the epoch. */
  startSeconds: number;
  endSeconds: number;
}

/** A listTimeSeries request in the shape the client library takes, and its evidence. */
export interface SeriesRequest {
  request: {
    name: string;
    filter: string;
    interval: { startTime: { seconds: number }; endTime: { seconds: number } };
    aggregation: {
      alignmentPeriod: { seconds: number };
      perSeriesAligner: 'ALIGN_DELTA';
      crossSeriesReducer: Reducer;
      groupByFields: string[];
    };
    view: 'FULL';
  };
  evidence: MonitoringEvidence;
}

/** A Monitoring filter string literal. */
export function quote(value: string): string {
  return `"${value.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`;
}

export function revisionFilter(metricType: string, scope: Scope): string {
  return [
    `metric.type = ${quote(metricType)}`,
    'resource.type = "cloud_run_revision"',
    `resource.labels.service_name = ${quote(scope.service)}`,
    ...(scope.location ? [`resource.labels.location = ${quote(scope.location)}`] : []),
    `${REVISION_LABEL} = one_of(${scope.revisions.map(quote).join(', ')})`,
  ].join(' AND ');
}

export function countRequest(scope: Scope): SeriesRequest {
  return seriesRequest(scope, 'request-count', REQUEST_COUNT, 'REDUCE_SUM', [
    REVISION_LABEL,
    CODE_CLASS_LABEL,
  ]);
}

export function percentileRequest(scope: Scope, percentile: LatencyPercentile): SeriesRequest {
  return seriesRequest(scope, `latency-p${percentile}`, REQUEST_LATENCIES, PERCENTILE_REDUCER[percentile], [
    REVISION_LABEL,
  ]);
}

function seriesRequest(
  scope: Scope,
  measures: string,
  metricType: string,
  reducer: Reducer,
  groupByFields: string[],
): SeriesRequest {
  const period = scope.endSeconds - scope.startSeconds;
  const filter = revisionFilter(metricType, scope);
  const name = `projects/${scope.project}`;
  const interval = { startTime: iso(scope.startSeconds), endTime: iso(scope.endSeconds) };
  const aggregation = {
    alignmentPeriod: `${period}s`,
    perSeriesAligner: 'ALIGN_DELTA',
    crossSeriesReducer: reducer,
    groupByFields,
  };
  return {
    request: {
      name,
      filter,
      interval: { startTime: { seconds: scope.startSeconds }, endTime: { seconds: scope.endSeconds } },
      aggregation: {
        alignmentPeriod: { seconds: period },
        perSeriesAligner: 'ALIGN_DELTA',
        crossSeriesReducer: reducer,
        groupByFields,
      },
      view: 'FULL',
    },
    evidence: { measures, filter, interval, aggregation, url: restUrl(name, filter, interval, aggregation) },
  };
}

const iso = (seconds: number) => new Date(seconds * 1000).toISOString().replace('.000Z', 'Z');

function restUrl(
  name: string,
  filter: string,
  interval: MonitoringEvidence['interval'],
  aggregation: MonitoringEvidence['aggregation'],
): string {
  const params = new URLSearchParams({
    filter,
    'interval.startTime': interval.startTime,
    'interval.endTime': interval.endTime,
    'aggregation.alignmentPeriod': aggregation.alignmentPeriod,
    'aggregation.perSeriesAligner': aggregation.perSeriesAligner,
    'aggregation.crossSeriesReducer': aggregation.crossSeriesReducer,
  });
  for (const field of aggregation.groupByFields) params.append('aggregation.groupByFields', field);
  return `https://monitoring.googleapis.com/v3/${name}/timeSeries?${params}`;
}
