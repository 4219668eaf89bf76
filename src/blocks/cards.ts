import type { CanaryRunbook } from '../config/runbooks.ts';
import type { RunbookState } from '../runbooks/types.ts';
import { cutoverCard } from './cutover.ts';
import { flagCard } from './flag.ts';
import type { SlackMessage } from './message.ts';
import { rollingBackMessage } from './rollback.ts';
import { type RolloutCardOptions, rolloutCard } from './rollout-card.ts';

// How each runbook kind looks in its channel: the card its thread hangs from, drawn from the state and the
// runbook pinned in the record when it started (never the config as it is now). One entry per kind of
// state: a kind without a card does not compile.

type CardOf<K extends RunbookState['kind']> = (
  state: Extract<RunbookState, { kind: K }>,
  runbook: unknown,
  options: RolloutCardOptions,
) => SlackMessage;

const CARDS: { [K in RunbookState['kind']]: CardOf<K> } = {
  canary: (state, runbook, options) => rolloutCard(state, runbook as CanaryRunbook, options),
  rollback: (state) => rollingBackMessage(state),
  'stream-cutover': (state) => cutoverCard(state),
  'flag-canary': (state) => flagCard(state),
};

export function kindCard(
  state: RunbookState,
  runbook: unknown,
  options: RolloutCardOptions = {},
): SlackMessage {
  return (CARDS[state.kind] as CardOf<typeof state.kind>)(state as never, runbook, options);
}
