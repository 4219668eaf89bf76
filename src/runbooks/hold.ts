import type { Attention, RunbookState } from './types.ts';

// Both kinds of record name what holds them `hold` (types.ts). Readers that only ask whether people must
// look at something, and why (the card, the reports, the notifier), read it through here.

/** The attention a record holds: while it needs attention, or left open when it ended. */
export function attentionOf(state: RunbookState): Attention | undefined {
  const hold = withHold(state).hold;
  return hold?.kind === 'attention' ? hold : undefined;
}

/** How records written before `hold` named it (pausedFrom, pausedAt, attention): read back as a hold. */
interface Legacy {
  status: string;
  pausedFrom?: string;
  pausedAt?: string;
  attention?: { reason: string; at: string; cause?: string };
  timeline?: { by?: string }[];
}

/**
 * A record of either kind with its hold in today's shape. Rollouts under way when this version was deployed
 * were saved with the three old fields; their next step writes the hold back, and the old fields go.
 */
export function withHold<S extends RunbookState>(state: S): S {
  const old = state as S & Legacy;
  if (state.hold !== undefined || (old.pausedFrom === undefined && old.attention === undefined)) return state;
  const { pausedFrom, pausedAt, attention, ...rest } = old;
  if (state.kind === 'canary' && state.status === 'paused' && pausedFrom !== undefined) {
    const by = [...(old.timeline ?? [])].reverse().find((t) => t.by !== undefined)?.by ?? 'someone';
    const hold = { kind: 'paused', from: pausedFrom, at: pausedAt ?? state.startedAt, by };
    return { ...rest, hold } as unknown as S;
  }
  if (attention === undefined) return rest as unknown as S;
  const cause = attention.cause ?? (state.kind === 'rollback' ? 'rollback' : 'effect-failed');
  const from = pausedFrom ?? state.status;
  const hold = {
    kind: 'attention',
    cause,
    reason: attention.reason,
    at: attention.at,
    ...(state.kind === 'canary' ? { from } : {}),
  };
  return { ...rest, hold } as unknown as S;
}
