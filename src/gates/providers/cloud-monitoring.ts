import {
  type CompleteWindow,
  completeWindow,
  errorRates,
  judgedOn,
  monitoringEvidence,
  pastWindowText,
  plannedMonitoringEvidence,
  type RevisionPair,
  readRevisionPair,
  spanText,
  waitingResult,
} from '../baseline.ts';
import { errorResult, messageOf } from '../error-result.ts';
import { fastSignalFor, readLogSignal, regressionAlpha, withLogSignal } from '../fast-signal.ts';
import type { RequestErrorSource } from '../ports/error-counts.ts';
import type { CloudMonitoring } from '../ports/monitoring.ts';
import { rateBoundTest } from '../rate-bound.ts';
import { formatNumber } from '../render.ts';
import type { GateContext, GateOf, GateProvider, GateResult, Quantity } from '../result.ts';
import { needBefore, needInWindow, withNeed } from '../sample-need.ts';
import { type SequentialErrorTest, sequentialErrorTest } from '../sequential.ts';

// Cloud Run's request metrics of the canary against the stable revision over the same window (seed 000:
// "HTTP 5xx rate remains below 1 %", "P95 latency does not regress by more than 20 % from stable").
//
// error-rate fails when either rule breaks, and the reason says which:
//   1. the absolute rule of the seed: the canary's 5xx share is not below `belowPercent`, shown at the
//      runbook's alpha by a confidence sequence (rate-bound.ts; `rule: point` judges the estimate alone);
//   2. a regression against stable: the sequential test (sequential.ts) finds the canary drawing more
//      than its traffic share of the 5xx, at the runbook's alpha. A canary at 0.5 % against a stable
//      0.1 % is under the 1 % bound and five times worse; it is caught, and at 0.1 % base rates
//      typically within a few thousand canary requests. The test is anytime-valid when each tick reads
//      the window from the stage start, so reading it at every tick does not inflate false alarms. It
//      needs stable traffic to compare with: at 100 % canary (or 0 %) only the absolute rule applies,
//      except after promotion (ctx.baseline): there the baseline is the previous revision over its own
//      past window. Under "same 5xx rate" the canary's share of all the 5xx of both windows is then
//      Binomial(5xx, rho) with rho = canary requests / (canary + baseline requests), so the same test
//      applies with that rho. Each tick's test is valid; rho grows with the canary's window from tick to
//      tick, so the sequence of them is not strictly anytime-valid as it is at a fixed traffic share.
// latency compares the canary's pN with stable's pN and/or an absolute bound; a stable revision with
// fewer than minRequests requests (idle, or 100 % canary) is no baseline: only maxMs judges then, and
// without maxMs the gate is inconclusive.
// Fewer than minRequests canary requests is inconclusive, never fail. Cloud Monitoring failing is error.
// While a gate waits for minRequests, its result carries what it saw (sample-need.ts), from which the
// stage's message foresees when it will judge (time-to-decision.ts).
// error-rate's fast signal (fast-signal.ts, on unless `fastSignal: false`): the same sequential test on
// 5xx counted from the request logs, seconds late instead of minutes; its rejection fails the gate too.

type CloudMonitoringGate = GateOf<'cloud-monitoring'>;
type ErrorRateGate = Extract<CloudMonitoringGate, { metric: 'error-rate' }>;
type LatencyGate = Extract<CloudMonitoringGate, { metric: 'latency' }>;

export interface CloudMonitoringGateDeps {
  monitoring: CloudMonitoring;
  /** 5xx per revision from the request logs, for error-rate's fast signal; absent: Monitoring alone. */
  errorCounts?: RequestErrorSource;
}

export function createCloudMonitoringGate(deps: CloudMonitoringGateDeps): GateProvider<CloudMonitoringGate> {
  return {
    async evaluate(name, gate, ctx) {
      // Judged on the complete part of the window only (Cloud Monitoring's data arrives minutes late).
      const window = completeWindow(deps.monitoring, ctx);
      if (gate.metric === 'latency') return judgedOn(await latency(deps, name, gate, window), window);
      const signal = deps.errorCounts ? fastSignalFor(gate, ctx) : undefined;
      const [result, logs] = await Promise.all([
        errorRate(deps, name, gate, window, regressionAlpha(ctx.alpha, signal !== undefined)),
        signal ? readLogSignal(deps.errorCounts, signal, ctx) : undefined,
      ]);
      // A Monitoring error stays an error unless the logs show the regression.
      return withLogSignal(judgedOn(result, window), logs);
    },
  };
}

