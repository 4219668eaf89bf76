import { code, md } from '../blocks/message.ts';
import type { ShiftgateConfig } from '../config/schema.ts';
import { check, type Parsed, reasonText, words } from './args.ts';
import { leadingScope } from './canary-args.ts';

// `/incident open <service> [env] <summary>`, `/incident note <text>`, `/incident close [summary]`, `help`.
// Text is kept as typed (no flags), so a note may contain anything, dashes included.

export type IncidentIntent =
  | { sub: 'open'; service?: string; env?: string; summary: string }
  | { sub: 'note'; text: string }
  | { sub: 'close'; summary?: string }
  | { sub: 'help' };

export function parseIncident(text: string, config: ShiftgateConfig): Parsed<IncidentIntent> {
  const trimmed = text.trim();
  const space = trimmed.search(/\s/);
  const sub = space < 0 ? trimmed : trimmed.slice(0, space);
  const rest = space < 0 ? '' : trimmed.slice(space + 1).trim();
  switch (sub) {
    case '':
    case 'help':
      return { ok: true, value: { sub: 'help' } };
    case 'note': {
      if (!rest) return { ok: false, error: md`Give the note: \`/incident note <text>\`.` };
      if (rest.length > 3000)
        return { ok: false, error: md`The note is too long (3,000 characters at most).` };
      return { ok: true, value: { sub: 'note', text: rest } };
    }
    case 'close':
      if (rest.length > 3000)
        return { ok: false, error: md`The summary is too long (3,000 characters at most).` };
      return { ok: true, value: { sub: 'close', ...(rest ? { summary: rest } : {}) } };
    case 'open': {
      const parsed = words(rest, {});
      if (!parsed.ok) return parsed;
      const scope = leadingScope(parsed.value.positionals, config);
      if (scope.typed.service === undefined && parsed.value.positionals.length > 0) {
        const word = parsed.value.positionals[0] as string;
        return {
          ok: false,
          error: md`${code(word)} is not a service in the config: \`/incident open <service> <summary>\`.`,
        };
      }
      const summary = check(reasonText, scope.rest.join(' '), 'summary');
      if (!summary.ok)
        return { ok: false, error: md`Say what is happening: \`/incident open <service> <summary>\`.` };
      return { ok: true, value: { sub: 'open', ...scope.typed, summary: summary.value } };
    }
    default:
      return {
        ok: false,
        error: md`Unknown subcommand ${code(sub)}. Use \`open\`, \`note\`, \`close\` or \`help\`.`,
      };
  }
}
