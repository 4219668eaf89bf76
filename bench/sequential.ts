// Sequential error test (src/gates/sequential.ts): false-fail rate over simulated healthy canaries, and
// how many canary requests it takes to detect a canary with 5x the stable error rate at 5 % traffic,
// beside what a fixed 10-minute window at 100 requests per second (60,000 requests, 3,000 on the
// canary) needs and whether a fixed-window test at the same alpha detects it.
// Run: node bench/sequential.ts
//
// Environment: BENCH_SEED (20261123), BENCH_HEALTHY_RUNS (10000), BENCH_DETECT_RUNS (2000),
// BENCH_SWEEP_RUNS (1000, per prior concentration; 0 skips the sweep), BENCH_ALPHA (0.01).
// Deterministic for a seed; the simulation itself is in bench/sequential-sim.ts.

import { cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import { DEFAULT_CONCENTRATION, logGamma, logRegularizedBeta } from '../src/gates/sequential.ts';
import { intFromEnv } from './env.ts';
import { mulberry32, type Outcome, quantile, simulate as simulateStreams } from './sequential-sim.ts';

const SEED = intFromEnv('BENCH_SEED', 20261123);
const HEALTHY_RUNS = intFromEnv('BENCH_HEALTHY_RUNS', 10_000);
const DETECT_RUNS = intFromEnv('BENCH_DETECT_RUNS', 2_000);
const SWEEP_RUNS = intFromEnv('BENCH_SWEEP_RUNS', 1_000, 0);
const ALPHA = Number(process.env.BENCH_ALPHA ?? 0.01);

const RHO = 0.05; // stage B of seed 000
const RPS = 100;
const WINDOW_REQUESTS = 10 * 60 * RPS; // a fixed 10-minute window: 60,000 requests
const WINDOW_CANARY = WINDOW_REQUESTS * RHO; // 3,000 on the canary
const HORIZON = 20_000_000; // give up on a detection run after this many requests

interface Scenario {
  /** Stable error rate per request. */
  base: number;
  /** Canary error rate over stable's. */
  ratio: number;
  /** Stop after this many requests in all. */
  horizon: number;
}

/**
 * Runs the sequential test, read after every error, over `runs` simulated request streams of the scenario
 * at the canary's share RHO; `naiveRejected` counts a one-sided z-test at ALPHA read after every error.
 */
function simulate(
  scenario: Scenario,
  runs: number,
  random: () => number,
  concentration = DEFAULT_CONCENTRATION,
): Outcome {
  const { base, ratio, horizon } = scenario;
  const stream = { rho: RHO, stable: base, canary: base * ratio, horizon, alpha: ALPHA, concentration };
  return simulateStreams(stream, runs, random);
}

// The fixed-window test at the same alpha: after `requests` requests, reject when the canary's share of
// the errors is improbably high under Binomial(errors, rho) (exact one-sided binomial test). Its power is
// computed exactly, with rho x requests canary requests and the rest on stable.

function logBinomialPmf(n: number, k: number, p: number): number {
  return logGamma(n + 1) - logGamma(k + 1) - logGamma(n - k + 1) + k * Math.log(p) + (n - k) * Math.log1p(-p);
}

/** P(Binomial(n, p) >= k). */
function upperTail(n: number, k: number, p: number): number {
  if (k <= 0) return 1;
  if (k > n) return 0;
  return Math.exp(logRegularizedBeta(p, k, n - k + 1));
}

/** Smallest canary count out of n errors that the fixed test rejects at alpha (n + 1 when none). */
function criticalCount(n: number): number {
  let low = 0;
  let high = n + 1;
  while (low < high) {
    const mid = Math.floor((low + high) / 2);
    if (upperTail(n, mid, RHO) <= ALPHA) high = mid;
    else low = mid + 1;
  }
  return low;
}

function fixedWindowPower(scenario: Scenario, requests: number): number {
  const canaryRequests = Math.round(requests * RHO);
  const stableRequests = requests - canaryRequests;
  const ec = scenario.base * scenario.ratio;
  const es = scenario.base;
  const spread = (n: number, p: number) => Math.ceil(n * p + 10 * Math.sqrt(n * p * (1 - p)) + 10);
  const maxX = Math.min(canaryRequests, spread(canaryRequests, ec));
  const maxY = Math.min(stableRequests, spread(stableRequests, es));
  const critical: number[] = [];
  for (let n = 0; n <= maxX + maxY; n++) critical.push(criticalCount(n));
  let power = 0;
  let yMax = -1; // largest y with critical(x + y) <= x; grows with x
  for (let x = 0; x <= maxX; x++) {
    while (yMax + 1 <= maxY && (critical[x + yMax + 1] as number) <= x) yMax++;
    if (yMax < 0 || (critical[x + yMax] as number) > x) continue;
    const stableAtMost = 1 - upperTail(stableRequests, yMax + 1, es);
    power += Math.exp(logBinomialPmf(canaryRequests, x, ec)) * stableAtMost;
  }
  return Math.min(1, power);
}

/** The fewest requests (in steps of 1/RHO, whole canary requests) at which the fixed test has `power`. */
function fixedRequestsFor(scenario: Scenario, power: number): number {
  const step = Math.round(1 / RHO);
  let low = 1;
  let high = 1;
  while (fixedWindowPower(scenario, high * step) < power) high *= 2;
  while (low < high) {
    const mid = Math.floor((low + high) / 2);
    if (fixedWindowPower(scenario, mid * step) >= power) high = mid;
    else low = mid + 1;
  }
  return low * step;
}

const fmt = (value: number, digits = 0) =>
  Number.isFinite(value)
    ? value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits })
    : 'never';
