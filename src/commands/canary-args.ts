import { code, type Mrkdwn, md, mdJoin } from '../blocks/message.ts';
import type { ShiftgateConfig } from '../config/schema.ts';
import { check, imageTag, type Parsed, REASON_MAX, reasonText, words } from './args.ts';
import { isEnvironment, isService } from './scope.ts';

// `/canary start [service] <tag> [env] [--dry-run] [--without-go "<reason>"] [--during-freeze "<reason>"]`,
// `status|pause|resume|promote [service] [env]`, `resume [service] [env] --during-freeze "<reason>"`,
// `abort|done [service] [env] [reason]`, `list`, `help`. Words that name a configured service or
// environment are taken as such; the tag is the word that is neither.

export type CanaryIntent =
  | {
      sub: 'start';
      service?: string;
      env?: string;
      tag: string;
      dryRun: boolean;
      withoutGo?: string;
      duringFreeze?: string;
    }
  | { sub: 'status' | 'pause' | 'promote'; service?: string; env?: string }
  /** `duringFreeze`: an admin lets the rollout go on during a scheduled freeze window, with this reason. */
  | { sub: 'resume'; service?: string; env?: string; duringFreeze?: string }
  | { sub: 'abort' | 'done'; service?: string; env?: string; reason?: string }
  | { sub: 'list' | 'help' };

export const CANARY_SUBCOMMANDS = [
  'start',
  'status',
  'list',
  'pause',
  'resume',
  'abort',
  'promote',
  'done',
  'help',
];

export function parseCanary(text: string, config: ShiftgateConfig): Parsed<CanaryIntent> {
  const parsed = words(text, {
    'dry-run': { type: 'boolean' },
    'without-go': { type: 'string' },
    'during-freeze': { type: 'string' },
  });
  if (!parsed.ok) return parsed;
  const [sub, ...rest] = parsed.value.positionals;
  const dryRun = parsed.value.flags['dry-run'] === true;
  if (dryRun && sub !== 'start')
    return { ok: false, error: md`\`--dry-run\` goes with \`/canary start\` only.` };
  const withoutGo = parsed.value.flags['without-go'];
  if (withoutGo !== undefined && sub !== 'start')
    return { ok: false, error: md`\`--without-go\` goes with \`/canary start\` only.` };
  const freezeWord = parsed.value.flags['during-freeze'];
  if (freezeWord !== undefined && sub !== 'start' && sub !== 'resume')
    return {
      ok: false,
      error: md`\`--during-freeze\` goes with \`/canary start\` and \`/canary resume\` only.`,
    };
  let duringFreeze: string | undefined;
  if (freezeWord !== undefined) {
    const reason = check(reasonText, freezeWord, 'reason for --during-freeze');
    if (!reason.ok) return reason;
    duringFreeze = reason.value;
  }
  const freeze = duringFreeze === undefined ? {} : { duringFreeze };
  switch (sub) {
    case undefined:
    case 'help':
      return { ok: true, value: { sub: 'help' } };
    case 'list':
      return rest.length > 0
        ? { ok: false, error: md`\`/canary list\` takes nothing more.` }
        : { ok: true, value: { sub: 'list' } };
    case 'start': {
      const start = parseStart(rest, dryRun, config);
      if (!start.ok) return start;
      if (withoutGo === undefined) return { ok: true, value: { ...start.value, ...freeze } as CanaryIntent };
      const reason = check(reasonText, withoutGo, 'reason for --without-go');
      if (!reason.ok) return reason;
      return { ok: true, value: { ...start.value, withoutGo: reason.value, ...freeze } as CanaryIntent };
    }
    case 'status':
    case 'pause':
    case 'resume':
    case 'promote': {
      const scope = leadingScope(rest, config);
      if (scope.rest.length > 0) return { ok: false, error: unexpected(scope.rest[0] as string) };
      return {
        ok: true,
        value: sub === 'resume' ? { sub, ...scope.typed, ...freeze } : { sub, ...scope.typed },
      };
    }
    case 'abort':
    case 'done': {
      const scope = leadingScope(rest, config);
      const reason = scope.rest.join(' ').trim();
      if (reason.length > REASON_MAX)
        return { ok: false, error: md`The reason is too long (${REASON_MAX} characters at most).` };
      return { ok: true, value: { sub, ...scope.typed, ...(reason ? { reason } : {}) } };
    }
    default:
      return {
        ok: false,
        error: md`Unknown subcommand ${code(sub)}. Use one of ${mdJoin(
          CANARY_SUBCOMMANDS.map((s) => md`${code(s)}`),
          ', ',
        )}.`,
      };
  }
}

function parseStart(rest: string[], dryRun: boolean, config: ShiftgateConfig): Parsed<CanaryIntent> {
  const service = isService(config, rest[0]) ? rest.shift() : undefined;
  const tagWord = rest.shift();
  if (tagWord === undefined) return { ok: false, error: md`Give the image tag to deploy.` };
  const env = isEnvironment(config, rest[0]) ? rest.shift() : undefined;
  if (rest.length > 0) return { ok: false, error: unexpected(rest[0] as string) };
  if (isEnvironment(config, tagWord) && service !== undefined) {
    return { ok: false, error: md`${code(tagWord)} is an environment: give the image tag before it.` };
  }
  const tag = check(imageTag, tagWord, 'image tag');
  if (!tag.ok) return tag;
  return {
    ok: true,
    value: { sub: 'start', tag: tag.value, dryRun, ...(service ? { service } : {}), ...(env ? { env } : {}) },
  };
}

/** `[service] [env]` at the front of the words, each only when it names one. */
export function leadingScope(rest: string[], config: ShiftgateConfig) {
  const left = [...rest];
  const service = isService(config, left[0]) ? left.shift() : undefined;
  const env = isEnvironment(config, left[0]) ? left.shift() : undefined;
  return { typed: { ...(service ? { service } : {}), ...(env ? { env } : {}) }, rest: left };
}

export function unexpected(word: string): Mrkdwn {
  return md`Unexpected ${code(word)}: it is not a service or environment in the config.`;
}
