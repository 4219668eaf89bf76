import { parseArgs } from 'node:util';
import { z } from 'zod';
import { code, type Mrkdwn, md, mdJoin } from '../blocks/message.ts';
import { tokenize } from './tokens.ts';

// What every command parser shares: words and --flags (node's parseArgs, strict), the shapes of the
// values (zod), and one result type whose error says what was wrong; the caller adds the right form.

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: Mrkdwn };

export const imageTag = z.string().regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/, {
  error: `an image tag is letters, digits, \`_\`, \`.\` and \`-\` (up to 128), like \`v1.42.0\``,
});

export const revisionName = z.string().regex(/^[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?$/, {
  error: `a revision name is lower-case letters, digits and dashes, like \`control-00042-abc\``,
});

/** Longest value an error message repeats back. */
const ECHO_MAX = 80;

/** Longest reason a lock, freeze, rollback or abort keeps. */
export const REASON_MAX = 500;

export const reasonText = z
  .string()
  .trim()
  .min(3, { error: 'the reason is too short: say what happened' })
  .max(REASON_MAX, { error: `the reason is too long (${REASON_MAX} characters at most)` });

type FlagSpec = Record<string, { type: 'string' | 'boolean' }>;

export interface Words<F extends FlagSpec> {
  positionals: string[];
  flags: { [K in keyof F]?: F[K]['type'] extends 'string' ? string : boolean };
}

export function words<F extends FlagSpec>(text: string, flags: F): Parsed<Words<F>> {
  const tokens = tokenize(text);
  if (!tokens.ok) return { ok: false, error: tokens.error };
  try {
    const { values, positionals } = parseArgs({
      args: tokens.tokens,
      options: flags,
      allowPositionals: true,
      strict: true,
    });
    return { ok: true, value: { positionals, flags: values as Words<F>['flags'] } };
  } catch (error) {
    return { ok: false, error: flagError(error as Error, Object.keys(flags)) };
  }
}

/** parseArgs' messages name the flag but speak of CLI "options"; say it in the command's terms. */
function flagError(error: Error, known: string[]): Mrkdwn {
  const flag = /'(-{1,2}[^'\s]+)/.exec(error.message)?.[1];
  const list = known.length
    ? md` Flags here: ${mdJoin(
        known.map((k) => md`\`--${k}\``),
        ', ',
      )}.`
    : ' This command takes no flags.';
  if ((error as { code?: string }).code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    const takesNone = error.message.includes('does not take');
    return md`${code(flag ?? 'a flag')} ${takesNone ? 'takes no value' : 'needs a value'}.`;
  }
  return md`Unknown flag ${code(flag ?? '?')}.${list}`;
}

/** The first zod issue's message, for one value. */
export function check<T>(schema: z.ZodType<T>, value: unknown, what: string): Parsed<T> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return { ok: true, value: parsed.data };
  return {
    ok: false,
    // A long value is not echoed: the person has it, and the answer would be all value.
    error:
      String(value).length > ECHO_MAX
        ? md`Bad ${what}: ${parsed.error.issues[0]?.message ?? 'invalid'}.`
        : md`Bad ${what} ${code(String(value))}: ${parsed.error.issues[0]?.message ?? 'invalid'}.`,
  };
}
