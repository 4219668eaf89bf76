import { HttpResponse, http, type RequestHandler } from 'msw';
import { afterAll, afterEach, beforeEach, expect, vi } from 'vitest';
import { createArtifactRegistryTwin } from '../../sandbox/twins/artifact-registry/index.ts';
import { createCloudRunTwin } from '../../sandbox/twins/cloud-run/index.ts';
import { createIamTwin } from '../../sandbox/twins/iam/index.ts';
import { createLoggingTwin, type LoggingTwinOptions } from '../../sandbox/twins/logging/index.ts';
import { createMonitoringTwin, INSTANT_DATA } from '../../sandbox/twins/monitoring/index.ts';
import { widened } from '../../sandbox/twins/monitoring/widened.ts';
import {
  createRouteSplitTwin,
  ROUTE_SPLIT_TWIN_BASE_URL,
  ROUTE_SPLIT_TWIN_TOKEN,
} from '../../sandbox/twins/route-split/index.ts';
import { createEngine, type EngineOptions } from '../../src/bot/engine.ts';
import { flagBackends } from '../../src/bot/flags.ts';
import { type ShiftgateConfig, shiftgateConfig } from '../../src/config/schema.ts';
import type { DataVisibility } from '../../src/gates/ports/monitoring.ts';
import { createGateRegistry } from '../../src/gates/registry.ts';
import { ArtifactRegistryAdapter } from '../../src/platform/artifact-registry/index.ts';
import { CloudRunAdapter } from '../../src/platform/cloud-run/index.ts';
import { createServiceAccounts } from '../../src/platform/iam/index.ts';
import { createCloudLogging, createRequestErrorSource } from '../../src/platform/logging/index.ts';
import { createCloudMonitoring, createErrorBudgetReader } from '../../src/platform/monitoring/index.ts';
import { createPreconditions } from '../../src/platform/preconditions.ts';
import { createRouteSplit } from '../../src/platform/route-split/index.ts';
import { revisionSuffix } from '../../src/runbooks/effects.ts';
import type { Engine, RollbackStartResult, RolloutView } from '../../src/runbooks/engine.ts';
import type { CloudRun } from '../../src/runbooks/ports/cloud-run.ts';
import type { CanaryState, Notification } from '../../src/runbooks/types.ts';
import { useTwins } from './msw.ts';
import { openTestStore, REDIS_URL, type TestStore } from './redis.ts';

// The world the engine tests run in: the Cloud Run, Cloud Monitoring and route-split twins answering the
// real adapters, a healthz endpoint for the http checks, a runbook config with short stage windows, a
// fresh Redis prefix per test, and engines built on all of it (closed after each test).

export const PROJECT = 'proj-test';
export const REGION = 'us-central1';
export const SERVICE = 'web';
export const ENV = 'prod';
export const CLOUD_RUN_SERVICE = 'web-prod';
export const IMAGE_REPO = 'europe-docker.pkg.dev/proj-test/web/web';
export const STABLE_REVISION = 'web-prod-00001-stb';
export const REQUESTER = 'UDEPLOYER';
export const APPROVERS = ['UAPPROVE1', 'UAPPROVE2'] as const;
export const OUTSIDER = 'UOUTSIDER';
export const ADMIN = 'UADMIN01';
/** May roll back alone (rollback.breakGlass). */
export const ON_CALL = 'UONCALL1';
/** A second deployer: may start rollouts, not control someone else's. */
export const DEPLOYER_2 = 'UDEPLOYER2';
export const REF = { project: PROJECT, region: REGION, service: CLOUD_RUN_SERVICE };
/** A second release serving everything (seedBadRelease): the one a rollback undoes. */
export const BAD_REVISION = 'web-prod-00002-bad';

export interface ConfigKnobs {
  /** Watch window and tick interval of stages B-E. */
  watch?: string;
  interval?: string;
  required?: number;
  expiresAfter?: string;
  onGateFailure?: 'automatic' | 'approve';
  /** The error-rate gate's mode; default enforce. */
  errorRateMode?: 'shadow' | 'advisory';
  /** Approvals a manual rollback needs. */
  rollbackRequired?: number;
  /** The Artifact Registry precondition; default off (most tests push no image to its twin). */
  imageCheck?: 'required' | 'advisory' | 'off';
  /** How late Cloud Monitoring's data is (config `monitoring`); default none: instant data. */
  samplePeriod?: string;
  ingestionLatency?: string;
}

