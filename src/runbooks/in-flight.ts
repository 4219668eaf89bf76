import { addMs, note } from './timeline.ts';
import type { Effect, Pending, RunbookEvent, RunbookPolicy, TimelineEntry } from './types.ts';

// Effects in flight and their retries, shared by the canary and the standalone rollback.
//
// A step works on a draft: a copy of the state it may change, and the effects it emits. Of those effects,
// the ones that await a result event (below) are remembered as `pending`, with the effect itself, so a
// failure can be retried with backoff (policy.maxAttempts attempts in all, the first one included) and,
// once retries are exhausted, re-emitted as is when people resume. At most one effect is in flight at a
// time: the procedure is sequential, as the seed's is.

export interface Draft<S> {
  s: S;
  effects: Effect[];
}

type Tracked = { pending?: Pending; timeline: TimelineEntry[] };

/** A copy of the state to change; the caller returns the original untouched when it refuses. */
export function draft<S>(state: S): Draft<S> {
  return { s: structuredClone(state), effects: [] };
}

/** Effects whose failure the runbook hears about (effect-failed) and retries on its schedule. */
export const AWAITS_RESULT: ReadonlySet<Effect['type']> = new Set<Effect['type']>([
  'deploy',
  'capture-before',
  'set-traffic',
  'rollback-traffic',
  'route-override',
  'evaluate',
  'route-status',
  'tag-revision',
  'read-traffic',
  'set-split',
  'dual-run',
  'read-error-budget',
  'read-flags',
  'set-flags',
  'run-job',
  'check-preconditions',
]);

export function awaitsResult(effect: Effect): boolean {
  return AWAITS_RESULT.has(effect.type);
}

/** Emit an effect that awaits its result: it becomes the one in flight (a stale retry timer is cancelled). */
export function ask(d: Draft<Tracked>, effect: Effect): void {
  cancelRetry(d);
  d.s.pending = { effect: effect.type, attempts: 1, payload: effect };
  d.effects.push(effect);
}

/** The result of the effect in flight arrived. */
export function settle(d: Draft<Tracked>): void {
  cancelRetry(d);
  d.s.pending = undefined;
}

export function cancelRetry(d: Draft<Tracked>): void {
  const key = d.s.pending?.retryKey;
  if (key === undefined || d.s.pending === undefined) return;
  d.effects.push({ type: 'cancel', timer: 'retry', key });
  d.s.pending.retryKey = undefined;
}

export type FailureOutcome =
  | { kind: 'refused'; reason: string }
  | { kind: 'retrying' }
  /** Retries exhausted (or not retryable): the caller turns this into needs-attention. */
  | { kind: 'exhausted'; reason: string };

/** effect-failed: schedule a retry while attempts remain, else say why people are needed. */
export function effectFailed(
  d: Draft<Tracked>,
  e: Extract<RunbookEvent, { type: 'effect-failed' }>,
  policy: RunbookPolicy,
): FailureOutcome {
  const p = d.s.pending;
  if (p === undefined || p.effect !== e.effect)
    return { kind: 'refused', reason: `no ${e.effect} in flight` };
  if (p.retryKey !== undefined) return { kind: 'refused', reason: `${e.effect} already waits for a retry` };
  p.lastError = e.error;
  const tries = `${p.attempts} attempt${p.attempts === 1 ? '' : 's'}`;
  if (e.retryable && p.attempts < policy.maxAttempts) {
    const at = addMs(e.at, policy.backoffMs(p.attempts));
    // The timeline only grows, so its length makes a key no other retry of this rollout uses.
    const key = `${e.effect}:${d.s.timeline.length}`;
    p.retryKey = key;
    d.effects.push({
      type: 'schedule',
      timer: 'retry',
      at,
      key,
      event: { type: 'retry', at, effect: e.effect },
    });
    note(
      d.s,
      e.at,
      `${e.effect} failed (attempt ${p.attempts} of ${policy.maxAttempts}): ${e.error}; retry at ${at}`,
    );
    return { kind: 'retrying' };
  }
  const why = e.retryable ? `after ${tries}` : `(not retryable, ${tries})`;
  return { kind: 'exhausted', reason: `${e.effect} failed ${why}: ${e.error}` };
}

/** retry: the scheduled timer fired; emit the same effect again. Returns a refusal reason, if any. */
export function retry(d: Draft<Tracked>, e: Extract<RunbookEvent, { type: 'retry' }>): string | undefined {
  const p = d.s.pending;
  if (p?.payload === undefined || p.effect !== e.effect || p.retryKey === undefined) {
    return `no retry of ${e.effect} is due`;
  }
  p.retryKey = undefined;
  p.attempts += 1;
  d.effects.push(p.payload);
  note(d.s, e.at, `${e.effect}: attempt ${p.attempts}`);
  return undefined;
}

/** resume after exhausted retries: emit the effect in flight again, with a fresh count of attempts. */
export function redo(d: Draft<Tracked>): boolean {
  const payload = d.s.pending?.payload;
  if (payload === undefined) return false;
  ask(d, payload);
  return true;
}
