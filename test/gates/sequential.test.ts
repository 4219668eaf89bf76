import { describe, expect, it } from 'vitest';
import {
  mulberry32,
  quantile,
  type Stream,
  simulate as simulateStreams,
} from '../../bench/sequential-sim.ts';
import {
  createSequentialErrorTest,
  DEFAULT_CONCENTRATION,
  logGamma,
  logRegularizedBeta,
  sequentialErrorTest,
} from '../../src/gates/sequential.ts';

// The anytime-valid error-count test: its arithmetic against closed forms and direct integration, then
// its promise by simulation with a fixed seed (false fails at most alpha however often it is read; a 5x
// canary at 5 % traffic caught within a measured number of canary requests). bench/sequential.ts prints
// the same figures at larger run counts for docs/benchmarks.md.

/**
 * Simulated canaries (bench/sequential-sim.ts) from a seed: the share of runs the test rejected, the
 * share a z-test read after every error (peeking) rejected, and the canary requests at detection.
 */
function simulate(stream: Stream, runs: number, seed: number) {
  const outcome = simulateStreams(stream, runs, mulberry32(seed));
  return {
    rate: outcome.rejected / runs,
    peekedRate: outcome.naiveRejected / runs,
    median: quantile(outcome.canaryRequests, 0.5, runs),
    p90: quantile(outcome.canaryRequests, 0.9, runs),
  };
}

/** log BF by direct numerical integration of the truncated mixture (midpoint rule). */
function integratedLogBayesFactor(x: number, y: number, rho: number, k: number): number {
  const a = k * rho;
  const b = k * (1 - rho);
  const steps = 200_000;
  let mixture = 0;
  let mass = 0;
  for (let i = 0; i < steps; i++) {
    const p = rho + ((1 - rho) * (i + 0.5)) / steps;
    const prior = Math.exp((a - 1) * Math.log(p) + (b - 1) * Math.log1p(-p));
    mass += prior;
    mixture += prior * Math.exp(x * Math.log(p / rho) + y * Math.log((1 - p) / (1 - rho)));
  }
  return Math.log(mixture / mass);
}

describe('arithmetic', () => {
  it('log-gamma matches factorials and Γ(1/2)', () => {
    let factorial = 1;
    for (let n = 1; n <= 20; n++) {
      factorial *= n;
      expect(logGamma(n + 1)).toBeCloseTo(Math.log(factorial), 10);
    }
    expect(logGamma(0.5)).toBeCloseTo(0.5 * Math.log(Math.PI), 12);
    expect(logGamma(0.05)).toBeCloseTo(2.968879201051731, 10); // ln Γ(0.05)
    // Stirling with its first corrections, at a size the tests reach
    const n = 1e5;
    expect(logGamma(n)).toBeCloseTo(
      (n - 0.5) * Math.log(n) - n + 0.5 * Math.log(2 * Math.PI) + 1 / (12 * n),
      6,
    );
  });

  it('the regularized incomplete beta matches closed forms and a binomial sum', () => {
    for (const x of [0.01, 0.05, 0.3, 0.5, 0.9, 0.99]) {
      expect(Math.exp(logRegularizedBeta(x, 1, 1))).toBeCloseTo(x, 12);
      expect(Math.exp(logRegularizedBeta(x, 3.5, 1))).toBeCloseTo(x ** 3.5, 12);
      expect(Math.exp(logRegularizedBeta(x, 1, 7))).toBeCloseTo(1 - (1 - x) ** 7, 12);
    }
    expect(Math.exp(logRegularizedBeta(0.5, 40, 40))).toBeCloseTo(0.5, 12);
    // P(Binomial(n, p) >= k) = I_p(k, n - k + 1)
    const n = 60;
    const p = 0.05;
    let tail = 0;
    for (let k = n; k >= 1; k--) {
      tail += Math.exp(
        logGamma(n + 1) - logGamma(k + 1) - logGamma(n - k + 1) + k * Math.log(p) + (n - k) * Math.log1p(-p),
      );
      expect(Math.exp(logRegularizedBeta(p, k, n - k + 1))).toBeCloseTo(tail, 12);
    }
  });

  it('the closed-form Bayes factor equals the truncated mixture integrated directly', () => {
    for (const [x, y, rho] of [
      [0, 0, 0.05],
      [1, 0, 0.05],
      [3, 10, 0.05],
      [15, 57, 0.05],
      [2, 100, 0.05],
      [40, 200, 0.05],
      [30, 50, 0.25],
      [70, 50, 0.5],
      [4, 0, 0.01],
    ] as const) {
      const closed = createSequentialErrorTest(rho).logBayesFactor(x, y);
      expect(closed).toBeCloseTo(integratedLogBayesFactor(x, y, rho, DEFAULT_CONCENTRATION), 6);
    }
  });

  it('starts at 1 and builds evidence only from a canary that gets more than its share of errors', () => {
    expect(sequentialErrorTest({ canaryErrors: 0, stableErrors: 0, rho: 0.05, alpha: 0.01 })).toEqual({
      reject: false,
      logBayesFactor: 0,
      pValue: 1,
      canaryErrors: 0,
      stableErrors: 0,
      rho: 0.05,
    });
    for (const rho of [0.05, 0.25, 0.5]) {
      const test = createSequentialErrorTest(rho);
      for (let n = 1; n <= 400; n += 7) {
        // At or under its share (the canary no worse, or better): the evidence only shrinks.
        for (let x = 0; x <= Math.floor(n * rho); x++) expect(test.logBayesFactor(x, n - x)).toBeLessThan(0);
        // More of the same errors on the canary is more evidence.
        for (let x = 1; x <= n; x++) {
          expect(test.logBayesFactor(x, n - x)).toBeGreaterThan(test.logBayesFactor(x - 1, n - x + 1));
        }
      }
    }
  });

  it('rejects once the Bayes factor reaches 1 / alpha, and reports the anytime-valid p-value 1 / BF', () => {
    const counts = { canaryErrors: 15, stableErrors: 57, rho: 0.05 }; // 0.5 % against 0.1 % at 5 %
    const strict = sequentialErrorTest({ ...counts, alpha: 1e-6 });
    const usual = sequentialErrorTest({ ...counts, alpha: 0.01 });
    expect(usual.reject).toBe(true);
    expect(strict.reject).toBe(false);
    expect(usual.pValue).toBeCloseTo(Math.exp(-usual.logBayesFactor), 15);
    expect(usual.pValue).toBeGreaterThan(1e-6);
    expect(usual.pValue).toBeLessThan(0.01);
    const even = sequentialErrorTest({ canaryErrors: 4, stableErrors: 76, rho: 0.05, alpha: 0.01 });
    expect(even).toMatchObject({ reject: false, pValue: 1 });
  });

  it('refuses counts and parameters out of range', () => {
    const ok = { canaryErrors: 1, stableErrors: 1, rho: 0.05, alpha: 0.01 };
    for (const bad of [
      { rho: 0 },
      { rho: 1 },
      { alpha: 0 },
      { alpha: 1 },
      { canaryErrors: -1 },
      { stableErrors: 1.5 },
      { concentration: 0 },
    ]) {
      expect(() => sequentialErrorTest({ ...ok, ...bad })).toThrow(RangeError);
    }
  });
});

