import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_OPTIONS,
  POLICIES,
  type Policy,
  QUICK_RUNS,
  quantile,
  type Row,
  runBenchmark,
} from '../../bench/blast-radius/run.ts';
import { renderResult } from '../../bench/blast-radius/table.ts';

// The blast-radius benchmark's quick mode: the same world and policies as `npm run bench:blast-radius`,
// 100 canaries of each kind per stable rate, and the properties its table must have whatever the seed.

const median = (row: Row, policy: Policy) =>
  quantile(row.policies.find((p) => p.policy === policy)?.failed ?? [], 0.5);
const summary = (row: Row, policy: Policy) => row.policies.find((p) => p.policy === policy);

describe('blast-radius benchmark, quick mode', () => {
  it('keeps healthy canaries, catches bad ones, and is never faster than the oracle', async () => {
    const result = await runBenchmark({ ...DEFAULT_OPTIONS, runs: QUICK_RUNS });
    expect(result.rows).toHaveLength(DEFAULT_OPTIONS.stableRates.length * DEFAULT_OPTIONS.regressions.length);
    for (const row of result.rows) {
      const at = `stable ${row.stableRate}, ${row.regression}x`;
      // Both error-rate tests are anytime-valid at alpha 0.01: at most about 2 % of healthy canaries fail;
      // with the fast signal the two regression tests share it (half each).
      expect(summary(row, 'shiftgate')?.falseRollbacks, at).toBeLessThanOrEqual(0.02);
      expect(summary(row, 'shiftgate, Monitoring only')?.falseRollbacks, at).toBeLessThanOrEqual(0.02);
      expect(
        summary(row, 'shiftgate, Monitoring only, instant data')?.falseRollbacks,
        at,
      ).toBeLessThanOrEqual(0.02);
      // The oracle knows the effect and sees every request at once: nothing rolls back sooner on median.
      expect(median(row, 'oracle SPRT'), at).toBeLessThanOrEqual(median(row, 'shiftgate, Monitoring only'));
      // Metric latency only ever costs: instant data is at least as quick.
      expect(median(row, 'shiftgate, Monitoring only, instant data'), at).toBeLessThanOrEqual(
        median(row, 'shiftgate, Monitoring only'),
      );
      // A 5x canary is caught within the hour at every stable rate.
      if (row.regression === 5)
        expect(summary(row, 'shiftgate, Monitoring only')?.caught, at).toBeGreaterThanOrEqual(0.95);
    }
    // Latency is most of the gap at a 1 % stable rate: the first complete minute is 4 minutes in.
    const fiveAtOne = result.rows.find((r) => r.stableRate === 0.01 && r.regression === 5) as Row;
    expect(
      quantile(summary(fiveAtOne, 'shiftgate, Monitoring only')?.seconds ?? [], 0.5),
    ).toBeGreaterThanOrEqual(4 * 60);
    expect(
      quantile(summary(fiveAtOne, 'shiftgate, Monitoring only, instant data')?.seconds ?? [], 0.5),
    ).toBeLessThan(4 * 60);
    // Flagger's point estimate against a bound the stable rate touches fails most healthy canaries.
    expect(summary(fiveAtOne, 'Flagger, threshold 1')?.falseRollbacks).toBeGreaterThan(0.5);
  }, 120_000);

  it('is deterministic for a seed', async () => {
    const options = { ...DEFAULT_OPTIONS, stableRates: [0.01], runs: 10 };
    const [a, b] = [await runBenchmark(options), await runBenchmark(options)];
    expect(a.rows).toEqual(b.rows);
  });

  it('prints one table per stable rate and regression, a line per policy (npm run bench:blast-radius -- --quick)', async () => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['bench/blast-radius/main.ts', '--quick', '--runs', '5'],
      {
        cwd: process.cwd(),
      },
    );
    expect(stdout.match(/^Stable 5xx /gm)).toHaveLength(6);
    // The first cell of each table row, without the bold and the note on the default.
    const cells = stdout
      .split('\n')
      .filter((line) => line.startsWith('| ') && !line.startsWith('| policy') && !line.startsWith('|---'))
      .map((line) =>
        (line.split(' | ')[0] as string)
          .slice(2)
          .replaceAll('**', '')
          .replace(/ \(.*\)$/, ''),
      );
    for (const policy of POLICIES)
      expect(
        cells.filter((c) => c === policy),
        policy,
      ).toHaveLength(6);
    expect(renderResult({ options: DEFAULT_OPTIONS, rows: [], elapsedS: 0 })).toContain(
      '1000 bad and 1000 healthy',
    );
  }, 60_000);
});
