import type { StageVerdict } from '../gates/judge.ts';
import type { GateResult } from '../gates/result.ts';
import type { CanaryState } from '../runbooks/types.ts';
import { countText, gateLine } from './gate-lines.ts';
import { context, lineSections, message, type SlackMessage, section } from './message.ts';
import { plainTitle, windowText } from './rollout-words.ts';
import { type Clock, nowOf } from './time.ts';

// One message per stage in the thread, edited at every tick: every gate's observed value beside its
// threshold (renderGate), the tick and window, and the verdict once there is one.

const PHASE: Record<'checks' | 'gates' | 'rollback-checks', string> = {
  checks: 'Checks',
  gates: 'Gates',
  'rollback-checks': 'Checks after the rollback',
};

export function gateResultsMessage(
  state: CanaryState,
  index: number,
  input: {
    phase: 'checks' | 'gates' | 'rollback-checks';
    tick?: number;
    results: GateResult[];
    verdict?: StageVerdict;
  },
  options: Clock = {},
): SlackMessage {
  const stage = state.stages[index];
  const title = `${PHASE[input.phase]} of stage ${stage?.name ?? index} (${stage?.traffic ?? '?'} %)`;
  const progress = input.phase === 'gates' && stage ? windowText(stage, nowOf(options)) : undefined;
  const verdict = input.verdict ? `verdict: *${input.verdict}*` : undefined;
  return message(`${plainTitle(state)}: ${title}: ${countText(input.results)}`, [
    section(`*${title}*: ${countText(input.results)}`),
    ...lineSections(
      input.results.map((r) => gateLine(r, 600)),
      { maxSections: 3, more: 'see the report' },
    ),
    ...(progress || verdict
      ? [context(...[progress, verdict].filter((t): t is string => t !== undefined))]
      : []),
  ]);
}
