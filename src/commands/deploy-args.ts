import { code, md } from '../blocks/message.ts';
import type { ShiftgateConfig } from '../config/schema.ts';
import { check, type Parsed, reasonText, words } from './args.ts';
import { leadingScope, unexpected } from './canary-args.ts';

// `/deploy lock <service> [env] <reason>`, `/deploy unlock <service> [env]`, `/deploy locks`, `help`.
// A lock here is a deploy freeze: it blocks new rollouts, never a rollback.

export type DeployIntent =
  | { sub: 'lock'; service?: string; env?: string; reason: string }
  | { sub: 'unlock'; service?: string; env?: string }
  | { sub: 'locks' | 'help' };

export function parseDeploy(text: string, config: ShiftgateConfig): Parsed<DeployIntent> {
  const parsed = words(text, {});
  if (!parsed.ok) return parsed;
  const [sub, ...rest] = parsed.value.positionals;
  switch (sub) {
    case undefined:
    case 'help':
      return { ok: true, value: { sub: 'help' } };
    case 'locks':
      return rest.length > 0
        ? { ok: false, error: md`\`/deploy locks\` takes nothing more.` }
        : { ok: true, value: { sub: 'locks' } };
    case 'lock': {
      const scope = leadingScope(rest, config);
      if (scope.typed.service === undefined && rest.length > 0 && scope.rest.length === rest.length) {
        return {
          ok: false,
          error: md`${code(rest[0] ?? '')} is not a service in the config: name the service first.`,
        };
      }
      const typed = scope.rest.join(' ');
      const reason = check(reasonText, typed, 'reason');
      // A reason that is there but too short or too long is not "missing": say what is wrong with it.
      if (!reason.ok && typed.trim() !== '') return reason;
      if (!reason.ok)
        return {
          ok: false,
          error: md`A deploy lock needs a reason: \`/deploy lock <service> [env] <reason>\`.`,
        };
      return { ok: true, value: { sub: 'lock', ...scope.typed, reason: reason.value } };
    }
    case 'unlock': {
      const scope = leadingScope(rest, config);
      if (scope.rest.length > 0) return { ok: false, error: unexpected(scope.rest[0] as string) };
      return { ok: true, value: { sub: 'unlock', ...scope.typed } };
    }
    default:
      return {
        ok: false,
        error: md`Unknown subcommand ${code(sub)}. Use \`lock\`, \`unlock\`, \`locks\` or \`help\`.`,
      };
  }
}
