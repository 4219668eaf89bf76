import type { Redis } from 'ioredis';
import type { Fence, Freeze, Lock } from '../runbooks/locks.ts';
import { isTerminalStatus } from '../runbooks/status.ts';
import { assertId, type Keys, scopeMember } from './keys.ts';
import { type AcquireInput, decodeFreeze, decodeLock } from './locks.ts';
import { createRollout, settleRollout, startRollout, transitionRollout } from './rollouts.lua.ts';
import { asArray, defineScript, pairsToRecord } from './scripts.ts';
import { type Clock, iso } from './time.ts';

/**
 * Versioned rollout records. Every change is a compare-and-set on the version that also requires the
 * (service, env) lock to be held by this rollout with the caller's fencing token, so a replica that
 * lost the lock (or read an old version) cannot apply a stale decision.
 *
 * Stored as one HASH per rollout: each top-level data field holds its own JSON text, plus the meta
 * fields _v, _fence, _service, _env, _status. Active records have no TTL; a terminal status gives the
 * record a retention TTL (default 90 days) and removes it from the active indexes, in the same script.
 */

export const DEFAULT_FINISHED_ROLLOUT_TTL_MS = 90 * 24 * 60 * 60 * 1000;

export type RolloutData = Record<string, unknown>;

export interface RolloutRecord<D extends RolloutData = RolloutData> {
  id: string;
  version: number;
  /** Token of the lock that made the last write. */
  fencingToken: number;
  service: string;
  env: string;
  status: string;
  /** The version whose effects have not all run yet (see settle), if any. */
  pending?: number;
  /** The last version whose effects all ran (see settle), if any. */
  settled?: number;
  data: D;
}

export interface CreateRolloutInput {
  id: string;
  service: string;
  env: string;
  fencingToken: number;
  status: string;
  /** Any other top-level field is data, stored as JSON. */
  [field: string]: unknown;
}

/** Top-level fields to set; `null` deletes the field, `undefined` leaves it alone. */
export interface RolloutPatch {
  status?: string;
  [field: string]: unknown;
}

export type CreateRolloutResult =
  | { ok: true; version: 1 }
  | { ok: false; conflict: 'exists'; actualVersion: number }
  /** The lock of (service, env) is not held by this rollout with this token; `holder` is who holds it. */
  | { ok: false; conflict: 'fencing'; holder?: Lock };

export type StartRolloutResult =
  | { ok: true; lock: Lock }
  | { ok: false; reason: 'held'; holder: Lock }
  | { ok: false; reason: 'frozen'; freeze: Freeze }
  | { ok: false; reason: 'exists'; actualVersion: number };

export type TransitionResult =
  | { ok: true; version: number }
  | { ok: false; conflict: 'not-found' }
  | { ok: false; conflict: 'version'; actualVersion: number }
  /** Lock not held by this rollout with this token (or the fence names another service/env). */
  | { ok: false; conflict: 'fencing'; actualVersion: number; holder?: Lock };

export interface Rollouts {
  /** For a lock taken earlier (see Locks.acquire): the record, under that lock's token. */
  create(input: CreateRolloutInput): Promise<CreateRolloutResult>;
  /**
   * Takes the deploy lock and creates the record in one script: no crash leaves a lock without its record
   * or a record without its lock. `fencingToken` of the input is ignored (the new lock's token is used).
   */
  start(input: CreateRolloutInput, lock: Omit<AcquireInput, 'rolloutId'>): Promise<StartRolloutResult>;
  /** The effects of `version` have all run: the record leaves the pending set unless a later step is pending. */
  settle(id: string, version: number): Promise<void>;
  /** Records whose last step's effects have not all run (terminal ones included), sorted by id. */
  listPending(): Promise<RolloutRecord[]>;
  get<D extends RolloutData = RolloutData>(id: string): Promise<RolloutRecord<D> | undefined>;
  /** The record's version alone (one HGET): whether a step is still current. undefined when it is gone. */
  version(id: string): Promise<number | undefined>;
  /**
   * Applies `patch` only if the record is at `expectedVersion` and `fence` (a Lock satisfies it) is
   * the lock currently held by this rollout; otherwise changes nothing and says why.
   */
  transition(
    id: string,
    expectedVersion: number,
    fence: Fence,
    patch: RolloutPatch,
    options?: { pending?: boolean },
  ): Promise<TransitionResult>;
  /** Active rollouts of one (service, env), of one service, or all; sorted by id. */
  listActive(service?: string, env?: string): Promise<RolloutRecord[]>;
}

