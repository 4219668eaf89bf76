import { z } from 'zod';
import { environment } from './environments.ts';
import { type Gate, gate } from './gates.ts';
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

  for (const [envName, env] of Object.entries(environments)) {
    const from = (env as { requireGo?: { from?: string } } | undefined)?.requireGo?.from;
    if (from === undefined) continue;
    const source = (environments as Record<string, { validation?: unknown } | undefined>)[from];
    if (!source)
      issue(['environments', envName, 'requireGo', 'from'], unknown('environment', from, environments));
    else if (!source.validation)
      issue(
        ['environments', envName, 'requireGo', 'from'],
        `environment "${from}" has no validation matrix to say GO`,
      );
  }

  for (const [runbookName, book] of Object.entries(runbooks)) {
    for (const { path, gate: gateName, kind } of gateRefs(book as LooseRunbook, ['runbooks', runbookName])) {
      const g = gates[gateName];
      if (!g) issue(path, unknown('gate', gateName, gates));
      // A gate of no known kind has its own error already: one problem, said once.
      else if (kind && g.kind !== kind && KNOWN_KINDS.has(String(g.kind)))
        issue(path, `gate "${gateName}" is a ${g.kind} gate: expected a ${kind} gate here`);
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
      // An override names the window it lifts: the freezes of one service environment need distinct names.
      const envFreezes = new Set((environments[envName]?.freezes ?? []).map((f) => f?.name));
      (target?.freezes ?? []).forEach((f, i) => {
        if (f?.name !== undefined && envFreezes.has(f.name))
          issue(
            [...at, 'freezes', i, 'name'],
            `environments.${envName}.freezes has a freeze named "${f.name}" already: give this one its own name`,
          );
      });
      for (const field of ['project', 'region', 'image', 'slackChannel'] as const) {
        if (!target?.[field] && !svc?.[field])
          issue([...at, field], `missing: set it here or at ${base.join('.')}.${field}`);
      }
      const runbookName = target?.runbook ?? svc?.runbook ?? 'canary';
      const cutoverName = target?.cutover ?? svc?.cutover;
      const named: [string, 'runbook' | 'cutover', string][] = [[runbookName, 'runbook', 'canary']];
      if (cutoverName !== undefined) named.push([cutoverName, 'cutover', 'stream-cutover']);
      for (const [bookName, field, kind] of named) {
        const book = runbooks[bookName];
        if (!book) {
          issue([...at, field], unknown('runbook', bookName, runbooks));
          continue;
        }
        if (book.kind !== kind) {
          issue(
            [...at, field],
            `runbook "${bookName}" is a ${book.kind} runbook: ${field} names a ${kind} runbook`,
          );
          continue;
        }
        checkTargetNeeds(
          bookName,
          book as LooseRunbook,
          target as LooseTarget,
          gates as LooseGates,
          (path, message) => issue([...at, ...path], message),
        );
      }
    }
  }
  checkValidationReferences(config as LooseValidationConfig, issue);
}

// The parts of a runbook, a target and a gate that references are checked on, as loosely as they may come.
interface LooseRunbook {
  kind?: string;
  smokes?: unknown;
  route?: { verify?: unknown };
  stages?: unknown;
  rollback?: { checks?: unknown; routeOverride?: unknown };
  postPromotion?: { gates?: unknown };
}
interface LooseTarget {
  routeSplit?: unknown;
  prometheusUrl?: unknown;
}
type LooseGates = Record<string, { kind?: string; url?: unknown } | undefined>;
type GateKind = string;
const KNOWN_KINDS: ReadonlySet<string> = new Set<GateKind>([
  'http',
  'sse-contract',
  'cloud-monitoring',
  'cloud-logging',
  'prometheus',
  'route-split',
  'domain-mapping',
] satisfies Gate['kind'][]);

const names = (value: unknown): string[] =>
  Array.isArray(value) ? value.filter((v) => typeof v === 'string') : [];

/** Every gate a runbook names, where, and the kind it must be (when only one kind fits there). */
function gateRefs(book: LooseRunbook | undefined, at: Path): { path: Path; gate: string; kind?: GateKind }[] {
  const refs: { path: Path; gate: string; kind?: GateKind }[] = [];
  if (book?.kind === 'stream-cutover') {
    for (const [j, g] of names(book.smokes).entries())
      refs.push({ path: [...at, 'smokes', j], gate: g, kind: 'sse-contract' });
    for (const [j, g] of names(book.route?.verify).entries())
      refs.push({ path: [...at, 'route', 'verify', j], gate: g, kind: 'route-split' });
    return refs;
  }
  if (book?.kind !== 'canary') return refs;
  (Array.isArray(book.stages) ? (book.stages as { checks?: unknown; gates?: unknown }[]) : []).forEach(
    (s, i) => {
      for (const field of ['checks', 'gates'] as const) {
        for (const [j, g] of names(s?.[field]).entries())
          refs.push({ path: [...at, 'stages', i, field, j], gate: g });
      }
    },
  );
  for (const [j, g] of names(book.rollback?.checks).entries())
    refs.push({ path: [...at, 'rollback', 'checks', j], gate: g });
  for (const [j, g] of names(book.postPromotion?.gates).entries())
    refs.push({ path: [...at, 'postPromotion', 'gates', j], gate: g });
  return refs;
}

/** What a runbook needs of the service environment it runs on: a route-split API, a Prometheus URL. */
function checkTargetNeeds(
  bookName: string,
  book: LooseRunbook,
  target: LooseTarget | undefined,
  gates: LooseGates,
  issue: (path: Path, message: string) => void,
): void {
  for (const { gate: gateName } of gateRefs(book, [])) {
    const g = gates[gateName];
    if (g?.kind === 'route-split' && !target?.routeSplit) {
      issue(['routeSplit'], `runbook "${bookName}" uses route-split gate "${gateName}": set routeSplit`);
    }
    if (g?.kind === 'prometheus' && !g.url && !target?.prometheusUrl) {
      issue(['prometheusUrl'], `runbook "${bookName}" uses prometheus gate "${gateName}" without a url`);
    }
  }
  const flips =
    book.kind === 'stream-cutover' || (book.kind === 'canary' && Boolean(book.rollback?.routeOverride));
  if (flips && !target?.routeSplit) {
    const what = book.kind === 'canary' ? 'overrides the route split on rollback' : 'flips the route split';
    issue(['routeSplit'], `runbook "${bookName}" ${what}: set routeSplit`);
  }
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
