import type { Freeze, Lock } from '../store/index.ts';
import {
  code,
  context,
  escapeText,
  lineSections,
  link,
  mention,
  message,
  type SlackMessage,
  section,
} from './message.ts';
import { humanDuration, slackDate } from './time.ts';

// A start refused by the deploy lock or a freeze (who, why, since when, where to look), and the list of
// every lock and freeze for /deploy locks.

const since = (iso: string, now: number) => `${slackDate(iso)} (${humanDuration(now - Date.parse(iso))} ago)`;

export function lockRefusal(input: {
  service: string;
  env: string;
  holder?: Lock;
  freeze?: Freeze;
  threadLink?: string;
  now?: Date;
}): SlackMessage {
  const now = (input.now ?? new Date()).getTime();
  const what = `${code(input.service)} in ${code(input.env)}`;
  if (input.freeze) {
    const f = input.freeze;
    return message(`${input.service} ${input.env} is frozen`, [
      section(
        `:snowflake: Deploys of ${what} are frozen by ${mention(f.author)} since ${since(f.since, now)}: ${escapeText(f.reason)}`,
      ),
      context('Rollbacks still run. The freeze is lifted with `/deploy unlock`.'),
    ]);
  }
  const h = input.holder as Lock;
  const kind = h.kind === 'rollback' ? 'a rollback' : 'a rollout';
  return message(`${input.service} ${input.env} is locked by ${h.author}`, [
    section(
      `:lock: ${what} is locked by ${mention(h.author)} for ${kind} since ${since(h.since, now)}: ${escapeText(h.reason)}`,
    ),
    context(
      `${link(input.threadLink, 'Open its thread')} · \`${h.rolloutId}\` · one rollout at a time per service and environment`,
    ),
  ]);
}

export function locksList(locks: Lock[], freezes: Freeze[], options: { now?: Date } = {}): SlackMessage {
  const now = (options.now ?? new Date()).getTime();
  if (locks.length === 0 && freezes.length === 0)
    return message('No locks or freezes', [section('No deploy locks or freezes.')]);
  const lines = [
    ...locks.map(
      (l) =>
        `:lock: ${code(l.service)} ${code(l.env)}: ${l.kind} \`${l.rolloutId}\` by ${mention(l.author)} since ${since(l.since, now)}: ${escapeText(l.reason)}`,
    ),
    ...freezes.map(
      (f) =>
        `:snowflake: ${code(f.service)} ${code(f.env)}: frozen by ${mention(f.author)} since ${since(f.since, now)}: ${escapeText(f.reason)}`,
    ),
  ];
  return message(
    `${locks.length} lock(s), ${freezes.length} freeze(s)`,
    lineSections(lines, { maxSections: 3, maxLine: 400 }),
  );
}
