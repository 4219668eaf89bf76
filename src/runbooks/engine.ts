import type { CutoverInput } from './cutover/train.ts';
import type { Executor, Outbox } from './executor.ts';
import type { RunbookStateBase } from './kind.ts';
import type { Freeze, Lock } from './locks.ts';
import type { ServiceState } from './ports/cloud-run.ts';
import type { RequestDecision, RollbackAsk, RollbackRequest } from './rollback-requests.ts';
import type { NoTarget, RollbackTarget } from './rollback-target.ts';
import type { Scheduler } from './scheduler.ts';
import type { PlanEntry, RunbookEvent, RunbookState, Timer } from './types.ts';

// The runbook engine as the Slack commands use it: start a rollout of any kind, start a rollback, send a
// person's decision to a rollout. The use cases behind it are in use-cases/; src/bot/engine.ts wires them
// to Redis, BullMQ and the platform. Refusals are data (who holds the lock, which freeze, why not), which
// src/blocks renders; the engine writes no Slack markup.

type PersonEventType = 'approve' | 'abort' | 'pause' | 'resume' | 'promote-now' | 'end-watch' | 'rollback';
export type PersonEvent = Extract<RunbookEvent, { type: PersonEventType }>;
/** A person's decision; `at` defaults to the engine's clock. */
export type PersonInput = PersonEvent extends infer E
  ? E extends PersonEvent
    ? Omit<E, 'at'> & { at?: string }
    : never
  : never;

/** Why a start (or a person's event) was refused, as data. */
export type Refusal =
  | { ok: false; reason: 'held'; holder: Lock }
  | { ok: false; reason: 'frozen'; freeze: Freeze }
  | {
      ok: false;
      reason: 'invalid' | 'refused' | 'not-allowed' | 'not-found' | 'finished' | 'fenced' | 'error';
      message: string;
    };

export type StartResult<S extends RunbookStateBase = RunbookState> =
  | { ok: true; rolloutId: string; state: S; lock?: Lock; settled: Promise<unknown> }
  | Refusal;

export type RollbackStartResult =
  | (StartResult & { via?: 'rollout'; target?: RollbackTarget })
  /** The requester may not roll back alone: the request waits for the environment's approvals. */
  | { ok: true; pending: true; request: RollbackRequest }
  /** No --to, and no revision in the history qualifies as the known-good stable one (rollback-target.ts). */
  | ({ ok: false; reason: 'no-target'; service: string; env: string } & NoTarget);

export type RollbackDecision = RequestDecision<StartResult & { via?: 'rollout' }>;

export type SendResult<S extends RunbookStateBase = RunbookState> =
  | { ok: true; status: string; version: number; state: S; settled: Promise<unknown> }
  | { ok: false; reason: string; message: string };

export interface RolloutView<S extends RunbookStateBase = RunbookState> {
  id: string;
  version: number;
  status: string;
  state: S;
  /** The runbook definition pinned when it started. */
  runbook: unknown;
  /** Dry-run: every effect asked for, in order. */
  plan?: PlanEntry[];
  outbox?: Outbox;
}

export interface FlagScopeInput {
  /** The flag set: a `flag-canary` runbook of the config. */
  config: string;
  env: string;
}

export interface FlagCanaryAsk extends FlagScopeInput {
  requestedBy: string;
  dryRun: boolean;
  /** --watch, in ms. */
  watchMs?: number;
  /** An admin's reason to start during a scheduled freeze window (audited). */
  duringFreeze?: string;
}

/** /cutover stream, as asked: where, by whom, dry-run or live, and the train's own inputs. */
export interface CutoverAsk extends CutoverInput {
  service: string;
  env: string;
  requestedBy: string;
  dryRun: boolean;
  /** An admin's reason to start during a scheduled freeze window (audited). */
  duringFreeze?: string;
}

/** Any kind's start: its name, its definition, and what its `init` takes. */
export interface StartInput {
  kind: string;
  /** The definition to pin in the record (a runbook of the config, or the kind's own). */
  runbook: unknown;
  service: string;
  env: string;
  requestedBy: string;
  dryRun?: boolean;
  /** Kind-specific: what its `init` takes besides the common fields. */
  input: unknown;
  /** Why the lock is held, shown to whoever finds it taken (e.g. "canary v1.42.0"). */
  lockReason: string;
  /** An admin's reason to start during a scheduled freeze window (audited); refused without one. */
  duringFreeze?: string;
}

