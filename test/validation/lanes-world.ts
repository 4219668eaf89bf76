import type { RequestHandler } from 'msw';
import { afterAll, beforeEach } from 'vitest';
import { createCloudBuildTwin } from '../../sandbox/twins/cloud-build/index.ts';
import { createCloudSqlTwin } from '../../sandbox/twins/cloud-sql/index.ts';
import { createGithubTwin, GITHUB_TWIN_ORIGIN, GITHUB_TWIN_TOKEN } from '../../sandbox/twins/github/index.ts';
import { createStorageTwin } from '../../sandbox/twins/storage/index.ts';
import type { ShiftgateConfig } from '../../src/config/schema.ts';
import type { SecretRef } from '../../src/config/secret-ref.ts';
import type { SecretResolver } from '../../src/config/secret-resolver.ts';
import { validationMatrix } from '../../src/config/validation.ts';
import { createCloudBuild } from '../../src/platform/cloud-build/index.ts';
import { createCloudSql } from '../../src/platform/cloud-sql/index.ts';
import { createCheckRuns } from '../../src/platform/github/index.ts';
import { createStorageObjects } from '../../src/platform/storage/index.ts';
import type { Validation, ValidationDeps } from '../../src/validation/index.ts';
import {
  DEPLOYER,
  ENV,
  matrixConfig,
  PROJECT,
  TOKEN_REF,
  useValidationWorld,
  secrets as worldSecrets,
} from './world.ts';

// The validation world of world.ts plus what the external-ci, backup and runtime-smoke lanes read: the
// Cloud Build, GitHub, Cloud Storage and Cloud SQL twins, each behind the real adapter, and a staging
// matrix holding the lanes as examples/shiftgate.yaml has them (Khala contract on Cloud Build, surface
// parity as a GitHub check, the runtime smoke, the legacy DB backup of the legacy-deletion phase).

export const REPO = 'OpenAgentsInc/openagents';
export const GITHUB_TOKEN_REF = 'env:GITHUB_CHECKS_TOKEN';
export const BACKUP_BUCKET = 'openagents-db-backups';
export const BACKUP_PREFIX = 'laravel/';
export const SQL_INSTANCE = 'laravel-db';
export const COMMIT = '0123456789abcdef0123456789abcdef01234567';
export const HOUR = 3_600_000;

export interface LaneKnobs {
  /** The backup lane reads Cloud SQL instead of Cloud Storage. */
  backupFrom?: 'gcs' | 'cloud-sql';
  /** Runtime gets staging's access token (the runtime smoke's authority requests send it). */
  runtimeToken?: boolean;
}

/** The four lanes of the seed on staging, and nothing else, so each test reads only what it is about. */
export function lanesConfig(knobs: LaneKnobs = {}): ShiftgateConfig {
  const config = matrixConfig();
  const environment = config.environments[ENV];
  if (!environment) throw new Error('no staging');
  environment.validation = validationMatrix.parse({
    description: 'Cutover readiness (seed 002)',
    lanes: [
      {
        name: 'khala-contract',
        kind: 'external-ci',
        services: ['runtime'],
        cloudBuild: { tags: ['khala-contract'] },
      },
      {
        name: 'surface-parity',
        kind: 'external-ci',
        services: ['control'],
        required: false,
        github: {
          repo: REPO,
          check: 'cross-surface-contract-harness',
          token: GITHUB_TOKEN_REF,
          apiUrl: 'https://github.example.test/api/v3',
        },
      },
      {
        name: 'runtime-smoke',
        kind: 'runtime-smoke',
        services: ['runtime'],
        requests: [
          {
            name: 'authorize',
            method: 'POST',
            path: '/api/policy/authorize',
            body: { scope: 'runtime.codex_worker_events' },
            expect: { json: { allowed: true } },
          },
          { path: '/api/auth/session', expect: { json: { 'user.email': 'canary-smoke@openagents.com' } } },
        ],
      },
      {
        name: 'legacy-db-backup',
        kind: 'backup',
        services: ['control'],
        phases: ['legacy-deletion'],
        maxAge: '24h',
        ...(knobs.backupFrom === 'cloud-sql'
          ? { cloudSql: { instance: SQL_INSTANCE } }
          : { gcs: { bucket: BACKUP_BUCKET, prefix: BACKUP_PREFIX } }),
      },
    ],
  });
  const runtime = config.services.runtime?.environments[ENV];
  const control = config.services.control?.environments[ENV];
  if (knobs.runtimeToken !== false && runtime && control?.accessToken)
    runtime.accessToken = control.accessToken;
  return config;
}