async function errorRate(
  deps: CloudMonitoringGateDeps,
  name: string,
  gate: ErrorRateGate,
  window: CompleteWindow,
  /** The regression test's alpha: the runbook's, or half of it beside the fast signal (fast-signal.ts). */
  testAlpha: number,
): Promise<GateResult> {
  const { ctx } = window;
  const metric = '5xx rate';
  const past = ctx.baseline;
  const alphaOk = ctx.alpha > 0 && ctx.alpha < 1;
  const sequential = alphaOk && (past !== undefined || (ctx.canaryShare > 0 && ctx.canaryShare < 1));
  const against = past ? `previous revision ${pastWindowText(past)}` : 'stable';
  const worse = past ? "the previous revision's before promotion" : "stable's";
  const at = `alpha ${formatNumber(ctx.alpha)}`;
  const shown = gate.rule !== 'point' && ctx.alpha > 0 && ctx.alpha < 1;
  const split = testAlpha !== ctx.alpha ? ` (alpha ${formatNumber(testAlpha)})` : shown ? '' : ` (${at})`;
  const regression = sequential ? `, no regression vs ${against}${split}` : '';
  const threshold = `< ${formatNumber(gate.belowPercent)} %${shown ? ` (shown at ${at})` : ''}${regression}`;
  if (window.waiting) {
    const evidence = plannedMonitoringEvidence(ctx, 'request_count');
    const waiting = waitingResult(name, 'cloud-monitoring', window, { metric, threshold, evidence });
    return withNeed(waiting, await needBefore(deps.monitoring, gate.minRequests, window));
  }
  let pair: RevisionPair;
  try {
    pair = await readRevisionPair(deps.monitoring, ctx, []);
  } catch (error) {
    const evidence = plannedMonitoringEvidence(ctx, 'request_count');
    return errorResult(name, gate, ctx, { metric, threshold, evidence, reason: messageOf(error) });
  }
  const { canary, stable } = pair;
  const base = {
    gate: name,
    kind: 'cloud-monitoring' as const,
    metric,
    threshold,
    ...errorRates(
      { errors: canary.errors5xx, requests: canary.requests },
      { errors: stable.errors5xx, requests: stable.requests },
    ),
    evidence: monitoringEvidence(pair.evidence, 'request-count'),
    at: ctx.now().toISOString(),
  };
  const bound = boundRule(gate, canary.errors5xx, canary.requests, ctx.alpha);
  const plotted = {
    ...base,
    plot: {
      panel: 'error-rate' as const,
      limit: gate.belowPercent,
      ...(bound.band ? { band: bound.band } : {}),
    },
  };
  if (canary.requests < gate.minRequests) {
    const sampleNeed = needInWindow(gate.minRequests, pair, window);
    return {
      ...plotted,
      status: 'inconclusive',
      reason: tooFew(gate.minRequests),
      summary: TOO_FEW,
      sampleNeed,
    };
  }

  // The canary's share of the requests compared: its traffic share, or, against a past window, its
  // requests among both windows' (none in the past window: nothing to compare with, no test).
  const rho = past ? canary.requests / (canary.requests + stable.requests) : ctx.canaryShare;
  const test =
    sequential && rho > 0 && rho < 1
      ? sequentialErrorTest({
          canaryErrors: canary.errors5xx,
          stableErrors: stable.errors5xx,
          rho,
          alpha: testAlpha,
        })
      : undefined;
  const where = (t: SequentialErrorTest) =>
    past
      ? `, which served ${formatNumber(Number((100 * t.rho).toPrecision(3)))} % of the requests compared`
      : ` at ${formatNumber(100 * t.rho)} % traffic`;
  const share = test
    ? `${formatNumber(test.canaryErrors)} of ${formatNumber(test.canaryErrors + test.stableErrors)} 5xx` +
      ` on the canary${where(test)}, sequential p = ${formatP(test.pValue)}`
    : undefined;
  const reasons: string[] = [];
  if (bound.over) reasons.push(`not below ${formatNumber(gate.belowPercent)} %${bound.said}`);
  if (test?.reject) reasons.push(`regression vs ${against}: ${share}`);
  const untested = past && sequential && !test ? `no regression test: ${noPastTraffic(past)}` : '';
  const limit = `${formatNumber(gate.belowPercent)} %`;
  if (bound.over || test?.reject) {
    const summary =
      bound.over && test?.reject
        ? `The canary's 5xx rate is above ${limit}, and worse than ${worse}.`
        : bound.over
          ? `The canary's 5xx rate is above ${limit}.`
          : past
            ? "The canary's 5xx rate is worse than the previous revision's before promotion."
            : 'The canary draws more than its share of the 5xx: worse than stable.';
    const reason = [reasons.join('; and '), untested].filter((r) => r).join('; ');
    return { ...plotted, status: 'fail', reason, summary };
  }
  const said = [bound.said.replace(/^: /, ''), share, untested].filter((s) => s);
  const point = (100 * canary.errors5xx) / canary.requests;
  const summary =
    point >= gate.belowPercent
      ? `Over ${limit} in this sample, but not shown to be above it yet.`
      : `Under ${limit}${test ? `, and no worse than ${past ? 'the previous revision before promotion' : 'stable'}` : ''}.`;
  return { ...plotted, status: 'pass', summary, ...(said.length > 0 ? { reason: said.join('; ') } : {}) };
}

