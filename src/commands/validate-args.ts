import { code, md, mdJoin } from '../blocks/message.ts';
import { closest } from '../config/names.ts';
import type { ShiftgateConfig } from '../config/schema.ts';
import { phasesOf } from '../validation/index.ts';
import { type Parsed, words } from './args.ts';
import { type ReleaseFlags, releaseFlags } from './validate-release-args.ts';

// `/validate <env> [<env>...] [--baseline] [--phase <phase>] [--sha <commit> | --image <tag>]`,
// `/validate files <run-id>`, `/validate help`. Each environment must be one of the config's, named once,
// and have a validation matrix, and a phase one their lanes name; all are answered here, in the ack.
// Several environments (`/validate staging prod`) run as one run.

export type ValidateIntent =
  | ({ sub: 'run'; envs: string[]; baseline: boolean } & ReleaseFlags)
  | { sub: 'files'; runId: string }
  | { sub: 'help' };

const RUN_ID = /^val-[a-z0-9-]+-\d{8}T\d{6}-[0-9a-f]{4}$/;

export function parseValidate(text: string, config: ShiftgateConfig): Parsed<ValidateIntent> {
  const parsed = words(text, {
    baseline: { type: 'boolean' },
    phase: { type: 'string' },
    sha: { type: 'string' },
    image: { type: 'string' },
  });
  if (!parsed.ok) return parsed;
  const { positionals, flags } = parsed.value;
  const baseline = flags.baseline === true;
  const [first, ...rest] = positionals;
  const runFlag = (['phase', 'sha', 'image'] as const).find((flag) => flags[flag] !== undefined);
  const notARun =
    first === undefined ||
    (first === 'help' && rest.length === 0) ||
    (first === 'files' && !Object.hasOwn(config.environments, 'files'));
  if (runFlag && notARun)
    return { ok: false, error: md`\`--${runFlag}\` goes with a run: \`/validate <env> --${runFlag} ...\`.` };
  if (first === undefined && !baseline) return { ok: true, value: { sub: 'help' } };
  if (first === 'help' && rest.length === 0 && !baseline) return { ok: true, value: { sub: 'help' } };
  if (first === 'files' && !Object.hasOwn(config.environments, 'files')) {
    if (baseline)
      return { ok: false, error: md`\`--baseline\` goes with a run: \`/validate <env> --baseline\`.` };
    const [runId, ...more] = rest;
    if (runId === undefined) return { ok: false, error: md`Name the run: \`/validate files <run-id>\`.` };
    if (more.length > 0)
      return { ok: false, error: md`\`/validate files\` takes one run id, not ${code(more[0] ?? '')}.` };
    if (!RUN_ID.test(runId)) {
      return {
        ok: false,
        error: md`${code(runId)} is not a validation run id (they look like \`val-staging-20261130T101500-1a2b\`).`,
      };
    }
    return { ok: true, value: { sub: 'files', runId } };
  }
  const known = Object.keys(config.environments);
  const knownList = mdJoin(
    known.map((k) => md`${code(k)}`),
    ', ',
  );
  if (first === undefined) return { ok: false, error: md`Name the environment to validate.` };
  const envs = [first, ...rest];
  for (const [i, env] of envs.entries()) {
    if (!Object.hasOwn(config.environments, env)) {
      const near = closest(env, known);
      const hint = near ? md` Did you mean ${code(near)}?` : '';
      return {
        ok: false,
        error: md`Unknown environment ${code(env)}.${hint} Known environments: ${knownList}.`,
      };
    }
    if (envs.indexOf(env) !== i) {
      return {
        ok: false,
        error: md`${code(env)} is named twice: name each environment once, e.g. \`/validate staging prod\`. Known environments: ${knownList}.`,
      };
    }
  }
  const without = envs.filter((env) => !config.environments[env]?.validation);
  if (without.length > 0) {
    const env = without[0] as string;
    const ready = known.filter((k) => config.environments[k]?.validation);
    const others =
      ready.length > 0
        ? md` Environments with one: ${mdJoin(
            ready.map((k) => md`${code(k)}`),
            ', ',
          )}.`
        : '';
    return {
      ok: false,
      error: md`${code(env)} has no validation matrix: add \`environments.${env}.validation.lanes\` to the config.${others}`,
    };
  }
  const phases = [
    ...new Set(envs.flatMap((env) => phasesOf(config.environments[env]?.validation ?? { lanes: [] }))),
  ];
  const release = releaseFlags(flags, phases, envs.join(' '));
  if (!release.ok) return release;
  return { ok: true, value: { sub: 'run', envs, baseline, ...release.value } };
}
