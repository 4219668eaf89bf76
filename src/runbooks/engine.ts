import type { Redis } from 'ioredis';
import type { Environment } from '../config/environments.ts';
import type { CanaryRunbook } from '../config/runbooks.ts';
import type { ShiftgateConfig } from '../config/schema.ts';
import type { SecretResolver } from '../config/secret-resolver.ts';
import { messageOf } from '../gates/error-result.ts';
import type { PrometheusFactory } from '../gates/providers/prometheus.ts';
import type { GateRegistry } from '../gates/registry.ts';
import {
  closeRedis,
  createRedis,
  type Freeze,
  type Lock,
  type RolloutRecord,
  type Store,
} from '../store/index.ts';
import { timedId } from '../store/time.ts';
import { checkApprover } from './approvals.ts';
import { canaryStep, newCanary } from './canary.ts';
import { createDryRunEffects, type PlanEntry } from './dry-run.ts';
import { createEffects, type IncidentPort, type Logger, type Notify, targetOf } from './effects.ts';
import {
  createExecutor,
  type DispatchResult,
  type Executor,
  type Outbox,
  type RolloutFields,
  type Step,
} from './executor.ts';
import type { CloudRun, Revision } from './ports/cloud-run.ts';
import type { RouteSplitControl } from './ports/route-split.ts';
import { isMember, type Person } from './principals.ts';
import { mayControl, mayRollBack, mayStart } from './roles.ts';
import { newStandaloneRollback, standaloneRollbackStep } from './rollback.ts';
import {
  createRollbackRequests,
  type RequestDecision,
  type RollbackAsk,
  type RollbackRequest,
} from './rollback-requests.ts';
import { createScheduler, type Scheduler } from './scheduler.ts';
import { servingRevision, splitOf } from './traffic.ts';
import type { RunbookEvent, RunbookPolicy, RunbookState, Timer } from './types.ts';

// The runbook engine as the Slack commands use it: start a canary, start a rollback, send a person's
// decision to a rollout. It composes the store (state of record), the executor (step, persist, perform),
// the effects (Cloud Run, route split, gates, notifications) and the scheduler (BullMQ timers), and runs a
// sweep that redrives the effects of steps a dead replica left unfinished. Every replica runs one engine;
// they share Redis and nothing else.

type PersonEventType = 'approve' | 'abort' | 'pause' | 'resume' | 'promote-now' | 'rollback';
type PersonEvent = Extract<RunbookEvent, { type: PersonEventType }>;
/** A person's decision; `at` defaults to the engine's clock. */
export type PersonInput = PersonEvent extends infer E
  ? E extends PersonEvent
    ? Omit<E, 'at'> & { at?: string }
    : never
  : never;

export interface RetryPolicy {
  /** Attempts of a failing Cloud Run / Monitoring effect, the first included; default 4. */
  maxAttempts?: number;
  /** Pause before retry n (1-based); default 2 s doubling, at most 1 min. */
  backoffMs?: (attempt: number) => number;
}

export interface SweepOptions {
  /** How often this replica looks for unsettled steps; default 30 s. 0 disables the timer (call sweep()). */
  intervalMs?: number;
  /** A step's effects still unfinished after this long are redriven; default 2 min. */
  leaseMs?: number;
  /** The same for a step that deploys (pulling and starting an image takes longer); default 15 min. */
  deployLeaseMs?: number;
}

