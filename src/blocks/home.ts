import type { HomeView, KnownBlock } from '@slack/types';
import type { ScheduledFreeze } from '../runbooks/freeze/scope.ts';
import type { Freeze, Lock } from '../runbooks/locks.ts';
import type { SetBy } from '../runbooks/route/index.ts';
import type { RunbookState } from '../runbooks/types.ts';
import { scheduleLine } from './freeze.ts';
import {
  code,
  context,
  divider,
  escapeText,
  header,
  lineSections,
  link,
  type Mrkdwn,
  md,
  mdJoin,
  mention,
  section,
} from './message.ts';
import { STATUS_EMOJI, stageBar } from './rollout-words.ts';
import { overrideLine } from './route.ts';
import { listLine } from './status.ts';
import { type Clock, nowOf, slackDate, when } from './time.ts';

// App Home: active rollouts, locks and freezes, open incidents, recent history. Every list is cut (with
// "and N more") so the view stays within Slack's 100 blocks whatever the numbers.

export interface HomeInput extends Clock {
  rollouts: RunbookState[];
  locks: Lock[];
  freezes: Freeze[];
  incidents: { id: string; service: string; env: string; symptom: string; at: string; link?: string }[];
  history: { id: string; service: string; env: string; status: string; endedAt: string }[];
  /** Route-split overrides standing now (a rollback's, or a person's /route), with who set them. */
  routeOverrides?: { service: string; env: string; override: string; setBy?: SetBy }[];
  /** Scheduled freeze windows in effect now or beginning in the next 7 days. */
  schedule?: ScheduledFreeze[];
}

/** Active rollouts shown one section each (with their stage bar); the rest are counted. */
const MAX_ROLLOUTS = 20;
/** Lines of each other list. */
const MAX_LINES = 25;

const ENDED: Record<string, string> = {
  promoted: STATUS_EMOJI.promoted,
  'rolled-back': STATUS_EMOJI['rolled-back'],
  aborted: STATUS_EMOJI.aborted,
  failed: STATUS_EMOJI.failed,
};

export function appHome(input: HomeInput): HomeView {
  const now = nowOf(input);
  const rollouts = input.rollouts
    .slice(0, MAX_ROLLOUTS)
    .map((s) => section(s.kind === 'canary' ? md`${listLine(s, now)}\n${stageBar(s)}` : listLine(s, now)));
  const moreRollouts = input.rollouts.length - rollouts.length;
  const blocks: KnownBlock[] = [
    header(`Active rollouts (${input.rollouts.length})`),
    ...(rollouts.length > 0 ? rollouts : [context(md`Nothing is rolling out.`)]),
    ...(moreRollouts > 0 ? [context(md`_and ${moreRollouts} more: \`/canary list\` shows them all_`)] : []),
    divider(),
    ...list(
      `Locks and freezes (${input.locks.length + input.freezes.length})`,
      [
        ...input.locks.map(
          (l) =>
            md`:lock: ${code(l.service)} ${code(l.env)}: ${l.kind} by ${mention(l.author)} since ${when(l.since, now)}: ${escapeText(l.reason)}`,
        ),
        ...input.freezes.map(
          (f) =>
            md`:snowflake: ${code(f.service)} ${code(f.env)}: frozen by ${mention(f.author)} since ${when(f.since, now)}: ${escapeText(f.reason)}`,
        ),
      ],
      'No locks or freezes.',
    ),
    ...list(
      `Freeze windows, next 7 days (${input.schedule?.length ?? 0})`,
      (input.schedule ?? []).map((entry) => scheduleLine(entry, input)),
      'No scheduled freeze window in the next 7 days.',
    ),
    ...(input.routeOverrides?.length
      ? list(
          `Route-split overrides (${input.routeOverrides.length})`,
          input.routeOverrides.map((o) => overrideLine(o, o, input)),
          '',
        )
      : []),
    ...list(
      `Open incidents (${input.incidents.length})`,
      input.incidents.map(
        (i) =>
          md`:rotating_light: ${code(i.service)} ${code(i.env)}: ${escapeText(i.symptom)} · opened ${when(i.at, now)} · ${link(i.link, 'thread')}`,
      ),
      'No open incidents.',
    ),
    ...list(
      'Recent history',
      input.history.map(
        (h) =>
          md`${ENDED[h.status] ?? ':grey_question:'} ${code(h.service)} ${code(h.env)}: ${escapeText(h.status)}${h.endedAt ? md` ${slackDate(h.endedAt)}` : ''} · ${code(h.id)}`,
      ),
      'Nothing has finished yet.',
    ),
    context(
      mdJoin(
        ['/canary help', '/rollback help', '/incident help', '/deploy help', '/route help'].map((c) =>
          code(c),
        ),
        ' · ',
      ),
    ),
  ];
  return { type: 'home', blocks };
}

function list(title: string, lines: Mrkdwn[], empty: string): KnownBlock[] {
  return [
    header(title),
    ...(lines.length > 0
      ? lineSections(lines, { maxLines: MAX_LINES, maxLine: 300 })
      : [context(escapeText(empty))]),
    divider(),
  ];
}
