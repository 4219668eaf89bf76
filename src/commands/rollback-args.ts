import { md } from '../blocks/message.ts';
import type { ShiftgateConfig } from '../config/schema.ts';
import { check, type Parsed, reasonText, revisionName, words } from './args.ts';
import { leadingScope, unexpected } from './canary-args.ts';

// `/rollback <service> [env] [--to <revision>] [--route-only | --traffic-only] --reason "<text>"
// [--dry-run]`. The reason is mandatory: it goes on the incident.

export interface RollbackIntent {
  sub: 'rollback';
  service?: string;
  env?: string;
  reason: string;
  toRevision?: string;
  mode: 'full' | 'route-only' | 'traffic-only';
  dryRun: boolean;
}

export function parseRollback(
  text: string,
  config: ShiftgateConfig,
): Parsed<RollbackIntent | { sub: 'help' }> {
  const parsed = words(text, {
    to: { type: 'string' },
    'route-only': { type: 'boolean' },
    'traffic-only': { type: 'boolean' },
    reason: { type: 'string' },
    'dry-run': { type: 'boolean' },
  });
  if (!parsed.ok) return parsed;
  const { positionals, flags } = parsed.value;
  const bare = positionals.length === 0 && Object.keys(flags).length === 0;
  if (bare || (positionals.length === 1 && positionals[0] === 'help'))
    return { ok: true, value: { sub: 'help' } };
  const scope = leadingScope(positionals, config);
  if (scope.rest.length > 0) {
    const word = scope.rest[0] as string;
    const hint = scope.typed.service === undefined && !word.startsWith('-') ? md` ${unexpected(word)}` : '';
    return { ok: false, error: md`Put the reason after \`--reason\`, in quotes.${hint}` };
  }
  if (flags['route-only'] && flags['traffic-only']) {
    return {
      ok: false,
      error: md`\`--route-only\` and \`--traffic-only\` exclude each other: give one at most.`,
    };
  }
  if (flags.reason === undefined)
    return { ok: false, error: md`A rollback needs \`--reason "<what happened>"\`.` };
  const reason = check(reasonText, flags.reason, 'reason');
  if (!reason.ok) return reason;
  let toRevision: string | undefined;
  if (flags.to !== undefined) {
    const revision = check(revisionName, flags.to, 'revision');
    if (!revision.ok) return revision;
    toRevision = revision.value;
  }
  return {
    ok: true,
    value: {
      sub: 'rollback',
      ...scope.typed,
      reason: reason.value,
      mode: flags['route-only'] ? 'route-only' : flags['traffic-only'] ? 'traffic-only' : 'full',
      dryRun: flags['dry-run'] === true,
      ...(toRevision ? { toRevision } : {}),
    },
  };
}
