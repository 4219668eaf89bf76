import { escapeText } from './message.ts';

// Times in messages: an absolute time Slack shows in each reader's own time zone, and a relative
// duration computed here ("12 min"). Builders take `now` as an option so they stay pure and testable.

export interface Clock {
  /** The time relative durations are measured to; defaults to the current time. */
  now?: Date;
}

export function nowOf(options: Clock | undefined): number {
  return (options?.now ?? new Date()).getTime();
}

/** `<!date^UNIX^{date_short_pretty} {time}|ISO>`: Slack renders it in the reader's time zone. */
export function slackDate(iso: string): string {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return escapeText(iso);
  return `<!date^${Math.floor(ms / 1000)}^{date_short_pretty} {time}|${new Date(ms).toISOString()}>`;
}

/** 45_000 -> "45 s", 720_000 -> "12 min", "2 h 5 min", "3 d 4 h". */
export function humanDuration(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return minutes % 60 === 0 ? `${hours} h` : `${hours} h ${minutes % 60} min`;
  const days = Math.floor(hours / 24);
  return hours % 24 === 0 ? `${days} d` : `${days} d ${hours % 24} h`;
}

/** Time between two ISO times, in words; undefined when either is missing or unreadable. */
export function between(from: string | undefined, to: string | undefined): string | undefined {
  if (from === undefined || to === undefined) return undefined;
  const ms = Date.parse(to) - Date.parse(from);
  return Number.isNaN(ms) ? undefined : humanDuration(ms);
}

/** "12 min ago" for a past time, "in 12 min" for a future one. */
export function relative(iso: string, now: number): string {
  const at = Date.parse(iso);
  if (Number.isNaN(at)) return '';
  return at <= now ? `${humanDuration(now - at)} ago` : `in ${humanDuration(at - now)}`;
}

/** "<date> (12 min ago)". */
export function when(iso: string, now: number): string {
  const rel = relative(iso, now);
  return rel === '' ? slackDate(iso) : `${slackDate(iso)} (${rel})`;
}
