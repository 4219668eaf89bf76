import { HttpResponse, http, type RequestHandler } from 'msw';
import { afterAll, afterEach, beforeEach, vi } from 'vitest';
import { createCloudRunTwin } from '../../sandbox/twins/cloud-run/index.ts';
import { createLoggingTwin, INSTANT_LOGS } from '../../sandbox/twins/logging/index.ts';
import { createMonitoringTwin, INSTANT_DATA } from '../../sandbox/twins/monitoring/index.ts';
import { type ShiftgateConfig, shiftgateConfig } from '../../src/config/schema.ts';
import type { SecretRef } from '../../src/config/secret-ref.ts';
import type { SecretResolver } from '../../src/config/secret-resolver.ts';
import { createGateRegistry } from '../../src/gates/registry.ts';
import { CloudRunAdapter } from '../../src/platform/cloud-run/index.ts';
import { createCloudLogging } from '../../src/platform/logging/index.ts';
import { createCloudMonitoring } from '../../src/platform/monitoring/index.ts';
import { createValidation, type Validation, type ValidationDeps } from '../../src/validation/index.ts';
import { ACCESS_TOKEN, createFakeControlService } from '../helpers/fake-control-service.ts';
import { useTwins } from '../helpers/msw.ts';
import { openTestStore, type TestStore } from '../helpers/redis.ts';

// The world the validation tests run in: the control service (the fake of the gate tests) and the
// runtime service answering at their public URLs, the Cloud Run twin holding both services and the
// runtime's migrate job, the Cloud Logging twin holding their logs, the real adapters pointed at the
// twins, a fresh Redis prefix per test, and a staging matrix shaped like seed 002's.

export const PROJECT = 'openagentsgemini';
export const REGION = 'us-central1';
export const ENV = 'staging';
export const CONTROL_URL = 'https://control.staging.example.test';
export const RUNTIME_URL = 'https://runtime.staging.example.test';
export const CONTROL_SERVICE = 'control-staging';
export const RUNTIME_SERVICE = 'runtime-staging';
export const MIGRATE_JOB = 'runtime-migrate-staging';
export const CONTROL_REVISION = 'control-staging-00007-abc';
export const RUNTIME_REVISION = 'runtime-staging-00012-def';
export const CONTROL_IMAGE = 'us-central1-docker.pkg.dev/openagentsgemini/control/control:v1.42.0';
export const RUNTIME_IMAGE = 'us-central1-docker.pkg.dev/openagentsgemini/runtime/runtime:v2.3.0';
export const OLD_RUNTIME_IMAGE = 'us-central1-docker.pkg.dev/openagentsgemini/runtime/runtime:v2.2.0';
export const DEPLOYER = 'UDEPLOYER';
export const APPROVER = 'UAPPROVER';
export const ADMIN = 'UADMIN01';
export const OUTSIDER = 'UOUTSIDER';
export const TOKEN_REF = 'env:STAGING_CONTROL_ACCESS_TOKEN';

export const CONTROL_REF = { project: PROJECT, region: REGION, service: CONTROL_SERVICE };
export const RUNTIME_REF = { project: PROJECT, region: REGION, service: RUNTIME_SERVICE };
export const JOB_REF = { project: PROJECT, region: REGION, job: MIGRATE_JOB };

/** Who may do what in every environment of these worlds. */
export const PEOPLE = {
  deployers: { users: [DEPLOYER] },
  admins: { users: [ADMIN] },
  approval: { approvers: { users: [APPROVER] }, required: 1 },
};

/** A two-stage canary: validation never runs it, but a config needs a runbook. */
export const RUNBOOKS = {
  canary: {
    kind: 'canary',
    stages: [
      { name: 'A', traffic: 0, approval: false, checks: ['healthz'] },
      { name: 'B', traffic: 100, checks: ['healthz'] },
    ],
  },
};