/** staging's access token as world.ts resolves it, and the GitHub twin's token. */
export const secrets: SecretResolver = {
  async resolve(ref: string | SecretRef) {
    const text = typeof ref === 'string' ? ref : ref.ref;
    if (text === GITHUB_TOKEN_REF) return GITHUB_TWIN_TOKEN;
    if (text === TOKEN_REF) return worldSecrets.resolve(ref);
    throw new Error(`${text}: not set`);
  },
};

export function useLanesWorld(label: string, extra: RequestHandler[] = []) {
  const cloudBuild = createCloudBuildTwin();
  const github = createGithubTwin({ origin: GITHUB_TWIN_ORIGIN, repos: [REPO] });
  const storage = createStorageTwin({ origin: 'http://storage.twin', buckets: [BACKUP_BUCKET] });
  const sql = createCloudSqlTwin();
  const world = useValidationWorld(label, [
    ...cloudBuild.handlers,
    ...github.handlers,
    ...storage.handlers,
    ...sql.handlers,
    ...extra,
  ]);
  const google = (host: string) => ({
    projectId: PROJECT,
    endpoint: { host, port: 80, protocol: 'http' as const },
  });
  const cloudBuildAdapter = createCloudBuild({ google: google('cloudbuild.twin'), retryDelayMs: 1 });
  const sqlAdapter = createCloudSql({ google: google('sqladmin.twin'), retryDelayMs: 1 });
  const ports = {
    ...world.ports,
    secrets,
    cloudBuild: cloudBuildAdapter,
    checkRuns: createCheckRuns({ baseUrl: GITHUB_TWIN_ORIGIN }),
    storage: createStorageObjects({ target: google('storage.twin'), maxRetries: 0 }),
    sqlBackups: sqlAdapter,
  };
  beforeEach(() => {
    cloudBuild.reset();
    github.reset();
    storage.reset();
    sql.reset();
  });
  afterAll(async () => {
    await Promise.all([cloudBuildAdapter.close(), sqlAdapter.close()]);
  });

  const baseValidation = world.validation;
  function validation(
    config: ShiftgateConfig = lanesConfig(),
    more: Partial<ValidationDeps> = {},
  ): Validation {
    return baseValidation(config, { ...ports, ...more });
  }

  // Assigned onto the world, whose store is a getter that only answers inside a test.
  return Object.assign(world, {
    cloudBuild,
    github,
    storage,
    sql,
    /** The ports a replica gives /validate, these lanes' included. */
    ports,
    validation,
    /** world.ts's healthy services, a green Khala build and parity check, a backup from an hour ago. */
    seedLanes(): void {
      world.seed();
      cloudBuild.addBuild({
        project: PROJECT,
        tags: ['khala-contract'],
        substitutions: { COMMIT_SHA: COMMIT, SHORT_SHA: COMMIT.slice(0, 7) },
        images: ['us-central1-docker.pkg.dev/openagentsgemini/runtime/runtime:v2.3.0'],
        status: 'SUCCESS',
      });
      github.addCheckRun(REPO, {
        sha: COMMIT,
        name: 'cross-surface-contract-harness',
        conclusion: 'success',
      });
      storage.putObject(
        BACKUP_BUCKET,
        `${BACKUP_PREFIX}laravel-20261130T0900.sql.gz`,
        'dump',
        'application/gzip',
        {
          at: new Date(Date.now() - HOUR),
        },
      );
    },
    async run(options: { phase?: string; sha?: string; image?: string; config?: ShiftgateConfig } = {}) {
      const validating = validation(options.config ?? lanesConfig());
      const begun = await validating.begin({
        env: ENV,
        mode: 'gating',
        requestedBy: DEPLOYER,
        ...(options.phase ? { phase: options.phase } : {}),
        ...(options.sha || options.image
          ? {
              subject: {
                ...(options.sha ? { sha: options.sha } : {}),
                ...(options.image ? { image: options.image } : {}),
              },
            }
          : {}),
      });
      if (!begun.ok) throw new Error(begun.message);
      return validating.execute(begun.run);
    },
  });
}
