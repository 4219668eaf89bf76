import { z } from 'zod';

// Durations are written as in the runbooks ("10m", "30s", "1h30m", "500ms") and held as milliseconds.
const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const DURATION = /^(?:\d+(?:ms|s|m|h|d))+$/;
const PART = /(\d+)(ms|s|m|h|d)/g;

/** Milliseconds in a duration string, or undefined when it is not one. */
export function parseDuration(text: string): number | undefined {
  if (!DURATION.test(text)) return undefined;
  let total = 0;
  for (const [, amount, unit] of text.matchAll(PART)) {
    total += Number(amount) * UNIT_MS[unit as keyof typeof UNIT_MS];
  }
  return total;
}

/** "90000" ms -> "1m30s": the inverse, for messages. */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  const parts: string[] = [];
  let rest = ms;
  for (const [unit, size] of [
    ['d', UNIT_MS.d],
    ['h', UNIT_MS.h],
    ['m', UNIT_MS.m],
    ['s', UNIT_MS.s],
    ['ms', UNIT_MS.ms],
  ] as const) {
    if (rest >= size) {
      parts.push(`${Math.floor(rest / size)}${unit}`);
      rest %= size;
    }
  }
  return parts.join('');
}

export const DURATION_HINT = 'a duration like "10m", "30s", "1h30m" or "500ms"';

/** A duration string in the config, parsed to milliseconds. */
export const duration = z
  .string({ error: `expected ${DURATION_HINT}` })
  .regex(DURATION, { error: `expected ${DURATION_HINT}` })
  .transform((text) => parseDuration(text) as number)
  .meta({ description: `Duration: ${DURATION_HINT}` });
