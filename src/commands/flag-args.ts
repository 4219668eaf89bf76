import { z } from 'zod';
import { code, md } from '../blocks/message.ts';
import { parseDuration } from '../config/duration.ts';
import { flagName } from '../config/flags.ts';
import type { ShiftgateConfig } from '../config/schema.ts';
import { check, type Parsed, reasonText, words } from './args.ts';
import { isEnvironment } from './scope.ts';

// `/flag canary <config> [env] [--watch 5m] [--dry-run] [--during-freeze "<reason>"]`,
// `/flag signoff <config> [env] <evidence-url> [--flag <name>]`, `/flag off <config> [env] --reason "<text>"`,
// `help`. <config> is a flag set: a
// `flag-canary` runbook of the config (the seed's canary config, e.g. m4-canary).

type Scoped = { config: string; env?: string };
export type FlagIntent =
  | ({ sub: 'canary'; watchMs?: number; dryRun: boolean; duringFreeze?: string } & Scoped)
  | ({ sub: 'signoff'; evidence: string; flag?: string } & Scoped)
  | ({ sub: 'off'; reason: string; dryRun: boolean } & Scoped)
  | { sub: 'help' };

const evidenceUrl = z
  .url({
    protocol: /^https?$/,
    error: 'expected the evidence as an http(s) URL (the shadow-run report, a ticket)',
  })
  .max(500);

export function parseFlag(text: string, config: ShiftgateConfig): Parsed<FlagIntent> {
  const parsed = words(text, {
    watch: { type: 'string' },
    'dry-run': { type: 'boolean' },
    reason: { type: 'string' },
    flag: { type: 'string' },
    'during-freeze': { type: 'string' },
  });
  if (!parsed.ok) return parsed;
  const { positionals, flags } = parsed.value;
  const [sub, set, ...rest] = positionals;
  if (sub === undefined || sub === 'help') return { ok: true, value: { sub: 'help' } };
  if (sub !== 'canary' && sub !== 'signoff' && sub !== 'off')
    return { ok: false, error: md`Unknown subcommand ${code(sub)}: use canary, signoff or off.` };
  if (set === undefined)
    return { ok: false, error: md`Name the flag set (a flag-canary runbook of the config).` };
  const left = [...rest];
  const env = isEnvironment(config, left[0]) ? left.shift() : undefined;
  const scope = { config: set, ...(env ? { env } : {}) };
  const only = (allowed: string[]) => {
    const extra = (['watch', 'reason', 'flag', 'dry-run', 'during-freeze'] as const).find(
      (f) => flags[f] !== undefined && !allowed.includes(f),
    );
    return extra ? md`\`--${extra}\` does not go with \`/flag ${sub}\`.` : undefined;
  };
  if (sub === 'canary') {
    const wrong = only(['watch', 'dry-run', 'during-freeze']);
    if (wrong) return { ok: false, error: wrong };
    if (left.length > 0)
      return {
        ok: false,
        error: md`Unexpected ${code(left[0] as string)}: it is not an environment in the config.`,
      };
    let watchMs: number | undefined;
    if (flags.watch !== undefined) {
      watchMs = parseDuration(flags.watch);
      if (watchMs === undefined || watchMs < 1_000 || watchMs > 24 * 3_600_000)
        return {
          ok: false,
          error: md`Bad \`--watch\` ${code(flags.watch)}: give a duration like \`5m\` (1s to 24h).`,
        };
    }
    let duringFreeze: string | undefined;
    if (flags['during-freeze'] !== undefined) {
      const reason = check(reasonText, flags['during-freeze'], 'reason for --during-freeze');
      if (!reason.ok) return reason;
      duringFreeze = reason.value;
    }
    return {
      ok: true,
      value: {
        sub,
        ...scope,
        dryRun: flags['dry-run'] === true,
        ...(watchMs === undefined ? {} : { watchMs }),
        ...(duringFreeze === undefined ? {} : { duringFreeze }),
      },
    };
  }
  if (sub === 'signoff') {
    const wrong = only(['flag']);
    if (wrong) return { ok: false, error: wrong };
    const [evidence, ...extra] = left;
    if (evidence === undefined)
      return {
        ok: false,
        error: md`Give the evidence of the sign-off: a URL (the shadow-run report, a ticket).`,
      };
    if (extra.length > 0)
      return { ok: false, error: md`Unexpected ${code(extra[0] as string)}: give one evidence URL.` };
    const url = check(evidenceUrl, evidence, 'evidence');
    if (!url.ok) return url;
    let flag: string | undefined;
    if (flags.flag !== undefined) {
      const name = check(flagName, flags.flag, 'flag');
      if (!name.ok) return name;
      flag = name.value;
    }
    return { ok: true, value: { sub, ...scope, evidence: url.value, ...(flag ? { flag } : {}) } };
  }
  const wrong = only(['reason', 'dry-run']);
  if (wrong) return { ok: false, error: wrong };
  if (left.length > 0)
    return {
      ok: false,
      error: md`Unexpected ${code(left[0] as string)}: put the reason after \`--reason\`, in quotes.`,
    };
  if (flags.reason === undefined)
    return {
      ok: false,
      error: md`Turning flags off needs \`--reason "<why>"\`: it goes in the audit trail.`,
    };
  const reason = check(reasonText, flags.reason, 'reason');
  if (!reason.ok) return reason;
  return { ok: true, value: { sub, ...scope, reason: reason.value, dryRun: flags['dry-run'] === true } };
}
