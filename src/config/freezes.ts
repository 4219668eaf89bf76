import { z } from 'zod';
import { closest, name } from './names.ts';

// Scheduled deploy freezes (issue 19), in the shape of Cloud Deploy's deploy policies: a rollout
// restriction is a time zone and windows in it, one-time (`start`/`end` as local date and time) and weekly
// (`daysOfWeek` with `startTime`/`endTime` within one day). Windows of one freeze that touch are one
// freeze: Friday 16:00-24:00, Saturday, Sunday and Monday 00:00-09:00 freeze from Friday 16:00 to Monday
// 09:00. The times are read in the freeze's time zone, so a freeze keeps its wall-clock hours across DST.

export const DAYS_OF_WEEK = [
  'MONDAY',
  'TUESDAY',
  'WEDNESDAY',
  'THURSDAY',
  'FRIDAY',
  'SATURDAY',
  'SUNDAY',
] as const;
export type DayOfWeek = (typeof DAYS_OF_WEEK)[number];

/** The canonical spelling of an IANA time zone, or undefined when the runtime does not know it. */
export function knownTimeZone(timeZone: string): string | undefined {
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone }).resolvedOptions().timeZone;
  } catch {
    return undefined;
  }
}

const IANA = /^[A-Za-z][A-Za-z0-9_+-]*(?:\/[A-Za-z0-9_+-]+)*$/;

export const timeZone = z
  .string()
  .superRefine((zone, ctx) => {
    const known = IANA.test(zone) ? knownTimeZone(zone) : undefined;
    if (known !== undefined && known.toLowerCase() !== zone.toLowerCase()) return; // an alias, e.g. US/Eastern
    if (known === zone) return;
    const hint = known ?? closest(zone, Intl.supportedValuesOf('timeZone'));
    ctx.addIssue({
      code: 'custom',
      message: `unknown time zone "${zone}": expected an IANA name like "America/New_York", "Europe/Paris" or "UTC"${hint ? ` (did you mean "${hint}"?)` : ''}`,
    });
  })
  .meta({ description: 'IANA time zone the windows are read in, e.g. America/New_York' });

const LOCAL = /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2}))?$/;

/** "2026-12-18 17:00" (or "2026-12-18", from 00:00) as its parts; undefined when it is no real date. */
export function parseLocal(
  text: string,
): { year: number; month: number; day: number; hour: number; minute: number } | undefined {
  const m = LOCAL.exec(text);
  if (!m) return undefined;
  const [year, month, day, hour, minute] = [m[1], m[2], m[3], m[4] ?? '0', m[5] ?? '0'].map(Number) as [
    number,
    number,
    number,
    number,
    number,
  ];
  const probe = new Date(Date.UTC(year, month - 1, day));
  if (probe.getUTCMonth() !== month - 1 || probe.getUTCDate() !== day) return undefined;
  if (hour > 23 || minute > 59) return undefined;
  return { year, month, day, hour, minute };
}

const localDateTime = z.string().refine((text) => parseLocal(text) !== undefined, {
  error:
    'expected a local date and time like "2026-12-18 17:00" (read in the freeze\'s timeZone), or a date like "2026-12-18" (from 00:00)',
});

/** Minutes since midnight of "HH:MM"; 24:00 is 1440 (the end of the day). */
export function minutesOf(clock: string): number {
  const [h, m] = clock.split(':').map(Number) as [number, number];
  return h * 60 + m;
}

const clock = (endOfDay: boolean) =>
  z.string().regex(endOfDay ? /^(?:(?:[01]\d|2[0-3]):[0-5]\d|24:00)$/ : /^(?:[01]\d|2[0-3]):[0-5]\d$/, {
    error: `expected a time like "16:00" (00:00 to ${endOfDay ? '24:00' : '23:59'}, quoted in YAML)`,
  });

