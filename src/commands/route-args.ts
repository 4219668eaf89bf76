import { code, md } from '../blocks/message.ts';
import type { ShiftgateConfig } from '../config/schema.ts';
import type { RouteChange } from '../runbooks/route/index.ts';
import { check, type Parsed, reasonText, words } from './args.ts';
import { leadingScope, unexpected } from './canary-args.ts';

// `/route status <service> [env]`, `/route override <service> [env] legacy|rust --reason "<text>"`,
// `/route clear <service> [env] --reason "<text>"`. A change needs a reason: it goes in the audit trail.

type Scoped = { service?: string; env?: string };
export type RouteIntent =
  | ({ sub: 'status' } & Scoped)
  | ({ sub: 'change'; change: RouteChange; reason: string } & Scoped)
  | { sub: 'help' };

export function parseRoute(text: string, config: ShiftgateConfig): Parsed<RouteIntent> {
  const parsed = words(text, { reason: { type: 'string' } });
  if (!parsed.ok) return parsed;
  const { positionals, flags } = parsed.value;
  const [sub, ...rest] = positionals;
  if (sub === undefined || sub === 'help') return { ok: true, value: { sub: 'help' } };
  if (sub !== 'status' && sub !== 'override' && sub !== 'clear') {
    return { ok: false, error: md`Unknown subcommand ${code(sub)}: use status, override or clear.` };
  }
  const scope = leadingScope(rest, config);
  const left = [...scope.rest];
  let change: RouteChange | undefined;
  if (sub === 'override') {
    const target = left.shift();
    if (target !== 'legacy' && target !== 'rust') {
      return {
        ok: false,
        error:
          target === undefined
            ? md`Say where to: \`legacy\` or \`rust\`.`
            : md`Override to ${code(target)}? The targets are \`legacy\` and \`rust\`.`,
      };
    }
    change = target;
  } else if (sub === 'clear') change = 'clear';
  if (left.length > 0) {
    const word = left[0] as string;
    const hint = scope.typed.service === undefined ? md` ${unexpected(word)}` : '';
    return {
      ok: false,
      error: md`Unexpected ${code(word)}: put the reason after \`--reason\`, in quotes.${hint}`,
    };
  }
  if (sub === 'status') {
    if (flags.reason !== undefined) return { ok: false, error: md`\`/route status\` takes no reason.` };
    return { ok: true, value: { sub: 'status', ...scope.typed } };
  }
  if (flags.reason === undefined)
    return { ok: false, error: md`A route change needs \`--reason "<why>"\`: it goes in the audit trail.` };
  const reason = check(reasonText, flags.reason, 'reason');
  if (!reason.ok) return reason;
  return {
    ok: true,
    value: { sub: 'change', change: change as RouteChange, reason: reason.value, ...scope.typed },
  };
}
