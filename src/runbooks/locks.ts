// Deploy locks and freezes per (service, environment): one active rollout per (service, env), and a
// freeze that blocks new rollouts but never a rollback. The store keeps them (store/locks.ts); the
// engine, the commands and the renderers speak of them in these words.

export type LockKind = 'rollout' | 'rollback';

/** What proves the right to change a rollout of (service, env): the lock's fencing token. */
export interface Fence {
  service: string;
  env: string;
  token: number;
}

export interface Lock extends Fence {
  rolloutId: string;
  author: string;
  reason: string;
  /** ISO time the lock was taken. */
  since: string;
  kind: LockKind;
}

export interface Freeze {
  service: string;
  env: string;
  author: string;
  reason: string;
  since: string;
}
