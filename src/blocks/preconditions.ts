import type { GateResult } from '../gates/result.ts';
import type { CanaryState } from '../runbooks/types.ts';
import { countText, gateLine } from './gate-lines.ts';
import { fitting, lineSections, md, message, type SlackMessage, section } from './message.ts';
import { plainTitle } from './rollout-words.ts';

// The preconditions checked before a canary deploys (seeds 000, 001), one line each with what was observed
// and what was expected; said plainly when a required one stops the rollout before anything is deployed.

export function preconditionsMessage(
  state: CanaryState,
  results: GateResult[],
  blocking: string[],
): SlackMessage {
  const head =
    blocking.length > 0
      ? md`:x: *Preconditions not met*: ${blocking.join(', ')}. Nothing was deployed; fix them and start again.`
      : md`:white_check_mark: *Preconditions*: ${countText(results)}${state.imageRequested ? md`; deploying by digest` : ''}`;
  return message(
    md`${plainTitle(state)}: preconditions: ${countText(results)}`,
    fitting(
      (budget) => [
        section(head),
        ...lineSections(
          results.map((r) => gateLine(r, budget)),
          { maxSections: 2 },
        ),
      ],
      1200,
    ),
  );
}