export interface EngineOptions {
  store: Store;
  /** BullMQ's connections and the engine's own reads are opened on it. */
  redisUrl: string;
  /** Default: the store's prefix. BullMQ's keys live under it too. */
  prefix?: string;
  cloudRun: CloudRun;
  routeSplit?: (service: string, env: string) => RouteSplitControl | undefined;
  gates: GateRegistry;
  config: ShiftgateConfig;
  notify: Notify;
  /** Resolves the environment's access token for authenticated checks. */
  secrets?: SecretResolver;
  /** For capture-before (prometheus delta gates). */
  prometheus?: PrometheusFactory;
  incidents?: IncidentPort;
  /** Slack user groups of a user (handles or ids), for checkApprover; default none. */
  groupsOf?: (userId: string) => Promise<string[]>;
  /** The environment's policy for a rollout; default from the config (see defaultPolicy). */
  policyOf?: (service: string, env: string) => RunbookPolicy;
  retry?: RetryPolicy;
  now?: () => Date;
  log?: Logger;
  /** Timer worker of this replica. */
  worker?: { concurrency?: number; lockDurationMs?: number; stalledIntervalMs?: number; start?: boolean };
  sweep?: SweepOptions;
  /** New rollout ids; default `<service>-<env>-<yyyymmddThhmmss>-<4 hex>`. */
  newId?: (service: string, env: string) => string;
  /** Observations for metrics (and the benchmark). */
  metrics?: EngineMetrics;
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

export type StartResult =
  | { ok: true; rolloutId: string; state: RunbookState; lock?: Lock; settled: Promise<unknown> }
  | { ok: false; reason: 'held'; holder: Lock; message: string }
  | { ok: false; reason: 'frozen'; freeze: Freeze; message: string }
  | {
      ok: false;
      reason: 'invalid' | 'refused' | 'not-allowed' | 'not-found' | 'finished' | 'fenced' | 'error';
      message: string;
    };

export type RollbackStartResult =
  | (StartResult & { via?: 'rollout' })
  /** The requester may not roll back alone: the request waits for the environment's approvals. */
  | { ok: true; pending: true; request: RollbackRequest };

export type RollbackDecision = RequestDecision<StartResult & { via?: 'rollout' }>;

export type SendResult =
  | { ok: true; status: string; version: number; state: RunbookState; settled: Promise<unknown> }
  | { ok: false; reason: string; message: string };

export interface RolloutView {
  id: string;
  version: number;
  status: string;
  state: RunbookState;
  /** Dry-run: every effect asked for, in order. */
  plan?: PlanEntry[];
  outbox?: Outbox;
}

export interface Engine {
  startCanary(input: {
    service: string;
    env: string;
    /** The image tag; the image is `<services.X.image>:<tag>` unless `image` is given. */
    tag?: string;
    image?: string;
    requestedBy: string;
    dryRun?: boolean;
  }): Promise<StartResult>;
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

const DAY_MS = 86_400_000;
const REPORT_TTL_MS = 90 * DAY_MS;

const consoleLog: Logger = {
  warn: (message, fields) => console.warn(`shiftgate engine: ${message}`, fields ?? ''),
  error: (message, fields) => console.error(`shiftgate engine: ${message}`, fields ?? ''),
};

export const DEFAULT_BACKOFF = (attempt: number) => Math.min(60_000, 2_000 * 2 ** (attempt - 1));

/** The environment's approval and rollback rules, and the retry policy. */
export function defaultPolicy(config: ShiftgateConfig, env: string, retry: RetryPolicy = {}): RunbookPolicy {
  const environment = config.environments[env];
  if (!environment) throw new TypeError(`no environment "${env}" in the config`);
  return {
    requiredApprovals: environment.approval.required,
    allowSelfApproval: environment.approval.allowSelfApproval,
    approvalTtlMs: environment.approval.expiresAfter,
    onGateFailure: environment.rollback.onGateFailure,
    maxAttempts: retry.maxAttempts ?? 4,
    backoffMs: retry.backoffMs ?? DEFAULT_BACKOFF,
  };
}

function defaultId(service: string, env: string, now: Date): string {
  return timedId(`${service}-${env}`, now);
}

/** The tag of `registry/repo/image:tag` (digests have none). */
function tagOfImage(image: string): string {
  const last = image.slice(image.lastIndexOf('/') + 1);
  const at = last.indexOf('@');
  const colon = last.indexOf(':');
  if (at >= 0) return last.slice(at + 1 + 'sha256:'.length, at + 1 + 'sha256:'.length + 12);
  return colon >= 0 ? last.slice(colon + 1) : 'latest';
}

/** The newest ready revision created before `current` (revisions come newest first). */
export function previousReady(
  revisions: readonly Revision[],
  current: string | undefined,
): string | undefined {
  const index = current === undefined ? -1 : revisions.findIndex((r) => r.name === current);
  return revisions.slice(index + 1).find((r) => r.ready && r.name !== current)?.name;
}

export function createEngine(options: EngineOptions): Engine {
  const { store, config, cloudRun } = options;
  const now = options.now ?? (() => new Date());
  const log = options.log ?? consoleLog;
  const prefix = options.prefix ?? store.keys.prefix;
  const sweepOptions = {
    intervalMs: options.sweep?.intervalMs ?? 30_000,
    leaseMs: options.sweep?.leaseMs ?? 120_000,
    deployLeaseMs: options.sweep?.deployLeaseMs ?? 15 * 60_000,
  };
  const policyOf =
    options.policyOf ?? ((_service: string, env: string) => defaultPolicy(config, env, options.retry));

  // The engine's own reads (the version check before every platform write, reports): few retries, so an
  // unreachable Redis stops a step quickly instead of letting it change traffic unrecorded.
  const redis: Redis = createRedis(options.redisUrl, {
    maxRetriesPerRequest: 1,
    connectionName: 'shiftgate-engine',
  });
  const queueRedis = createRedis(options.redisUrl, {
    maxRetriesPerRequest: null,
    connectionName: 'shiftgate-queue',
  });
  const workerRedis = createRedis(options.redisUrl, {
    maxRetriesPerRequest: null,
    connectionName: 'shiftgate-worker',
  });
  for (const connection of [redis, queueRedis, workerRedis]) connection.on('error', () => {});

  const scheduler = createScheduler({
    connection: queueRedis,
    workerConnection: workerRedis,
    prefix,
    now: () => now().getTime(),
    ...(options.worker?.concurrency === undefined ? {} : { concurrency: options.worker.concurrency }),
    ...(options.worker?.lockDurationMs === undefined
      ? {}
      : { lockDurationMs: options.worker.lockDurationMs }),
    ...(options.worker?.stalledIntervalMs === undefined
      ? {}
      : { stalledIntervalMs: options.worker.stalledIntervalMs }),
  });

  const real = createEffects({
    store,
    cloudRun,
    gates: options.gates,
    config,
    notify: options.notify,
    scheduler,
    log,
    now,
    writeReport: async (rolloutId, report) => {
      await redis.set(
        store.keys.report(rolloutId),
        JSON.stringify({ ...(report as object), writtenAt: now().toISOString() }),
        'PX',
        REPORT_TTL_MS,
      );
    },
    ...(options.routeSplit ? { routeSplit: options.routeSplit } : {}),
    ...(options.secrets ? { secrets: options.secrets } : {}),
    ...(options.prometheus ? { prometheus: options.prometheus } : {}),
    ...(options.incidents ? { incidents: options.incidents } : {}),
  });
  const dryRun = createDryRunEffects({ config, cloudRun, real });

  const step: Step = (state, event, ctx) =>
    state.kind === 'canary' ? canaryStep(state, event, ctx) : standaloneRollbackStep(state, event, ctx);

  const executor = createExecutor({
    store,
    step,
    policyOf: (state) => policyOf(state.service, state.env),
    effects: real,
    dryRunEffects: dryRun,
    readVersion: async (rolloutId) => {
      const version = await redis.hget(store.keys.rollout(rolloutId), '_v');
      return version === null ? undefined : Number(version);
    },
    now,
    log,
  });

  if (options.worker?.start !== false) {
    scheduler.start(async (job, jobId) => {
      const picked = performance.now();
      const lateMs = now().getTime() - Date.parse(job.event.at);
      const result = await executor.dispatch(job.rolloutId, job.event, { eventId: job.eventId, jobId });
      const end = result.ok ? await result.settled : undefined;
      options.metrics?.timer?.({
        timer: (jobId.split(':')[1] ?? 'tick') as Timer,
        rolloutId: job.rolloutId,
        durationMs: performance.now() - picked,
        lateMs,
        steps: end?.steps ?? 0,
      });
    });
  }

  // Redrive claims: one replica per (rollout, version); remembered here so a sweep does not ask again.
  const redriven = new Map<string, number>();

  async function sweep(): Promise<number> {
    const active = await store.rollouts.listActive();
    const at = now().getTime();
    let count = 0;
    const ids = new Set<string>();
    for (const record of active as RolloutRecord<Partial<RolloutFields>>[]) {
      ids.add(record.id);
      const outbox = record.data.outbox;
      if (!outbox || outbox.version !== record.version || outbox.effects.length === 0) continue;
      if (executor.busy(record.id) || redriven.get(record.id) === record.version) continue;
      const lease = outbox.effects.some((e) => e.type === 'deploy')
        ? sweepOptions.deployLeaseMs
        : sweepOptions.leaseMs;
      if (at - Date.parse(outbox.writtenAt) < lease) continue;
      redriven.set(record.id, record.version);
      if (!(await store.idempotency.claim(`redrive:${record.id}:${record.version}`, 7 * DAY_MS))) continue;
      count += 1;
      void executor
        .redrive(record.id, record.version)
        .catch((error: unknown) =>
          log.error('redrive failed', { rolloutId: record.id, error: messageOf(error) }),
        );
    }
    for (const id of redriven.keys()) if (!ids.has(id)) redriven.delete(id);
    return count;
  }

  let sweeping: Promise<unknown> | undefined;
  let killed = false;
  const sweepTimer =
    sweepOptions.intervalMs > 0
      ? setInterval(() => {
          if (sweeping) return;
          sweeping = sweep()
            .catch((error: unknown) => log.warn('sweep failed', { error: messageOf(error) }))
            .finally(() => {
              sweeping = undefined;
            });
        }, sweepOptions.intervalMs)
      : undefined;
  sweepTimer?.unref();

  async function releaseAfterFailedStart(
    id: string,
    lock: Lock,
    version: number,
    why: string,
  ): Promise<void> {
    try {
      await store.rollouts.transition(id, version, lock, { status: 'failed' });
      await store.locks.release(lock.service, lock.env, lock.token);
      await store.audit.append({
        who: 'shiftgate',
        what: 'rollout.start-failed',
        rolloutId: id,
        service: lock.service,
        env: lock.env,
        reason: why,
      });
    } catch (error) {
      log.error('could not undo a failed start', { rolloutId: id, error: messageOf(error) });
    }
  }

  async function create(lock: Lock, state: RunbookState, runbook: CanaryRunbook): Promise<StartResult> {
    const id = state.id;
    const created = await store.rollouts.create({
      id,
      service: state.service,
      env: state.env,
      fencingToken: lock.token,
      status: state.status,
      state,
      runbook,
      applied: [],
      ...(state.dryRun ? { plan: [] } : {}),
    });
    if (!created.ok) {
      await store.locks.release(lock.service, lock.env, lock.token);
      return {
        ok: false,
        reason: 'error',
        message: `could not create the rollout record: ${JSON.stringify(created)}`,
      };
    }
    const started = await executor.dispatch(
      id,
      { type: 'start', at: state.startedAt },
      { eventId: `${id}.start` },
    );
    if (!started.ok) {
      await releaseAfterFailedStart(id, lock, 1, started.message);
      return {
        ok: false,
        reason: started.reason === 'refused' ? 'refused' : 'error',
        message: started.message,
      };
    }
    return { ok: true, rolloutId: id, state: started.state, lock, settled: started.settled };
  }

  function refusedLock(
    acquired: { ok: false; reason: 'held'; holder: Lock } | { ok: false; reason: 'frozen'; freeze: Freeze },
    service: string,
    env: string,
  ): StartResult {
    if (acquired.reason === 'frozen') {
      const f = acquired.freeze;
      return {
        ok: false,
        reason: 'frozen',
        freeze: f,
        message: `${service} in ${env} is frozen by <@${f.author}> since ${f.since}: ${f.reason}`,
      };
    }
    const h = acquired.holder;
    return {
      ok: false,
      reason: 'held',
      holder: h,
      message: `${service} in ${env} is locked by <@${h.author}> since ${h.since} for ${h.kind} ${h.rolloutId}: ${h.reason}`,
    };
  }

  function resultOf(dispatched: DispatchResult): SendResult {
    if (!dispatched.ok) return { ok: false, reason: dispatched.reason, message: dispatched.message };
    return {
      ok: true,
      status: dispatched.state.status,
      version: dispatched.version,
      state: dispatched.state,
      settled: dispatched.settled,
    };
  }

  const personOf = async (userId: string): Promise<Person> => ({
    userId,
    groups: options.groupsOf ? await options.groupsOf(userId) : [],
  });

  async function refused(
    who: string,
    what: string,
    scope: { rolloutId?: string; service: string; env: string },
    why: string,
    reason = 'not-allowed',
  ): Promise<{ ok: false; reason: string; message: string }> {
    await store.audit
      .append({ who, what: `${what}.refused`, ...scope, reason: why, at: now().toISOString() })
      .catch((error: unknown) => log.error('audit append failed', { ...scope, error: messageOf(error) }));
    return { ok: false, reason, message: why };
  }

  const gateFailed = (state: RunbookState | undefined) =>
    state?.kind === 'canary' &&
    state.status === 'needs-attention' &&
    state.attention?.cause === 'gate-failed';

  /** Whether this person may send this event to this rollout, by the environment's roles. */
  async function permission(
    state: RunbookState,
    event: PersonEvent,
  ): Promise<{ ok: true } | { ok: false; reason: string; message: string }> {
    const environment = config.environments[state.env];
    if (!environment)
      return { ok: false, reason: 'invalid', message: `no environment ${state.env} in the config` };
    const person = await personOf(event.type === 'approve' ? event.userId : event.by);
    let check: { ok: true } | { ok: false; reason: string };
    let reason = 'not-allowed';
    if (event.type === 'approve') {
      check = checkApprover({
        policy: {
          approvers: environment.approval.approvers,
          allowSelfApproval: environment.approval.allowSelfApproval,
        },
        requestedBy: state.requestedBy,
        userId: person.userId,
        groupsOfUser: person.groups,
      });
    } else if (event.type === 'rollback') {
      const right = mayRollBack(environment, person, {
        gateFailed: gateFailed(state),
        requestedBy: state.requestedBy,
      });
      check = right;
      if (right.ok && !right.alone) {
        reason = 'needs-approval';
        check = {
          ok: false,
          reason: `a rollback you ask for needs ${environment.rollback.approval.required} approval(s) here: ask with /rollback ${state.service} ${state.env} --reason "<why>"`,
        };
      }
    } else {
      check = mayControl(environment, person, event.type, state.requestedBy);
    }
    if (check.ok) return check;
    const scope = { rolloutId: state.id, service: state.service, env: state.env };
    return refused(person.userId, `rollout.${event.type}`, scope, check.reason, reason);
  }

  async function send(
    rolloutId: string,
    input: PersonInput,
    sendOptions: { eventId?: string } = {},
  ): Promise<SendResult> {
    const event = { ...input, at: input.at ?? now().toISOString() } as PersonEvent;
    const record = await store.rollouts.get<RolloutFields>(rolloutId);
    if (!record) return { ok: false, reason: 'not-found', message: `no rollout ${rolloutId}` };
    const allowed = await permission(record.data.state, event);
    if (!allowed.ok) return allowed;
    return dispatchPerson(rolloutId, event, sendOptions);
  }

  /** A person's event, already allowed. */
  async function dispatchPerson(
    rolloutId: string,
    event: PersonEvent,
    sendOptions: { eventId?: string } = {},
  ): Promise<SendResult> {
    const dispatched = await executor.dispatch(
      rolloutId,
      event,
      sendOptions.eventId ? { eventId: sendOptions.eventId } : {},
    );
    if (dispatched.ok && event.type === 'approve' && dispatched.before.kind === 'canary') {
      const stage = dispatched.before.stages[event.stage]?.name;
      if (stage) {
        await store.approvals
          .add(rolloutId, stage, { userId: event.userId, at: event.at })
          .catch((error: unknown) =>
            log.error('approval evidence not stored', { rolloutId, error: messageOf(error) }),
          );
      }
    }
    return resultOf(dispatched);
  }

  /** The named revision, ready; or why not. */
  function revisionProblem(
    revisions: readonly Revision[],
    name: string,
    service: string,
  ): string | undefined {
    return revisions.some((r) => r.name === name && r.ready)
      ? undefined
      : `no ready revision ${name} of ${service}`;
  }

  /** A rollback allowed to run now: into the active canary, or as its own record. */
  async function runRollback(
    ask: RollbackAsk,
    id: string,
    dryRun: boolean,
  ): Promise<StartResult & { via?: 'rollout' }> {
    const { service, env, requestedBy, reason } = ask;
    const targeted = targetOf(config, service, env);
    const runbook = config.runbooks[targeted.target.runbook];
    if (!runbook) return { ok: false, reason: 'invalid', message: `no runbook "${targeted.target.runbook}"` };
    const at = now();
    const acquired = await store.locks.acquire(service, env, {
      rolloutId: id,
      author: requestedBy,
      reason: `rollback: ${reason}`,
      kind: 'rollback',
      now: at.getTime(),
    });
    if (!acquired.ok) {
      // A canary under way rolls back itself: its stable revision, its own procedure.
      if (acquired.reason === 'held' && acquired.holder.kind === 'rollout') {
        const sent = await dispatchPerson(acquired.holder.rolloutId, {
          type: 'rollback',
          at: at.toISOString(),
          by: requestedBy,
          reason,
          ...(ask.toRevision === undefined ? {} : { toRevision: ask.toRevision }),
          ...(ask.mode === undefined ? {} : { mode: ask.mode }),
        });
        if (!sent.ok) return { ok: false, reason: 'refused', message: sent.message, via: 'rollout' };
        return {
          ok: true,
          rolloutId: acquired.holder.rolloutId,
          state: sent.state,
          settled: sent.settled,
          via: 'rollout',
        };
      }
      return refusedLock(acquired, service, env);
    }
    const lock = acquired.lock;
    let toRevision = ask.toRevision;
    let fromRevision: string | undefined;
    try {
      const described = await cloudRun.describe(targeted.ref);
      fromRevision = servingRevision(splitOf(described.trafficStatuses));
      const revisions = await cloudRun.listRevisions(targeted.ref);
      if (toRevision === undefined) {
        toRevision = previousReady(revisions, fromRevision);
        if (!toRevision)
          throw new Error(`no ready revision before ${fromRevision ?? 'the serving one'} to roll back to`);
      } else {
        const problem = revisionProblem(revisions, toRevision, targeted.ref.service);
        if (problem) throw new Error(problem);
      }
    } catch (error) {
      await store.locks.release(service, env, lock.token).catch(() => {});
      return { ok: false, reason: 'invalid', message: messageOf(error) };
    }
    const state = newStandaloneRollback({
      id,
      service,
      env,
      requestedBy,
      reason,
      toRevision,
      ...(fromRevision === undefined || fromRevision === toRevision ? {} : { fromRevision }),
      mode: ask.mode ?? 'full',
      dryRun,
      at: at.toISOString(),
    });
    return create(lock, state, runbook);
  }

  const requests = createRollbackRequests({
    store,
    redis,
    config,
    now,
    log,
    run: (request) => runRollback(request, request.id, false),
  });

  return {
    executor,
    scheduler,

    async startCanary(input) {
      const { service, env, requestedBy } = input;
      let targeted: ReturnType<typeof targetOf>;
      try {
        targeted = targetOf(config, service, env);
      } catch (error) {
        return { ok: false, reason: 'invalid', message: messageOf(error) };
      }
      const runbook = config.runbooks[targeted.target.runbook];
      if (runbook?.kind !== 'canary') {
        return {
          ok: false,
          reason: 'invalid',
          message: `no canary runbook "${targeted.target.runbook}" in the config`,
        };
      }
      const image =
        input.image ??
        (input.tag && targeted.target.image ? `${targeted.target.image}:${input.tag}` : undefined);
      if (!image) {
        return {
          ok: false,
          reason: 'invalid',
          message: 'give an image tag (the image is <services.X.image>:<tag>) or an image',
        };
      }
      const allowed = mayStart(config.environments[env] as Environment, await personOf(requestedBy));
      if (!allowed.ok) {
        await refused(requestedBy, 'rollout.start', { service, env }, allowed.reason);
        return { ok: false, reason: 'not-allowed', message: allowed.reason };
      }
      const tag = input.tag ?? tagOfImage(image);
      const at = now();
      const id = options.newId ? options.newId(service, env) : defaultId(service, env, at);
      const dryRunNote = input.dryRun ? ' (dry-run)' : '';
      const acquired = await store.locks.acquire(service, env, {
        rolloutId: id,
        author: requestedBy,
        reason: `canary ${tag}${dryRunNote}`,
        kind: 'rollout',
        now: at.getTime(),
      });
      if (!acquired.ok) {
        await store.audit
          .append({
            who: requestedBy,
            what: 'rollout.start.refused',
            service,
            env,
            reason: acquired.reason,
            at: at.toISOString(),
          })
          .catch(() => {});
        return refusedLock(acquired, service, env);
      }
      const state = newCanary({
        id,
        service,
        env,
        image,
        tag,
        requestedBy,
        dryRun: input.dryRun ?? false,
        at: at.toISOString(),
        runbook,
      });
      return create(acquired.lock, state, runbook);
    },

    async startRollback(input) {
      const { service, env, requestedBy } = input;
      const reason = input.reason.trim();
      if (!reason) return { ok: false, reason: 'invalid', message: 'a rollback needs a reason' };
      let targeted: ReturnType<typeof targetOf>;
      try {
        targeted = targetOf(config, service, env);
      } catch (error) {
        return { ok: false, reason: 'invalid', message: messageOf(error) };
      }
      if (!config.runbooks[targeted.target.runbook])
        return { ok: false, reason: 'invalid', message: `no runbook "${targeted.target.runbook}"` };
      const environment = config.environments[env];
      if (!environment)
        return { ok: false, reason: 'invalid', message: `no environment "${env}" in the config` };
      const holder = await store.locks.get(service, env);
      const canary =
        holder?.kind === 'rollout'
          ? (await store.rollouts.get<RolloutFields>(holder.rolloutId))?.data.state
          : undefined;
      const right = mayRollBack(environment, await personOf(requestedBy), {
        gateFailed: gateFailed(canary),
        ...(canary ? { requestedBy: canary.requestedBy } : {}),
      });
      if (!right.ok) {
        await refused(requestedBy, 'rollback.start', { service, env }, right.reason);
        return { ok: false, reason: 'not-allowed', message: right.reason };
      }
      const ask: RollbackAsk = {
        service,
        env,
        requestedBy,
        reason,
        ...(input.toRevision === undefined ? {} : { toRevision: input.toRevision }),
        ...(input.mode === undefined ? {} : { mode: input.mode }),
      };
      const id = options.newId ? options.newId(service, env) : defaultId(service, env, now());
      if (right.alone || input.dryRun) return runRollback(ask, id, input.dryRun ?? false);
      // Waiting for approvers: say now what is wrong with the target, not after they approved.
      if (input.toRevision !== undefined && !canary) {
        try {
          const problem = revisionProblem(
            await cloudRun.listRevisions(targeted.ref),
            input.toRevision,
            targeted.ref.service,
          );
          if (problem) return { ok: false, reason: 'invalid', message: problem };
        } catch (error) {
          return { ok: false, reason: 'error', message: messageOf(error) };
        }
      }
      return { ok: true, pending: true, request: await requests.create(id, ask) };
    },

    approveRollback: async (requestId, userId) => requests.approve(requestId, await personOf(userId)),

    async cancelRollback(requestId, by) {
      const request = await requests.get(requestId);
      const admins = request ? config.environments[request.env]?.admins : undefined;
      const isAdmin = admins !== undefined && isMember(admins, await personOf(by));
      return requests.cancel(requestId, by, isAdmin);
    },

    rollbackRequest: (requestId) => requests.get(requestId),

    send,

    async get(rolloutId) {
      const record = await store.rollouts.get<RolloutFields>(rolloutId);
      if (!record) return undefined;
      return {
        id: record.id,
        version: record.version,
        status: record.status,
        state: record.data.state,
        ...(record.data.plan ? { plan: record.data.plan } : {}),
        ...(record.data.outbox ? { outbox: record.data.outbox } : {}),
      };
    },

    async report(rolloutId) {
      const text = await redis.get(store.keys.report(rolloutId));
      return text === null ? undefined : JSON.parse(text);
    },

    sweep,

    // After a forced close nothing here will finish: steps under way died with the connections.
    idle: () => (killed ? Promise.resolve() : executor.idle()),

    async close({ force = false } = {}) {
      if (force) killed = true;
      if (sweepTimer) clearInterval(sweepTimer);
      if (!force) {
        await sweeping;
        await executor.idle();
      }
      await scheduler.close(force);
      if (!force) await executor.idle();
      await Promise.all([redis, queueRedis, workerRedis].map(closeRedis));
    },
  };
}
