import type { Split } from './types.ts';

// Traffic splits as the runbooks compare them: percent per revision, 0 % entries left out, exactly as
// Cloud Run reports them. The runbook never assumes a change landed: it compares what was asked with
// what the platform reports.

/** The split a set-traffic asks for: the stable revision gets what the canary does not. */
export function canarySplit(stable: string, canary: string, canaryPercent: number): Split {
  return withoutZeros({ [stable]: 100 - canaryPercent, [canary]: canaryPercent });
}

export function sameSplit(a: Split, b: Split): boolean {
  const x = withoutZeros(a);
  const y = withoutZeros(b);
  const keys = Object.keys(x);
  return keys.length === Object.keys(y).length && keys.every((k) => x[k] === y[k]);
}

/** "rev-2 95 %, rev-3 5 %" (largest first), or "no traffic" for an empty split. */
export function formatSplit(split: Split): string {
  const entries = Object.entries(withoutZeros(split)).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  return entries.length === 0 ? 'no traffic' : entries.map(([rev, pct]) => `${rev} ${pct} %`).join(', ');
}

function withoutZeros(split: Split): Split {
  return Object.fromEntries(Object.entries(split).filter(([, pct]) => pct > 0));
}
