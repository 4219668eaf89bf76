import { z } from 'zod';
import { duration } from './duration.ts';
import type { Gate } from './gates.ts';
import { closest, name } from './names.ts';
import {
  backupFields,
  checkBackup,
  checkExternalCi,
  checkRuntimeSmoke,
  externalCiFields,
  runtimeSmokeFields,
} from './validation-lanes.ts';

// The validation matrix of seed 002 for one environment (`environments.<env>.validation`): lanes, each
// run against one or more services of that environment, each required (the seed's default: every check
// but the optional surface-parity harness is required) or optional. `/validate <env>` runs them; see
// src/validation for what each lane kind does and src/validation/verdict.ts for the go/no-go policy.
//
// There is no canary in a validation: probes go to each service's publicUrl (a gate's `target: canary`
// too), or to its run.app URL for `target: service` (seed 001, while the domain mapping is pending), and
// gates that compare a canary with its stable revision cannot be used in a lane.

const services = z
  .array(name)
  .min(1, { error: 'name at least one service, e.g. [control]' })
  .meta({ description: "Services of this environment the lane's checks run against, one row each" });

const common = {
  name,
  description: z.string().optional(),
  services,
  required: z.boolean().default(true).meta({
    description:
      'Required checks must pass for a go (and cannot be skipped in gating mode); optional ones only warn',
  }),
  window: duration.prefault('10m').meta({
    description: 'How far back the lane reads logs (log probes, audit-event gates); the seed reads 10m',
  }),
  phases: z
    .array(name)
    .min(1, { error: 'name at least one phase, or leave phases out to run the lane in every validation' })
    .optional()
    .meta({
      description:
        'Run this lane only when /validate names one of these phases (`--phase legacy-deletion`); without phases it runs in every run',
    }),
};

const gatesLane = z.strictObject({
  ...common,
  kind: z.literal('gates').meta({
    description:
      'Gates (http, sse-contract, route-split, domain-mapping, cloud-logging audit-events) against each service: health, static host policy, authenticated and maintenance smoke, the domain mapping',
  }),
  gates: z.array(name).min(1, { error: 'name at least one gate' }),
});

const migrationDriftLane = z.strictObject({
  ...common,
  kind: z.literal('migration-drift').meta({
    description:
      "The service's image equals its migrateJob's image, and the job's latest execution succeeded with it",
  }),
});

const logProbeLane = z.strictObject({
  ...common,
  kind: z.literal('log-probe').meta({
    description: 'Counts log entries matching `filter` on the revisions serving traffic over `window`',
  }),
  filter: z
    .string()
    .min(1)
    .default('severity>=ERROR')
    .meta({ description: 'Cloud Logging filter; shiftgate adds the service, revision and window' }),
  maxEntries: z.int().min(0).optional().meta({
    description:
      'Fail when more entries match; without it the probe records the count and passes when the logs could be read (the seed)',
  }),
});

const canaryStatusLane = z.strictObject({
  ...common,
  kind: z.literal('canary-status').meta({
    description:
      'Rollback readiness: no rollout or rollback in progress, and one revision serving 100 % of the traffic',
  }),
});

const immutableAssetsLane = z.strictObject({
  ...common,
  kind: z.literal('immutable-assets').meta({
    description:
      "Static host policy (seed 002): every asset the web shell's manifest names is served immutable and long-cached",
  }),
  manifest: z
    .string()
    .regex(/^\/\S*$/)
    .default('/manifest.json')
    .meta({ description: 'The manifest, on the public URL' }),
  minMaxAge: z
    .int()
    .min(0)
    .default(31_536_000)
    .meta({ description: 'Least max-age in seconds (default a year)' }),
});

const externalCiLane = z.strictObject({ ...common, ...externalCiFields }).superRefine(checkExternalCi);
const backupLane = z.strictObject({ ...common, ...backupFields }).superRefine(checkBackup);
const runtimeSmokeLane = z.strictObject({ ...common, ...runtimeSmokeFields }).superRefine(checkRuntimeSmoke);

export const validationLane = z.discriminatedUnion('kind', [
  gatesLane,
  migrationDriftLane,
  logProbeLane,
  canaryStatusLane,
  immutableAssetsLane,
  externalCiLane,
  backupLane,
  runtimeSmokeLane,
]);
export type ValidationLane = z.infer<typeof validationLane>;
export type ValidationLaneKind = ValidationLane['kind'];

