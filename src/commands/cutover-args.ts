import { z } from 'zod';
import { code, md } from '../blocks/message.ts';
import type { ShiftgateConfig } from '../config/schema.ts';
import { check, type Parsed, reasonText, revisionName, words } from './args.ts';
import { leadingScope, unexpected } from './canary-args.ts';

// `/cutover stream <service> [env] <stable-revision> <canary-revision> [--apply-route-flip]
// [--dual-run <legacy-url>] [--error-budget-consumed <percent>] [--live] [--during-freeze "<reason>"]`.
// Dry-run is the default, as in seed 004 (DRY_RUN=1); `--live` changes things, after approval. An admin's
// `--during-freeze` starts a live train during a scheduled freeze window.

export interface CutoverIntentStart {
  sub: 'stream';
  service?: string;
  env?: string;
  stableRevision: string;
  canaryRevision: string;
  applyRouteFlip: boolean;
  legacyUrl?: string;
  errorBudgetConsumed?: number;
  live: boolean;
  /** An admin starts during a scheduled freeze window, with this reason. */
  duringFreeze?: string;
}
export type CutoverIntent = CutoverIntentStart | { sub: 'help' };

const legacyUrl = z
  .url({ protocol: /^https?$/, error: 'expected an http(s) base URL like `https://legacy.example.com`' })
  .max(300);
const percent = z.coerce
  .number({ error: 'expected a percent like `2.5`' })
  .min(0, { error: 'a consumed error budget is 0 or more' })
  .max(1000, { error: 'expected a percent of the error budget, like `2.5`' });

export function parseCutover(text: string, config: ShiftgateConfig): Parsed<CutoverIntent> {
  const parsed = words(text, {
    'apply-route-flip': { type: 'boolean' },
    'dual-run': { type: 'string' },
    'error-budget-consumed': { type: 'string' },
    live: { type: 'boolean' },
    'dry-run': { type: 'boolean' },
    'during-freeze': { type: 'string' },
  });
  if (!parsed.ok) return parsed;
  const { positionals, flags } = parsed.value;
  const [sub, ...rest] = positionals;
  if (sub === undefined || sub === 'help') return { ok: true, value: { sub: 'help' } };
  if (sub !== 'stream') return { ok: false, error: md`Unknown subcommand ${code(sub)}: use \`stream\`.` };
  if (flags.live && flags['dry-run'])
    return { ok: false, error: md`\`--live\` and \`--dry-run\` contradict each other: pick one.` };
  const scope = leadingScope(rest, config);
  const [stable, canary, ...extra] = scope.rest;
  if (stable === undefined || canary === undefined)
    return {
      ok: false,
      error: md`Name both revisions: the stable one, then the canary one (e.g. \`control-00041-abc control-00042-def\`).`,
    };
  if (extra.length > 0) {
    const word = extra[0] as string;
    return {
      ok: false,
      error:
        scope.typed.service === undefined
          ? unexpected(word)
          : md`Unexpected ${code(word)}: give two revisions.`,
    };
  }
  const stableRevision = check(revisionName, stable, 'stable revision');
  if (!stableRevision.ok) return stableRevision;
  const canaryRevision = check(revisionName, canary, 'canary revision');
  if (!canaryRevision.ok) return canaryRevision;
  if (stableRevision.value === canaryRevision.value)
    return {
      ok: false,
      error: md`The stable and the canary revision are the same (${code(stable)}): name two.`,
    };
  let legacy: string | undefined;
  if (flags['dual-run'] !== undefined) {
    const url = check(legacyUrl, flags['dual-run'], '--dual-run URL');
    if (!url.ok) return url;
    legacy = url.value.replace(/\/+$/, '');
  }
  let duringFreeze: string | undefined;
  if (flags['during-freeze'] !== undefined) {
    const reason = check(reasonText, flags['during-freeze'], 'reason for --during-freeze');
    if (!reason.ok) return reason;
    duringFreeze = reason.value;
  }
  let budget: number | undefined;
  if (flags['error-budget-consumed'] !== undefined) {
    const value = check(percent, flags['error-budget-consumed'], '--error-budget-consumed');
    if (!value.ok) return value;
    budget = value.value;
  }
  return {
    ok: true,
    value: {
      sub: 'stream',
      ...scope.typed,
      stableRevision: stableRevision.value,
      canaryRevision: canaryRevision.value,
      applyRouteFlip: flags['apply-route-flip'] === true,
      ...(legacy === undefined ? {} : { legacyUrl: legacy }),
      ...(budget === undefined ? {} : { errorBudgetConsumed: budget }),
      live: flags.live === true,
      ...(duringFreeze === undefined ? {} : { duringFreeze }),
    },
  };
}
