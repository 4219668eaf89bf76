import type { CanaryRunbook } from '../config/runbooks.ts';
import type { CanaryState, RunbookState } from '../runbooks/types.ts';
import { countText } from './gate-lines.ts';
import { code, context, lineSections, mention, message, type SlackMessage, section } from './message.ts';
import {
  currentStage,
  plainTitle,
  STATUS_EMOJI,
  splitText,
  stageBar,
  statusText,
  statusWords,
} from './rollout-words.ts';
import { type Clock, nowOf } from './time.ts';

// /canary status (one rollout, for the person who asked) and /canary list (every active one).

export function rolloutStatus(state: CanaryState, runbook: CanaryRunbook, options: Clock = {}): SlackMessage {
  const stage = currentStage(state);
  const last = stage?.ticks.at(-1);
  return message(`${plainTitle(state)}: ${statusWords(state)}`, [
    section(`*${plainTitle(state)}* \`${state.id}\`\n${statusText(state, nowOf(options))}`),
    section(stageBar(state)),
    context(
      `Traffic: ${splitText(state.trafficNow)}`,
      last ? `Gates at tick ${stage?.ticks.length}: ${countText(last)}` : `${runbook.stages.length} stages`,
      `Requested by ${mention(state.requestedBy)}`,
    ),
  ]);
}

export function rolloutList(states: RunbookState[]): SlackMessage {
  if (states.length === 0)
    return message('No active rollouts', [section('No rollout or rollback is active.')]);
  const lines = states.map(
    (s) =>
      `${s.kind === 'canary' ? STATUS_EMOJI[s.status] : ':leftwards_arrow_with_hook:'} ${plainTitle(s)}: ${statusWords(s)} · \`${s.id}\` · ${mention(s.requestedBy)}${s.kind === 'canary' ? ` · ${code(String(canary(s)))} %` : ''}`,
  );
  return message(`${states.length} active`, [
    section(`*${states.length} active*`),
    ...lineSections(lines, { maxSections: 3, maxLine: 400 }),
  ]);
}

const canary = (s: CanaryState) => (s.canaryRevision ? (s.trafficNow?.[s.canaryRevision] ?? 0) : 0);
