import { createSequentialErrorTest, DEFAULT_CONCENTRATION } from '../src/gates/sequential.ts';

// Simulated canaries for the sequential error test (src/gates/sequential.ts), shared by the benchmark
// (bench/sequential.ts) and its test (test/gates/sequential.test.ts). Deterministic for a seed: a tiny
// PRNG (mulberry32), no library.
//
// The simulation draws the request stream from error to error (the test changes only at errors): the
// gap to the next error is geometric, and the error lands on the canary with probability
// rho ec / (rho ec + (1 - rho) es). "Canary requests" at detection is rho times the requests served by
// then (what the canary served at its traffic share).

/** mulberry32: a 32-bit seeded PRNG, uniform on [0, 1). */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface Stream {
  /** The canary's traffic share. */
  rho: number;
  /** Error rates per request. */
  stable: number;
  canary: number;
  /** Requests served in all before a run stops. */
  horizon: number;
  /** Default 0.01. */
  alpha?: number;
  /** The prior concentration k; default DEFAULT_CONCENTRATION. */
  concentration?: number;
}

export interface Outcome {
  /** Runs that rejected within the horizon. */
  rejected: number;
  /** Canary requests served when each rejecting run rejected, sorted. */
  canaryRequests: number[];
  /** Runs in which a one-sided z-test at the same alpha, read after every error, rejected. */
  naiveRejected: number;
}

/**
 * Runs the sequential test, read after every error, over `runs` simulated request streams; also reads a
 * one-sided z-test at the same alpha after every error (the peeking a fixed-sample test forbids).
 */
export function simulate(stream: Stream, runs: number, random: () => number): Outcome {
  const { rho } = stream;
  const alpha = stream.alpha ?? 0.01;
  const test = createSequentialErrorTest(rho, stream.concentration ?? DEFAULT_CONCENTRATION);
  const line = -Math.log(alpha);
  const z = normalQuantile(1 - alpha);
  const canaryRate = rho * stream.canary;
  const anyRate = canaryRate + (1 - rho) * stream.stable;
  const logMiss = Math.log1p(-anyRate);
  const onCanary = canaryRate / anyRate;
  const canaryRequests: number[] = [];
  let naiveRejected = 0;
  for (let run = 0; run < runs; run++) {
    let served = 0;
    let x = 0;
    let y = 0;
    let naive = false;
    for (;;) {
      served += 1 + Math.floor(Math.log(1 - random()) / logMiss); // requests up to the next error
      if (served > stream.horizon) break;
      if (random() < onCanary) x++;
      else y++;
      const n = x + y;
      if (!naive && (x - n * rho) / Math.sqrt(n * rho * (1 - rho)) >= z) naive = true;
      if (test.logBayesFactor(x, y) >= line) {
        canaryRequests.push(served * rho);
        break;
      }
    }
    if (naive) naiveRejected++;
  }
  canaryRequests.sort((a, b) => a - b);
  return { rejected: canaryRequests.length, canaryRequests, naiveRejected };
}

/** The q-quantile of sorted detections over all `total` runs: a run that never rejected counts as last. */
export function quantile(sorted: readonly number[], q: number, total: number): number {
  const index = Math.ceil(q * total) - 1;
  return index < sorted.length ? (sorted[Math.max(0, index)] as number) : Number.POSITIVE_INFINITY;
}

/** Acklam's rational approximation of the standard normal quantile (enough for a z line). */
export function normalQuantile(p: number): number {
  const a = [
    -39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716,
    2.506628277459239,
  ];
  const b = [
    -54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572,
  ];
  const c = [
    -0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968,
    2.938163982698783,
  ];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const [a0, a1, a2, a3, a4, a5] = a as [number, number, number, number, number, number];
  const [b0, b1, b2, b3, b4] = b as [number, number, number, number, number];
  const [c0, c1, c2, c3, c4, c5] = c as [number, number, number, number, number, number];
  const [d0, d1, d2, d3] = d as [number, number, number, number];
  if (p > 0.02425 && p < 0.97575) {
    const q = p - 0.5;
    const r = q * q;
    return (
      ((((((a0 * r + a1) * r + a2) * r + a3) * r + a4) * r + a5) * q) /
      (((((b0 * r + b1) * r + b2) * r + b3) * r + b4) * r + 1)
    );
  }
  const q = Math.sqrt(-2 * Math.log(p > 0.5 ? 1 - p : p));
  const value =
    (((((c0 * q + c1) * q + c2) * q + c3) * q + c4) * q + c5) / ((((d0 * q + d1) * q + d2) * q + d3) * q + 1);
  return p > 0.5 ? -value : value;
}
