import { closest } from '../config/names.ts';
import type { ShiftgateConfig } from '../config/schema.ts';
import { type ServiceTarget, serviceTarget } from '../config/target.ts';
import type { ValidationLane, ValidationMatrix } from '../config/validation.ts';
import { smokeCheckName } from '../config/validation-lanes.ts';
import type { PlannedCheck, ValidationTarget } from './types.ts';

// The rows of an environment's matrix, in the order the config lists them: lane by lane, each lane's
// services in order, and in a gates lane each service's gates in order (a runtime-smoke lane's health
// paths, then its requests). A lane with `phases` is planned only when the run names one of them.

export type Matrix =
  | { ok: true; matrix: ValidationMatrix; plan: PlannedCheck[]; targets: ValidationTarget[] }
  | { ok: false; reason: 'unknown-environment' | 'no-matrix' | 'unknown-phase'; message: string };

export function planOf(config: ShiftgateConfig, env: string, options: { phase?: string } = {}): Matrix {
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
  const { phase } = options;
  if (phase !== undefined) {
    const known = phasesOf(matrix);
    if (!known.includes(phase)) {
      const near = closest(phase, known);
      return {
        ok: false,
        reason: 'unknown-phase',
        message:
          known.length === 0
            ? `no lane of the ${env} matrix is limited to a phase, so there is no phase "${phase}" to validate (run it without --phase)`
            : `no phase "${phase}" in the ${env} matrix (${near ? `did you mean "${near}"? ` : ''}known phases: ${known.join(', ')})`,
      };
    }
  }
  const plan: PlannedCheck[] = [];
  const used = new Set<string>();
  for (const lane of matrix.lanes) {
    if (lane.phases && (phase === undefined || !lane.phases.includes(phase))) continue;
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
  if (lane.kind === 'gates') return lane.gates;
  if (lane.kind === 'runtime-smoke')
    return [...lane.health.map((path) => `GET ${path}`), ...lane.requests.map(smokeCheckName)];
  return [lane.kind];
}

/** The phases lanes of the matrix are limited to, in the order they first appear. */
export function phasesOf(matrix: ValidationMatrix): string[] {
  return [...new Set(matrix.lanes.flatMap((lane) => lane.phases ?? []))];
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