const pct = (value: number) => `${(100 * value).toFixed(2)} %`;

function main(): void {
  const started = performance.now();
  console.log(
    `Sequential error test: rho ${RHO}, alpha ${ALPHA}, prior Beta(k rho, k (1 - rho)) truncated to p > rho, ` +
      `k = ${DEFAULT_CONCENTRATION}; seed ${SEED}; ${cpus().length} cores, Node ${process.version}`,
  );

  console.log('\nHealthy canaries (same error rate on both), the test read after every error:');
  console.log(
    '| base error rate | horizon | runs | errors per run (mean) | false fails (sequential) | false fails (z-test read at every error) |',
  );
  console.log('|---|---|---:|---:|---:|---:|');
  const healthy: [Scenario, string][] = [
    [{ base: 0.01, ratio: 1, horizon: WINDOW_REQUESTS }, '10 min at 100 rps (60,000 requests)'],
    [{ base: 0.001, ratio: 1, horizon: WINDOW_REQUESTS }, '10 min at 100 rps (60,000 requests)'],
    [{ base: 0.01, ratio: 1, horizon: 1_000_000 }, '1,000,000 requests (~10,000 errors)'],
  ];
  for (const [index, [scenario, label]] of healthy.entries()) {
    const runs =
      scenario.horizon > WINDOW_REQUESTS ? Math.max(1, Math.round(HEALTHY_RUNS / 10)) : HEALTHY_RUNS;
    const outcome = simulate(scenario, runs, mulberry32(SEED + index));
    console.log(
      `| ${pct(scenario.base)} | ${label} | ${fmt(runs)} | ${fmt(scenario.base * scenario.horizon)} | ` +
        `**${pct(outcome.rejected / runs)}** | ${pct(outcome.naiveRejected / runs)} |`,
    );
  }

  console.log(
    `\nDetection at ${RHO * 100} % traffic (${fmt(DETECT_RUNS)} runs each), canary requests until the test rejects:`,
  );
  console.log(
    '| stable rate | canary rate | sequential: median | p90 | detected by 3,000 canary requests | ' +
      'fixed 10-min window (3,000 canary): detects | fixed test: canary requests for 50 % / 90 % power |',
  );
  console.log('|---|---|---:|---:|---:|---:|---:|');
  const detect: Scenario[] = [
    { base: 0.01, ratio: 5, horizon: HORIZON },
    { base: 0.001, ratio: 5, horizon: HORIZON },
    { base: 0.01, ratio: 2, horizon: HORIZON },
    { base: 0.001, ratio: 2, horizon: HORIZON },
  ];
  for (const [index, scenario] of detect.entries()) {
    const outcome = simulate(scenario, DETECT_RUNS, mulberry32(SEED + 100 + index));
    const byWindow = outcome.canaryRequests.filter((n) => n <= WINDOW_CANARY).length / DETECT_RUNS;
    const power = fixedWindowPower(scenario, WINDOW_REQUESTS);
    const half = fixedRequestsFor(scenario, 0.5) * RHO;
    const ninety = fixedRequestsFor(scenario, 0.9) * RHO;
    console.log(
      `| ${pct(scenario.base)} | ${pct(scenario.base * scenario.ratio)} (${scenario.ratio}x) | ` +
        `**${fmt(quantile(outcome.canaryRequests, 0.5, DETECT_RUNS))}** | ` +
        `**${fmt(quantile(outcome.canaryRequests, 0.9, DETECT_RUNS))}** | ${pct(byWindow)} | ` +
        `${pct(power)} | ${fmt(half)} / ${fmt(ninety)} |`,
    );
  }

  if (SWEEP_RUNS > 0) {
    console.log(
      `\nPrior concentration k (${fmt(SWEEP_RUNS)} runs each; median / p90 canary requests to detect):`,
    );
    console.log('| k | false fails, 10 min at 1 % | 5x at 1 % | 5x at 0.1 % | 2x at 1 % | 1.5x at 1 % |');
    console.log('|---:|---:|---:|---:|---:|---:|');
    for (const k of [1, 3, 10, 30, 100, 300]) {
      const cells = [
        pct(
          simulate({ base: 0.01, ratio: 1, horizon: WINDOW_REQUESTS }, SWEEP_RUNS, mulberry32(SEED + 200), k)
            .rejected / SWEEP_RUNS,
        ),
      ];
      for (const [index, scenario] of [
        { base: 0.01, ratio: 5, horizon: HORIZON },
        { base: 0.001, ratio: 5, horizon: HORIZON },
        { base: 0.01, ratio: 2, horizon: HORIZON },
        { base: 0.01, ratio: 1.5, horizon: HORIZON },
      ].entries()) {
        const outcome = simulate(scenario, SWEEP_RUNS, mulberry32(SEED + 300 + index), k);
        cells.push(
          `${fmt(quantile(outcome.canaryRequests, 0.5, SWEEP_RUNS))} / ${fmt(quantile(outcome.canaryRequests, 0.9, SWEEP_RUNS))}`,
        );
      }
      console.log(`| ${k === DEFAULT_CONCENTRATION ? `**${k}**` : k} | ${cells.join(' | ')} |`);
    }
  }
  console.log(`\n(${((performance.now() - started) / 1000).toFixed(1)} s)`);
}

main();
