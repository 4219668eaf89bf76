import type { FreezeOverride } from '../runbooks/freeze/windows.ts';
import { code, table, text } from './markdown.ts';

// Admins' overrides of scheduled freeze windows, as every kind's report carries them: who, when, why, and
// which windows (name, start, end, time zone). Empty when none was needed.

export interface FreezeOverrideSummary {
  by: string;
  at: string;
  reason: string;
  windows: { name: string; start: string; end: string; timeZone: string }[];
}

export function freezeOverridesOf(state: {
  kind: string;
  freezeOverrides?: FreezeOverride[];
}): FreezeOverrideSummary[] {
  return (state.freezeOverrides ?? []).map((o) => ({
    by: o.by,
    at: o.at,
    reason: o.reason,
    windows: o.windows.map(({ name, start, end, timeZone }) => ({ name, start, end, timeZone })),
  }));
}

/** The SUMMARY.md section; nothing when no override was given. */
export function freezeOverridesSection(overrides: readonly FreezeOverrideSummary[]): string[] {
  if (overrides.length === 0) return [];
  return [
    '## Freeze overrides',
    '',
    'It went on during scheduled freeze windows by an admin’s override:',
    '',
    ...table(
      ['At', 'By', 'Windows', 'Reason'],
      overrides.map((o) => [
        o.at,
        code(o.by),
        o.windows.map((w) => `${code(w.name)} ${w.start} to ${w.end} (${text(w.timeZone)})`).join(', '),
        text(o.reason),
      ]),
    ),
    '',
  ];
}
