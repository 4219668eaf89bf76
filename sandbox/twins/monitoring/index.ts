import { HttpResponse, http, type RequestHandler } from 'msw';
import {
  answerGoogleCall,
  InvalidArgument,
  pageToken,
  readPageToken,
  serviceDefaults,
  wantsIntEnums,
} from '../google-rest.ts';
import { Recorder } from '../recorder.ts';
import { checkGroupByField, listSeries, METRICS, type SeriesOut } from './aggregate.ts';
import { parseMonitoringFilter } from './filter.ts';
import { budgetPoints, type SloSpec, SloStore, sloResource, sloSelector } from './slo.ts';
import { type Batch, type LatencySpec, spreadLatency, TrafficStore } from './traffic.ts';

// Cloud Monitoring's REST surface as @google-cloud/monitoring calls it with `fallback: true`:
// GET /v3/projects/P/timeSeries?filter=&interval.startTime=&interval.endTime=&aggregation.alignmentPeriod=600s
// &aggregation.perSeriesAligner=1&aggregation.crossSeriesReducer=4&aggregation.groupByFields=...&$alt=json;enum-encoding=int
// answering ListTimeSeriesResponse {timeSeries: [{metric, resource, metricKind, valueType, unit, points}],
// nextPageToken}. It knows run.googleapis.com/request_count and request_latencies, computed from the
// requests a test or the sandbox feeds in; filter and aggregation subsets are in filter.ts and aggregate.ts.
// It also holds service-level objectives (GET .../services/S/serviceLevelObjectives/O) and answers their
// select_slo_budget_fraction series (slo.ts).

export const MONITORING_TWIN_ORIGIN = 'http://monitoring.twin';

export interface MonitoringTwinOptions {
  /** Where the client is pointed: googleClientOptions({endpoint: {host, port, protocol}}). */
  origin?: string;
  /** Defaults for the requests fed in. */
  project?: string;
  service?: string;
  location?: string;
  /** Series per answer page, to exercise pagination; default all of them. */
  seriesPerPage?: number;
  /** Clock for requests fed in without `at`, and for what is visible yet; default Date.now. */
  now?: () => number;
  /**
   * Cloud Run samples its request metrics every 60 s (the sample holds the minute before it) and a sample
   * is not visible for up to 180 s after (Google's metric list; platform-facts.md). A request served at
   * `at` is in the sample ending at the next multiple of samplePeriodMs, and the twin answers with it
   * only once that end plus ingestionLatencyMs has passed by `now`. Defaults: 60 s and 180 s, as
   * production; 0 for tests that need instant data; the sandbox scales both to its seconds-long stages.
   */
  samplePeriodMs?: number;
  ingestionLatencyMs?: number;
}

/** Google's documented figures for run.googleapis.com/request_count and request_latencies. */
export const CLOUD_RUN_SAMPLE_PERIOD_MS = 60_000;
export const CLOUD_RUN_INGESTION_LATENCY_MS = 180_000;
/** For unit tests that need every request visible the moment it is fed in. */
export const INSTANT_DATA = { samplePeriodMs: 0, ingestionLatencyMs: 0 } as const;

export interface RequestSample {
  status?: number;
  latencyMs?: number;
  at?: Date | number;
  service?: string;
  project?: string;
}

export interface TrafficSpec {
  /** Requests in all, errors included. */
  requests: number;
  /** How many of them answered a 5xx (errorStatus, default 503); the rest answered `status` (200). */
  errors5xx?: number;
  errorStatus?: number;
  status?: number;
  /** Default 100 ms. */
  latencyMs?: LatencySpec;
  /** When they were served; default now. */
  at?: Date | number;
  service?: string;
  project?: string;
}

export interface MonitoringTwin {
  handlers: RequestHandler[];
  /** Requests in order, and faults: {match: 'timeSeries', status: 403} or {delayMs}. */
  recorder: Recorder;
  /** One request served by a revision: the sandbox feeds real traffic in through this. */
  recordRequest(revision: string, sample?: RequestSample): void;
  /** A batch of requests served by a revision at one moment. */
  addTraffic(revision: string, spec: TrafficSpec): void;
  /** Replaces everything the revision served before with this batch. */
  setTraffic(revision: string, spec: TrafficSpec): void;
  /** What the twin holds, for the sandbox page. */
  batches(): readonly Batch[];
  /** Defines (or redefines, keeping its budget history) an SLO; it has no budget point until one is set. */
  defineSlo(spec: SloSpec): void;
  /**
   * The fraction of the SLO's error budget left from `at` (default now) on: 1 untouched, 0 spent, below
   * 0 overspent. Its points appear as the metrics' do: per sample period, after the ingestion latency.
   */
  setBudgetFraction(slo: string, fraction: number, at?: Date | number): void;
  /** Forgets every request, SLO, recorded call and pending fault. */
  reset(): void;
}

