import { TZDate } from '@date-fns/tz';
import { format } from 'date-fns';
import type { FreezeWindow } from './windows.ts';

// A freeze window in words, as refusals, the thread and the lists say it: its times on the wall clock of
// its own time zone (the one the config names them in), and how far they are from now.

/** "Mon 16 Mar 09:00 America/New_York": an instant on the wall clock of `timeZone`. */
export function localTime(iso: string, timeZone: string): string {
  return `${format(new TZDate(Date.parse(iso), timeZone), 'EEE d MMM HH:mm')} ${timeZone}`;
}

/** 45_000 -> "45 s", "12 min", "2 h 5 min", "2 d 3 h": the two largest units. */
export function durationWords(ms: number): string {
  const minutes = Math.max(0, Math.round(ms / 60_000));
  if (ms < 60_000) return `${Math.max(0, Math.round(ms / 1000))} s`;
  const [d, h, m] = [Math.floor(minutes / 1440), Math.floor(minutes / 60) % 24, minutes % 60];
  if (d > 0) return h > 0 ? `${d} d ${h} h` : `${d} d`;
  if (h > 0) return m > 0 ? `${h} h ${m} min` : `${h} h`;
  return `${m} min`;
}

/** "in 2 d 3 h", or "2 h ago". */
export function fromNow(iso: string, now: Date): string {
  const ms = Date.parse(iso) - now.getTime();
  return ms >= 0 ? `in ${durationWords(ms)}` : `${durationWords(-ms)} ago`;
}

/** `weekend (No prod changes over the weekend)`: the name, and why when the config says. */
export function windowName(window: FreezeWindow): string {
  return window.description ? `${window.name} (${window.description})` : window.name;
}

/** "ends Mon 16 Mar 09:00 America/New_York, in 2 d 3 h". */
export function windowEnd(window: FreezeWindow, now: Date): string {
  return `ends ${localTime(window.end, window.timeZone)}, ${fromNow(window.end, now)}`;
}
