import { z } from 'zod';
import { environment } from './environments.ts';
import { gate } from './gates.ts';
import { monitoringVisibility } from './monitoring.ts';
import { closest, namedMap } from './names.ts';
import { runbook } from './runbooks.ts';
import { service } from './services.ts';
import { checkValidationReferences, type LooseValidationConfig } from './validation.ts';

// The runbook config (examples/shiftgate.yaml). Each part is checked on its own, then the references
// between parts: environments named by services, runbooks named by services, gates named by stages.

const configObject = z.strictObject({
  $schema: z.string().optional(),
  environments: namedMap(environment).refine((map) => Object.keys(map).length > 0, {
    error: 'expected at least one environment, e.g. staging',
  }),
  services: namedMap(service).refine((map) => Object.keys(map).length > 0, {
    error: 'expected at least one service',
  }),
  runbooks: namedMap(runbook),
  gates: namedMap(gate).default({}),
  monitoring: monitoringVisibility,
});

type Path = (string | number)[];
type Config = z.infer<typeof configObject>;

// The references are checked even when parts failed above (`when`), so one run reports every problem;
// the data may then be partial, hence the defensive reads.
type DeepPartial<T> = { [K in keyof T]?: T[K] extends object ? DeepPartial<T[K]> : T[K] };
type LooseConfig = DeepPartial<Config>;

function checkReferences(config: LooseConfig, issue: (path: Path, message: string) => void): void {
  const environments = config.environments ?? {};
  const runbooks = config.runbooks ?? {};
  const gates = config.gates ?? {};
  const unknown = (what: string, name: string, map: object) => {
    const hint = closest(name, Object.keys(map));
    return `no ${what} named "${name}" (${hint ? `did you mean "${hint}"?` : `known: ${Object.keys(map).join(', ') || 'none'}`})`;
  };
  const list = (value: unknown): string[] =>
    Array.isArray(value) ? value.filter((v) => typeof v === 'string') : [];

  for (const [runbookName, book] of Object.entries(runbooks)) {
    const at: Path = ['runbooks', runbookName];
    const refs: [Path, string][] = [];
    (Array.isArray(book?.stages) ? book.stages : []).forEach((s, i) => {
      for (const field of ['checks', 'gates'] as const) {
        for (const [j, g] of list(s?.[field]).entries()) refs.push([[...at, 'stages', i, field, j], g]);
      }
    });
    for (const [j, g] of list(book?.rollback?.checks).entries())
      refs.push([[...at, 'rollback', 'checks', j], g]);
    for (const [path, gateName] of refs) {
      if (!(gateName in gates)) issue(path, unknown('gate', gateName, gates));
    }
  }

  for (const [serviceName, svc] of Object.entries(config.services ?? {})) {
    const base: Path = ['services', serviceName];
    const fallback = svc?.defaultEnvironment;
    if (fallback !== undefined && !(fallback in (svc?.environments ?? {}))) {
      issue([...base, 'defaultEnvironment'], unknown('environment', fallback, svc?.environments ?? {}));
    }
    for (const [envName, target] of Object.entries(svc?.environments ?? {})) {
      const at: Path = [...base, 'environments', envName];
      if (!(envName in environments)) {
        issue(at, unknown('environment', envName, environments));
      }
      for (const field of ['project', 'region', 'image', 'slackChannel'] as const) {
        if (!target?.[field] && !svc?.[field])
          issue([...at, field], `missing: set it here or at ${base.join('.')}.${field}`);
      }
      const runbookName = target?.runbook ?? svc?.runbook ?? 'canary';
      const book = runbooks[runbookName];
      if (!book) {
        issue([...at, 'runbook'], unknown('runbook', runbookName, runbooks));
        continue;
      }
      const stages = Array.isArray(book.stages) ? book.stages : [];
      const used = new Set([
        ...stages.flatMap((s) => [...list(s?.checks), ...list(s?.gates)]),
        ...list(book.rollback?.checks),
      ]);
      for (const gateName of used) {
        const g = gates[gateName];
        if (g?.kind === 'route-split' && !target?.routeSplit) {
          issue(
            [...at, 'routeSplit'],
            `runbook "${runbookName}" uses route-split gate "${gateName}": set routeSplit`,
          );
        }
        if (g?.kind === 'prometheus' && !g.url && !target?.prometheusUrl) {
          issue(
            [...at, 'prometheusUrl'],
            `runbook "${runbookName}" uses prometheus gate "${gateName}" without a url`,
          );
        }
      }
      if (book.rollback?.routeOverride && !target?.routeSplit) {
        issue(
          [...at, 'routeSplit'],
          `runbook "${runbookName}" overrides the route split on rollback: set routeSplit`,
        );
      }
    }
  }
  checkValidationReferences(config as LooseValidationConfig, issue);
}

export const shiftgateConfig = configObject.superRefine(
  (config, ctx) =>
    checkReferences(config as LooseConfig, (path, message) =>
      ctx.addIssue({ code: 'custom', path, message }),
    ),
  { when: () => true },
);

export type ShiftgateConfig = z.infer<typeof shiftgateConfig>;

/** The JSON Schema of the config as written (durations as strings), for editors. */
export function configJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(configObject, { io: 'input', target: 'draft-2020-12', unrepresentable: 'any' }),
    $id: 'https://shiftgate.dev/schema/shiftgate.schema.json',
    title: 'shiftgate runbook config',
  };
}
