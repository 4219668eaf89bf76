import { shellQuote } from './curl.ts';
import type {
  CloudMonitoring,
  LatencyPercentile,
  MonitoringEvidence,
  RevisionStats,
} from './ports/monitoring.ts';
import type { GateContext, GateResult } from './result.ts';

// The canary and its stable baseline, read together: Cloud Run's request counts (and latency
// percentiles) of both revisions over the same window, as the gates that compare them need.

export interface RevisionPair {
  canary: RevisionStats;
  stable: RevisionStats;
  evidence: MonitoringEvidence[];
}

/** One revisionStats call for the canary and stable revisions over ctx.window; throws what the port throws. */
export async function readRevisionPair(
  monitoring: CloudMonitoring,
  ctx: GateContext,
  percentiles: readonly LatencyPercentile[],
): Promise<RevisionPair> {
  const { stats, evidence } = await monitoring.revisionStats({
    project: ctx.project,
    service: ctx.service,
    location: ctx.region,
    revisions: [ctx.stableRevision, ctx.canaryRevision],
    window: ctx.window,
    percentiles,
  });
  return { canary: statsOf(stats, ctx.canaryRevision), stable: statsOf(stats, ctx.stableRevision), evidence };
}

function statsOf(stats: Record<string, RevisionStats>, revision: string): RevisionStats {
  return stats[revision] ?? { requests: 0, errors5xx: 0, latencyMs: undefined };
}

/** The request a person re-runs to see the same numbers: curl with their own gcloud token. */
export function monitoringEvidence(evidence: readonly MonitoringEvidence[], measures: string): string {
  const one = evidence.find((e) => e.measures === measures) ?? evidence[0];
  if (!one) return '';
  return `curl -sS -H "authorization: Bearer $(gcloud auth print-access-token)" ${shellQuote(one.url)}`;
}

/** What would have been asked, for an error before any evidence came back. */
export function plannedMonitoringEvidence(ctx: GateContext, measures: string): string {
  const { start, end } = ctx.window;
  const revisions = `${ctx.service} revisions ${ctx.canaryRevision} and ${ctx.stableRevision}`;
  return (
    `Cloud Monitoring ${measures} of ${revisions} (project ${ctx.project}, ${ctx.region})` +
    ` from ${start.toISOString()} to ${end.toISOString()}`
  );
}

/** A revision's errors and the requests they were counted among. */
export interface ErrorCount {
  errors: number;
  requests: number;
}

/**
 * The canary's errors per request as the observed value, stable's as the baseline when stable served
 * requests to compare with, and the canary's requests as the samples behind them.
 */
export function errorRates(
  canary: ErrorCount,
  stable: ErrorCount,
): Pick<GateResult, 'observed' | 'baseline' | 'samples' | 'samplesUnit'> {
  return {
    observed: { value: percentOf(canary.errors, canary.requests), unit: '%' },
    ...(stable.requests > 0
      ? { baseline: { value: percentOf(stable.errors, stable.requests), unit: '%' } }
      : {}),
    samples: canary.requests,
    samplesUnit: 'canary requests',
  };
}

/** A share of requests in %, to four significant digits (0.3333 %, 12.5 %). */
export function percentOf(part: number, whole: number): number {
  return whole > 0 ? Number(((100 * part) / whole).toPrecision(4)) : 0;
}