/** A series as listed: SLO series come without metric, resource and unit (see sloSeries). */
type ListedSeries = Omit<SeriesOut, 'metric' | 'resource' | 'unit'> &
  Partial<Pick<SeriesOut, 'metric' | 'resource' | 'unit'>>;

const ALIGNERS: Record<number, string> = {
  0: 'ALIGN_NONE',
  1: 'ALIGN_DELTA',
  2: 'ALIGN_RATE',
  3: 'ALIGN_INTERPOLATE',
  4: 'ALIGN_NEXT_OLDER',
  10: 'ALIGN_MIN',
  11: 'ALIGN_MAX',
  12: 'ALIGN_MEAN',
  13: 'ALIGN_COUNT',
  14: 'ALIGN_SUM',
  15: 'ALIGN_STDDEV',
  16: 'ALIGN_COUNT_TRUE',
  17: 'ALIGN_FRACTION_TRUE',
  18: 'ALIGN_PERCENTILE_99',
  19: 'ALIGN_PERCENTILE_95',
  20: 'ALIGN_PERCENTILE_50',
  21: 'ALIGN_PERCENTILE_05',
  23: 'ALIGN_PERCENT_CHANGE',
  24: 'ALIGN_COUNT_FALSE',
};

const REDUCERS: Record<number, string> = {
  0: 'REDUCE_NONE',
  1: 'REDUCE_MEAN',
  2: 'REDUCE_MIN',
  3: 'REDUCE_MAX',
  4: 'REDUCE_SUM',
  5: 'REDUCE_STDDEV',
  6: 'REDUCE_COUNT',
  7: 'REDUCE_COUNT_TRUE',
  8: 'REDUCE_FRACTION_TRUE',
  9: 'REDUCE_PERCENTILE_99',
  10: 'REDUCE_PERCENTILE_95',
  11: 'REDUCE_PERCENTILE_50',
  12: 'REDUCE_PERCENTILE_05',
  15: 'REDUCE_COUNT_FALSE',
};

const METRIC_KIND = { GAUGE: 1, DELTA: 2 } as const;
const VALUE_TYPE = { INT64: 2, DOUBLE: 3, DISTRIBUTION: 5 } as const;

const KNOWN_PARAMS = new Set([
  'filter',
  'interval.startTime',
  'interval.endTime',
  'aggregation.alignmentPeriod',
  'aggregation.perSeriesAligner',
  'aggregation.crossSeriesReducer',
  'aggregation.groupByFields',
  'orderBy',
  'view',
  'pageSize',
  'pageToken',
  '$alt',
  'alt',
  'prettyPrint',
]);

