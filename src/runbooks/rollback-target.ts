import type { Revision } from './ports/cloud-run.ts';
import type { Split } from './types.ts';

// Where a manual /rollback goes without --to: the last revision that served as the known-good stable one.
// Only a promoted rollout vouches for revisions: its canary became the stable revision, and its stable
// revision served before it. A revision whose rollout was aborted, failed or rolled back, or that a
// rollback took traffic away from, is never a target, however new or ready. ("The newest ready revision
// older than the one serving" is how a canary aborted at 5 % once ended up serving everything.)

/** One rollout of the service (canary or standalone rollback), as its record or the audit stream tells it. */
export interface PastRollout {
  id: string;
  kind: 'canary' | 'rollback' | 'stream-cutover' | 'flag-canary';
  /** Its status; for a record gone from the store, the last status the audit stream saw. */
  status: string;
  startedAt: string;
  endedAt?: string;
  tag?: string;
  stableRevision?: string;
  canaryRevision?: string;
  /** The revision its rollback (if any) took traffic away from, and the one it sent traffic to. */
  rolledBackFrom?: string;
  rolledBackTo?: string;
}

/** A split Cloud Run served at a time (from the audit lines of traffic changes). */
export interface ServedAt {
  at: string;
  split: Split;
}

export interface RollbackTarget {
  revision: string;
  image?: string;
  /** When it last served traffic (ISO), if the history says. */
  lastServed?: string;
  /** Why this revision, in plain words (no markup). */
  why: string;
}

/** No revision qualifies: why, and what each revision the history names was passed over for. */
export interface NoTarget {
  why: string;
  passedOver: { revision: string; why: string }[];
}

export type TargetChoice = { ok: true; target: RollbackTarget } | ({ ok: false } & NoTarget);

const BAD = new Set(['aborted', 'failed', 'rolled-back']);

export function chooseRollbackTarget(input: {
  /** The revision serving most of the traffic now. */
  serving?: string;
  revisions: readonly Revision[];
  /** Rollouts of this service and environment, any order. */
  history: readonly PastRollout[];
  served: readonly ServedAt[];
}): TargetChoice {
  const history = [...input.history].sort((a, b) => b.startedAt.localeCompare(a.startedAt));
  const bad = new Map<string, string>();
  for (const r of history) {
    if (r.kind === 'canary' && r.canaryRevision && BAD.has(r.status) && !bad.has(r.canaryRevision))
      bad.set(r.canaryRevision, `its rollout ${r.id} was ${r.status}`);
    if (r.rolledBackFrom && !bad.has(r.rolledBackFrom))
      bad.set(r.rolledBackFrom, `rollback ${r.id} took traffic away from it`);
  }
  const passedOver: NoTarget['passedOver'] = [];
  const seen = new Set<string>();
  for (const r of history) {
    if (r.kind !== 'canary' || r.status !== 'promoted') continue;
    const tag = r.tag ? ` (${r.tag})` : '';
    const vouched: [string | undefined, string][] = [
      [r.canaryRevision, `stable since rollout ${r.id}${tag} was promoted`],
      [r.stableRevision, `the stable revision before rollout ${r.id}${tag} was promoted`],
    ];
    for (const [revision, why] of vouched) {
      if (revision === undefined || seen.has(revision)) continue;
      seen.add(revision);
      const skip =
        revision === input.serving
          ? 'it is serving now'
          : (bad.get(revision) ??
            (input.revisions.some((x) => x.name === revision && x.ready)
              ? undefined
              : 'it is no longer ready'));
      if (skip !== undefined) {
        passedOver.push({ revision, why: skip });
        continue;
      }
      const image = input.revisions.find((x) => x.name === revision)?.image;
      const lastServed = lastServedAt(revision, input.served) ?? r.endedAt;
      return {
        ok: true,
        target: {
          revision,
          why,
          ...(image === undefined ? {} : { image }),
          ...(lastServed === undefined ? {} : { lastServed }),
        },
      };
    }
  }
  return {
    ok: false,
    why:
      passedOver.length === 0
        ? 'no promoted rollout in its history names a known-good stable revision'
        : 'no revision a promoted rollout left behind can take the traffic',
    passedOver,
  };
}

/** The newest time `revision` had traffic, by the splits the audit stream recorded. */
export function lastServedAt(revision: string, served: readonly ServedAt[]): string | undefined {
  let last: string | undefined;
  for (const s of served) {
    if ((s.split[revision] ?? 0) > 0 && (last === undefined || s.at > last)) last = s.at;
  }
  return last;
}
