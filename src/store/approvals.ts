import type { Redis } from 'ioredis';
import { addApproval } from './approvals.lua.ts';
import type { Keys } from './keys.ts';
import { asArray, defineScript } from './scripts.ts';
import { type Clock, iso } from './time.ts';

/**
 * Approvals per (rollout, stage): distinct users only. Evidence for the rollout report, so state of
 * record with no TTL (see docs/store.md). Whether a user may approve is decided by the caller, on the
 * server, before calling add.
 */

export interface Approval {
  userId: string;
  /** ISO time. */
  at: string;
}

export interface AddApprovalResult {
  /** False when this user had already approved this stage. */
  counted: boolean;
  /** Distinct approvers of this stage after the call. */
  count: number;
}

export interface Approvals {
  add(
    rolloutId: string,
    stage: string | number,
    approval: { userId: string; at?: string },
  ): Promise<AddApprovalResult>;
  /** In approval order. */
  list(rolloutId: string, stage: string | number): Promise<Approval[]>;
}

export function createApprovals(redis: Redis, keys: Keys, clock: Clock): Approvals {
  const run = defineScript(redis, addApproval);
  return {
    async add(rolloutId, stage, { userId, at }) {
      if (userId.length === 0) throw new TypeError('approval userId must not be empty');
      const reply = asArray(
        await run([keys.approvals(rolloutId, String(stage))], [userId, at ?? iso(clock())]),
      );
      return { counted: Number(reply[0]) === 1, count: Number(reply[1]) };
    },

    async list(rolloutId, stage) {
      const hash = await redis.hgetall(keys.approvals(rolloutId, String(stage)));
      return Object.entries(hash)
        .map(([userId, value]) => {
          const bar = value.indexOf('|');
          return { seq: Number(value.slice(0, bar)), userId, at: value.slice(bar + 1) };
        })
        .sort((a, b) => a.seq - b.seq)
        .map(({ userId, at }) => ({ userId, at }));
    },
  };
}
