import type { RolloutSummary } from './rollout-summary.ts';

// summary.json: the whole summary, every field present (null where there is no value, with the reason
// under `missing`). JSON has no NaN or infinities and JSON.stringify would write them as null, which would
// read as "no value": a Prometheus gate that observed NaN or +Inf says so as a string instead.

export const SUMMARY_JSON = 'summary.json';

export function summaryJson(summary: RolloutSummary): string {
  return `${JSON.stringify(summary, nonFinite, 2)}\n`;
}

function nonFinite(_key: string, value: unknown): unknown {
  if (typeof value !== 'number' || Number.isFinite(value)) return value;
  if (Number.isNaN(value)) return 'NaN';
  return value > 0 ? '+Inf' : '-Inf';
}
