import { sameSplit } from '../../src/runbooks/traffic.ts';
import type { Split } from '../../src/runbooks/types.ts';

// The traffic check of one rollout, from what Cloud Run served: each change is the next stage's percent
// (in `percents` order) or the one return to the stable revision; then nothing. The final split is what
// the rollout's terminal status and its record say.

export interface Judged {
  status: string;
  stableRevision?: string;
  canaryRevision?: string;
  trafficNow?: Split;
}

const splitText = (split: Split) =>
  Object.entries(split)
    .map(([r, p]) => `${r} ${p}%`)
    .join(', ') || 'nothing';

const TERMINAL = new Set(['promoted', 'rolled-back', 'aborted', 'failed']);

export function judgeTraffic(
  service: string,
  served: readonly { split: Split }[],
  state: Judged,
  finalSplit: Split,
  percents: readonly number[],
): string[] {
  const problems: string[] = [];
  const { stableRevision: stable, canaryRevision: canary } = state;
  let next = 0;
  let returned = false;
  for (const change of served) {
    const others = Object.keys(change.split).filter((r) => r !== stable && r !== canary);
    const percent = canary ? (change.split[canary] ?? 0) : 0;
    const label = `${service}: ${splitText(change.split)}`;
    if (others.length > 0) problems.push(`${label}: a revision of no rollout serves`);
    else if (returned) problems.push(`${label}: a change after the return to stable`);
    else if (percent === 0) returned = true;
    else if (percent === percents[next]) next += 1;
    else if (percents.slice(0, next).includes(percent)) {
      problems.push(`${label}: ${percent} % applied twice or out of order`);
    } else problems.push(`${label}: ${percent} % skipped ${percents[next] ?? '?'} %`);
  }
  if (TERMINAL.has(state.status)) {
    const expected: Split | undefined =
      state.status === 'promoted' && canary
        ? { [canary]: 100 }
        : state.status !== 'failed' && stable
          ? { [stable]: 100 }
          : undefined;
    if (expected && !sameSplit(finalSplit, expected)) {
      problems.push(`${service}: ${state.status}, but Cloud Run serves ${splitText(finalSplit)}`);
    }
    if (state.trafficNow && !sameSplit(finalSplit, state.trafficNow)) {
      problems.push(
        `${service}: the record says ${splitText(state.trafficNow)}, Cloud Run serves ${splitText(finalSplit)}`,
      );
    }
  }
  return problems;
}
