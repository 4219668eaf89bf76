import type { Redis } from 'ioredis';
import type { Freeze, Lock, LockKind } from '../runbooks/locks.ts';
import { TERMINAL_STATUSES } from '../runbooks/status.ts';
import { STORE_AUDIT_ACTIONS } from './audit.ts';
import { assertId, type Keys, parseScopeMember, scopeMember } from './keys.ts';
import { acquireLock, releaseLock, releaseOrphanLock, removeAudited, setFreeze } from './locks.lua.ts';
import { asArray, defineScript, pairsToRecord } from './scripts.ts';
import { type Clock, iso } from './time.ts';

const TERMINAL: ReadonlySet<string> = new Set(TERMINAL_STATUSES);

/**
 * Deploy locks and freezes per (service, environment).
 *
 * A lock has no TTL: a rollout may run for hours, and a lock that expired under it would let a second
 * rollout shift traffic at the same time. It ends when its holder releases it or an admin
 * force-unlocks it (audited in the same script). Each acquire takes a new fencing token from a
 * per-(service, environment) counter that is never reset, so a token names one holding exactly.
 */

export interface AcquireInput {
  rolloutId: string;
  author: string;
  reason: string;
  kind: LockKind;
  now?: number;
  /**
   * How long the lock may wait for its rollout record (see Rollouts.create); default 60 s. After that,
   * with no record, any replica's sweep releases it (releaseOrphans). Rollouts.start needs none.
   */
  recordWithinMs?: number;
}

export const DEFAULT_RECORD_WITHIN_MS = 60_000;

export type AcquireResult =
  | { ok: true; lock: Lock }
  | { ok: false; reason: 'held'; holder: Lock }
  | { ok: false; reason: 'frozen'; freeze: Freeze };

export type ReleaseResult =
  | { ok: true; released: Lock }
  | { ok: false; reason: 'not-held' }
  | { ok: false; reason: 'stale-token'; holder: Lock };

export type ForceUnlockResult =
  | { ok: true; previous: Lock; auditId: string }
  | { ok: false; reason: 'not-held' };

export type FreezeResult =
  | { ok: true; freeze: Freeze; auditId: string }
  | { ok: false; reason: 'already-frozen'; freeze: Freeze };

export type UnfreezeResult =
  | { ok: true; previous: Freeze; auditId: string }
  | { ok: false; reason: 'not-frozen' };

export interface Locks {
  acquire(service: string, env: string, input: AcquireInput): Promise<AcquireResult>;
  /** Only the holder's token releases. */
  release(service: string, env: string, token: number): Promise<ReleaseResult>;
  /** Admin override: removes the lock whoever holds it and appends an audit entry, atomically. */
  forceUnlock(
    service: string,
    env: string,
    input: { by: string; reason: string; now?: number },
  ): Promise<ForceUnlockResult>;
  get(service: string, env: string): Promise<Lock | undefined>;
  /** Blocks new rollouts (never rollbacks); audited in the same script. */
  freeze(
    service: string,
    env: string,
    input: { author: string; reason: string; now?: number },
  ): Promise<FreezeResult>;
  unfreeze(service: string, env: string, input: { by: string; now?: number }): Promise<UnfreezeResult>;
  getFreeze(service: string, env: string): Promise<Freeze | undefined>;
  /** Every held lock, sorted by service then environment. */
  listLocks(): Promise<Lock[]>;
  listFreezes(): Promise<Freeze[]>;
  /**
   * Releases (audited) every lock whose rollout cannot release it: its record never appeared within the
   * lock's lease (a replica died between the lock and the record), or `graceMs` after `since` for a lock
   * taken before leases existed; or its record is terminal with no effects left to run.
   */
  releaseOrphans(options: { now?: number; graceMs?: number }): Promise<Lock[]>;
}