export function testConfig(knobs: ConfigKnobs = {}): ShiftgateConfig {
  const watch = knobs.watch ?? '1s';
  const interval = knobs.interval ?? '250ms';
  const gated = (name: string, traffic: number) => ({
    name,
    traffic,
    watch,
    interval,
    checks: ['healthz'],
    gates: ['error-rate'],
  });
  return shiftgateConfig.parse({
    environments: {
      [ENV]: {
        deployers: { users: [REQUESTER, DEPLOYER_2] },
        admins: { users: [ADMIN] },
        approval: {
          approvers: { users: [...APPROVERS, REQUESTER] },
          required: knobs.required ?? 1,
          allowSelfApproval: false,
          expiresAfter: knobs.expiresAfter ?? '1h',
        },
        // The image check needs the image pushed to the Artifact Registry twin: on where a test does so.
        preconditions: { image: knobs.imageCheck ?? 'off' },
        rollback: {
          onGateFailure: knobs.onGateFailure ?? 'automatic',
          approval: { required: knobs.rollbackRequired ?? 1 },
          breakGlass: { users: [ON_CALL] },
        },
      },
    },
    services: {
      [SERVICE]: {
        project: PROJECT,
        region: REGION,
        image: IMAGE_REPO,
        slackChannel: '#deploys',
        environments: {
          [ENV]: {
            cloudRunService: CLOUD_RUN_SERVICE,
            publicUrl: 'https://web.example.test',
            routeSplit: { baseUrl: ROUTE_SPLIT_TWIN_BASE_URL, token: 'env:ROUTE_SPLIT_TOKEN' },
          },
        },
      },
    },
    runbooks: {
      canary: {
        kind: 'canary',
        judge: { failureLimit: 0 },
        stages: [
          { name: 'A', traffic: 0, approval: false, checks: ['healthz'] },
          gated('B', 5),
          gated('C', 25),
          gated('D', 50),
          gated('E', 100),
        ],
        rollback: { routeOverride: 'legacy', checks: ['healthz'] },
      },
    },
    gates: {
      healthz: { kind: 'http', path: '/healthz', timeout: '2s' },
      'error-rate': {
        kind: 'cloud-monitoring',
        metric: 'error-rate',
        belowPercent: 1,
        minRequests: 20,
        ...(knobs.errorRateMode ? { mode: knobs.errorRateMode } : {}),
      },
    },
    monitoring: {
      samplePeriod: knobs.samplePeriod ?? '0s',
      ingestionLatency: knobs.ingestionLatency ?? '0s',
    },
  });
}

export interface WorldLog {
  warnings: string[];
  errors: string[];
}