/**
 * The absolute rule: by default the share must be shown above the bound at alpha (rate-bound.ts), with
 * the lower confidence limit said beside the point estimate; `rule: point` fails on the estimate alone.
 * `band` is the confidence band the chart draws (none under `rule: point`, or with no request yet).
 */
function boundRule(
  gate: ErrorRateGate,
  errors: number,
  requests: number,
  alpha: number,
): { over: boolean; said: string; band?: [number, number] } {
  const point = requests > 0 ? (100 * errors) / requests : 0;
  if (gate.rule === 'point' || !(alpha > 0 && alpha < 1) || requests === 0) {
    return { over: requests > 0 && point >= gate.belowPercent, said: '' };
  }
  const test = rateBoundTest({ errors, requests, boundPercent: gate.belowPercent, alpha });
  const band: [number, number] = [rounded(test.lowerPercent), rounded(test.upperPercent)];
  const level = formatNumber(100 * (1 - alpha));
  const lower = `${level} % lower limit ${formatNumber(Number(test.lowerPercent.toPrecision(2)))} %`;
  return {
    over: test.above,
    band,
    said: test.above
      ? `: shown at alpha ${formatNumber(alpha)} (${lower})`
      : point >= gate.belowPercent
        ? `: ${formatNumber(Number(point.toPrecision(3)))} % observed, not shown above ${formatNumber(gate.belowPercent)} % at alpha ${formatNumber(alpha)} (${lower})`
        : '',
  };
}

