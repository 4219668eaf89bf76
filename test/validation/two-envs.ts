import type { ReportsConfig } from '../../src/config/environments.ts';
import { type ShiftgateConfig, shiftgateConfig } from '../../src/config/schema.ts';
import { createFakeControlService } from '../helpers/fake-control-service.ts';
import {
  CONTROL_BASE,
  CONTROL_IMAGE,
  CONTROL_SERVICE,
  CONTROL_URL,
  HEALTH_GATES,
  MIGRATE_JOB,
  PEOPLE,
  PROJECT,
  REGION,
  RUNBOOKS,
  RUNTIME_BASE,
  RUNTIME_IMAGE,
  RUNTIME_SERVICE,
  RUNTIME_URL,
  TOKEN_REF,
  type useValidationWorld,
} from './world.ts';

// Staging and prod, each with a small matrix of seed 002's lanes over the same two services, for runs
// over both (`/validate staging prod`). Prod's services answer at their own URLs from a fake of their
// own, so a test breaks prod alone; prod's Cloud Run services and migrate job are seeded beside staging's.

export const PROD = 'prod';
export const PROD_CONTROL_URL = 'https://control.prod.example.test';
export const PROD_RUNTIME_URL = 'https://runtime.prod.example.test';
export const PROD_CONTROL_SERVICE = 'control';
export const PROD_RUNTIME_SERVICE = 'runtime';
export const PROD_MIGRATE_JOB = 'runtime-migrate';
export const PROD_CONTROL_REVISION = 'control-00031-xyz';
export const PROD_RUNTIME_REVISION = 'runtime-00040-uvw';
const PROD_CONTROL_REF = { project: PROJECT, region: REGION, service: PROD_CONTROL_SERVICE };
const PROD_RUNTIME_REF = { project: PROJECT, region: REGION, service: PROD_RUNTIME_SERVICE };
const PROD_JOB_REF = { project: PROJECT, region: REGION, job: PROD_MIGRATE_JOB };

/** Prod's services: their own state, so `prodServices.state.ready = false` breaks prod only. */
export const prodServices = createFakeControlService([PROD_CONTROL_URL, PROD_RUNTIME_URL]);

/** Five rows in each environment: control health (2), runtime health, migration drift, canary status. */
export function twoEnvConfig(
  reports: { staging?: ReportsConfig; prod?: ReportsConfig; requireGo?: boolean } = {},
): ShiftgateConfig {
  const lanes = [
    { name: 'control-health', kind: 'gates', services: ['control'], gates: ['healthz', 'readyz'] },
    { name: 'runtime-health', kind: 'gates', services: ['runtime'], gates: ['healthz'] },
    { name: 'migration-drift', kind: 'migration-drift', services: ['runtime'] },
    { name: 'canary-status', kind: 'canary-status', services: ['control'] },
  ];
  return shiftgateConfig.parse({
    environments: {
      staging: {
        ...PEOPLE,
        validation: { description: 'Staging readiness', lanes },
        ...(reports.staging ? { reports: reports.staging } : {}),
      },
      [PROD]: {
        ...PEOPLE,
        validation: { description: 'Production readiness', lanes },
        ...(reports.prod ? { reports: reports.prod } : {}),
        ...(reports.requireGo ? { requireGo: { from: 'staging', within: '1d' } } : {}),
      },
    },
    services: {
      control: {
        ...CONTROL_BASE,
        environments: {
          staging: { cloudRunService: CONTROL_SERVICE, publicUrl: CONTROL_URL, accessToken: TOKEN_REF },
          [PROD]: {
            cloudRunService: PROD_CONTROL_SERVICE,
            publicUrl: PROD_CONTROL_URL,
            accessToken: TOKEN_REF,
          },
        },
      },
      runtime: {
        ...RUNTIME_BASE,
        environments: {
          staging: { cloudRunService: RUNTIME_SERVICE, publicUrl: RUNTIME_URL, migrateJob: MIGRATE_JOB },
          [PROD]: {
            cloudRunService: PROD_RUNTIME_SERVICE,
            publicUrl: PROD_RUNTIME_URL,
            migrateJob: PROD_MIGRATE_JOB,
          },
        },
      },
    },
    runbooks: RUNBOOKS,
    gates: HEALTH_GATES,
  });
}

/** Staging's services as world.seed() has them, and prod beside them: both healthy, each on its own revisions. */
export function seedBoth(world: ReturnType<typeof useValidationWorld>): void {
  world.seedServices();
  world.cloudRun.seedService({ ...PROD_CONTROL_REF, image: CONTROL_IMAGE, revision: PROD_CONTROL_REVISION });
  world.cloudRun.seedService({ ...PROD_RUNTIME_REF, image: RUNTIME_IMAGE, revision: PROD_RUNTIME_REVISION });
  world.cloudRun.seedJob({ ...PROD_JOB_REF, image: RUNTIME_IMAGE, executions: [{ outcome: 'succeeded' }] });
  prodServices.reset();
}
