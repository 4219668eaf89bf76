// The blast-radius benchmark (issue 15, point 5), at scale: simulated canaries judged by shiftgate's own
// gate and judge code, beside Flagger's and Argo Rollouts' documented policies and an oracle SPRT, all on
// the same request streams. Deterministic for a seed. docs/benchmarks.md "Blast radius" has the figures.
//
// Run: npm run bench:blast-radius [-- --quick] [-- --runs N --seed S --horizon MINUTES]

import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { DEFAULT_OPTIONS, QUICK_RUNS, runBenchmark } from './run.ts';
import { renderResult } from './table.ts';

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    runs: { type: 'string' },
    seed: { type: 'string' },
    horizon: { type: 'string' },
  },
});
const whole = (raw: string | undefined, fallback: number, name: string) => {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a whole number >= 1`);
  return n;
};
const runs = whole(values.runs, values.quick ? QUICK_RUNS : DEFAULT_OPTIONS.runs, 'runs');
const seed = whole(values.seed, DEFAULT_OPTIONS.seed, 'seed');
const horizonS = 60 * whole(values.horizon, DEFAULT_OPTIONS.world.horizonS / 60, 'horizon');

const result = await runBenchmark({
  ...DEFAULT_OPTIONS,
  world: { ...DEFAULT_OPTIONS.world, horizonS },
  runs,
  seed,
  onProgress: (line) => process.stderr.write(`${line}\n`),
});
console.log(`${cpus().length} cores, Node ${process.version}`);
console.log(renderResult(result));