// Names the record uses for itself; data fields may not shadow them.
const RESERVED = new Set(['id', 'service', 'env', 'fencingToken', 'version', 'status', 'data']);

export function createRollouts(redis: Redis, keys: Keys, finishedTtlMs: number, clock: Clock): Rollouts {
  const run = {
    create: defineScript(redis, createRollout),
    start: defineScript(redis, startRollout),
    settle: defineScript(redis, settleRollout),
    transition: defineScript(redis, transitionRollout),
  };
  const scriptKeys = (id: string, service: string, env: string) => [
    keys.rollout(id),
    keys.lock(service, env),
    keys.activeRollouts(service, env),
    keys.activeRolloutsAll(),
    keys.pendingRollouts(),
  ];

  function dataPairs(data: Record<string, unknown>): string[] {
    const pairs: string[] = [];
    for (const [field, value] of Object.entries(data)) {
      assertDataField(field);
      if (value !== undefined && value !== null) pairs.push(field, JSON.stringify(value));
    }
    return pairs;
  }

  async function readAll(ids: string[]): Promise<RolloutRecord[]> {
    if (ids.length === 0) return [];
    const pipeline = redis.pipeline();
    for (const id of ids) pipeline.hgetall(keys.rollout(id));
    const replies = (await pipeline.exec()) ?? [];
    const records: RolloutRecord[] = [];
    ids.forEach((id, i) => {
      const [error, hash] = replies[i] ?? [];
      if (error) throw error;
      const record = decodeRecord(id, hash as Record<string, string>);
      if (record) records.push(record);
    });
    return records;
  }

  return {
    async create({ id, service, env, fencingToken, status, ...data }) {
      assertStatus(status);
      const pairs = dataPairs(data);
      const terminal = isTerminalStatus(status) ? '1' : '0';
      const reply = asArray(
        await run.create(scriptKeys(id, service, env), [
          id,
          fencingToken,
          service,
          env,
          status,
          terminal,
          finishedTtlMs,
          ...pairs,
        ]),
      );
      switch (reply[0]) {
        case 'created':
          return { ok: true, version: 1 };
        case 'exists':
          return { ok: false, conflict: 'exists', actualVersion: Number(reply[1]) };
        case 'fencing':
          return { ok: false, conflict: 'fencing', ...holderOf(service, env, reply[1]) };
        default:
          throw unexpected('create', reply);
      }
    },

    async start({ id, service, env, fencingToken: _ignored, status, ...data }, lock) {
      assertStatus(status);
      assertId('rollout id', id);
      if (lock.kind !== 'rollout' && lock.kind !== 'rollback')
        throw new TypeError(`invalid lock kind ${lock.kind}`);
      const since = iso(lock.now ?? clock());
      const reply = asArray(
        await run.start(
          [
            ...scriptKeys(id, service, env),
            keys.fence(service, env),
            keys.freeze(service, env),
            keys.lockIndex(),
          ],
          [
            id,
            '',
            service,
            env,
            status,
            isTerminalStatus(status) ? '1' : '0',
            finishedTtlMs,
            lock.kind,
            lock.author,
            lock.reason,
            since,
            scopeMember(service, env),
            ...dataPairs(data),
          ],
        ),
      );
      switch (reply[0]) {
        case 'acquired':
          return {
            ok: true,
            lock: {
              service,
              env,
              rolloutId: id,
              author: lock.author,
              reason: lock.reason,
              since,
              token: Number(reply[1]),
              kind: lock.kind,
            },
          };
        case 'held':
          return { ok: false, reason: 'held', holder: decodeLock(service, env, pairsToRecord(reply[1])) };
        case 'frozen':
          return { ok: false, reason: 'frozen', freeze: decodeFreeze(service, env, pairsToRecord(reply[1])) };
        case 'exists':
          return { ok: false, reason: 'exists', actualVersion: Number(reply[1]) };
        default:
          throw unexpected('start', reply);
      }
    },

    async settle(id, version) {
      await run.settle([keys.rollout(id), keys.pendingRollouts()], [id, version]);
    },

    async listPending() {
      return readAll((await redis.smembers(keys.pendingRollouts())).sort());
    },

    async get<D extends RolloutData = RolloutData>(id: string) {
      const hash = await redis.hgetall(keys.rollout(id));
      return decodeRecord(id, hash) as RolloutRecord<D> | undefined;
    },

    async version(id) {
      const version = await redis.hget(keys.rollout(id), '_v');
      return version === null ? undefined : Number(version);
    },

    async transition(id, expectedVersion, fence, patch, options = {}) {
      const set: string[] = [];
      const remove: string[] = [];
      let status = '';
      for (const [field, value] of Object.entries(patch)) {
        if (field === 'status') {
          if (value === undefined) continue;
          if (typeof value !== 'string')
            throw new TypeError('rollout status must be a string and cannot be deleted');
          assertStatus(value);
          status = value;
          continue;
        }
        assertDataField(field);
        if (value === undefined) continue;
        if (value === null) remove.push(field);
        else set.push(field, JSON.stringify(value));
      }
      const reply = asArray(
        await run.transition(scriptKeys(id, fence.service, fence.env), [
          id,
          expectedVersion,
          fence.token,
          fence.service,
          fence.env,
          status,
          status !== '' && isTerminalStatus(status) ? '1' : '0',
          finishedTtlMs,
          options.pending ? '1' : '0',
          set.length,
          ...set,
          ...remove,
        ]),
      );
      switch (reply[0]) {
        case 'ok':
          return { ok: true, version: Number(reply[1]) };
        case 'not-found':
          return { ok: false, conflict: 'not-found' };
        case 'version':
          return { ok: false, conflict: 'version', actualVersion: Number(reply[1]) };
        case 'fencing':
          return {
            ok: false,
            conflict: 'fencing',
            actualVersion: Number(reply[1]),
            ...holderOf(fence.service, fence.env, reply[2]),
          };
        default:
          throw unexpected('transition', reply);
      }
    },

    async listActive(service, env) {
      if (env !== undefined && service === undefined)
        throw new TypeError('listActive: an environment needs a service');
      const index =
        service !== undefined && env !== undefined
          ? keys.activeRollouts(service, env)
          : keys.activeRolloutsAll();
      const ids = (await redis.smembers(index)).sort();
      // A record that finished between the two round trips reads back terminal (or gone): skip it.
      return (await readAll(ids)).filter(
        (record) => !isTerminalStatus(record.status) && (service === undefined || record.service === service),
      );
    },
  };
}

