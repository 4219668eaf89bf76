import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Redis } from 'ioredis';
import type { ShiftgateConfig } from '../config/schema.ts';
import type { SecretResolver } from '../config/secret-resolver.ts';
import { createDualRun } from '../gates/dual-run.ts';
import { messageOf } from '../gates/error-result.ts';
import type { PrometheusFactory } from '../gates/providers/prometheus.ts';
import type { GateRegistry } from '../gates/registry.ts';
import { createDryRunEffects } from '../runbooks/dry-run.ts';
import {
  createEffects,
  type DualRunner,
  type FlagBackends,
  type IncidentPort,
  type Logger,
  type Notify,
  targetOf,
} from '../runbooks/effects.ts';
import type { Engine, EngineMetrics, RolloutView } from '../runbooks/engine.ts';
import { createExecutor, type RolloutFields } from '../runbooks/executor.ts';
import type { KindRegistry } from '../runbooks/kind.ts';
import { KINDS } from '../runbooks/kinds.ts';
import type { CloudRun } from '../runbooks/ports/cloud-run.ts';
import type { ErrorBudgetReader } from '../runbooks/ports/error-budget.ts';
import type { Preconditions } from '../runbooks/ports/preconditions.ts';
import type { RouteSplitControl } from '../runbooks/ports/route-split.ts';
import { isMember, type Person } from '../runbooks/principals.ts';
import { createRollbackRequests } from '../runbooks/rollback-requests.ts';
import { createScheduler } from '../runbooks/scheduler.ts';
import type { RunbookPolicy, Timer } from '../runbooks/types.ts';
import { defaultId, type UseCaseDeps } from '../runbooks/use-cases/deps.ts';
import { flagsOff, signoffFlags, startFlagCanary } from '../runbooks/use-cases/flags.ts';
import { overrideFreeze } from '../runbooks/use-cases/freeze.ts';
import { defaultPolicy, type RetryPolicy } from '../runbooks/use-cases/policy.ts';
import { runRollback, startRollback } from '../runbooks/use-cases/rollback.ts';
import { send } from '../runbooks/use-cases/send.ts';
import { startAsDeployer, startCanary } from '../runbooks/use-cases/start-canary.ts';
import { startCutover } from '../runbooks/use-cases/start-cutover.ts';
import { createSweep } from '../runbooks/use-cases/sweep.ts';
import { closeRedis, createRedis, createStore, type Store } from '../store/index.ts';
import { createValidationRecords } from '../validation/records.ts';

// The engine of one replica, wired: three Redis connections (the engine's own reads, BullMQ's queue and
// its worker), the timer worker, the recovery sweep on a timer, the effects (real and dry-run), the
// executor over the kind table, and the use cases of src/runbooks/use-cases on top. Every replica runs
// one; they share Redis and nothing else.

export interface SweepOptions {
  /** How often this replica looks for unfinished steps; default 5 s. 0 disables the timer (call sweep()). */
  intervalMs?: number;
  /**
   * TTL of the lease a replica holds on the rollouts it works, renewed every third of it; default 10 s.
   * A replica's death is noticed within this plus `intervalMs`.
   */
  workerLeaseMs?: number;
  /** Age of a step before any sweep looks at it; default 2 s. */
  graceMs?: number;
  /** A step still unfinished after this long is redriven even while a live replica holds it; default 2 min. */
  leaseMs?: number;
  /** The same for a step that deploys (pulling and starting an image takes longer); default 15 min. */
  deployLeaseMs?: number;
  /** A deploy lock taken without its record (and no lease on it) is released after this; default 60 s. */
  orphanLockMs?: number;
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
  /** The stream cutover's dual-run comparison and SLO error budget. */
  dualRun?: DualRunner;
  errorBudget?: ErrorBudgetReader;
  /** The flag canary's backends. */
  flags?: FlagBackends;
  /** The reads a canary makes before it deploys. */
  preconditions?: Preconditions;
  /** The kinds this engine runs; default the built-in table (a test may add its own). */
  kinds?: KindRegistry;
  /** Slack user groups of a user (handles or ids), for the roles; default none. */
  groupsOf?: (userId: string) => Promise<string[]>;
  /** The environment's policy for a rollout; default from the config (see defaultPolicy). */
  policyOf?: (service: string, env: string) => RunbookPolicy;
  retry?: RetryPolicy;
  now?: () => Date;
  log?: Logger;
  /** Timer worker of this replica. */
  worker?: { concurrency?: number; lockDurationMs?: number; stalledIntervalMs?: number; start?: boolean };
  sweep?: SweepOptions;
  /** This replica's name in worker leases; default host name, pid and a random suffix. */
  replicaId?: string;
  /** New rollout ids; default `<service>-<env>-<yyyymmddThhmmss>-<4 hex>`. */
  newId?: (service: string, env: string) => string;
  /** Observations for metrics (and the benchmark). */
  metrics?: EngineMetrics;
}

