import { closest } from '../config/names.ts';
import type { ShiftgateConfig } from '../config/schema.ts';
import { type ServiceTarget, serviceTarget } from '../config/target.ts';
import type { ValidationLane, ValidationMatrix } from '../config/validation.ts';
import { smokeCheckName } from '../config/validation-lanes.ts';
import type { PlannedCheck, ValidationTarget } from './types.ts';

// The rows of a run: environment by environment in the order asked, and within each the order its config
// lists them: lane by lane, each lane's services in order, and in a gates lane each service's gates in
// order (a runtime-smoke lane's health paths, then its requests). Every row carries its environment, so
// a check reads its lane, target and window from the row and a lane kind never has to know how many
// environments the run covers. A lane with `phases` is planned only when the run names one of them.

export type Matrix =
  | {
      ok: true;
      /** Each environment's matrix, by environment. */
      matrices: Record<string, ValidationMatrix>;
      plan: PlannedCheck[];
      targets: ValidationTarget[];
    }
  | {
      ok: false;
      reason: 'unknown-environment' | 'no-matrix' | 'duplicate-environment' | 'unknown-phase';
      message: string;
    };

export function planOf(
  config: ShiftgateConfig,
  asked: string | readonly string[],
  options: { phase?: string } = {},
): Matrix {
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
  const { phase } = options;
  if (phase !== undefined) {
    const known = [...new Set(envs.flatMap((env) => phasesOf(matrices[env] as ValidationMatrix)))];
    const env = envs.join(' and ');
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
  const targets: ValidationTarget[] = [];
  for (const env of envs) {
    const used = new Set<string>();
    for (const lane of (matrices[env] as ValidationMatrix).lanes) {
      if (lane.phases && (phase === undefined || !lane.phases.includes(phase))) continue;
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