/** `extra`: more twins' handlers for the same msw server (the Slack twin in the Slack tests). */
export function useEngineWorld(
  label: string,
  extra: RequestHandler[] = [],
  options: { visibility?: DataVisibility; logging?: LoggingTwinOptions } = {},
) {
  const cloudRun = createCloudRunTwin();
  // The twin holds data back as Cloud Monitoring does, and the adapter knows by how much (instant by default).
  const visibility = options.visibility ?? INSTANT_DATA;
  const metrics = createMonitoringTwin({
    project: PROJECT,
    service: CLOUD_RUN_SERVICE,
    location: REGION,
    ...visibility,
  });
  const routeSplit = createRouteSplitTwin();
  const registry = createArtifactRegistryTwin();
  const iam = createIamTwin();
  const health = { healthy: true, probes: 0 };
  const healthz = http.get(/^https:\/\/[^/]+\/healthz$/, () => {
    health.probes += 1;
    return health.healthy ? HttpResponse.text('ok') : HttpResponse.text('down', { status: 503 });
  });
  // The Logging twin (its own latency and read quota), read by the error-rate gate's fast signal.
  const logs = createLoggingTwin({
    project: PROJECT,
    service: CLOUD_RUN_SERVICE,
    location: REGION,
    ...options.logging,
  });
  useTwins(
    ...cloudRun.handlers,
    ...metrics.handlers,
    ...routeSplit.handlers,
    ...registry.handlers,
    ...iam.handlers,
    ...(options.logging ? logs.handlers : []),
    healthz,
    ...extra,
  );

  const cloudRunAdapter = new CloudRunAdapter({
    google: { projectId: PROJECT, endpoint: cloudRun.endpoint },
    pollMs: 2,
    maxPollMs: 10,
    operationTimeoutMs: 5_000,
    transientAttempts: 1,
    backoffMs: () => 1,
  });
  const monitoringAdapter = createCloudMonitoring({
    target: { projectId: PROJECT, endpoint: { host: 'monitoring.twin', port: 80, protocol: 'http' } },
    retryDelayMs: 1,
    visibility,
  });
  const preconditions = createPreconditions({
    registry: new ArtifactRegistryAdapter({
      google: { projectId: PROJECT, endpoint: registry.endpoint },
      retryDelayMs: 1,
    }),
    cloudRun: cloudRunAdapter,
    iam: createServiceAccounts({ google: { projectId: PROJECT, endpoint: iam.endpoint } }),
  });
  const errorBudget = createErrorBudgetReader({
    target: { projectId: PROJECT, endpoint: { host: 'monitoring.twin', port: 80, protocol: 'http' } },
    retryDelayMs: 1,
  });
  const routeSplitClient = createRouteSplit({
    baseUrl: ROUTE_SPLIT_TWIN_BASE_URL,
    token: ROUTE_SPLIT_TWIN_TOKEN,
  });
  const loggingAdapter = createCloudLogging({
    target: { projectId: PROJECT, endpoint: { host: 'logging.twin', port: 80, protocol: 'http' } },
    retryDelayMs: 1,
  });
  const errorCounts = options.logging
    ? createRequestErrorSource({ list: loggingAdapter.listEntries, minGapMs: 1_000 })
    : undefined;
  const gates = createGateRegistry({
    monitoring: widened(monitoringAdapter),
    ...(errorCounts ? { errorCounts } : {}),
  });

  const notifications: { rolloutId: string; notification: Notification }[] = [];
  const log: WorldLog = { warnings: [], errors: [] };
  let testStore: TestStore | undefined;
  let engines: Engine[] = [];
  let ids = 0;

  beforeEach(() => {
    cloudRun.reset();
    metrics.reset();
    logs.reset();
    routeSplit.reset();
    registry.reset();
    iam.reset();
    health.healthy = true;
    health.probes = 0;
    notifications.length = 0;
    log.warnings.length = 0;
    log.errors.length = 0;
    testStore = openTestStore(label);
  });

  afterEach(async () => {
    // Let what is under way finish (audit lines, last effects), but not forever: a test's dead replica
    // never finishes its step.
    const settled = (engine: Engine) =>
      Promise.race([engine.idle(), new Promise((resolve) => setTimeout(resolve, 2_000).unref())]);
    await Promise.all(engines.map((engine) => settled(engine)));
    await Promise.all(engines.map((engine) => engine.close({ force: true }).catch(() => {})));
    engines = [];
    await testStore?.cleanup();
  });

  afterAll(async () => {
    await Promise.all([
      cloudRunAdapter.close(),
      monitoringAdapter.close(),
      loggingAdapter.close(),
      errorBudget.close(),
    ]);
  });

  const world = {
    cloudRun,
    metrics,
    logs,
    routeSplit,
    /** The Artifact Registry twin (the image precondition). */
    registry,
    /** The IAM twin (actAs on the runtime service account, a precondition). */
    iam,
    /** The real route-split adapter, talking to the twin with the operator's token. */
    routeSplitClient,
    health,
    notifications,
    log,
    gates,
    cloudRunAdapter,
    get store() {
      return (testStore as TestStore).store;
    },
    get testStore() {
      return testStore as TestStore;
    },

    /** An engine over this test's prefix (its own store connection unless one is given); closed after the test. */
    engine(options: Partial<EngineOptions> & { config?: ShiftgateConfig } = {}): Engine {
      const t = testStore as TestStore;
      const config = options.config ?? testConfig();
      const engine = createEngine({
        store: options.store ?? t.store,
        redisUrl: REDIS_URL,
        cloudRun: cloudRunAdapter,
        routeSplit: () => routeSplitClient,
        errorBudget,
        preconditions,
        gates,
        config,
        flags: flagBackends({
          config,
          cloudRun: options.cloudRun ?? cloudRunAdapter,
          ...(options.secrets ? { secrets: options.secrets } : {}),
        }),
        notify: async (rolloutId, notification) => {
          notifications.push({ rolloutId, notification });
        },
        retry: { maxAttempts: 3, backoffMs: () => 50 },
        worker: { lockDurationMs: 1_000, stalledIntervalMs: 500 },
        sweep: { intervalMs: 0 },
        newId: () => `r${++ids}-${Math.random().toString(36).slice(2, 8)}`,
        log: {
          warn: (message, fields) => log.warnings.push(`${message} ${JSON.stringify(fields ?? {})}`),
          error: (message, fields) => log.errors.push(`${message} ${JSON.stringify(fields ?? {})}`),
        },
        ...options,
      });
      engines.push(engine);
      return engine;
    },

    /** The service serving 100 % from its one stable revision, with healthy traffic on it. */
    /** The service with its stable revision; `serviceAccount` is the template's runtime account. */
    seed(options: { serviceAccount?: string } = {}): string {
      const view = cloudRun.seedService({
        ...REF,
        image: `${IMAGE_REPO}:v1.0.0`,
        revision: STABLE_REVISION,
        ...options,
      });
      world.feed(STABLE_REVISION);
      return view.latestReadyRevision as string;
    },

    /** The stable revision, then a bad release serving 100 %: what a manual rollback undoes. */
    seedBadRelease(): void {
      world.seed();
      cloudRun.seedRevision(REF, { image: `${IMAGE_REPO}:v1.1.0`, name: BAD_REVISION });
      cloudRun.setTraffic(REF, [{ revision: BAD_REVISION, percent: 100 }]);
    },

    /** The revision a canary of `tag` deploys (the executor names it deterministically). */
    canaryRevision(rolloutId: string, tag: string): string {
      return `${CLOUD_RUN_SERVICE}-${revisionSuffix(CLOUD_RUN_SERVICE, tag, rolloutId)}`;
    },

    /** Requests served by `revision` every second from 70 s ago to 60 s ahead; `errorPercent` of them 5xx. */
    feed(revision: string, errorPercent = 0): void {
      const now = Date.now();
      for (let t = -70; t <= 60; t++) {
        const requests = 20;
        metrics.addTraffic(revision, {
          requests,
          errors5xx: Math.round((requests * errorPercent) / 100),
          at: now + t * 1000,
          service: CLOUD_RUN_SERVICE,
        });
      }
    },

    /** The split Cloud Run serves now. */
    split(): Record<string, number> {
      return cloudRun.service(REF).split;
    },

    /** Every update of the service (deploys and traffic changes), in order. */
    patches() {
      return cloudRun.recorder.requests.filter((r) => r.method === 'PATCH');
    },

    /** The split each PATCH asked for, in order (0 % entries left out). */
    patchedSplits(): Record<string, number>[] {
      return world.patches().map((p) => {
        const body = p.body as { traffic?: { revision?: string; percent?: number }[] };
        const split: Record<string, number> = {};
        for (const t of body.traffic ?? []) {
          if ((t.percent ?? 0) > 0)
            split[(t.revision ?? '').split('/').pop() as string] = t.percent as number;
        }
        return split;
      });
    },

    /** Polls the rollout until `check` passes (it throws on a mismatch, like expect). */
    async until(
      engine: Engine,
      rolloutId: string,
      check: (view: RolloutView) => void,
      timeout = 10_000,
    ): Promise<RolloutView> {
      let last: RolloutView | undefined;
      await vi.waitFor(
        async () => {
          last = await engine.get(rolloutId);
          expect(last).toBeDefined();
          check(last as RolloutView);
        },
        { timeout, interval: 20 },
      );
      return last as RolloutView;
    },
  };
  return world;
}

