import type { ShiftgateConfig } from '../config/schema.ts';
import { type ServiceTarget, serviceTarget } from '../config/target.ts';
import type { ValidationLane, ValidationMatrix } from '../config/validation.ts';
import type { PlannedCheck, ValidationTarget } from './types.ts';

// The rows of a run: environment by environment in the order asked, and within each the order its config
// lists them: lane by lane, each lane's services in order, and in a gates lane each service's gates in
// order. Every row carries its environment, so a check reads its lane, target and window from the row and
// a lane kind never has to know how many environments the run covers.

export type Matrix =
  | {
      ok: true;
      /** Each environment's matrix, by environment. */
      matrices: Record<string, ValidationMatrix>;
      plan: PlannedCheck[];
      targets: ValidationTarget[];
    }
  | { ok: false; reason: 'unknown-environment' | 'no-matrix' | 'duplicate-environment'; message: string };

export function planOf(config: ShiftgateConfig, asked: string | readonly string[]): Matrix {
  const envs = typeof asked === 'string' ? [asked] : asked;
  const known = Object.keys(config.environments).join(', ') || 'none';
  if (envs.length === 0) {
    return { ok: false, reason: 'unknown-environment', message: `no environment named (known: ${known})` };
  }
  const matrices: Record<string, ValidationMatrix> = {};
  for (const env of envs) {
    if (Object.hasOwn(matrices, env)) {
      return {
        ok: false,
        reason: 'duplicate-environment',
        message: `environment "${env}" is named twice (known: ${known})`,
      };
    }
    const environment = Object.hasOwn(config.environments, env) ? config.environments[env] : undefined;
    if (!environment) {
      return {
        ok: false,
        reason: 'unknown-environment',
        message: `no environment "${env}" (known: ${known})`,
      };
    }
    const matrix = environment.validation;
    if (!matrix) {
      return {
        ok: false,
        reason: 'no-matrix',
        message: `environment "${env}" has no validation matrix: add environments.${env}.validation.lanes to the config (examples/shiftgate.yaml has seed 002's)`,
      };
    }
    matrices[env] = matrix;
  }
  const plan: PlannedCheck[] = [];
  const targets: ValidationTarget[] = [];
  for (const env of envs) {
    const used = new Set<string>();
    for (const lane of (matrices[env] as ValidationMatrix).lanes) {
      for (const service of lane.services) {
        used.add(service);
        for (const check of checksOf(lane)) {
          plan.push({ env, lane: lane.name, kind: lane.kind, check, service, required: lane.required });
        }
      }
    }
    targets.push(...[...used].map((service) => describeTarget(env, laneTarget(config, service, env))));
  }
  return { ok: true, matrices, plan, targets };
}

function checksOf(lane: ValidationLane): string[] {
  return lane.kind === 'gates' ? lane.gates : [lane.kind];
}

/** The service in this environment; the schema checked every lane's services have it. */
export function laneTarget(config: ShiftgateConfig, service: string, env: string): ServiceTarget {
  const target = serviceTarget(config, service, env);
  if (!target) throw new TypeError(`service "${service}" has no environment "${env}" in the config`);
  return target;
}

/** The lane a planned check belongs to, in its environment's matrix. */
export function laneOf(
  matrices: Readonly<Record<string, ValidationMatrix>>,
  check: PlannedCheck,
): ValidationLane {
  const lane = matrices[check.env]?.lanes.find((l) => l.name === check.lane);
  if (!lane) throw new TypeError(`no lane "${check.lane}" in the matrix of ${check.env}`);
  return lane;
}

function describeTarget(env: string, target: ServiceTarget): ValidationTarget {
  return {
    env,
    service: target.service,
    cloudRunService: target.cloudRunService,
    project: target.project,
    region: target.region,
    publicUrl: target.publicUrl,
    ...(target.migrateJob ? { migrateJob: target.migrateJob } : {}),
    accessToken: target.accessToken !== undefined,
  };
}
