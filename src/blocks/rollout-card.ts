import type { Button } from '@slack/types';
import type { CanaryRunbook } from '../config/runbooks.ts';
import type { CanaryState } from '../runbooks/types.ts';
import { ACTIONS, encodeValue } from './actions.ts';
import { countText } from './gate-lines.ts';
import {
  actions,
  button,
  code,
  context,
  fields,
  header,
  mention,
  message,
  type SlackMessage,
  section,
} from './message.ts';
import {
  canaryShare,
  currentStage,
  isTerminal,
  plainTitle,
  splitText,
  stageBar,
  statusText,
  statusWords,
} from './rollout-words.ts';
import { type Clock, nowOf, slackDate } from './time.ts';

// The rollout card: one message per rollout in the service's channel, edited as it moves. Everything
// else goes into its thread.

export function rolloutCard(state: CanaryState, runbook: CanaryRunbook, options: Clock = {}): SlackMessage {
  const now = nowOf(options);
  const stage = currentStage(state);
  const lastTick = stage?.ticks.at(-1);
  const gates = lastTick
    ? `Gates of stage ${stage?.name}, tick ${stage?.ticks.length}: ${countText(lastTick)}`
    : undefined;
  const blocks = [
    header(`${state.dryRun ? '[dry run] ' : ''}Canary ${state.service} ${state.tag} → ${state.env}`),
    section(statusText(state, now)),
    section(stageBar(state)),
    fields([
      `*Traffic now*\n${splitText(state.trafficNow, { ...(state.stableRevision ? { stable: state.stableRevision } : {}), ...(state.canaryRevision ? { canary: state.canaryRevision } : {}) })}`,
      `*Revisions*\nstable ${code(state.stableRevision ?? '?')}\ncanary ${code(state.canaryRevision ?? 'deploying')}`,
      `*Requested by*\n${mention(state.requestedBy)} ${slackDate(state.startedAt)}`,
      `*Runbook*\n${runbook.stages.length} stages, ${runbook.stages.map((s) => `${s.traffic} %`).join(' → ')}`,
    ]),
    ...(gates ? [context(gates)] : []),
    ...actions(cardButtons(state)),
  ];
  return message(`${plainTitle(state)}: ${statusWords(state)}`, blocks);
}

function cardButtons(state: CanaryState): Button[] {
  if (isTerminal(state) || state.status === 'rolling-back') return [];
  const value = encodeValue({ r: state.id });
  const out: Button[] = [];
  if (state.status === 'paused' || state.status === 'needs-attention')
    out.push(button('Resume', ACTIONS.resume, value, 'primary'));
  else out.push(button('Pause', ACTIONS.pause, value));
  const gateFailed = state.attention?.cause === 'gate-failed';
  if (gateFailed || canaryShare(state) > 0) {
    out.push(
      button(gateFailed ? 'Roll back now' : 'Roll back', ACTIONS.rollback, value, 'danger', {
        title: 'Roll back?',
        text: 'Traffic goes back to the stable revision, and an incident opens.',
        confirm: 'Roll back',
      }),
    );
  }
  out.push(
    button('Abort', ACTIONS.abort, value, undefined, {
      title: 'Abort the rollout?',
      text: 'Any canary traffic returns to stable first.',
      confirm: 'Abort',
    }),
  );
  if (state.stage < state.stages.length - 1 && !state.promoteNow) {
    out.push(
      button('Promote now', ACTIONS.promote, value, undefined, {
        title: 'Promote now?',
        text: 'Skips the remaining approvals and watch windows (admins only); every stage still runs its gates once.',
        confirm: 'Promote',
      }),
    );
  }
  return out;
}