export type EngineWorld = ReturnType<typeof useEngineWorld>;

/** Starts a canary of `tag` and waits until it asks for stage B's approval. */
export async function startAtB(world: EngineWorld, engine: Engine, tag: string) {
  const stable = world.seed();
  const started = await engine.startCanary({ service: SERVICE, env: ENV, tag, requestedBy: REQUESTER });
  if (!started.ok) throw new Error(JSON.stringify(started));
  const id = started.rolloutId;
  const revision = world.canaryRevision(id, tag);
  world.feed(revision);
  await world.until(engine, id, (v) => {
    expect(v.status).toBe('awaiting-approval');
    expect((v.state as CanaryState).stage).toBe(1);
  });
  return { id, stable, revision };
}

/**
 * The world's Cloud Run adapter with some calls replaced (a replica that hangs or dies in one of them);
 * every other call goes to the real adapter.
 */
export function cloudRunWith(world: EngineWorld, overrides: Partial<CloudRun>): CloudRun {
  const real = world.cloudRunAdapter;
  return {
    describe: (ref) => real.describe(ref),
    listRevisions: (ref) => real.listRevisions(ref),
    describeRevision: (ref, revision) => real.describeRevision(ref, revision),
    describeJob: (ref) => real.describeJob(ref),
    runJob: (ref, options) => real.runJob(ref, options),
    rollbackTo: (ref, revision) => real.rollbackTo(ref, revision),
    deployNoTraffic: (ref, request) => real.deployNoTraffic(ref, request),
    setSplit: (ref, request) => real.setSplit(ref, request),
    setTraffic: (ref, split) => real.setTraffic(ref, split),
    setTag: (ref, tag, revision) => real.setTag(ref, tag, revision),
    ...overrides,
  };
}

/** A rollback that ran at once (not refused, not waiting for approval), or the test fails here. */
export function ran(result: RollbackStartResult): { rolloutId: string } {
  if (!result.ok || 'pending' in result)
    throw new Error(`expected a running rollback: ${JSON.stringify(result)}`);
  return result;
}