/** What the control and runtime services are in every environment of these worlds. */
export const CONTROL_BASE = {
  project: PROJECT,
  region: REGION,
  image: 'us-central1-docker.pkg.dev/openagentsgemini/control/control',
  slackChannel: '#deploys',
};
export const RUNTIME_BASE = {
  project: PROJECT,
  region: REGION,
  image: 'us-central1-docker.pkg.dev/openagentsgemini/runtime/runtime',
  slackChannel: '#runtime',
};

/** The control and runtime services' health gates. */
export const HEALTH_GATES = {
  healthz: { kind: 'http', path: '/healthz', expect: { status: 200, maxLatency: '2s' } },
  readyz: { kind: 'http', path: '/readyz' },
};

export interface MatrixKnobs {
  /** Whether staging's control service has an access token configured; default true. */
  accessToken?: boolean;
  /** The error-log lane: required (default false: optional, as a warning-only probe) and its limit. */
  logsRequired?: boolean;
  maxEntries?: number;
}

/** Seed 002's lanes for staging, and `dev` with no matrix. */
export function matrixConfig(knobs: MatrixKnobs = {}): ShiftgateConfig {
  const gatesLane = (name: string, services: string[], gates: string[]) => ({
    name,
    kind: 'gates',
    services,
    gates,
  });
  return shiftgateConfig.parse({
    environments: {
      [ENV]: {
        ...PEOPLE,
        validation: {
          description: 'Cutover readiness (seed 002)',
          lanes: [
            gatesLane('control-health', ['control'], ['healthz', 'readyz']),
            gatesLane('static-host-policy', ['control'], ['manifest-json', 'sw-js', 'immutable-asset']),
            gatesLane('control-smoke', ['control'], ['auth-session', 'sync-token']),
            gatesLane('runtime-health', ['runtime'], ['healthz']),
            { name: 'migration-drift', kind: 'migration-drift', services: ['runtime'] },
            {
              name: 'error-logs',
              kind: 'log-probe',
              services: ['control', 'runtime'],
              required: knobs.logsRequired ?? false,
              window: '10m',
              maxEntries: knobs.maxEntries ?? 5,
            },
            { name: 'canary-status', kind: 'canary-status', services: ['control'] },
          ],
        },
      },
      dev: PEOPLE,
    },
    services: {
      control: {
        ...CONTROL_BASE,
        defaultEnvironment: ENV,
        environments: {
          [ENV]: {
            cloudRunService: CONTROL_SERVICE,
            publicUrl: CONTROL_URL,
            ...(knobs.accessToken === false ? {} : { accessToken: TOKEN_REF }),
          },
          dev: { cloudRunService: 'control-dev', publicUrl: 'https://control.dev.example.test' },
        },
      },
      runtime: {
        ...RUNTIME_BASE,
        environments: {
          [ENV]: { cloudRunService: RUNTIME_SERVICE, publicUrl: RUNTIME_URL, migrateJob: MIGRATE_JOB },
        },
      },
    },
    runbooks: RUNBOOKS,
    gates: {
      ...HEALTH_GATES,
      'manifest-json': {
        kind: 'http',
        target: 'public',
        path: '/manifest.json',
        expect: { headers: { 'content-type': { matches: '^application/(manifest\\+)?json' } } },
      },
      'sw-js': {
        kind: 'http',
        target: 'public',
        path: '/sw.js',
        expect: { headers: { 'cache-control': { contains: 'no-cache' } } },
      },
      'immutable-asset': {
        kind: 'http',
        target: 'public',
        path: '/assets/app.abc123.js',
        expect: { headers: { 'cache-control': { contains: 'immutable' } } },
      },
      'auth-session': { kind: 'http', path: '/api/auth/session', auth: 'access-token' },
      'sync-token': {
        kind: 'http',
        method: 'POST',
        path: '/api/sync/token',
        auth: 'access-token',
        body: { scopes: ['runtime.codex_worker_events'] },
        expect: { body: { contains: 'token' } },
      },
    },
  });
}

/** `env:STAGING_CONTROL_ACCESS_TOKEN` is the fake control service's token; any other reference is unset. */
export const secrets: SecretResolver = {
  async resolve(ref: string | SecretRef) {
    const text = typeof ref === 'string' ? ref : ref.ref;
    if (text === TOKEN_REF) return ACCESS_TOKEN;
    throw new Error(`${text}: not set`);
  },
};

