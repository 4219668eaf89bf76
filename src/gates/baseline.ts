import { shellQuote } from './curl.ts';
import type {
  CloudMonitoring,
  LatencyPercentile,
  MonitoringEvidence,
  RevisionStats,
  TimeWindow,
} from './ports/monitoring.ts';
import { clockOf, formatNumber } from './render.ts';
import type { GateContext, GateResult } from './result.ts';

// The canary and its stable baseline, read together: Cloud Run's request counts (and latency
// percentiles) of both revisions over the same window, as the gates that compare them need. After
// promotion nothing serves beside the new revision: the baseline is then the previous revision over the
// window before it stopped serving (GateContext.baseline).

export interface RevisionPair {
  canary: RevisionStats;
  stable: RevisionStats;
  evidence: MonitoringEvidence[];
  /** The window as Cloud Monitoring read it (whole seconds): the span the counts cover. */
  window: TimeWindow;
}

/**
 * The part of the gate's window whose data is complete (ports/monitoring.ts completeThrough): a gate
 * judges only that part, says how far behind it is, and waits (inconclusive) while none of it is there.
 */
export interface CompleteWindow {
  /** The gate's context with the window cut at the complete data. */
  ctx: GateContext;
  /** ISO end of the data judged; absent when the source has no delay. */
  dataThrough?: string;
  /** How far the data judged ends before the window asked for, in ms (0: all of it). */
  behindMs: number;
  /** No complete data in the window yet, or less than the source can be asked for. */
  waiting: boolean;
}

export function completeWindow(monitoring: CloudMonitoring, ctx: GateContext): CompleteWindow {
  if (!monitoring.completeThrough) return { ctx, behindMs: 0, waiting: false };
  const { start, end } = ctx.window;
  const complete = monitoring.completeThrough(ctx.now());
  const cut = new Date(Math.min(end.getTime(), complete.getTime()));
  const behindMs = end.getTime() - cut.getTime();
  const tooShort = behindMs > 0 && cut.getTime() - start.getTime() < (monitoring.shortestWindowMs ?? 0);
  return {
    ctx: { ...ctx, window: { start, end: cut } },
    dataThrough: cut.toISOString(),
    behindMs,
    waiting: cut.getTime() <= start.getTime() || tooShort,
  };
}

/** "data through 14:03:00Z, 3 min behind", or nothing when the data covers the window. */
export function behindText(window: CompleteWindow): string {
  if (!window.dataThrough || window.behindMs <= 0) return '';
  const seconds = Math.round(window.behindMs / 1000);
  const behind = seconds >= 120 ? `${formatNumber(seconds / 60)} min` : `${formatNumber(seconds)} s`;
  return `data through ${clockOf(window.dataThrough)}, ${behind} behind`;
}

/** The result while no complete data is in the window: inconclusive, never a failure. */
export function waitingResult(
  name: string,
  kind: GateResult['kind'],
  window: CompleteWindow,
  details: Pick<GateResult, 'metric' | 'threshold' | 'evidence'>,
): GateResult {
  const through = window.dataThrough ? ` (complete through ${clockOf(window.dataThrough)})` : '';
  return {
    gate: name,
    kind,
    status: 'inconclusive',
    samples: 0,
    ...details,
    reason: `waiting for Cloud Monitoring's data: none of the window is complete yet${through}`,
    summary: "Waiting for Cloud Monitoring's data, which arrives minutes late.",
    ...(window.dataThrough ? { dataThrough: window.dataThrough } : {}),
    at: window.ctx.now().toISOString(),
  };
}

/** A judged result says where its data ends and, when that is before the window's end, by how much. */
export function judgedOn(result: GateResult, window: CompleteWindow): GateResult {
  if (!window.dataThrough || result.status === 'error' || result.dataThrough) return result;
  const behind = behindText(window);
  return {
    ...result,
    dataThrough: window.dataThrough,
    ...(behind ? { reason: result.reason ? `${result.reason}; ${behind}` : behind } : {}),
  };
}

