import type { TrafficTarget } from './ports/cloud-run.ts';
import type { Split } from './types.ts';

// Traffic splits as the runbooks compare them: percent per revision, 0 % entries left out, exactly as
// Cloud Run reports them. The runbook never assumes a change landed: it compares what was asked with
// what the platform reports.

/** Percent per revision, targets at 0 % left out (a revision named twice gets the sum). */
export function splitOf(targets: readonly TrafficTarget[]): Split {
  const split: Split = {};
  for (const t of targets) {
    if (t.percent > 0) split[t.revision] = (split[t.revision] ?? 0) + t.percent;
  }
  return split;
}

/** The split a set-traffic asks for: the stable revision gets what the canary does not. */
export function canarySplit(stable: string, canary: string, canaryPercent: number): Split {
  return splitOf([
    { revision: stable, percent: 100 - canaryPercent },
    { revision: canary, percent: canaryPercent },
  ]);
}

/** Same percent per revision; a revision at 0 % counts as absent. */
export function sameSplit(a: Split, b: Split): boolean {
  const x = withoutZeros(a);
  const y = withoutZeros(b);
  const keys = Object.keys(x);
  return keys.length === Object.keys(y).length && keys.every((k) => x[k] === y[k]);
}

/** The revision with the most traffic, leaving out `except`: what serves now. */
export function servingRevision(split: Split, except?: string): string | undefined {
  let best: string | undefined;
  for (const [revision, percent] of Object.entries(split)) {
    if (revision === except) continue;
    if (best === undefined || percent > (split[best] ?? 0)) best = revision;
  }
  return best;
}

/** The revisions with traffic, largest share first (equal shares by name): the order splits are shown in. */
export function splitEntries(split: Split): [revision: string, percent: number][] {
  return Object.entries(withoutZeros(split)).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
}

/** "rev-2 95 %, rev-3 5 %" (largest first), or "no traffic" for an empty split; `name` marks a revision up. */
export function formatSplit(
  split: Split,
  name: (revision: string) => string = (revision) => revision,
): string {
  const entries = splitEntries(split);
  return entries.length === 0
    ? 'no traffic'
    : entries.map(([rev, pct]) => `${name(rev)} ${pct} %`).join(', ');
}

function withoutZeros(split: Split): Split {
  return Object.fromEntries(Object.entries(split).filter(([, pct]) => pct > 0));
}