export function useValidationWorld(label: string, extra: RequestHandler[] = []) {
  const cloudRun = createCloudRunTwin();
  const logs = createLoggingTwin({ project: PROJECT, location: REGION, ...INSTANT_LOGS });
  const metrics = createMonitoringTwin({ project: PROJECT, ...INSTANT_DATA });
  const services = createFakeControlService([CONTROL_URL, RUNTIME_URL]);
  const server = useTwins(
    ...cloudRun.handlers,
    ...logs.handlers,
    ...metrics.handlers,
    ...services.handlers,
    ...extra,
  );

  const google = (host: string) => ({
    projectId: PROJECT,
    endpoint: { host, port: 80, protocol: 'http' as const },
  });
  const cloudRunAdapter = new CloudRunAdapter({
    google: { projectId: PROJECT, endpoint: cloudRun.endpoint },
    pollMs: 2,
    maxPollMs: 10,
    transientAttempts: 1,
    backoffMs: () => 1,
  });
  const logging = createCloudLogging({ target: google('logging.twin'), retryDelayMs: 1, attempts: 1 });
  const monitoring = createCloudMonitoring({
    target: google('monitoring.twin'),
    retryDelayMs: 1,
    visibility: INSTANT_DATA,
  });
  const gates = createGateRegistry({ logging, monitoring });

  let testStore: TestStore | undefined;
  const validations: Validation[] = [];
  beforeEach(() => {
    cloudRun.reset();
    logs.reset();
    metrics.reset();
    services.reset();
    testStore = openTestStore(label);
  });
  afterEach(async () => {
    await Promise.all(validations.map((v) => v.idle()));
    validations.length = 0;
    await testStore?.cleanup();
  });
  afterAll(async () => {
    await Promise.all([cloudRunAdapter.close(), logging.close(), monitoring.close()]);
  });

  const world = {
    cloudRun,
    logs,
    services,
    server,
    /** The ports a replica gives /validate. */
    ports: { cloudRun: cloudRunAdapter, gates, logging, secrets },
    get store() {
      return (testStore as TestStore).store;
    },

    validation(config: ShiftgateConfig = matrixConfig(), more: Partial<ValidationDeps> = {}): Validation {
      const validation = createValidation({
        ...world.ports,
        config,
        store: world.store,
        concurrency: 2,
        ...more,
      });
      validations.push(validation);
      return validation;
    },

    /** Everything healthy: both services serving one revision, the migration of the runtime's image done. */
    seed(): void {
      world.seedServices();
      // A little noise below the error-log limit.
      logs.addEntries(CONTROL_REVISION, 2, { service: CONTROL_SERVICE, severity: 'ERROR' });
      logs.addEntries(CONTROL_REVISION, 20, { service: CONTROL_SERVICE, severity: 'INFO' });
    },

    /** Both services serving one revision and the migration of the runtime's image done, in Cloud Run. */
    seedServices(): void {
      cloudRun.seedService({ ...CONTROL_REF, image: CONTROL_IMAGE, revision: CONTROL_REVISION });
      cloudRun.seedService({ ...RUNTIME_REF, image: RUNTIME_IMAGE, revision: RUNTIME_REVISION });
      cloudRun.seedJob({
        ...JOB_REF,
        image: RUNTIME_IMAGE,
        executions: [{ outcome: 'succeeded', image: OLD_RUNTIME_IMAGE }, { outcome: 'succeeded' }],
      });
    },

    /** The runtime's public URL stops answering: a network error, as for a host that is down. */
    runtimeUnreachable(): void {
      server.use(http.all(`${RUNTIME_URL}/*`, () => HttpResponse.error()));
    },
  };
  return world;
}

/** Polls until `check` passes (it throws on a mismatch, like expect). */
export function until<T>(check: () => T | Promise<T>, timeout = 10_000): Promise<T> {
  return vi.waitFor(check, { timeout, interval: 20 });
}
