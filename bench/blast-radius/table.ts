import { type PolicySummary, pct, quantile, type Result, type Row } from './run.ts';

// The benchmark's tables, in the Markdown docs/benchmarks.md records.

const count = (value: number) =>
  Number.isFinite(value) ? Math.round(value).toLocaleString('en-US') : 'not caught';

function duration(seconds: number): string {
  if (!Number.isFinite(seconds)) return 'not caught';
  const m = Math.floor(seconds / 60);
  const s = Math.round(seconds - 60 * m);
  return m > 0 ? `${m} min ${String(s).padStart(2, '0')} s` : `${s} s`;
}

/** Median failed canary requests of a policy over the oracle's, or '-' when either is never caught. */
export function ratioToOracle(row: Row, policy: PolicySummary): number {
  const oracle = row.policies.find((p) => p.policy === 'oracle SPRT') as PolicySummary;
  return quantile(policy.failed, 0.5) / quantile(oracle.failed, 0.5);
}

export function renderRow(row: Row): string {
  const lines = [
    `Stable 5xx ${pct(row.stableRate, 1)}, canary ${row.regression}x (${pct(row.stableRate * row.regression, 1)}):`,
    '',
    '| policy | bad caught | failed canary requests, median | p90 | time to stable, median | false rollbacks (healthy) | median vs oracle |',
    '|---|---:|---:|---:|---:|---:|---:|',
  ];
  for (const p of row.policies) {
    const ratio = ratioToOracle(row, p);
    const name =
      p.policy === 'shiftgate' ? '**shiftgate** (default: Monitoring + request-log fast signal)' : p.policy;
    lines.push(
      `| ${name} | ${pct(p.caught)} | ${count(quantile(p.failed, 0.5))} | ${count(quantile(p.failed, 0.9))} | ` +
        `${duration(quantile(p.seconds, 0.5))} | ${pct(p.falseRollbacks)} | ` +
        `${Number.isFinite(ratio) ? `${ratio.toFixed(2)}x` : '-'} |`,
    );
  }
  lines.push('', verdict(row));
  return lines.join('\n');
}

/** The issue's targets for this row, and how much of shiftgate's gap to the oracle is metric latency. */
export function verdict(row: Row): string {
  // shiftgate as configured by default (Monitoring gates plus the request-log fast signal), and the
  // Monitoring-only gate with and without its latency, which says how much of the gap is latency.
  const sg = row.policies.find((p) => p.policy === 'shiftgate') as PolicySummary;
  const monitoring = row.policies.find((p) => p.policy === 'shiftgate, Monitoring only') as PolicySummary;
  const instant = row.policies.find(
    (p) => p.policy === 'shiftgate, Monitoring only, instant data',
  ) as PolicySummary;
  const oracle = row.policies.find((p) => p.policy === 'oracle SPRT') as PolicySummary;
  const [d, s, i, o] = [sg, monitoring, instant, oracle].map((p) => quantile(p.failed, 0.5)) as [
    number,
    number,
    number,
    number,
  ];
  const ratio = d / o;
  const failed = Number.isFinite(ratio)
    ? `${ratio.toFixed(2)}x the oracle's median failed requests (target 1.5x: ${ratio <= 1.5 ? 'met' : 'not met'})`
    : 'median not reached within the horizon';
  const latency =
    Number.isFinite(s) && Number.isFinite(i) && s > o
      ? `; Monitoring alone ${(s / o).toFixed(2)}x, with instant data ${(i / o).toFixed(2)}x, so metric latency is ${Math.round((100 * (s - i)) / (s - o))} % of its gap`
      : '';
  const falseRollbacks = `false rollbacks ${pct(sg.falseRollbacks)} (target 1 %: ${sg.falseRollbacks <= 0.01 ? 'met' : 'not met'})`;
  return `shiftgate: ${failed}${latency}; ${falseRollbacks}.`;
}

export function renderResult(result: Result): string {
  const { world, runs, seed } = result.options;
  const head =
    `Blast radius: ${world.rps} requests/s, ${pct(world.share, 0)} on the canary, watched up to ` +
    `${world.horizonS / 60} min; Cloud Monitoring samples every ${world.samplePeriodMs / 1000} s, visible ` +
    `${world.ingestionLatencyMs / 1000} s after; rollback ${world.rollbackS} s; alpha ${world.alpha}; ` +
    `${runs} bad and ${runs} healthy canaries per stable rate; seed ${seed}`;
  return [head, ...result.rows.map(renderRow), `(${result.elapsedS.toFixed(1)} s)`].join('\n\n');
}
