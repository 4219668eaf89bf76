import { MetricServiceClient } from '@google-cloud/monitoring';
import {
  type CloudMonitoring,
  completeThrough,
  type DataVisibility,
  type LatencyMs,
  type LatencyPercentile,
  type RevisionStats,
  type RevisionStatsQuery,
  type RevisionStatsResult,
} from '../../gates/ports/monitoring.ts';
import { PlatformError } from '../../runbooks/ports/errors.ts';
import { type GoogleTarget, googleClientOptions } from '../google.ts';
import { type CallPolicy, callGoogle, callPolicyOf } from './google-call.ts';
import {
  CODE_CLASS_LABEL,
  countRequest,
  percentileRequest,
  REVISION_LABEL,
  type Scope,
  type SeriesRequest,
} from './queries.ts';

// Cloud Run's request metrics per revision through @google-cloud/monitoring (listTimeSeries): one call
// for request and 5xx counts, one per latency percentile, all for every revision at once and in parallel.

const SYSTEM = 'monitoring';
const ROLE = 'roles/monitoring.viewer';
const SHORTEST_PERIOD_S = 60; // Cloud Monitoring refuses a shorter alignment period

export interface CloudMonitoringOptions extends Partial<CallPolicy> {
  /** Production: {projectId}; tests and the sandbox add the twin's endpoint. */
  target: GoogleTarget;
  /** Pages read per request; an aggregated answer fits in one, so reaching this is an error. */
  maxPages?: number;
  /** How late the data is (config `monitoring`); default Google's figures for Cloud Run: 60 s and 180 s. */
  visibility?: DataVisibility;
}

export const CLOUD_RUN_VISIBILITY: DataVisibility = { samplePeriodMs: 60_000, ingestionLatencyMs: 180_000 };

export interface CloudMonitoringAdapter extends CloudMonitoring {
  close(): Promise<void>;
}

export function createCloudMonitoring(options: CloudMonitoringOptions): CloudMonitoringAdapter {
  const policy = callPolicyOf(options);
  const maxPages = options.maxPages ?? 5;
  const client = new MetricServiceClient(googleClientOptions(options.target));

  async function listAll(series: SeriesRequest, project: string): Promise<SeriesLike[]> {
    const context = {
      system: SYSTEM,
      what: `Cloud Monitoring ${series.evidence.measures} of projects/${project}`,
      role: ROLE,
    } as const;
    const all: SeriesLike[] = [];
    let pageToken: string | undefined;
    for (let page = 1; page <= maxPages; page++) {
      const request = pageToken ? { ...series.request, pageToken } : series.request;
      const [items, next] = await callGoogle(context, policy, (gax) => client.listTimeSeries(request, gax));
      all.push(...(items as SeriesLike[]));
      pageToken = next?.pageToken ?? undefined;
      if (!pageToken) return all;
    }
    throw new PlatformError(SYSTEM, 'invalid', `${context.what}: the answer ran past ${maxPages} pages`);
  }

  async function revisionStats(query: RevisionStatsQuery): Promise<RevisionStatsResult> {
    const scope = scopeOf(query);
    const percentiles = [...new Set(query.percentiles ?? ([50, 95, 99] as const))];
    const counts = countRequest(scope);
    const latencies = percentiles.map((p) => ({ percentile: p, series: percentileRequest(scope, p) }));
    const [countSeries, ...latencySeries] = await Promise.all([
      listAll(counts, query.project),
      ...latencies.map(({ series }) => listAll(series, query.project)),
    ]);

    const stats: Record<string, RevisionStats> = {};
    for (const revision of query.revisions)
      stats[revision] = { requests: 0, errors5xx: 0, latencyMs: undefined };
    for (const series of countSeries ?? []) {
      const entry = stats[label(series, REVISION_LABEL)];
      if (!entry) continue; // a revision not asked for: the filter should not let it through
      const total = series.points?.reduce((sum, point) => sum + numberOf(point.value?.int64Value), 0) ?? 0;
      entry.requests += total;
      if (label(series, CODE_CLASS_LABEL) === '5xx') entry.errors5xx += total;
    }
    latencies.forEach(({ percentile }, index) => {
      for (const series of latencySeries[index] ?? []) {
        const entry = stats[label(series, REVISION_LABEL)];
        const value = latest(series);
        if (!entry || value === undefined) continue;
        const latency: LatencyMs = entry.latencyMs ?? {};
        latency[key(percentile)] = value;
        entry.latencyMs = latency;
      }
    });
    // A percentile over no requests is no latency at all, whatever a stale point says.
    for (const entry of Object.values(stats)) if (entry.requests === 0) entry.latencyMs = undefined;

    return {
      stats,
      window: { start: new Date(scope.startSeconds * 1000), end: new Date(scope.endSeconds * 1000) },
      evidence: [counts.evidence, ...latencies.map(({ series }) => series.evidence)],
    };
  }

  const visibility = options.visibility ?? CLOUD_RUN_VISIBILITY;
  return {
    revisionStats,
    completeThrough: (now: Date) => completeThrough(now, visibility),
    shortestWindowMs: SHORTEST_PERIOD_S * 1000,
    samplePeriodMs: visibility.samplePeriodMs,
    close: () => client.close(),
  };
}

function scopeOf(query: RevisionStatsQuery): Scope {
  if (query.revisions.length === 0)
    throw new PlatformError(SYSTEM, 'invalid', 'no revision to read metrics for');
  const endSeconds = Math.floor(query.window.end.getTime() / 1000);
  const period = Math.round((query.window.end.getTime() - query.window.start.getTime()) / 1000);
  if (!(period >= SHORTEST_PERIOD_S)) {
    throw new PlatformError(
      SYSTEM,
      'invalid',
      `a Cloud Monitoring window must last at least ${SHORTEST_PERIOD_S} s, not ${period} s`,
    );
  }
  return {
    project: query.project,
    service: query.service,
    ...(query.location ? { location: query.location } : {}),
    revisions: query.revisions,
    startSeconds: endSeconds - period,
    endSeconds,
  };
}

// The parts of a TimeSeries read here. Over REST int64 arrives as a string; over gRPC it may be a Long.
interface SeriesLike {
  metric?: { labels?: Record<string, string> | null } | null;
  resource?: { labels?: Record<string, string> | null } | null;
  points?: PointLike[] | null;
}

interface PointLike {
  interval?: { endTime?: { seconds?: unknown } | null } | null;
  value?: { int64Value?: unknown; doubleValue?: unknown } | null;
}

function label(series: SeriesLike, field: string): string {
  const [, scope, name] = field.split('.') as [string, 'labels', string];
  const owner = field.startsWith('metric.') ? series.metric : series.resource;
  return (scope === 'labels' && owner?.labels?.[name]) || '';
}

function numberOf(value: unknown): number {
  if (value === null || value === undefined) return 0;
  const number = typeof value === 'object' ? Number(String(value)) : Number(value);
  return Number.isFinite(number) ? number : 0;
}

/** The value of the series' most recent point (Monitoring lists the newest first, but do not rely on it). */
function latest(series: SeriesLike): number | undefined {
  let best: { at: number; value: number } | undefined;
  for (const point of series.points ?? []) {
    const raw = point.value?.doubleValue;
    if (raw === null || raw === undefined) continue;
    const at = numberOf(point.interval?.endTime?.seconds);
    if (!best || at > best.at) best = { at, value: Number(raw) };
  }
  return best?.value;
}

const key = (percentile: LatencyPercentile) => `p${percentile}` as const;