async function latency(
  deps: CloudMonitoringGateDeps,
  name: string,
  gate: LatencyGate,
  window: CompleteWindow,
): Promise<GateResult> {
  const { ctx } = window;
  const metric = `p${gate.percentile} latency`;
  const measures = `latency-p${gate.percentile}`;
  const key = `p${gate.percentile}` as const;
  if (window.waiting) {
    const evidence = plannedMonitoringEvidence(ctx, `request_latencies p${gate.percentile}`);
    const waiting = waitingResult(name, 'cloud-monitoring', window, {
      metric,
      threshold: thresholdText(gate),
      evidence,
    });
    return withNeed(waiting, await needBefore(deps.monitoring, gate.minRequests, window));
  }
  let pair: RevisionPair;
  try {
    pair = await readRevisionPair(deps.monitoring, ctx, [gate.percentile]);
  } catch (error) {
    const evidence = plannedMonitoringEvidence(ctx, `request_latencies p${gate.percentile}`);
    return errorResult(name, gate, ctx, {
      metric,
      threshold: thresholdText(gate),
      evidence,
      reason: messageOf(error),
    });
  }
  const { canary, stable } = pair;
  const canaryMs = canary.latencyMs?.[key];
  // Too little stable traffic is no baseline: a percentile of a handful of requests is noise.
  const stableMs = stable.requests >= gate.minRequests ? stable.latencyMs?.[key] : undefined;
  const limitMs =
    gate.maxIncreasePercent !== undefined && stableMs !== undefined
      ? stableMs * (1 + gate.maxIncreasePercent / 100)
      : undefined;
  const limits = [limitMs, gate.maxMs].filter((l): l is number => l !== undefined);
  const base = {
    gate: name,
    kind: 'cloud-monitoring' as const,
    metric,
    threshold: thresholdText(gate, limitMs),
    plot: {
      panel: 'latency' as const,
      ...(limits.length > 0 ? { limit: rounded(Math.min(...limits)) } : {}),
    },
    ...(canaryMs !== undefined ? { observed: ms(canaryMs) } : {}),
    ...(stableMs !== undefined ? { baseline: ms(stableMs) } : {}),
    samples: canary.requests,
    samplesUnit: 'canary requests',
    evidence: monitoringEvidence(pair.evidence, measures),
    at: ctx.now().toISOString(),
  };
  if (canary.requests < gate.minRequests) {
    const sampleNeed = needInWindow(gate.minRequests, pair, window);
    return {
      ...base,
      status: 'inconclusive',
      reason: tooFew(gate.minRequests),
      summary: TOO_FEW,
      sampleNeed,
    };
  }
  if (canaryMs === undefined) {
    return {
      ...base,
      status: 'inconclusive',
      reason: `Cloud Monitoring reported no ${key} for the canary`,
      summary: `No ${key} for the canary yet.`,
    };
  }
  const noBaseline =
    stableMs === undefined ? `no stable baseline (${formatNumber(stable.requests)} stable requests` : '';
  if (noBaseline && gate.maxMs === undefined) {
    return {
      ...base,
      status: 'inconclusive',
      reason: `${noBaseline}, fewer than ${formatNumber(gate.minRequests)})`,
      summary: 'Stable serves too little to compare with.',
    };
  }

  const overStable = limitMs !== undefined && canaryMs > limitMs;
  const overBound = gate.maxMs !== undefined && canaryMs > gate.maxMs;
  const reasons: string[] = [];
  if (noBaseline) reasons.push(`${noBaseline}): judged on ${formatNumber(gate.maxMs ?? 0)} ms only`);
  if (overStable) reasons.push(`more than ${formatNumber(gate.maxIncreasePercent ?? 0)} % above stable`);
  if (overBound) reasons.push(`over the ${formatNumber(gate.maxMs ?? 0)} ms bound`);
  const increase = `${formatNumber(gate.maxIncreasePercent ?? 0)} %`;
  const bound = `${formatNumber(gate.maxMs ?? 0)} ms`;
  const summary = overStable
    ? `The canary's ${key} is more than ${increase} above stable's${overBound ? ` and over ${bound}` : ''}.`
    : overBound
      ? `The canary's ${key} is over ${bound}.`
      : limitMs !== undefined
        ? `Within ${increase} of stable${gate.maxMs !== undefined ? ` and under ${bound}` : ''}.`
        : `Under ${bound}.`;
  return {
    ...base,
    status: overStable || overBound ? 'fail' : 'pass',
    summary,
    ...(reasons.length > 0 ? { reason: reasons.join('; ') } : {}),
  };
}

/** "+20 % (360 ms)", "+20 % vs stable" (no baseline yet), "<= 500 ms", or both joined by "and". */
function thresholdText(gate: LatencyGate, limitMs?: number): string {
  const parts: string[] = [];
  if (gate.maxIncreasePercent !== undefined) {
    const at = limitMs === undefined ? ' vs stable' : ` (${formatNumber(limitMs)} ms)`;
    parts.push(`+${formatNumber(gate.maxIncreasePercent)} %${at}`);
  }
  if (gate.maxMs !== undefined) parts.push(`<= ${formatNumber(gate.maxMs)} ms`);
  return parts.join(' and ');
}

const TOO_FEW = 'Too few canary requests to judge yet.';

/** Four significant digits: enough for a chart, and the record stays small. */
const rounded = (value: number): number => Number(value.toPrecision(4));

function tooFew(minRequests: number): string {
  return `fewer than the ${formatNumber(minRequests)} canary requests needed to judge`;
}

const ms = (value: number): Quantity => ({ value, unit: 'ms' });

/** Why a watch after promotion has no regression test: the previous revision served nothing then. */
function noPastTraffic(past: NonNullable<GateContext['baseline']>): string {
  return `${past.revision} served no requests ${spanText(past.window)}`;
}

/** 0.41, 0.0032, 8.2e-5. */
function formatP(p: number): string {
  return p >= 0.001 ? String(Number(p.toPrecision(2))) : p.toExponential(1);
}