export function createLocks(redis: Redis, keys: Keys, clock: Clock): Locks {
  const run = {
    acquire: defineScript(redis, acquireLock),
    release: defineScript(redis, releaseLock),
    removeAudited: defineScript(redis, removeAudited),
    freeze: defineScript(redis, setFreeze),
    orphan: defineScript(redis, releaseOrphanLock),
  };

  // Index members are read first, then every hash in one pipeline. A lock released in between reads
  // back empty and is skipped, which is the answer a moment later anyway.
  async function listIndexed<T>(
    index: string,
    keyOf: (service: string, env: string) => string,
    decode: (service: string, env: string, hash: Record<string, string>) => T,
  ): Promise<T[]> {
    const scopes = (await redis.smembers(index))
      .map(parseScopeMember)
      .sort((a, b) => compare(a.service, b.service) || compare(a.env, b.env));
    if (scopes.length === 0) return [];
    const pipeline = redis.pipeline();
    for (const { service, env } of scopes) pipeline.hgetall(keyOf(service, env));
    const replies = (await pipeline.exec()) ?? [];
    const out: T[] = [];
    scopes.forEach(({ service, env }, i) => {
      const [error, hash] = replies[i] ?? [];
      if (error) throw error;
      if (hash && Object.keys(hash).length > 0)
        out.push(decode(service, env, hash as Record<string, string>));
    });
    return out;
  }

  // Force-unlock and unfreeze: delete the hash and audit it, in one script.
  async function remove(
    key: string,
    index: string,
    service: string,
    env: string,
    audit: { who: string; what: string; reason?: string; at?: number },
  ): Promise<{ hash: Record<string, string>; auditId: string } | undefined> {
    const reply = asArray(
      await run.removeAudited(
        [key, index, keys.audit()],
        [
          scopeMember(service, env),
          audit.who,
          audit.reason ?? '',
          iso(audit.at ?? clock()),
          service,
          env,
          audit.what,
        ],
      ),
    );
    if (reply[0] === 'absent') return undefined;
    if (reply[0] !== 'removed') throw unexpected(audit.what, reply);
    return { hash: pairsToRecord(reply[1]), auditId: String(reply[2]) };
  }

  return {
    async acquire(service, env, { rolloutId, author, reason, kind, now, recordWithinMs }) {
      assertId('rollout id', rolloutId);
      if (kind !== 'rollout' && kind !== 'rollback') throw new TypeError(`invalid lock kind ${kind}`);
      const at = now ?? clock();
      const since = iso(at);
      const recordBy = at + (recordWithinMs ?? DEFAULT_RECORD_WITHIN_MS);
      const reply = asArray(
        await run.acquire(
          [keys.lock(service, env), keys.fence(service, env), keys.freeze(service, env), keys.lockIndex()],
          [scopeMember(service, env), kind, rolloutId, author, reason, since, recordBy],
        ),
      );
      switch (reply[0]) {
        case 'acquired':
          return {
            ok: true,
            lock: { service, env, rolloutId, author, reason, since, token: Number(reply[1]), kind },
          };
        case 'held':
          return { ok: false, reason: 'held', holder: decodeLock(service, env, pairsToRecord(reply[1])) };
        case 'frozen':
          return { ok: false, reason: 'frozen', freeze: decodeFreeze(service, env, pairsToRecord(reply[1])) };
        default:
          throw unexpected('acquire', reply);
      }
    },

    async release(service, env, token) {
      const reply = asArray(
        await run.release([keys.lock(service, env), keys.lockIndex()], [scopeMember(service, env), token]),
      );
      switch (reply[0]) {
        case 'released':
          return { ok: true, released: decodeLock(service, env, pairsToRecord(reply[1])) };
        case 'not-held':
          return { ok: false, reason: 'not-held' };
        case 'stale-token':
          return {
            ok: false,
            reason: 'stale-token',
            holder: decodeLock(service, env, pairsToRecord(reply[1])),
          };
        default:
          throw unexpected('release', reply);
      }
    },

    async forceUnlock(service, env, { by, reason, now }) {
      const removed = await remove(keys.lock(service, env), keys.lockIndex(), service, env, {
        who: by,
        reason,
        at: now,
        what: STORE_AUDIT_ACTIONS.forceUnlock,
      });
      if (!removed) return { ok: false, reason: 'not-held' };
      return { ok: true, previous: decodeLock(service, env, removed.hash), auditId: removed.auditId };
    },

    async get(service, env) {
      const hash = await redis.hgetall(keys.lock(service, env));
      return Object.keys(hash).length === 0 ? undefined : decodeLock(service, env, hash);
    },

    async freeze(service, env, { author, reason, now }) {
      const since = iso(now ?? clock());
      const reply = asArray(
        await run.freeze(
          [keys.freeze(service, env), keys.freezeIndex(), keys.audit()],
          [
            scopeMember(service, env),
            author,
            reason,
            since,
            service,
            env,
            STORE_AUDIT_ACTIONS.freeze,
            JSON.stringify({ author, reason, since }),
          ],
        ),
      );
      if (reply[0] === 'already-frozen') {
        return {
          ok: false,
          reason: 'already-frozen',
          freeze: decodeFreeze(service, env, pairsToRecord(reply[1])),
        };
      }
      if (reply[0] !== 'frozen') throw unexpected('freeze', reply);
      return { ok: true, freeze: { service, env, author, reason, since }, auditId: String(reply[1]) };
    },

    async unfreeze(service, env, { by, now }) {
      const removed = await remove(keys.freeze(service, env), keys.freezeIndex(), service, env, {
        who: by,
        at: now,
        what: STORE_AUDIT_ACTIONS.unfreeze,
      });
      if (!removed) return { ok: false, reason: 'not-frozen' };
      return { ok: true, previous: decodeFreeze(service, env, removed.hash), auditId: removed.auditId };
    },

    async getFreeze(service, env) {
      const hash = await redis.hgetall(keys.freeze(service, env));
      return Object.keys(hash).length === 0 ? undefined : decodeFreeze(service, env, hash);
    },

    listLocks: () => listIndexed(keys.lockIndex(), keys.lock, decodeLock),

    async releaseOrphans({ now, graceMs = DEFAULT_RECORD_WITHIN_MS }) {
      const at = now ?? clock();
      const held = await listIndexed(keys.lockIndex(), keys.lock, (service, env, hash) => ({
        lock: decodeLock(service, env, hash),
        recordBy: hash.recordBy === undefined ? undefined : Number(hash.recordBy),
      }));
      const released: Lock[] = [];
      for (const { lock, recordBy } of held) {
        const [status = null, pending = null] = await redis.hmget(
          keys.rollout(lock.rolloutId),
          '_status',
          '_pending',
        );
        let seen: string;
        if (status === null) {
          const deadline = recordBy ?? Date.parse(lock.since) + graceMs;
          if (!(deadline < at)) continue;
          seen = '';
        } else if (pending === null && TERMINAL.has(status)) {
          seen = status;
        } else continue;
        const reply = asArray(
          await run.orphan(
            [keys.lock(lock.service, lock.env), keys.lockIndex(), keys.rollout(lock.rolloutId), keys.audit()],
            [
              scopeMember(lock.service, lock.env),
              lock.rolloutId,
              lock.token,
              seen,
              iso(at),
              lock.service,
              lock.env,
              STORE_AUDIT_ACTIONS.orphanRelease,
            ],
          ),
        );
        if (reply[0] === 'released') released.push(lock);
      }
      return released;
    },
    listFreezes: () => listIndexed(keys.freezeIndex(), keys.freeze, decodeFreeze),
  };
}

export function decodeLock(service: string, env: string, hash: Record<string, string>): Lock {
  return {
    service,
    env,
    rolloutId: hash.rolloutId ?? '',
    author: hash.author ?? '',
    reason: hash.reason ?? '',
    since: hash.since ?? '',
    token: Number(hash.token),
    kind: hash.kind === 'rollback' ? 'rollback' : 'rollout',
  };
}

export function decodeFreeze(service: string, env: string, hash: Record<string, string>): Freeze {
  return { service, env, author: hash.author ?? '', reason: hash.reason ?? '', since: hash.since ?? '' };
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function unexpected(operation: string, reply: unknown[]): Error {
  return new Error(`locks.${operation}: unexpected script reply ${JSON.stringify(reply)}`);
}
