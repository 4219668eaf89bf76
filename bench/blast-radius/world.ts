import { mulberry32 } from '../sequential-sim.ts';

// The simulated world of the blast-radius benchmark: one canary at a fixed traffic share of a steady
// request stream, and the 5xx it serves. Every policy judges the same streams.
//
// Requests arrive evenly: `rps` a second, `share` of them on the canary (5 a second at 100 rps and 5 %),
// each a 5xx with its revision's probability, independently. Errors are drawn from error to error (the
// gap to the next failed request is geometric), so a run costs its errors, not its requests.

export interface World {
  /** Requests per second in all. */
  rps: number;
  /** The canary's traffic share, (0, 1). */
  share: number;
  /** Seconds from the decision to roll back to traffic back on stable. */
  rollbackS: number;
  /** Seconds the canary is watched at this share; a policy that has not rolled back by then let it through. */
  horizonS: number;
  /** Cloud Monitoring's sample period and ingestion latency, ms (ports/monitoring.ts DataVisibility). */
  samplePeriodMs: number;
  ingestionLatencyMs: number;
  /** Seconds before a 5xx is readable in Cloud Logging, for the fast-signal variant. */
  logLatencyS: number;
  /** False-alarm rate of every test. */
  alpha: number;
}

export const DEFAULT_WORLD: World = {
  rps: 100,
  share: 0.05,
  rollbackS: 10,
  horizonS: 60 * 60,
  samplePeriodMs: 60_000,
  ingestionLatencyMs: 180_000,
  logLatencyS: 10,
  alpha: 0.01,
};

/** One simulated canary: when each 5xx happened, on which revision. */
export interface Stream {
  /** Stable and canary 5xx rates per request. */
  stableRate: number;
  canaryRate: number;
  /** Seconds since the traffic shift of each canary 5xx, ascending. */
  canaryErrorAt: number[];
  /** The 1-based index among canary requests of each canary 5xx (for the per-request oracle). */
  canaryErrorIndex: number[];
  /** Seconds since the shift of each stable 5xx, ascending. */
  stableErrorAt: number[];
  /** 5xx per 60 s sample, from the shift: sample m covers [60 m, 60 (m + 1)) s. */
  canaryErrorsPerMinute: Int32Array;
  stableErrorsPerMinute: Int32Array;
  /** Requests per 60 s sample on each revision (the split is even, so the same every minute). */
  canaryRequestsPerMinute: number;
  stableRequestsPerMinute: number;
}

/** Seconds of stream to draw: the horizon plus what any policy may still look at after it. */
export function streamSeconds(world: World): number {
  return world.horizonS + 15 * 60;
}

export function drawStream(
  world: World,
  stableRate: number,
  canaryRate: number,
  random: () => number,
): Stream {
  const seconds = streamSeconds(world);
  const canaryRps = world.rps * world.share;
  const stableRps = world.rps - canaryRps;
  const canary = errorIndices(canaryRate, Math.floor(seconds * canaryRps), random);
  const stable = errorIndices(stableRate, Math.floor(seconds * stableRps), random);
  const canaryErrorAt = canary.map((i) => (i - 1) / canaryRps);
  const stableErrorAt = stable.map((i) => (i - 1) / stableRps);
  const minutes = Math.ceil(seconds / 60);
  return {
    stableRate,
    canaryRate,
    canaryErrorAt,
    canaryErrorIndex: canary,
    stableErrorAt,
    canaryErrorsPerMinute: perMinute(canaryErrorAt, minutes),
    stableErrorsPerMinute: perMinute(stableErrorAt, minutes),
    canaryRequestsPerMinute: Math.round(60 * canaryRps),
    stableRequestsPerMinute: Math.round(60 * stableRps),
  };
}

/** 1-based indices of the failed requests among `requests`, each failing with probability `rate`. */
function errorIndices(rate: number, requests: number, random: () => number): number[] {
  const out: number[] = [];
  if (rate <= 0) return out;
  const logMiss = Math.log1p(-rate);
  let index = 0;
  for (;;) {
    index += 1 + Math.floor(Math.log(1 - random()) / logMiss);
    if (index > requests) return out;
    out.push(index);
  }
}

function perMinute(times: readonly number[], minutes: number): Int32Array {
  const counts = new Int32Array(minutes);
  for (const t of times) {
    const m = Math.floor(t / 60);
    if (m < minutes) counts[m] = (counts[m] as number) + 1;
  }
  return counts;
}

/** Canary 5xx served before `seconds` (the failed requests users saw until traffic was back on stable). */
export function canaryErrorsBefore(stream: Stream, seconds: number): number {
  const times = stream.canaryErrorAt;
  let low = 0;
  let high = times.length;
  while (low < high) {
    const mid = (low + high) >> 1;
    if ((times[mid] as number) < seconds) low = mid + 1;
    else high = mid;
  }
  return low;
}

/** Errors of each revision in the samples [fromMinute, toMinute). */
export function errorsInMinutes(
  stream: Stream,
  fromMinute: number,
  toMinute: number,
): { canary: number; stable: number } {
  let canary = 0;
  let stable = 0;
  for (let m = Math.max(0, fromMinute); m < toMinute; m++) {
    canary += stream.canaryErrorsPerMinute[m] ?? 0;
    stable += stream.stableErrorsPerMinute[m] ?? 0;
  }
  return { canary, stable };
}

export { mulberry32 };
