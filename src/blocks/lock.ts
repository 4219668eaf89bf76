import type { KnownBlock } from '@slack/types';
import type { ScheduledFreeze } from '../runbooks/freeze/scope.ts';
import type { Freeze, Lock } from '../runbooks/locks.ts';
import { scheduleLine } from './freeze.ts';
import {
  code,
  context,
  escapeText,
  fitting,
  header,
  lineSections,
  link,
  md,
  mention,
  message,
  type SlackMessage,
  section,
} from './message.ts';
import { type Clock, nowOf, when } from './time.ts';

// A start refused by the deploy lock or a freeze (who, why, since when, where to look), and the list of
// every lock and freeze for /deploy locks, with the scheduled freeze windows of the next 7 days.

export interface LockRefusalInput extends Clock {
  service: string;
  env: string;
  holder?: Lock;
  freeze?: Freeze;
  /** Who is refused: told "you" when the lock or freeze is their own. */
  viewer?: string;
  /** Permalink of the holder's rollout card: its thread has the whole story. */
  threadLink?: string;
}

export function lockRefusal(input: LockRefusalInput): SlackMessage {
  const now = nowOf(input);
  const what = md`${code(input.service)} in ${code(input.env)}`;
  const plain = escapeText(`${input.service} ${input.env}`);
  if (input.freeze) {
    const f = input.freeze;
    const yours = f.author === input.viewer;
    const by = yours ? md`you` : mention(f.author);
    return message(md`${plain} is frozen by ${by}: no new rollout`, [
      section(
        md`:snowflake: Deploys of ${what} are frozen by ${by} since ${when(f.since, now)}: ${escapeText(f.reason)}`,
      ),
      context(
        md`A freeze blocks new rollouts, never a rollback. ${yours ? md`You` : mention(f.author)} or an admin lifts it with ${code(`/deploy unlock ${input.service} ${input.env}`)}.`,
      ),
    ]);
  }
  const h = input.holder;
  if (!h) {
    return message(md`${plain} is locked`, [
      section(md`:lock: ${what} is locked by another rollout. Try again later.`),
    ]);
  }
  const kind = h.kind === 'rollback' ? 'a rollback' : 'a rollout';
  if (h.author === input.viewer) {
    // Said to the holder: not "locked by @you", but that the lock is theirs and what ends it.
    return message(md`${plain}: you hold the deploy lock for ${kind}`, [
      section(
        md`:lock: You hold the deploy lock of ${what} for ${kind} since ${when(h.since, now)}: ${escapeText(h.reason)}`,
      ),
      context(
        md`${link(input.threadLink, 'Open its thread')} · ${code(h.rolloutId)} · one rollout at a time per service and environment: it is released when yours ends (abort it to end it now).`,
      ),
    ]);
  }
  return message(md`${plain} is locked by ${mention(h.author)} for ${kind}`, [
    section(
      md`:lock: ${what} is locked by ${mention(h.author)} for ${kind} since ${when(h.since, now)}: ${escapeText(h.reason)}`,
    ),
    context(
      md`${link(input.threadLink, 'Open its thread')} · ${code(h.rolloutId)} · one rollout at a time per service and environment; it is released when that one ends.`,
    ),
  ]);
}

/** Longest list /deploy locks shows; the rest are counted. */
const MAX_LINES = 40;
/** Of those, the scheduled freeze windows at most. */
const MAX_WINDOW_LINES = 15;

export function locksList(
  locks: Lock[],
  freezes: Freeze[],
  options: Clock & { schedule?: ScheduledFreeze[] } = {},
): SlackMessage {
  const now = nowOf(options);
  const schedule = options.schedule ?? [];
  // The windows share the message with the locks: each list gets its part of the lines, and the lines are
  // shortened until the whole fits Slack's size.
  const windowLines = Math.min(schedule.length, MAX_WINDOW_LINES);
  const windows = (maxLine: number): KnownBlock[] =>
    schedule.length === 0
      ? []
      : [
          header(`Freeze windows, next 7 days (${schedule.length})`),
          ...lineSections(
            schedule.map((entry) => scheduleLine(entry, options)),
            { maxLines: windowLines, maxLine },
          ),
        ];
  if (locks.length === 0 && freezes.length === 0) {
    return message(
      schedule.length === 0
        ? md`No deploy locks or freezes`
        : md`No deploy locks or freezes; ${schedule.length} freeze window(s) in the next 7 days`,
      [section(md`:unlock: No deploy locks or freezes.`), ...windows(300)],
    );
  }
  const lines = [
    ...locks.map(
      (l) =>
        md`:lock: ${code(l.service)} ${code(l.env)}: ${l.kind} ${code(l.rolloutId)} by ${mention(l.author)} since ${when(l.since, now)}: ${escapeText(l.reason)}`,
    ),
    ...freezes.map(
      (f) =>
        md`:snowflake: ${code(f.service)} ${code(f.env)}: frozen by ${mention(f.author)} since ${when(f.since, now)}: ${escapeText(f.reason)}`,
    ),
  ];
  const services = [...new Set([...locks, ...freezes].map((x) => md`${x.service} ${x.env}`))].slice(0, 5);
  return message(
    md`${locks.length} lock(s), ${freezes.length} freeze(s): ${escapeText(services.join(', '))}`,
    fitting(
      (budget) => [
        header(`Deploy locks (${locks.length}) and freezes (${freezes.length})`),
        ...lineSections(lines, { maxLines: MAX_LINES - windowLines, maxLine: Math.min(220, budget) }),
        ...windows(budget),
      ],
      300,
    ),
  );
}
