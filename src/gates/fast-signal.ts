import { type FastSignal, fastSignalOf } from '../config/gates.ts';
import { shellQuote } from './curl.ts';
import { messageOf } from './error-result.ts';
import type { RequestErrorCounts, RequestErrorSource } from './ports/error-counts.ts';
import { clockOf, formatNumber } from './render.ts';
import type { GateContext, GateOf, GateResult } from './result.ts';
import { type SequentialErrorTest, sequentialErrorTest } from './sequential.ts';

// The error-rate gate's fast signal: the sequential test (sequential.ts) on the 5xx of the canary and
// of stable since the stage start, counted from Cloud Run's request logs. The test needs only which
// revision each 5xx landed on, and request logs are readable within seconds, so it can stop a bad
// canary long before Cloud Monitoring's data (minutes late) is complete. The engine reads it every
// `fastSignal.interval` between the stage's ticks (runbooks/canary/procedure.ts: fast ticks), and the
// gate's full result at each tick carries it too.
//
// Counts end `lag` before now (Logging's ingestion latency). Entries that arrive later than that are
// missed whatever revision wrote them, so the canary's share of what is counted is still Binomial(n, rho)
// under no regression, and the counts only grow from read to read: the test stays anytime-valid.
//
// It only ever fails: with no request counts it cannot show that the canary is fine (a canary with no
// traffic has no 5xx either), so a fast tick that does not reject says nothing, and the absolute bound
// and latency stay on Cloud Monitoring.

type ErrorRateGate = Extract<GateOf<'cloud-monitoring'>, { metric: 'error-rate' }>;

/**
 * With the fast signal on, the same regression is tested twice (request logs and Cloud Monitoring): each
 * gets half the runbook's alpha, so a healthy canary is failed by either at most alpha of the time. Each
 * alone at the full alpha let 1.2 % of healthy canaries at a 1 % stable rate be rolled back in the
 * blast-radius simulation (docs/benchmarks.md), over the 1 % that alpha 0.01 promises.
 */
export const regressionAlpha = (alpha: number, fast: boolean): number => (fast ? alpha / 2 : alpha);

export type LogSignal =
  | { kind: 'judged'; test: SequentialErrorTest; counts: RequestErrorCounts; asked: Date; evidence: string }
  | { kind: 'unreadable'; reason: string }
  | { kind: 'error'; reason: string };

/**
 * The fast signal's settings when the gate has one and the stage can be tested (0 < share < 1). Never
 * against a past baseline (after promotion): the logs test compares two revisions serving at once, and
 * nothing serves beside the promoted revision; Cloud Monitoring's test against the past window judges.
 */
export function fastSignalFor(gate: ErrorRateGate, ctx: GateContext): FastSignal | undefined {
  const signal = fastSignalOf(gate);
  if (!signal || ctx.baseline) return undefined;
  const testable = ctx.canaryShare > 0 && ctx.canaryShare < 1 && ctx.alpha > 0 && ctx.alpha < 1;
  return testable ? signal : undefined;
}

/** Reads the counts and runs the test; never throws. */
export async function readLogSignal(
  source: RequestErrorSource | undefined,
  signal: FastSignal,
  ctx: GateContext,
): Promise<LogSignal> {
  if (!source) return { kind: 'unreadable', reason: 'no Cloud Logging client is configured' };
  const asked = new Date(Math.min(ctx.window.end.getTime(), ctx.now().getTime() - signal.lag));
  let counts: RequestErrorCounts;
  try {
    counts = await source.count5xx({
      project: ctx.project,
      service: ctx.service,
      location: ctx.region,
      revisions: [ctx.canaryRevision, ctx.stableRevision],
      window: { start: ctx.window.start, end: asked },
    });
  } catch (error) {
    const kind = (error as { kind?: unknown }).kind;
    if (kind === 'permission-denied' || kind === 'unauthorized') {
      return { kind: 'unreadable', reason: `the request logs are not readable: ${messageOf(error)}` };
    }
    return { kind: 'error', reason: messageOf(error) };
  }
  const test = sequentialErrorTest({
    canaryErrors: counts.counts[ctx.canaryRevision] ?? 0,
    stableErrors: counts.counts[ctx.stableRevision] ?? 0,
    rho: ctx.canaryShare,
    alpha: regressionAlpha(ctx.alpha, true),
  });
  const evidence = counts.filter
    ? `gcloud logging read ${shellQuote(counts.filter)} --project ${shellQuote(ctx.project)}`
    : `Cloud Run request logs of ${ctx.canaryRevision} and ${ctx.stableRevision} with status >= 500`;
  return { kind: 'judged', test, counts, asked, evidence };
}

