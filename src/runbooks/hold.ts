import type { Attention, RunbookState } from './types.ts';

// Both kinds of record name what holds them `hold` (types.ts). Readers that only ask whether people must
// look at something, and why (the card, the reports, the notifier), read it through here.

/** The attention a record holds: while it needs attention, or left open when it ended. */
export function attentionOf(state: RunbookState): Attention | undefined {
  return state.hold?.kind === 'attention' ? state.hold : undefined;
}
