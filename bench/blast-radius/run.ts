import { argo, flagger, oracle } from './others.ts';
import { fastSignal, shiftgate } from './shiftgate.ts';
import { canaryErrorsBefore, DEFAULT_WORLD, drawStream, mulberry32, type World } from './world.ts';

// Runs every policy on the same simulated canaries and sums up what users saw: the failed canary requests
// served between the traffic shift and traffic back on stable (decision + world.rollbackS), the time that
// took, and how often a healthy canary was rolled back.

export const POLICIES = [
  'shiftgate',
  'shiftgate, Monitoring only',
  'shiftgate, Monitoring only, instant data',
  'Flagger, threshold 1',
  'Flagger, threshold 5',
  'Argo Rollouts example',
  'oracle SPRT',
] as const;
export type Policy = (typeof POLICIES)[number];

export interface Options {
  world: World;
  stableRates: readonly number[];
  regressions: readonly number[];
  /** Canaries per stable rate and kind (healthy, and each regression). */
  runs: number;
  seed: number;
  onProgress?: (line: string) => void;
}

export const DEFAULT_OPTIONS: Options = {
  world: DEFAULT_WORLD,
  stableRates: [0.001, 0.005, 0.01],
  regressions: [5, 2],
  runs: 1000,
  seed: 20261205,
};

/** Canaries per kind in the quick mode (`--quick`, the test suite): the same world, fewer runs. */
export const QUICK_RUNS = 100;

/** Decision times (s) of every policy on every run of one kind; undefined: no rollback. */
type Decisions = Record<Policy, (number | undefined)[]>;

export interface PolicySummary {
  policy: Policy;
  /** Bad canaries rolled back within the horizon, share. */
  caught: number;
  /** Failed canary requests until back on stable, sorted; a canary never rolled back counts as Infinity. */
  failed: number[];
  /** Seconds from the shift to traffic back on stable, sorted; Infinity when never. */
  seconds: number[];
  /** Healthy canaries rolled back, share. */
  falseRollbacks: number;
}

export interface Row {
  stableRate: number;
  regression: number;
  policies: PolicySummary[];
}

export interface Result {
  options: Options;
  rows: Row[];
  elapsedS: number;
}

function emptyDecisions(): Decisions {
  return Object.fromEntries(POLICIES.map((p) => [p, []])) as unknown as Decisions;
}

/** Every policy on `runs` canaries of one stable rate and canary rate; the oracle tests `alternative`. */
async function decide(
  options: Options,
  stableRate: number,
  canaryRate: number,
  alternatives: readonly number[],
  seed: number,
): Promise<{ decisions: Decisions[]; failed: (t: number | undefined, i: number) => number }> {
  const { world } = options;
  const random = mulberry32(seed);
  const perAlternative = alternatives.map(() => emptyDecisions());
  const streams: ((seconds: number) => number)[] = [];
  for (let run = 0; run < options.runs; run++) {
    const stream = drawStream(world, stableRate, canaryRate, random);
    const late = await shiftgate(stream, world, false);
    const instant = await shiftgate(stream, world, true);
    const split = await shiftgate(stream, world, false, true);
    const stageEnd = split.rollbackAt ?? (split.endedAt as number);
    const fast = fastSignal(stream, world, stageEnd);
    const withFast = split.rollbackAt === undefined ? fast : Math.min(split.rollbackAt, fast ?? Infinity);
    const common: Partial<Record<Policy, number | undefined>> = {
      shiftgate: withFast,
      'shiftgate, Monitoring only': late.rollbackAt,
      'shiftgate, Monitoring only, instant data': instant.rollbackAt,
      'Flagger, threshold 1': flagger(stream, world, 1),
      'Flagger, threshold 5': flagger(stream, world, 5),
      'Argo Rollouts example': argo(stream, world),
    };
    alternatives.forEach((alternative, i) => {
      const d = perAlternative[i] as Decisions;
      for (const policy of POLICIES) {
        d[policy].push(policy === 'oracle SPRT' ? oracle(stream, world, alternative) : common[policy]);
      }
    });
    // Keep only what the count needs, not the whole stream.
    const served = { ...stream, stableErrorAt: [], canaryErrorIndex: [] };
    streams.push((seconds) => canaryErrorsBefore(served, seconds));
  }
  return {
    decisions: perAlternative,
    failed: (t, i) =>
      t === undefined ? Number.POSITIVE_INFINITY : (streams[i] as (s: number) => number)(t + world.rollbackS),
  };
}

export async function runBenchmark(options: Options): Promise<Result> {
  const started = performance.now();
  const rows: Row[] = [];
  for (const [r, stableRate] of options.stableRates.entries()) {
    const alternatives = options.regressions.map((k) => k * stableRate);
    const healthy = await decide(options, stableRate, stableRate, alternatives, options.seed + 1000 * r);
    options.onProgress?.(`stable ${pct(stableRate)}: healthy done`);
    for (const [k, regression] of options.regressions.entries()) {
      const bad = await decide(
        options,
        stableRate,
        regression * stableRate,
        [regression * stableRate],
        options.seed + 1000 * r + k + 1,
      );
      options.onProgress?.(`stable ${pct(stableRate)}: ${regression}x done`);
      const healthyDecisions = healthy.decisions[k] as Decisions;
      const badDecisions = bad.decisions[0] as Decisions;
      rows.push({
        stableRate,
        regression,
        policies: POLICIES.map((policy) => {
          const times = badDecisions[policy];
          return {
            policy,
            caught: times.filter((t) => t !== undefined).length / times.length,
            failed: times.map((t, i) => bad.failed(t, i)).sort((a, b) => a - b),
            seconds: times
              .map((t) => (t === undefined ? Number.POSITIVE_INFINITY : t + options.world.rollbackS))
              .sort((a, b) => a - b),
            falseRollbacks:
              healthyDecisions[policy].filter((t) => t !== undefined).length /
              healthyDecisions[policy].length,
          };
        }),
      });
    }
  }
  return { options, rows, elapsedS: (performance.now() - started) / 1000 };
}

/** Nearest-rank quantile of ascending values (Infinity sorts last: a canary never caught). */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] as number;
}

export function pct(share: number, digits = 1): string {
  return `${(100 * share).toFixed(digits)} %`;
}
