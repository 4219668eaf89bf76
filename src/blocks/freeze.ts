import type { ScheduledFreeze } from '../runbooks/freeze/scope.ts';
import type { FreezeOverride } from '../runbooks/freeze/windows.ts';
import { fromNow, localTime } from '../runbooks/freeze/words.ts';
import { code, escapeText, type Mrkdwn, md, mention } from './message.ts';
import { type Clock, nowOf } from './time.ts';

// Scheduled freeze windows in Slack: the schedule /deploy locks and App Home list (the next 7 days), and
// an admin's override in a rollout's thread. Times are on the wall clock of the window's time zone (the
// one the config names them in), with how far they are from now.

/** One line of the schedule: where, which window, from when to when (or until when, once it holds). */
export function scheduleLine(entry: ScheduledFreeze, options: Clock = {}): Mrkdwn {
  const now = new Date(nowOf(options));
  const w = entry.window;
  const where = entry.service
    ? md`${code(entry.service)} ${code(entry.env)}`
    : md`${code(entry.env)} (every service)`;
  const why = w.description ? md` · ${escapeText(w.description)}` : md``;
  if (Date.parse(w.start) <= now.getTime())
    return md`:snowflake: ${where}: freeze window *${w.name}* holds now, ends ${localTime(w.end, w.timeZone)} (${fromNow(w.end, now)})${why}`;
  const start = localTime(w.start, w.timeZone).replace(` ${w.timeZone}`, '');
  return md`:calendar: ${where}: freeze window *${w.name}* from ${start} to ${localTime(w.end, w.timeZone)} (starts ${fromNow(w.start, now)})${why}`;
}

/** A rollout's thread: an admin let it go on during freeze windows (at its start, or while it ran). */
export function freezeOverrideLine(override: FreezeOverride, atStart: boolean): Mrkdwn {
  const windows = override.windows.map((w) => `${w.name} (until ${localTime(w.end, w.timeZone)})`).join(', ');
  return atStart
    ? md`:snowflake: Started during freeze window ${windows} by ${mention(override.by)}'s override: ${override.reason}. Rollbacks run as always.`
    : md`:snowflake: ${mention(override.by)} lets this rollout go on during freeze window ${windows}: ${override.reason}. Approvals of its traffic shifts count again.`;
}