export function createMonitoringTwin(options: MonitoringTwinOptions = {}): MonitoringTwin {
  const origin = options.origin ?? MONITORING_TWIN_ORIGIN;
  const defaults = serviceDefaults(options);
  const now = options.now ?? Date.now;
  const store = new TrafficStore();
  const slos = new SloStore();
  const recorder = new Recorder();
  const period = options.samplePeriodMs ?? CLOUD_RUN_SAMPLE_PERIOD_MS;
  const latency = options.ingestionLatencyMs ?? CLOUD_RUN_INGESTION_LATENCY_MS;
  // Instant data (period and latency 0) sees everything; otherwise only samples already ingested.
  const visible = (batch: Batch, at: number) =>
    period <= 0 ? batch.at + latency <= at : (Math.floor(batch.at / period) + 1) * period + latency <= at;

  const listTimeSeries = http.get(`${origin}/v3/projects/:project/timeSeries`, ({ request, params }) =>
    answerGoogleCall(recorder, request, () => {
      const url = new URL(request.url);
      const { series, next } = answer(String(params.project), url);
      const ints = wantsIntEnums(url);
      const timeSeries = series.map((one) => ({
        ...one,
        metricKind: ints ? METRIC_KIND[one.metricKind] : one.metricKind,
        valueType: ints ? VALUE_TYPE[one.valueType] : one.valueType,
      }));
      // proto3 JSON leaves empty fields out: no series is an empty object.
      return HttpResponse.json({
        ...(timeSeries.length ? { timeSeries } : {}),
        ...(next ? { nextPageToken: next } : {}),
      });
    }),
  );

  const getSlo = http.get(
    `${origin}/v3/projects/:project/services/:service/serviceLevelObjectives/:slo`,
    ({ request, params }) =>
      answerGoogleCall(recorder, request, () => {
        const url = new URL(request.url);
        for (const name of url.searchParams.keys()) {
          if (!['view', '$alt', 'alt', 'prettyPrint'].includes(name))
            throw new InvalidArgument(`Invalid JSON payload received. Unknown name "${name}".`);
        }
        const name = `projects/${params.project}/services/${params.service}/serviceLevelObjectives/${params.slo}`;
        const slo = slos.get(name);
        if (!slo) throw new InvalidArgument('Requested entity was not found.', 404);
        return HttpResponse.json(sloResource(slo, wantsIntEnums(url)));
      }),
  );

  function answer(project: string, url: URL): { series: ListedSeries[]; next?: string } {
    const q = url.searchParams;
    for (const name of q.keys()) {
      if (name.startsWith('secondaryAggregation.')) {
        throw new InvalidArgument(`${name} is not supported by the twin.`);
      }
      if (!KNOWN_PARAMS.has(name))
        throw new InvalidArgument(`Invalid JSON payload received. Unknown name "${name}".`);
    }
    const filterText = q.get('filter');
    if (!filterText) throw new InvalidArgument('Field filter had an invalid value: a filter is required.');
    const endText = q.get('interval.endTime');
    if (!endText) throw new InvalidArgument('Field interval.endTime is required.');
    const end = timestamp(endText, 'interval.endTime');
    const start = q.has('interval.startTime')
      ? timestamp(q.get('interval.startTime') as string, 'interval.startTime')
      : end;
    if (start > end) throw new InvalidArgument('The start time must not be later than the end time.');
    if (q.get('orderBy')) throw new InvalidArgument('Field orderBy is unsupported and must be left blank.');
    const selected = sloSelector(filterText);
    if (selected) return { series: sloSeries(project, selected.slo, q, start, end) };
    const filter = parseMonitoringFilter(filterText);
    if (!(filter.metricType in METRICS)) {
      throw new InvalidArgument(`Cannot find metric(s) that match type = "${filter.metricType}".`, 404);
    }

    const { aligner, reducer } = aggregationOf(q);
    if (aligner === 'ALIGN_NONE') {
      if (reducer !== 'REDUCE_NONE') {
        throw new InvalidArgument(
          'A cross-series reducer requires a per-series aligner other than ALIGN_NONE.',
        );
      }
      throw new InvalidArgument('The twin answers aligned queries only: set aggregation.perSeriesAligner.');
    }
    const periodText = q.get('aggregation.alignmentPeriod');
    if (!periodText) throw new InvalidArgument('An alignment period is required with a per-series aligner.');
    const periodMs = duration(periodText, 'aggregation.alignmentPeriod');
    if (periodMs < 60_000) throw new InvalidArgument('The alignment period must be at least 60 seconds.');
    const groupBy = q.getAll('aggregation.groupByFields');
    for (const field of groupBy) checkGroupByField(field);
    const view = enumParam(q.get('view'), { 0: 'FULL', 1: 'HEADERS' }, 'view');

    const shown = latency === 0 && period <= 0 ? store.all() : store.all().filter((b) => visible(b, now()));
    const all = listSeries(shown, { project, filter, start, end, periodMs, aligner, reducer, groupBy });
    const fingerprint = [...q.entries()]
      .filter(([name]) => name !== 'pageToken' && name !== 'pageSize')
      .join('&');
    const offset = q.get('pageToken') ? readPageToken(q.get('pageToken') as string, fingerprint) : 0;
    const asked = Number(q.get('pageSize') ?? 0);
    const size = Math.min(
      options.seriesPerPage ?? Number.POSITIVE_INFINITY,
      asked > 0 ? asked : Number.POSITIVE_INFINITY,
    );
    const page = all
      .slice(offset, offset + size)
      .map((one) => (view === 'HEADERS' ? { ...one, points: [] } : one));
    const next = offset + size < all.length ? pageToken(offset + size, fingerprint) : undefined;
    return next ? { series: page, next } : { series: page };
  }

  // The budget series of one SLO, read raw. Its metric and resource are left out: the twin does not know
  // their shape for SLO series, and nothing reads them.
  function sloSeries(
    project: string,
    name: string,
    q: URLSearchParams,
    start: number,
    end: number,
  ): ListedSeries[] {
    const slo = slos.get(name);
    if (!slo || !name.startsWith(`projects/${project}/`)) {
      throw new InvalidArgument(`Requested entity was not found: ${name}`, 404);
    }
    const { aligner, reducer } = aggregationOf(q);
    if (aligner !== 'ALIGN_NONE' || reducer !== 'REDUCE_NONE' || q.has('aggregation.alignmentPeriod')) {
      throw new InvalidArgument('The twin reads SLO series raw only: leave the aggregation out.');
    }
    const view = enumParam(q.get('view'), { 0: 'FULL', 1: 'HEADERS' }, 'view');
    const points = budgetPoints(slo, { start, end, visibleUntil: now() - latency, samplePeriodMs: period });
    // Monitoring includes only series with a point in the interval.
    if (points.length === 0) return [];
    return [
      {
        metricKind: 'GAUGE',
        valueType: 'DOUBLE',
        points:
          view === 'HEADERS'
            ? []
            : points.map(({ at, fraction }) => {
                const time = new Date(at).toISOString();
                return { interval: { startTime: time, endTime: time }, value: { doubleValue: fraction } };
              }),
      },
    ];
  }

  function batch(
    revision: string,
    at: Date | number | undefined,
    fields: { project?: string; service?: string },
  ) {
    return {
      project: fields.project ?? defaults.project,
      service: fields.service ?? defaults.service,
      location: defaults.location,
      revision,
      at: at === undefined ? now() : typeof at === 'number' ? at : at.getTime(),
    };
  }

  function addTraffic(revision: string, spec: TrafficSpec): void {
    const errors = spec.errors5xx ?? 0;
    if (errors > spec.requests) throw new Error(`twin: ${errors} errors out of ${spec.requests} requests`);
    const latency = spec.latencyMs ?? 100;
    const base = batch(revision, spec.at, spec);
    const ok = spec.requests - errors;
    store.add({ ...base, status: spec.status ?? 200, count: ok, latencies: spreadLatency(ok, latency) });
    store.add({
      ...base,
      status: spec.errorStatus ?? 503,
      count: errors,
      latencies: spreadLatency(errors, latency),
    });
  }

  return {
    handlers: [listTimeSeries, getSlo],
    recorder,
    recordRequest(revision, sample = {}) {
      const latency = sample.latencyMs ?? 100;
      store.add({
        ...batch(revision, sample.at, sample),
        status: sample.status ?? 200,
        count: 1,
        latencies: [[latency, 1]],
      });
    },
    addTraffic,
    setTraffic(revision, spec) {
      const service = spec.service ?? defaults.service;
      const project = spec.project ?? defaults.project;
      store.forget((b) => b.revision === revision && b.service === service && b.project === project);
      addTraffic(revision, spec);
    },
    batches: () => store.all(),
    defineSlo: (spec) => slos.define(spec),
    setBudgetFraction(slo, fraction, at) {
      slos.setBudgetFraction(
        slo,
        fraction,
        at === undefined ? now() : typeof at === 'number' ? at : at.getTime(),
      );
    },
    reset() {
      store.clear();
      slos.clear();
      recorder.reset();
    },
  };
}

