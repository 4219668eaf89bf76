import type { ShiftgateConfig } from '../config/schema.ts';
import { type ServiceTarget, serviceTarget } from '../config/target.ts';
import type { ValidationLane, ValidationMatrix } from '../config/validation.ts';
import type { PlannedCheck, ValidationTarget } from './types.ts';

// The rows of an environment's matrix, in the order the config lists them: lane by lane, each lane's
// services in order, and in a gates lane each service's gates in order.

export type Matrix =
  | { ok: true; matrix: ValidationMatrix; plan: PlannedCheck[]; targets: ValidationTarget[] }
  | { ok: false; reason: 'unknown-environment' | 'no-matrix'; message: string };

export function planOf(config: ShiftgateConfig, env: string): Matrix {
  const environment = config.environments[env];
  if (!environment) {
    const known = Object.keys(config.environments).join(', ') || 'none';
    return { ok: false, reason: 'unknown-environment', message: `no environment "${env}" (known: ${known})` };
  }
  const matrix = environment.validation;
  if (!matrix) {
    return {
      ok: false,
      reason: 'no-matrix',
      message: `environment "${env}" has no validation matrix: add environments.${env}.validation.lanes to the config (examples/shiftgate.yaml has seed 002's)`,
    };
  }
  const plan: PlannedCheck[] = [];
  const used = new Set<string>();
  for (const lane of matrix.lanes) {
    for (const service of lane.services) {
      used.add(service);
      for (const check of checksOf(lane)) {
        plan.push({ lane: lane.name, kind: lane.kind, check, service, required: lane.required });
      }
    }
  }
  const targets = [...used].map((service) => describeTarget(laneTarget(config, service, env)));
  return { ok: true, matrix, plan, targets };
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

/** The lane a planned check belongs to. */
export function laneOf(matrix: ValidationMatrix, check: PlannedCheck): ValidationLane {
  const lane = matrix.lanes.find((l) => l.name === check.lane);
  if (!lane) throw new TypeError(`no lane "${check.lane}" in the matrix`);
  return lane;
}

function describeTarget(target: ServiceTarget): ValidationTarget {
  return {
    service: target.service,
    cloudRunService: target.cloudRunService,
    project: target.project,
    region: target.region,
    publicUrl: target.publicUrl,
    ...(target.migrateJob ? { migrateJob: target.migrateJob } : {}),
    accessToken: target.accessToken !== undefined,
  };
}
