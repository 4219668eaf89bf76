import type { Refusal, StartInput, StartResult } from '../engine.ts';
import { type AnyRunbookKind, kindOf, type RunbookStateBase } from '../kind.ts';
import type { Lock } from '../locks.ts';
import { auditRefusal, type UseCaseDeps } from './deps.ts';

// Starting a rollout of any kind: take the deploy lock (the kind says which), create the versioned record
// with the runbook pinned, and apply its `start` event. What may start (roles, the config) is the caller's
// to check first.

/** The deploy lock of (service, env) for a new rollout, or who holds it, or which freeze blocks it. */
export async function acquireLock(
  deps: Pick<UseCaseDeps, 'store'>,
  kind: AnyRunbookKind,
  input: { id: string; service: string; env: string; requestedBy: string; reason: string; at: Date },
): Promise<{ ok: true; lock: Lock } | Extract<Refusal, { reason: 'held' | 'frozen' }>> {
  const acquired = await deps.store.locks.acquire(input.service, input.env, {
    rolloutId: input.id,
    author: input.requestedBy,
    reason: input.reason,
    kind: kind.lock,
    now: input.at.getTime(),
  });
  if (acquired.ok) return { ok: true, lock: acquired.lock };
  return acquired.reason === 'held'
    ? { ok: false, reason: 'held', holder: acquired.holder }
    : { ok: false, reason: 'frozen', freeze: acquired.freeze };
}

/** Starts a rollout of any registered kind (the one use case every kind shares). */
export async function startRunbook(
  deps: UseCaseDeps,
  input: StartInput,
  id = deps.newId(input.service, input.env),
): Promise<StartResult<RunbookStateBase>> {
  let kind: AnyRunbookKind;
  try {
    kind = kindOf(deps.kinds, input.kind);
  } catch (error) {
    return { ok: false, reason: 'invalid', message: (error as Error).message };
  }
  const at = deps.now();
  const { service, env, requestedBy } = input;
  const acquired = await acquireLock(deps, kind, {
    id,
    service,
    env,
    requestedBy,
    reason: input.lockReason,
    at,
  });
  if (!acquired.ok) {
    await auditRefusal(deps, requestedBy, 'rollout.start', { service, env }, acquired.reason);
    return acquired;
  }
  const base = { id, service, env, requestedBy, dryRun: input.dryRun ?? false, at: at.toISOString() };
  return createRollout(deps, acquired.lock, kind.init(base, input.input, input.runbook), input.runbook);
}

/**
 * The record, then its `start` event. Dies between the lock and the record, or before `start` is applied,
 * leave a lock (or a record) the start did not finish: undone here when the failure is seen.
 */
export async function createRollout<S extends RunbookStateBase>(
  deps: Pick<UseCaseDeps, 'store' | 'executor' | 'log'>,
  lock: Lock,
  state: S,
  runbook: unknown,
): Promise<StartResult<S>> {
  const { store } = deps;
  const id = state.id;
  const created = await store.rollouts.create({
    id,
    service: state.service,
    env: state.env,
    fencingToken: lock.token,
    status: state.status,
    state,
    runbook,
    applied: [],
    ...(state.dryRun ? { plan: [] } : {}),
  });
  if (!created.ok) {
    await store.locks.release(lock.service, lock.env, lock.token);
    return {
      ok: false,
      reason: 'error',
      message: `could not create the rollout record: ${JSON.stringify(created)}`,
    };
  }
  const started = await deps.executor.dispatch(
    id,
    { type: 'start', at: state.startedAt },
    { eventId: `${id}.start` },
  );
  if (!started.ok) {
    await releaseAfterFailedStart(deps, id, lock, started.message);
    return {
      ok: false,
      reason: started.reason === 'refused' ? 'refused' : 'error',
      message: started.message,
    };
  }
  return { ok: true, rolloutId: id, state: started.state as S, lock, settled: started.settled };
}

async function releaseAfterFailedStart(
  deps: Pick<UseCaseDeps, 'store' | 'log'>,
  id: string,
  lock: Lock,
  why: string,
): Promise<void> {
  const { store } = deps;
  try {
    await store.rollouts.transition(id, 1, lock, { status: 'failed' });
    await store.locks.release(lock.service, lock.env, lock.token);
    await store.audit.append({
      who: 'shiftgate',
      what: 'rollout.start-failed',
      rolloutId: id,
      service: lock.service,
      env: lock.env,
      reason: why,
    });
  } catch (error) {
    deps.log.error('could not undo a failed start', { rolloutId: id, error: (error as Error).message });
  }
}