export const oneTimeWindow = z
  .strictObject({
    start: localDateTime.meta({ description: 'Local date and time it begins, e.g. "2026-12-18 17:00"' }),
    end: localDateTime.meta({ description: 'Local date and time it ends, e.g. "2027-01-04 09:00"' }),
  })
  .superRefine((w, ctx) => {
    const [start, end] = [parseLocal(w.start), parseLocal(w.end)];
    if (!start || !end) return;
    const key = (p: NonNullable<typeof start>) =>
      [p.year, p.month, p.day, p.hour, p.minute].map((n) => String(n).padStart(2, '0')).join('');
    if (key(end) <= key(start))
      ctx.addIssue({
        code: 'custom',
        path: ['end'],
        message: `end "${w.end}" is not after start "${w.start}"`,
      });
  });
export type OneTimeWindow = z.infer<typeof oneTimeWindow>;

export const weeklyWindow = z
  .strictObject({
    daysOfWeek: z
      .array(z.enum(DAYS_OF_WEEK))
      .min(1, { error: 'expected at least one day, e.g. [SATURDAY, SUNDAY]' }),
    startTime: clock(false)
      .default('00:00')
      .meta({ description: 'Local time it begins each day; default 00:00' }),
    endTime: clock(true)
      .default('24:00')
      .meta({ description: 'Local time it ends the same day; default 24:00 (midnight after)' }),
  })
  .superRefine((w, ctx) => {
    const [start, end] = [minutesOf(w.startTime), minutesOf(w.endTime)];
    // A time that is no time has its own error; compare only two real ones.
    if (Number.isNaN(start) || Number.isNaN(end) || end > start) return;
    ctx.addIssue({
      code: 'custom',
      path: ['endTime'],
      message: `endTime ${w.endTime} is not after startTime ${w.startTime}: a weekly window lies within one day; one past midnight is two that touch, e.g. FRIDAY 16:00-24:00 and SATURDAY 00:00-09:00`,
    });
  });
export type WeeklyWindow = z.infer<typeof weeklyWindow>;

/** Whether weekly windows leave no minute of the week open (a freeze that never ends). */
function coversWholeWeek(windows: readonly WeeklyWindow[]): boolean {
  return DAYS_OF_WEEK.every((day) => {
    const spans = windows
      .filter((w) => w.daysOfWeek.includes(day))
      .map((w) => [minutesOf(w.startTime), minutesOf(w.endTime)] as const)
      .sort((a, b) => a[0] - b[0]);
    let reached = 0;
    for (const [start, end] of spans) {
      if (start > reached) return false;
      reached = Math.max(reached, end);
    }
    return reached >= 1440;
  });
}

export const freezeRule = z
  .strictObject({
    name: name.meta({ description: 'Named in refusals, the audit trail and overrides, e.g. weekend' }),
    description: z
      .string()
      .max(200)
      .optional()
      .meta({ description: 'Why, in a few words, e.g. "No prod changes over the weekend"' }),
    timeZone,
    oneTimeWindows: z
      .array(oneTimeWindow)
      .default([])
      .meta({ description: 'Dated windows, e.g. a year-end freeze' }),
    weeklyWindows: z
      .array(weeklyWindow)
      .default([])
      .meta({ description: 'Windows that come back every week, each within one day' }),
  })
  .superRefine((rule, ctx) => {
    if (rule.oneTimeWindows.length === 0 && rule.weeklyWindows.length === 0)
      ctx.addIssue({
        code: 'custom',
        message: 'expected oneTimeWindows, weeklyWindows or both: a freeze with no window freezes nothing',
      });
    if (coversWholeWeek(rule.weeklyWindows))
      ctx.addIssue({
        code: 'custom',
        path: ['weeklyWindows'],
        message:
          'these weekly windows cover the whole week, so deploys would never open: use `/deploy lock` for a freeze until further notice',
      });
  });
export type FreezeRule = z.infer<typeof freezeRule>;

export const freezeRules = z
  .array(freezeRule)
  .default([])
  .superRefine((rules, ctx) => {
    const seen = new Set<string>();
    rules.forEach((rule, i) => {
      if (seen.has(rule.name))
        ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `a second freeze named "${rule.name}"` });
      seen.add(rule.name);
    });
  })
  .meta({
    description:
      "Scheduled deploy freezes (Cloud Deploy's rollout restrictions): no new rollout and no forward traffic shift during their windows; rollbacks always run; an admin may override with a reason",
  });