/** One timer job handled by this replica's worker. */
export interface TimerObservation {
  timer: Timer;
  rolloutId: string;
  /** From picking the job up to the end of the chain of steps it led to. */
  durationMs: number;
  /** How long after its due time the job was picked up. */
  lateMs: number;
  /** Transitions persisted (0 when the event was refused or already applied). */
  steps: number;
}

export interface EngineMetrics {
  timer?(observation: TimerObservation): void;
}

export interface Engine {
  /** A rollout of any registered kind, under the deploy lock, after the roles allowed it. */
  start(input: StartInput): Promise<StartResult<RunbookStateBase>>;
  startCanary(input: {
    service: string;
    env: string;
    /** The image tag; the image is `<services.X.image>:<tag>` unless `image` is given. */
    tag?: string;
    image?: string;
    requestedBy: string;
    dryRun?: boolean;
    /** An admin's reason to start without the GO the environment requires (audited). */
    withoutGo?: string;
    /** An admin's reason to start during a scheduled freeze window (audited). */
    duringFreeze?: string;
  }): Promise<StartResult>;
  /** What Cloud Run serves now for a service environment (`/canary status` with no rollout active, seed 000). */
  serving(
    service: string,
    env: string,
  ): Promise<{ ok: true; state: ServiceState } | { ok: false; message: string }>;
  /** /flag canary: the flag set's canary (seed 003) in an environment, under its service's deploy lock. */
  startFlagCanary(input: FlagCanaryAsk): Promise<StartResult<RunbookStateBase>>;
  /** /flag signoff: a sign-off of the flag set's flags that need one, by someone its runbook names. */
  signoffFlags(
    input: FlagScopeInput & { by: string; evidence: string; flag?: string },
  ): Promise<
    | { ok: true; signoffs: { flag: string; expiresAt: string }[] }
    | { ok: false; reason: string; message: string }
  >;
  /** /flag off: the flags back off, by the rollback policy (a running canary's rollback, or its own record). */
  flagsOff(
    input: FlagScopeInput & { by: string; reason: string; dryRun?: boolean },
  ): Promise<
    { ok: true; via: 'canary' | 'off'; rolloutId: string } | { ok: false; reason: string; message: string }
  >;
  /** /cutover stream: the stream cutover train of seed 004, under the deploy lock. */
  startCutover(input: CutoverAsk): Promise<StartResult<RunbookStateBase>>;
  /**
   * A manual rollback with no rollout active (during an active canary: that canary's own rollback),
   * following the environment's rollback policy: break-glass users and admins act alone, others wait for
   * approvals (roles.ts). A dry-run asks nobody: it changes nothing.
   */
  startRollback(input: RollbackAsk & { dryRun?: boolean }): Promise<RollbackStartResult>;
  /** An approval of a pending rollback request; the one that completes it starts the rollback. */
  approveRollback(requestId: string, userId: string): Promise<RollbackDecision>;
  /** The requester (or an admin) withdraws a pending rollback request. */
  cancelRollback(requestId: string, by: string): Promise<RollbackDecision>;
  rollbackRequest(requestId: string): Promise<RollbackRequest | undefined>;
  /** A person's decision. Approvals are checked against the environment's approvers first. */
  send(rolloutId: string, input: PersonInput, options?: { eventId?: string }): Promise<SendResult>;
  /** An admin lets a running rollout go on during the scheduled freeze windows in effect now (audited). */
  overrideFreeze(rolloutId: string, input: { by: string; reason: string }): Promise<SendResult>;
  get(rolloutId: string): Promise<RolloutView | undefined>;
  /** The report written when the rollout finished. */
  report(rolloutId: string): Promise<unknown>;
  /** Redrives unsettled steps older than the lease; returns how many. */
  sweep(): Promise<number>;
  /** Resolves when no chain runs in this replica (at once after close({ force: true })). */
  idle(): Promise<void>;
  close(options?: { force?: boolean }): Promise<void>;
  readonly executor: Executor;
  readonly scheduler: Scheduler;
}