const METRIC = "canary's share of 5xx (request logs)";

/** The result of a fast tick: fail when the test rejects, inconclusive otherwise (it cannot pass). */
export function fastSignalResult(name: string, ctx: GateContext, signal: LogSignal): GateResult {
  const at = ctx.now().toISOString();
  const threshold = `<= ${formatNumber(100 * ctx.canaryShare)} % (its traffic share), alpha ${formatNumber(regressionAlpha(ctx.alpha, true))}`;
  if (signal.kind !== 'judged') {
    return {
      gate: name,
      kind: 'cloud-monitoring',
      status: signal.kind === 'unreadable' ? 'skipped' : 'inconclusive',
      metric: METRIC,
      threshold,
      samples: 0,
      evidence: '-',
      reason: `${signal.reason}; Cloud Monitoring judges alone`,
      at,
    };
  }
  const { test } = signal;
  const total = test.canaryErrors + test.stableErrors;
  return {
    gate: name,
    kind: 'cloud-monitoring',
    status: test.reject ? 'fail' : 'inconclusive',
    metric: METRIC,
    threshold,
    observed: {
      value: total > 0 ? Number(((100 * test.canaryErrors) / total).toPrecision(3)) : 0,
      unit: '%',
    },
    samples: total,
    samplesUnit: '5xx in the request logs',
    evidence: signal.evidence,
    reason: test.reject
      ? `regression vs stable: ${signalText(signal)}`
      : `no regression shown yet: ${signalText(signal)}`,
    summary: test.reject
      ? 'The canary draws more than its share of the 5xx in the request logs: worse than stable.'
      : 'No regression shown in the request logs yet.',
    at,
  };
}

/** A tick's full result with the fast signal in it: its rejection fails the gate, whatever Monitoring says. */
export function withLogSignal(result: GateResult, signal: LogSignal | undefined): GateResult {
  if (!signal) return result;
  if (signal.kind !== 'judged') {
    const said = `request logs: ${signal.reason}`;
    return { ...result, reason: result.reason ? `${result.reason}; ${said}` : said };
  }
  const said = `request logs: ${signalText(signal)}`;
  if (signal.test.reject) {
    const why = `regression vs stable in the request logs: ${signalText(signal)}`;
    return {
      ...result,
      status: 'fail',
      // The logs are the evidence of this failure; the data-complete mark stays Monitoring's.
      evidence: result.status === 'fail' ? result.evidence : signal.evidence,
      reason: result.status === 'fail' && result.reason ? `${result.reason}; and ${why}` : why,
      summary:
        result.status === 'fail' && result.summary
          ? `${result.summary.replace(/\.$/, '')}; the request logs show it too.`
          : 'The request logs show the canary drawing more than its share of the 5xx: worse than stable.',
    };
  }
  return { ...result, reason: result.reason ? `${result.reason}; ${said}` : said };
}

/** "3 of 40 5xx on the canary at 5 % traffic, sequential p = 0.41, through 10:01:05Z (page bound)". */
function signalText(signal: Extract<LogSignal, { kind: 'judged' }>): string {
  const { test, counts } = signal;
  const total = test.canaryErrors + test.stableErrors;
  const through = `through ${clockOf(counts.through.toISOString())}`;
  const bound = counts.complete ? '' : ', a lower bound: the page bound stopped the count';
  return (
    `${formatNumber(test.canaryErrors)} of ${formatNumber(total)} 5xx on the canary at ` +
    `${formatNumber(100 * test.rho)} % traffic, sequential p = ${formatP(test.pValue)}, ${through}${bound}`
  );
}

/** 0.41, 0.0032, 8.2e-5. */
function formatP(p: number): string {
  return p >= 0.001 ? String(Number(p.toPrecision(2))) : p.toExponential(1);
}
