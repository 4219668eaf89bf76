import type { Redis } from 'ioredis';
import { type Approvals, createApprovals } from './approvals.ts';
import { type AuditLog, createAuditLog } from './audit.ts';
import { closeRedis } from './connection.ts';
import { createGateRecords, type GateRecords } from './gate-records.ts';
import { createIdempotency, type Idempotency } from './idempotency.ts';
import { createKeys, DEFAULT_PREFIX, type Keys } from './keys.ts';
import { createLocks, type Locks } from './locks.ts';
import { createReports, type Reports } from './reports.ts';
import {
  createRollbackRequestDocs,
  createRouteRequestDocs,
  type RollbackRequestDocs,
} from './rollback-requests.ts';
import { createRollouts, DEFAULT_FINISHED_ROLLOUT_TTL_MS, type Rollouts } from './rollouts.ts';
import { createSignoffs, type Signoffs } from './signoffs.ts';
import type { Clock } from './time.ts';
import { createTimelines, type Timelines } from './timelines.ts';
import { createWorkers, type Workers } from './workers.ts';

export interface StoreOptions {
  /** Every key starts with it; default `shiftgate:`. */
  prefix?: string;
  /** Retention of a rollout record after a terminal status; default 90 days. */
  finishedRolloutTtlMs?: number;
  /** Milliseconds since the epoch; default Date.now. Each call may also pass its own `now`/`at`. */
  clock?: Clock;
}

export interface Store {
  keys: Keys;
  /** The connection the store runs on, for modules that keep their own keys (built by `keys`). */
  redis: Redis;
  locks: Locks;
  rollouts: Rollouts;
  /** Leases of the replicas working rollouts' steps now. */
  workers: Workers;
  approvals: Approvals;
  idempotency: Idempotency;
  audit: AuditLog;
  timelines: Timelines;
  /** Evidence reports of finished rollouts. */
  reports: Reports;
  /** Sign-offs of flags, a flag canary's prerequisite. */
  signoffs: Signoffs;
  /** The gates' track record of each service (/gates report). */
  gateRecords: GateRecords;
  /** Manual rollback requests waiting for approvals. */
  rollbackRequests: RollbackRequestDocs;
  /** Route-split changes (/route) waiting for approvals. */
  routeRequests: RollbackRequestDocs;
  /** Quits the connection the store was given, after its pending replies. */
  close(): Promise<void>;
}

/** The store over one ioredis connection (see createRedis); each operation is one round trip or two. */
export function createStore(redis: Redis, options: StoreOptions = {}): Store {
  const keys = createKeys(options.prefix ?? DEFAULT_PREFIX);
  const clock = options.clock ?? Date.now;
  const finishedTtlMs = options.finishedRolloutTtlMs ?? DEFAULT_FINISHED_ROLLOUT_TTL_MS;
  if (!Number.isInteger(finishedTtlMs) || finishedTtlMs < 1) {
    throw new TypeError('finishedRolloutTtlMs must be a positive integer');
  }
  return {
    keys,
    redis,
    locks: createLocks(redis, keys, clock),
    rollouts: createRollouts(redis, keys, finishedTtlMs, clock),
    workers: createWorkers(redis, keys),
    approvals: createApprovals(redis, keys, clock),
    idempotency: createIdempotency(redis, keys, clock),
    audit: createAuditLog(redis, keys, clock),
    timelines: createTimelines(redis, keys, clock),
    reports: createReports(redis, keys, clock),
    signoffs: createSignoffs(redis, keys),
    gateRecords: createGateRecords(redis, keys),
    rollbackRequests: createRollbackRequestDocs(redis, keys),
    routeRequests: createRouteRequestDocs(redis, keys),
    close: () => closeRedis(redis),
  };
}

export type { AddApprovalResult, Approval, Approvals } from './approvals.ts';
export type { AuditEntry, AuditInput, AuditLog, AuditPage } from './audit.ts';
export { STORE_AUDIT_ACTIONS } from './audit.ts';
export { type CreateRedisOptions, closeRedis, createRedis, deleteByPrefix } from './connection.ts';
export { DEFAULT_GATE_RECORD_KEEP, type GateRecords } from './gate-records.ts';
export type { Idempotency } from './idempotency.ts';
export { createKeys, DEFAULT_PREFIX, type Keys } from './keys.ts';
export type {
  AcquireInput,
  AcquireResult,
  ForceUnlockResult,
  FreezeResult,
  Locks,
  ReleaseResult,
  UnfreezeResult,
} from './locks.ts';
export { DEFAULT_REPORT_TTL_MS, type Reports } from './reports.ts';
export type { RollbackRequestDocs } from './rollback-requests.ts';
export {
  type CreateRolloutInput,
  type CreateRolloutResult,
  DEFAULT_FINISHED_ROLLOUT_TTL_MS,
  type RolloutData,
  type RolloutPatch,
  type RolloutRecord,
  type Rollouts,
  type StartRolloutResult,
  type TransitionResult,
} from './rollouts.ts';
export type { Signoff, Signoffs } from './signoffs.ts';
export type { Clock } from './time.ts';
export type { NewTimelineEntry, Timelines } from './timelines.ts';
export type { Workers } from './workers.ts';
