import type { HomeView } from '@slack/types';
import type { RunbookState } from '../runbooks/types.ts';
import type { Freeze, Lock } from '../store/index.ts';
import { code, context, divider, escapeText, header, lineSections, mention } from './message.ts';
import { plainTitle, statusWords } from './rollout-words.ts';
import { slackDate } from './time.ts';

// App Home: active rollouts, locks and freezes, open incidents, recent history. Lists are cut to keep
// the view within Slack's 100 blocks.

export interface HomeInput {
  rollouts: RunbookState[];
  locks: Lock[];
  freezes: Freeze[];
  incidents: { id: string; service: string; env: string; symptom: string; at: string; link?: string }[];
  history: { id: string; service: string; env: string; status: string; endedAt: string }[];
}

function list(title: string, lines: string[], empty: string) {
  return [
    header(title),
    ...(lines.length ? lineSections(lines, { maxSections: 15, maxLines: 50 }) : [context(empty)]),
    divider(),
  ];
}

export function appHome(input: HomeInput): HomeView {
  return {
    type: 'home',
    blocks: [
      ...list(
        'Active rollouts',
        input.rollouts.map(
          (s) => `*${plainTitle(s)}*: ${statusWords(s)} · \`${s.id}\` · ${mention(s.requestedBy)}`,
        ),
        'Nothing is rolling out.',
      ),
      ...list(
        'Locks and freezes',
        [
          ...input.locks.map(
            (l) =>
              `:lock: ${code(l.service)} ${code(l.env)}: ${l.kind} by ${mention(l.author)} since ${slackDate(l.since)}`,
          ),
          ...input.freezes.map(
            (f) =>
              `:snowflake: ${code(f.service)} ${code(f.env)}: frozen by ${mention(f.author)}: ${escapeText(f.reason)}`,
          ),
        ],
        'No locks or freezes.',
      ),
      ...list(
        'Open incidents',
        input.incidents.map(
          (i) =>
            `:rotating_light: ${code(i.service)} ${code(i.env)}: ${escapeText(i.symptom)} (${slackDate(i.at)})`,
        ),
        'No open incidents.',
      ),
      ...list(
        'Recent history',
        input.history.map(
          (h) =>
            `${code(h.service)} ${code(h.env)}: ${h.status} ${h.endedAt ? slackDate(h.endedAt) : ''} · \`${h.id}\``,
        ),
        'Nothing has finished yet.',
      ),
      context('`/canary help`, `/rollback help`, `/incident help`, `/deploy help`'),
    ],
  };
}
