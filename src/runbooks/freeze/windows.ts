import { TZDate } from '@date-fns/tz';
import { DAYS_OF_WEEK, type FreezeRule, minutesOf, parseLocal } from '../../config/freezes.ts';

// When scheduled freezes (config/freezes.ts) hold, as instants: pure functions of the rules and a time.
// Local dates and times are read in each freeze's time zone with TZDate, so "Friday 16:00" is 16:00 on
// the wall clock in winter and in summer. A local time the DST change skips (02:30 the night clocks go
// forward) is read as the same time one hour later; one that happens twice (01:30 the night they go
// back), at its first occurrence. The windows of one freeze that overlap or touch are one window.

/** One occurrence of a freeze: from `start` to `end` (ISO instants, end excluded). */
export interface FreezeWindow {
  /** The freeze's name in the config. */
  name: string;
  description?: string;
  timeZone: string;
  start: string;
  end: string;
}

const DAY_MS = 86_400_000;
const WEEK_MS = 7 * DAY_MS;
/** How far the weekly windows are laid out around the time asked about, at first. */
const MARGIN_MS = WEEK_MS;
/** A chain of windows is followed this many margins back and ahead at most. */
const MAX_WIDENINGS = 100;

type Span = [start: number, end: number];

/** Every window of the rule that lies in [from, to] or crosses it, as instants (not merged). */
function spans(rule: FreezeRule, from: number, to: number): Span[] {
  const out: Span[] = [];
  const zone = rule.timeZone;
  for (const w of rule.oneTimeWindows) {
    const [s, e] = [parseLocal(w.start), parseLocal(w.end)];
    if (!s || !e) continue;
    const start = new TZDate(s.year, s.month - 1, s.day, s.hour, s.minute, zone).getTime();
    const end = new TZDate(e.year, e.month - 1, e.day, e.hour, e.minute, zone).getTime();
    if (end > start) out.push([start, end]);
  }
  if (rule.weeklyWindows.length === 0) return out;
  // Calendar days in the freeze's time zone, from the day before `from` to the day of `to`.
  const first = new TZDate(from - DAY_MS, zone);
  for (let k = 0; ; k++) {
    const day = new TZDate(first.getFullYear(), first.getMonth(), first.getDate() + k, 12, 0, zone);
    const [y, m, d] = [day.getFullYear(), day.getMonth(), day.getDate()];
    if (new TZDate(y, m, d, 0, 0, zone).getTime() > to) break;
    const weekday = DAYS_OF_WEEK[(day.getDay() + 6) % 7];
    for (const w of rule.weeklyWindows) {
      if (weekday === undefined || !w.daysOfWeek.includes(weekday)) continue;
      const [sm, em] = [minutesOf(w.startTime), minutesOf(w.endTime)];
      const start = new TZDate(y, m, d, Math.floor(sm / 60), sm % 60, zone).getTime();
      const end = new TZDate(y, m, d, Math.floor(em / 60), em % 60, zone).getTime();
      if (end > start) out.push([start, end]);
    }
  }
  return out;
}

/** Overlapping or touching spans as one. */
function merge(list: Span[]): Span[] {
  const sorted = [...list].sort((a, b) => a[0] - b[0]);
  const out: Span[] = [];
  for (const span of sorted) {
    const last = out.at(-1);
    if (last && span[0] <= last[1]) last[1] = Math.max(last[1], span[1]);
    else out.push([span[0], span[1]]);
  }
  return out;
}

/**
 * The merged windows of one rule that overlap [from, to], each whole: a window that began before `from`
 * or ends after `to` is followed to its real start and end (the weekly windows are laid out wider until
 * no chain reaches the edge of what was laid out).
 */
function occurrences(rule: FreezeRule, from: number, to: number): Span[] {
  let [lo, hi] = [from - MARGIN_MS, to + MARGIN_MS];
  for (let widen = 0; ; widen++) {
    const merged = merge(spans(rule, lo, hi)).filter(([s, e]) => e > from && s <= to);
    const cutLow = rule.weeklyWindows.length > 0 && merged.some(([s]) => s <= lo + DAY_MS);
    const cutHigh = rule.weeklyWindows.length > 0 && merged.some(([, e]) => e >= hi - DAY_MS);
    if ((!cutLow && !cutHigh) || widen >= MAX_WIDENINGS) return merged;
    if (cutLow) lo -= MARGIN_MS * 4;
    if (cutHigh) hi += MARGIN_MS * 4;
  }
}

function windowOf(rule: FreezeRule, [start, end]: Span): FreezeWindow {
  return {
    name: rule.name,
    ...(rule.description ? { description: rule.description } : {}),
    timeZone: rule.timeZone,
    start: new Date(start).toISOString(),
    end: new Date(end).toISOString(),
  };
}

/** Every window in effect at `now`, the one that ends last first. */
export function activeFreezes(rules: readonly FreezeRule[], now: Date): FreezeWindow[] {
  const at = now.getTime();
  return rules
    .flatMap((rule) =>
      occurrences(rule, at, at)
        .filter(([s, e]) => s <= at && at < e)
        .map((span) => windowOf(rule, span)),
    )
    .sort((a, b) => Date.parse(b.end) - Date.parse(a.end) || a.name.localeCompare(b.name));
}

/** The window in effect at `now` (the one that ends last, when several are), or undefined. */
export function activeFreeze(rules: readonly FreezeRule[], now: Date): FreezeWindow | undefined {
  return activeFreezes(rules, now)[0];
}

/** The windows in effect at `now` or beginning within `horizonMs` of it, by start. */
export function upcomingFreezes(rules: readonly FreezeRule[], now: Date, horizonMs: number): FreezeWindow[] {
  const at = now.getTime();
  return rules
    .flatMap((rule) =>
      occurrences(rule, at, at + horizonMs)
        .filter(([s, e]) => e > at && s < at + horizonMs)
        .map((span) => windowOf(rule, span)),
    )
    .sort((a, b) => Date.parse(a.start) - Date.parse(b.start) || a.name.localeCompare(b.name));
}

/** An admin's override: this rollout goes on during these windows (the ones in effect when it was given). */
export interface FreezeOverride {
  by: string;
  reason: string;
  at: string;
  windows: FreezeWindow[];
}

/** Whether an override of this rollout lifts the window. */
export function lifted(window: FreezeWindow, overrides: readonly FreezeOverride[] | undefined): boolean {
  return (overrides ?? []).some((o) => o.windows.some((w) => w.name === window.name && w.end === window.end));
}

/** The window that holds a rollout at `now`: in effect and not lifted by its overrides (the one ending last). */
export function freezeHold(
  rules: readonly FreezeRule[],
  overrides: readonly FreezeOverride[] | undefined,
  now: Date,
): FreezeWindow | undefined {
  return activeFreezes(rules, now).find((w) => !lifted(w, overrides));
}