function timestamp(text: string, field: string): number {
  const ms = Date.parse(text);
  if (!/^\d{4}-\d\d-\d\dT/.test(text) || Number.isNaN(ms)) {
    throw new InvalidArgument(
      `Invalid value at '${field}' (type.googleapis.com/google.protobuf.Timestamp), "${text}"`,
    );
  }
  return ms;
}

function duration(text: string, field: string): number {
  const match = /^(\d+(?:\.\d{1,9})?)s$/.exec(text);
  if (!match)
    throw new InvalidArgument(
      `Invalid value at '${field}' (type.googleapis.com/google.protobuf.Duration), "${text}"`,
    );
  return Number(match[1]) * 1000;
}

function enumParam(value: string | null, names: Record<number, string>, field: string): string {
  const first = Object.values(names)[0] as string;
  if (value === null || value === '') return first;
  const name = /^\d+$/.test(value)
    ? names[Number(value)]
    : Object.values(names).includes(value)
      ? value
      : undefined;
  if (!name) throw new InvalidArgument(`Invalid value at '${field}', "${value}"`);
  return name;
}

/** The aligner and reducer a timeSeries.list asks for (each checked against the API's names). */
function aggregationOf(q: URLSearchParams) {
  return {
    aligner: enumParam(q.get('aggregation.perSeriesAligner'), ALIGNERS, 'aggregation.perSeriesAligner'),
    reducer: enumParam(q.get('aggregation.crossSeriesReducer'), REDUCERS, 'aggregation.crossSeriesReducer'),
  };
}
