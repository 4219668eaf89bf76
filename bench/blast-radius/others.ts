import { completeThrough } from '../../src/gates/ports/monitoring.ts';
import { errorsInMinutes, type Stream, type World } from './world.ts';

// The policies shiftgate is compared with, replayed on the same streams and, except the oracle, through the
// same Cloud Monitoring latency (each reads the newest complete samples when it looks; a metric window of
// "the last minute" read literally would find no data at all 3 minutes late, and Flagger counts a query
// with no values as a failed check, so this is the kind reading).

/** The newest complete sample's end at `t` seconds after the shift, in whole minutes since the shift. */
function completeMinutes(world: World, t: number): number {
  const visibility = { samplePeriodMs: world.samplePeriodMs, ingestionLatencyMs: world.ingestionLatencyMs };
  return Math.floor(completeThrough(new Date(t * 1000), visibility).getTime() / 60_000);
}

/**
 * Flagger's documented defaults (docs.flagger.app/usage/metrics and how-it-works): analysis interval 1m,
 * the builtin request-success-rate over 1m with thresholdRange min 99 (a check fails when fewer than 99 %
 * of the canary's requests in the minute are non-5xx), rolled back once status.failedChecks reaches
 * `threshold` (the controller's `FailedChecks >= GetAnalysisThreshold()`; counted over the analysis,
 * not consecutively). A check with no complete minute yet is not counted.
 */
export function flagger(stream: Stream, world: World, threshold: number): number | undefined {
  let failed = 0;
  for (let t = 60; t <= world.horizonS; t += 60) {
    const m = completeMinutes(world, t);
    if (m < 1) continue;
    const errors = errorsInMinutes(stream, m - 1, m).canary;
    const success = 100 * (1 - errors / stream.canaryRequestsPerMinute);
    if (success < 99) failed++;
    if (failed >= threshold) return t;
  }
  return undefined;
}

/**
 * Argo Rollouts' background-analysis example (argo-rollouts docs/features/analysis.md, AnalysisTemplate
 * `success-rate`): interval 5m, successCondition result >= 0.95 on the success rate over [5m],
 * failureLimit 3; the run fails when failed measurements exceed the limit (the controller's
 * `result.Failed > failureLimit`, cumulative), i.e. at the 4th. The docs' query reads the whole service's
 * requests; here it reads the canary's (kinder: a 5 % canary's errors diluted 20-fold would rarely fail
 * it). The first measurement, at the start, has no data and is not counted.
 */
export function argo(stream: Stream, world: World): number | undefined {
  let failed = 0;
  for (let t = 300; t <= world.horizonS; t += 300) {
    const m = completeMinutes(world, t);
    if (m < 1) continue;
    const from = Math.max(0, m - 5);
    const errors = errorsInMinutes(stream, from, m).canary;
    const success = 1 - errors / ((m - from) * stream.canaryRequestsPerMinute);
    if (!(success >= 0.95)) failed++;
    if (failed > 3) return t;
  }
  return undefined;
}

/**
 * An oracle that knows the effect: Wald's SPRT of H0 "the canary's 5xx rate is stable's" against H1 "it is
 * `alternative`", both true rates known, on every canary request as it is served (no metric latency),
 * alpha = beta = 0.01. Rolls back when the log-likelihood ratio reaches log((1 - beta) / alpha), accepts
 * (stops watching, no rollback) when it falls to log(beta / (1 - alpha)). Seconds to the decision.
 */
export function oracle(stream: Stream, world: World, alternative: number): number | undefined {
  const p0 = stream.stableRate;
  const p1 = alternative;
  const beta = 0.01;
  const up = Math.log((1 - beta) / world.alpha);
  const down = Math.log(beta / (1 - world.alpha));
  const onError = Math.log(p1 / p0);
  const onSuccess = Math.log1p(-p1) - Math.log1p(-p0); // < 0
  const canaryRps = world.rps * world.share;
  const last = Math.floor(world.horizonS * canaryRps); // canary requests within the horizon
  let x = 0;
  for (const n of [...stream.canaryErrorIndex, Number.POSITIVE_INFINITY]) {
    // Before the next error, the ratio only falls: does it reach the lower line first?
    const accept = x + Math.max(0, Math.ceil((down - x * onError) / onSuccess));
    if (accept < n) return undefined; // H0 accepted (or, past the horizon, never decided)
    if (n > last) return undefined;
    x++;
    if (x * onError + (n - x) * onSuccess >= up) return (n - 1) / canaryRps;
  }
  return undefined;
}