describe('simulation (fixed seed)', () => {
  // A 10-minute window at 100 requests per second: 60,000 requests, 600 errors at the seed's 1 % bound.
  const WINDOW = 60_000;

  it.each([
    [0.05, 2_000, 1],
    [0.25, 1_000, 2],
    [0.5, 1_000, 3],
  ])(
    'holds false fails to alpha over healthy canaries at %s traffic (%i runs), read after every error',
    (rho, runs, seed) => {
      const healthy = simulate({ rho, stable: 0.01, canary: 0.01, horizon: WINDOW }, runs, seed);
      expect(healthy.rate).toBeLessThanOrEqual(0.01);
      // The same reads with a fixed-sample z-test at the same alpha: peeking inflates false alarms.
      expect(healthy.peekedRate).toBeGreaterThan(0.05);
    },
  );

  it('never counts a canary better than stable as a regression (the one-sided composite null)', () => {
    const better = simulate({ rho: 0.05, stable: 0.01, canary: 0.005, horizon: WINDOW }, 1_000, 4);
    expect(better.rate).toBeLessThanOrEqual(0.01);
  });

  it('detects a canary with 5x the stable error rate at 5 % traffic long before a 10-minute window ends', () => {
    // At 5 % of 100 rps the fixed window gives the canary 3,000 requests and decides only then.
    const busy = simulate({ rho: 0.05, stable: 0.01, canary: 0.05, horizon: WINDOW }, 1_000, 5);
    expect(busy.rate).toBe(1);
    expect(busy.median).toBeLessThan(300); // bench: 148 canary requests (median), 310 (p90)
    expect(busy.p90).toBeLessThan(600);

    // At 0.1 % against 0.5 %: under the seed's absolute 1 % bound, which never fires; the test does.
    const quiet = simulate({ rho: 0.05, stable: 0.001, canary: 0.005, horizon: 10 * WINDOW }, 1_000, 6);
    expect(quiet.rate).toBeGreaterThan(0.99);
    expect(quiet.median).toBeLessThan(3_000); // bench: 1,451 (median), 3,109 (p90)
    expect(quiet.p90).toBeLessThan(6_000);
  });
});