const consoleLog: Logger = {
  warn: (message, fields) => console.warn(`shiftgate engine: ${message}`, fields ?? ''),
  error: (message, fields) => console.error(`shiftgate engine: ${message}`, fields ?? ''),
};

export function createEngine(options: EngineOptions): Engine {
  const { store, config, cloudRun } = options;
  const now = options.now ?? (() => new Date());
  const log = options.log ?? consoleLog;
  const kinds = options.kinds ?? KINDS;
  const prefix = options.prefix ?? store.keys.prefix;
  const policyOf =
    options.policyOf ??
    ((service: string, env: string) => defaultPolicy(config, env, options.retry, service));

  // The engine's own reads (the version check before every platform write): few retries, so an
  // unreachable Redis stops a step quickly instead of letting it change traffic unrecorded.
  const redis: Redis = createRedis(options.redisUrl, {
    maxRetriesPerRequest: 1,
    connectionName: 'shiftgate-engine',
    log,
  });
  const quick = createStore(redis, { prefix });
  const queueRedis = createRedis(options.redisUrl, {
    maxRetriesPerRequest: null,
    connectionName: 'shiftgate-queue',
    log,
  });
  const workerRedis = createRedis(options.redisUrl, {
    maxRetriesPerRequest: null,
    connectionName: 'shiftgate-worker',
    log,
  });

  const worker = options.worker ?? {};
  const scheduler = createScheduler({
    connection: queueRedis,
    workerConnection: workerRedis,
    prefix,
    now: () => now().getTime(),
    ...(worker.concurrency === undefined ? {} : { concurrency: worker.concurrency }),
    ...(worker.lockDurationMs === undefined ? {} : { lockDurationMs: worker.lockDurationMs }),
    ...(worker.stalledIntervalMs === undefined ? {} : { stalledIntervalMs: worker.stalledIntervalMs }),
  });

  const real = createEffects({
    store,
    kinds,
    cloudRun,
    gates: options.gates,
    config,
    notify: options.notify,
    scheduler,
    log,
    now,
    ...(options.routeSplit ? { routeSplit: options.routeSplit } : {}),
    ...(options.secrets ? { secrets: options.secrets } : {}),
    ...(options.prometheus ? { prometheus: options.prometheus } : {}),
    ...(options.incidents ? { incidents: options.incidents } : {}),
    dualRun: options.dualRun ?? createDualRun(),
    ...(options.errorBudget ? { errorBudget: options.errorBudget } : {}),
    ...(options.flags ? { flags: options.flags } : {}),
    ...(options.preconditions ? { preconditions: options.preconditions } : {}),
  });

  const replicaId = options.replicaId ?? `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  const workerLease = { owner: replicaId, ttlMs: options.sweep?.workerLeaseMs ?? 10_000 };

  const executor = createExecutor({
    store,
    kinds,
    policyOf: (state) => policyOf(state.service, state.env),
    effects: real,
    dryRunEffects: createDryRunEffects({ config, cloudRun, real }),
    readVersion: (rolloutId) => quick.rollouts.version(rolloutId),
    now,
    log,
    worker: workerLease,
  });
  // Set below, once the use cases are wired; a timer job runs no earlier than the worker starts.
  let resume: (rolloutId: string, why: string) => Promise<boolean> = async () => false;

  if (worker.start !== false) {
    scheduler.start(async (job, jobId) => {
      const picked = performance.now();
      const lateMs = now().getTime() - Date.parse(job.event.at);
      const result = await executor.dispatch(job.rolloutId, job.event, { eventId: job.eventId, jobId });
      // Run again after its replica died mid-step (BullMQ's stalled check): the event is applied already,
      // so nothing would continue the chain until a sweep; continue it here.
      if (!result.ok && result.reason === 'duplicate') {
        await resume(job.rolloutId, `its timer job ${jobId} ran again`).catch((error: unknown) =>
          log.warn('could not resume after a repeated job', {
            rolloutId: job.rolloutId,
            error: messageOf(error),
          }),
        );
      }
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

  const personOf = async (userId: string): Promise<Person> => ({
    userId,
    groups: options.groupsOf ? await options.groupsOf(userId) : [],
  });
  const deps: UseCaseDeps = {
    store,
    config,
    cloudRun,
    executor,
    kinds,
    now,
    log,
    personOf,
    // The promotion gate reads the validation runs this store keeps (src/validation writes them).
    validations: createValidationRecords(store.redis, store.keys),
    newId: (service, env) => (options.newId ? options.newId(service, env) : defaultId(service, env, now())),
  };

  const sweep = createSweep(deps, {
    leaseMs: options.sweep?.leaseMs ?? 120_000,
    deployLeaseMs: options.sweep?.deployLeaseMs ?? 15 * 60_000,
    worker: workerLease,
    ...(options.sweep?.graceMs === undefined ? {} : { graceMs: options.sweep.graceMs }),
    ...(options.sweep?.orphanLockMs === undefined ? {} : { orphanLockMs: options.sweep.orphanLockMs }),
  });
  resume = sweep.resume;
  let sweeping: Promise<unknown> | undefined;
  let killed = false;
  const intervalMs = options.sweep?.intervalMs ?? 5_000;
  const sweepTimer =
    intervalMs > 0
      ? setInterval(() => {
          if (sweeping) return;
          sweeping = sweep()
            .catch((error: unknown) => log.warn('sweep failed', { error: messageOf(error) }))
            .finally(() => {
              sweeping = undefined;
            });
        }, intervalMs)
      : undefined;
  sweepTimer?.unref();

  const requests = createRollbackRequests({
    store,
    config,
    now,
    log,
    run: (request) => runRollback(deps, request, request.id, false),
  });

  return {
    executor,
    scheduler,
    start: (input) => startAsDeployer(deps, input),
    startCanary: (input) => startCanary(deps, input),
    startCutover: (input) => startCutover(deps, input),
    async serving(service, env) {
      try {
        return { ok: true, state: await cloudRun.describe(targetOf(config, service, env).ref) };
      } catch (error) {
        return { ok: false, message: messageOf(error) };
      }
    },
    startFlagCanary: (input) => startFlagCanary(deps, input),
    signoffFlags: (input) => signoffFlags(deps, input),
    flagsOff: (input) => flagsOff(deps, input),
    startRollback: (input) => startRollback(deps, requests, input),
    approveRollback: async (requestId, userId) => requests.approve(requestId, await personOf(userId)),
    async cancelRollback(requestId, by) {
      const request = await requests.get(requestId);
      const admins = request ? config.environments[request.env]?.admins : undefined;
      const isAdmin = admins !== undefined && isMember(admins, await personOf(by));
      return requests.cancel(requestId, by, isAdmin);
    },
    rollbackRequest: (requestId) => requests.get(requestId),
    send: (rolloutId, input, sendOptions) =>
      send(deps, rolloutId, input, sendOptions) as ReturnType<Engine['send']>,
    overrideFreeze: (rolloutId, input) =>
      overrideFreeze(deps, rolloutId, input) as ReturnType<Engine['overrideFreeze']>,
    async get(rolloutId) {
      const record = await store.rollouts.get<RolloutFields>(rolloutId);
      if (!record) return undefined;
      const view: RolloutView = {
        id: record.id,
        version: record.version,
        status: record.status,
        state: record.data.state,
        runbook: record.data.runbook,
        ...(record.data.plan ? { plan: record.data.plan } : {}),
        ...(record.data.outbox ? { outbox: record.data.outbox } : {}),
      };
      return view;
    },
    report: (rolloutId) => store.reports.get(rolloutId),
    sweep,
    // After a forced close nothing here will finish: steps under way died with the connections.
    idle: () => (killed ? Promise.resolve() : executor.idle()),
    async close({ force = false } = {}) {
      if (force) {
        killed = true;
        // As a replica that died: its leases end, and another replica takes its rollouts over.
        executor.stop();
      }
      if (sweepTimer) clearInterval(sweepTimer);
      if (!force) {
        await sweeping;
        await executor.idle();
      }
      await scheduler.close(force);
      if (!force) await executor.idle();
      await Promise.all([redis, queueRedis, workerRedis].map((connection) => closeRedis(connection)));
    },
  };
}