export const validationMatrix = z
  .strictObject({
    description: z.string().optional(),
    lanes: z.array(validationLane).min(1, { error: 'expected at least one lane' }),
  })
  .superRefine((matrix, ctx) => {
    const seen = new Set<string>();
    matrix.lanes.forEach((lane, i) => {
      if (seen.has(lane.name)) {
        ctx.addIssue({
          code: 'custom',
          path: ['lanes', i, 'name'],
          message: `lane "${lane.name}" is used twice`,
        });
      }
      seen.add(lane.name);
    });
  })
  .meta({ description: 'The validation matrix /validate runs in this environment (seed 002)' });
export type ValidationMatrix = z.infer<typeof validationMatrix>;

/** Why a gate cannot run in a validation lane, or undefined when it can. */
export function unusableInValidation(gate: Gate): string | undefined {
  switch (gate.kind) {
    case 'http':
    case 'sse-contract':
    case 'route-split':
    case 'domain-mapping':
      return undefined;
    case 'cloud-logging':
      return gate.check === 'audit-events'
        ? undefined
        : 'compares canary errors with the stable revision, and a validation has no canary: use a log-probe lane';
    case 'cloud-monitoring':
      return 'compares a canary revision with its stable one, and a validation has no canary';
    case 'prometheus':
      return 'is judged against a rollout (values captured before a change), which a validation does not have';
  }
}

type Path = (string | number)[];
type Issue = (path: Path, message: string) => void;

interface LooseTarget {
  migrateJob?: unknown;
  routeSplit?: unknown;
}

/** The parts of the config the references point into; partial when other parts failed to parse. */
export interface LooseValidationConfig {
  environments?: Record<string, { validation?: { lanes?: unknown } } | undefined>;
  services?: Record<string, { environments?: Record<string, LooseTarget | undefined> } | undefined>;
  gates?: Record<string, Gate | undefined>;
}

/** Services, gates and migrate jobs that the lanes of every environment's matrix name. */
export function checkValidationReferences(config: LooseValidationConfig, issue: Issue): void {
  const allServices = config.services ?? {};
  const gates = config.gates ?? {};
  const unknown = (what: string, word: string, known: string[]) => {
    const hint = closest(word, known);
    return `no ${what} named "${word}" (${hint ? `did you mean "${hint}"?` : `known: ${known.join(', ') || 'none'}`})`;
  };
  for (const [env, environment] of Object.entries(config.environments ?? {})) {
    const lanes = environment?.validation?.lanes;
    if (!Array.isArray(lanes)) continue;
    lanes.forEach((raw, i) => {
      const lane = raw as Partial<ValidationLane> | undefined;
      const at: Path = ['environments', env, 'validation', 'lanes', i];
      const targets: LooseTarget[] = [];
      (Array.isArray(lane?.services) ? lane.services : []).forEach((service, j) => {
        const svc = allServices[service];
        if (!svc) {
          issue([...at, 'services', j], unknown('service', service, Object.keys(allServices)));
          return;
        }
        const target = svc.environments?.[env];
        if (!target) {
          issue([...at, 'services', j], `service "${service}" has no environment "${env}"`);
          return;
        }
        targets.push(target);
        if (lane?.kind === 'migration-drift' && !target.migrateJob) {
          issue(
            [...at, 'services', j],
            `a migration-drift lane needs services.${service}.environments.${env}.migrateJob`,
          );
        }
      });
      if (lane?.kind !== 'gates' || !Array.isArray(lane.gates)) return;
      lane.gates.forEach((gateName, j) => {
        const gate = gates[gateName];
        if (!gate) {
          issue([...at, 'gates', j], unknown('gate', gateName, Object.keys(gates)));
          return;
        }
        const why = unusableInValidation(gate);
        if (why) issue([...at, 'gates', j], `gate "${gateName}" (${gate.kind}) ${why}`);
        if (gate.kind === 'route-split' && targets.some((t) => !t.routeSplit)) {
          issue(
            [...at, 'gates', j],
            `route-split gate "${gateName}" needs routeSplit on each of the lane's services`,
          );
        }
      });
    });
  }
}
