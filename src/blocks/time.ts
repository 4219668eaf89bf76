import {
  type DurationUnit,
  differenceInMilliseconds,
  formatDuration,
  getUnixTime,
  type Locale,
  secondsToHours,
  secondsToMinutes,
} from 'date-fns';
import { escapeText, type Mrkdwn, md, slackDateToken } from './message.ts';

// Times in messages: an absolute time Slack shows in each reader's own time zone, and a relative
// duration computed here ("12 min") with date-fns, in the short units below. Builders take `now` as an
// option so they stay pure and testable.

export interface Clock {
  /** The time relative durations are measured to; defaults to the current time. */
  now?: Date;
}

export function nowOf(options: Clock | undefined): number {
  return (options?.now ?? new Date()).getTime();
}

/** `<!date^UNIX^{date_short_pretty} {time}|ISO>`: Slack renders it in the reader's time zone. */
export function slackDate(iso: string): Mrkdwn {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return escapeText(iso);
  return slackDateToken(getUnixTime(ms), '{date_short_pretty} {time}', new Date(ms).toISOString());
}

const UNITS: Record<string, string> = { xSeconds: 's', xMinutes: 'min', xHours: 'h', xDays: 'd' };
/** date-fns' formatDuration in the units of messages: "2 h 5 min". */
const SHORT: Pick<Locale, 'formatDistance'> = {
  formatDistance: (token, count) => `${count} ${UNITS[token]}`,
};

/** 45_000 -> "45 s", 720_000 -> "12 min", "2 h 5 min", "3 d 4 h": the two largest units, 0 left out. */
export function humanDuration(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  const [minutes, hours] = [secondsToMinutes(seconds), secondsToHours(seconds)];
  // Days of 24 hours, never months (as intervalToDuration would give): a 40-day freeze reads "40 d".
  const parts = { days: Math.floor(hours / 24), hours: hours % 24, minutes: minutes % 60, seconds };
  const format: DurationUnit[] =
    seconds < 60 ? ['seconds'] : hours < 24 ? ['hours', 'minutes'] : ['days', 'hours'];
  return formatDuration(parts, { format, locale: SHORT, zero: seconds === 0 });
}

/** Time between two ISO times, in words; undefined when either is missing or unreadable. */
export function between(from: string | undefined, to: string | undefined): string | undefined {
  if (from === undefined || to === undefined) return undefined;
  const ms = differenceInMilliseconds(to, from);
  return Number.isNaN(ms) ? undefined : humanDuration(ms);
}

/** "12 min ago" for a past time, "in 12 min" for a future one. */
export function relative(iso: string, now: number): string {
  const at = Date.parse(iso);
  if (Number.isNaN(at)) return '';
  return at <= now ? `${humanDuration(now - at)} ago` : `in ${humanDuration(at - now)}`;
}

/** "<date> (12 min ago)". */
export function when(iso: string, now: number): Mrkdwn {
  const rel = relative(iso, now);
  return rel === '' ? slackDate(iso) : md`${slackDate(iso)} (${rel})`;
}

/** "today at 18:06", "Nov 23rd at 09:12": when something was decided, in the reader's time zone. */
export function clockTime(iso: string): Mrkdwn {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return escapeText(iso);
  return slackDateToken(getUnixTime(ms), '{date_short_pretty} at {time}', new Date(ms).toISOString());
}