function decodeRecord(id: string, hash: Record<string, string>): RolloutRecord | undefined {
  if (hash._v === undefined) return undefined;
  const data: RolloutData = {};
  for (const [field, value] of Object.entries(hash)) {
    if (!field.startsWith('_')) data[field] = JSON.parse(value);
  }
  return {
    id,
    version: Number(hash._v),
    fencingToken: Number(hash._fence),
    service: hash._service ?? '',
    env: hash._env ?? '',
    status: hash._status ?? '',
    ...(hash._pending === undefined ? {} : { pending: Number(hash._pending) }),
    ...(hash._settled === undefined ? {} : { settled: Number(hash._settled) }),
    data,
  };
}

function holderOf(service: string, env: string, reply: unknown): { holder?: Lock } {
  const hash = pairsToRecord(reply);
  return Object.keys(hash).length === 0 ? {} : { holder: decodeLock(service, env, hash) };
}

function assertStatus(status: unknown): asserts status is string {
  if (typeof status !== 'string' || status.length === 0)
    throw new TypeError('rollout status must be a non-empty string');
}

function assertDataField(field: string): void {
  if (field.length === 0 || field.startsWith('_') || RESERVED.has(field)) {
    throw new TypeError(`rollout data field ${JSON.stringify(field)} is reserved`);
  }
}

function unexpected(operation: string, reply: unknown[]): Error {
  return new Error(`rollouts.${operation}: unexpected script reply ${JSON.stringify(reply)}`);
}
