import { crashPoint } from '../../faults/crash-point.ts';
import type { Refusal, StartInput, StartResult } from '../engine.ts';
import type { FreezeOverride } from '../freeze/windows.ts';
import { type AnyRunbookKind, kindOf, type RunbookStateBase } from '../kind.ts';
import type { Lock } from '../locks.ts';
import { auditRefusal, type UseCaseDeps } from './deps.ts';

// Starting a rollout of any kind: take the deploy lock (the kind says which) and create the versioned
// record with the runbook pinned, in one script (store.rollouts.start), then apply its `start` event. What
// may start (roles, the config) is the caller's to check first. A replica that dies after the script leaves
// a record pending at version 1: the sweep applies `start` with the same event id (see sweep.ts).

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
  if (acquired.ok) {
    crashPoint('after-lock-acquire');
    return { ok: true, lock: acquired.lock };
  }
  return acquired.reason === 'held'
    ? { ok: false, reason: 'held', holder: acquired.holder }
    : { ok: false, reason: 'frozen', freeze: acquired.freeze };
}

/**
 * Starts a rollout of any registered kind (the one use case every kind shares). `freezeOverride`: an admin
 * started it during a scheduled freeze window (use-cases/freeze.ts), kept in its record from the start.
 */
export async function startRunbook(
  deps: UseCaseDeps,
  input: StartInput,
  id = deps.newId(input.service, input.env),
  freezeOverride?: FreezeOverride,
): Promise<StartResult<RunbookStateBase>> {
  let kind: AnyRunbookKind;
  try {
    kind = kindOf(deps.kinds, input.kind);
  } catch (error) {
    return { ok: false, reason: 'invalid', message: (error as Error).message };
  }
  const at = deps.now();
  const { service, env, requestedBy } = input;
  const base = { id, service, env, requestedBy, dryRun: input.dryRun ?? false, at: at.toISOString() };
  const initial = kind.init(base, input.input, input.runbook);
  const state = freezeOverride ? { ...initial, freezeOverrides: [freezeOverride] } : initial;
  const started = await deps.store.rollouts.start(recordOf(state, 0, input.runbook), {
    author: requestedBy,
    reason: input.lockReason,
    kind: kind.lock,
    now: at.getTime(),
  });
  if (!started.ok) {
    if (started.reason === 'exists') {
      return { ok: false, reason: 'error', message: `a rollout ${id} exists already` };
    }
    await auditRefusal(deps, requestedBy, 'rollout.start', { service, env }, started.reason);
    return started.reason === 'held'
      ? { ok: false, reason: 'held', holder: started.holder }
      : { ok: false, reason: 'frozen', freeze: started.freeze };
  }
  crashPoint('after-lock-acquire');
  crashPoint('after-record-create');
  return applyStart(deps, started.lock, state);
}

function recordOf(state: RunbookStateBase, token: number, runbook: unknown) {
  return {
    id: state.id,
    service: state.service,
    env: state.env,
    fencingToken: token,
    status: state.status,
    state,
    runbook,
    applied: [],
    ...(state.dryRun ? { plan: [] } : {}),
  };
}

/**
 * For a lock taken earlier (acquireLock): the record, then its `start` event. A replica that dies between
 * the lock and the record leaves a lock whose lease (`recordWithinMs`) runs out: any sweep releases it.
 * Failures seen here are undone here.
 */
export async function createRollout<S extends RunbookStateBase>(
  deps: Pick<UseCaseDeps, 'store' | 'executor' | 'log'>,
  lock: Lock,
  state: S,
  runbook: unknown,
): Promise<StartResult<S>> {
  const { store } = deps;
  const created = await store.rollouts.create(recordOf(state, lock.token, runbook));
  if (!created.ok) {
    await store.locks.release(lock.service, lock.env, lock.token);
    return {
      ok: false,
      reason: 'error',
      message: `could not create the rollout record: ${JSON.stringify(created)}`,
    };
  }
  crashPoint('after-record-create');
  return applyStart(deps, lock, state);
}

/** The `start` event of a record just created; a sweep that applied it first makes this one a duplicate. */
async function applyStart<S extends RunbookStateBase>(
  deps: Pick<UseCaseDeps, 'store' | 'executor' | 'log'>,
  lock: Lock,
  state: S,
): Promise<StartResult<S>> {
  const id = state.id;
  const started = await deps.executor.dispatch(
    id,
    { type: 'start', at: state.startedAt },
    { eventId: `${id}.start` },
  );
  if (!started.ok && started.reason === 'duplicate' && started.state) {
    const done = Promise.resolve({ steps: 0 });
    return { ok: true, rolloutId: id, state: started.state as S, lock, settled: done };
  }
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