/**
 * One revisionStats call for the canary and stable revisions over ctx.window; throws what the port throws.
 * With a baseline of its own (ctx.baseline: after promotion), two calls: the canary over ctx.window, the
 * baseline revision over its past window; its numbers stand where stable's would.
 */
export async function readRevisionPair(
  monitoring: CloudMonitoring,
  ctx: GateContext,
  percentiles: readonly LatencyPercentile[],
): Promise<RevisionPair> {
  const query = { project: ctx.project, service: ctx.service, location: ctx.region, percentiles };
  const base = ctx.baseline;
  if (base === undefined) {
    const { stats, evidence, window } = await monitoring.revisionStats({
      ...query,
      revisions: [ctx.stableRevision, ctx.canaryRevision],
      window: ctx.window,
    });
    return {
      canary: statsOf(stats, ctx.canaryRevision),
      stable: statsOf(stats, ctx.stableRevision),
      evidence,
      // A fake port may leave it out: then the counts cover the window asked for.
      window: window ?? ctx.window,
    };
  }
  const [now, before] = await Promise.all([
    monitoring.revisionStats({ ...query, revisions: [ctx.canaryRevision], window: ctx.window }),
    monitoring.revisionStats({ ...query, revisions: [base.revision], window: base.window }),
  ]);
  return {
    canary: statsOf(now.stats, ctx.canaryRevision),
    stable: statsOf(before.stats, base.revision),
    evidence: [...now.evidence, ...before.evidence],
    // The canary's window: what a sample requirement counts against.
    window: now.window ?? ctx.window,
  };
}

function statsOf(stats: Record<string, RevisionStats>, revision: string): RevisionStats {
  return stats[revision] ?? { requests: 0, errors5xx: 0, latencyMs: undefined };
}

/**
 * The request a person re-runs to see the same numbers: curl with their own gcloud token. With a baseline
 * of its own (two windows), both requests: the canary's, then the baseline revision's.
 */
export function monitoringEvidence(evidence: readonly MonitoringEvidence[], measures: string): string {
  const matching = evidence.filter((e) => e.measures === measures);
  const chosen = matching.length > 0 ? matching : evidence.slice(0, 1);
  return chosen
    .map(
      (one) => `curl -sS -H "authorization: Bearer $(gcloud auth print-access-token)" ${shellQuote(one.url)}`,
    )
    .join(' && ');
}

/** What would have been asked, for an error before any evidence came back. */
export function plannedMonitoringEvidence(ctx: GateContext, measures: string): string {
  const { start, end } = ctx.window;
  const span = (w: { start: Date; end: Date }) => `from ${w.start.toISOString()} to ${w.end.toISOString()}`;
  const where = `(project ${ctx.project}, ${ctx.region})`;
  const base = ctx.baseline;
  if (base) {
    const revisions = `${ctx.service} revision ${ctx.canaryRevision} ${span({ start, end })}, and ${base.revision} ${span(base.window)}`;
    return `Cloud Monitoring ${measures} of ${revisions} ${where}`;
  }
  const revisions = `${ctx.service} revisions ${ctx.canaryRevision} and ${ctx.stableRevision}`;
  return `Cloud Monitoring ${measures} of ${revisions} ${where} ${span({ start, end })}`;
}

/** "svc-00010-abc from 08:00:00Z to 10:00:00Z": a baseline revision over its past window, for a gate's line. */
export function pastWindowText(base: NonNullable<GateContext['baseline']>): string {
  return `${base.revision} ${spanText(base.window)}`;
}

/** "from 08:00:00Z to 10:00:00Z", with the start's date when the window crosses midnight (up to 24 h). */
export function spanText(window: { start: Date; end: Date }): string {
  const start = window.start.toISOString();
  const end = window.end.toISOString();
  const from =
    start.slice(0, 10) === end.slice(0, 10) ? clockOf(start) : `${start.slice(0, 10)} ${clockOf(start)}`;
  return `from ${from} to ${clockOf(end)}`;
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
