import { messageOf } from '../../gates/error-result.ts';
import { targetOf } from '../effects.ts';
import type { Engine, RollbackStartResult, StartResult } from '../engine.ts';
import type { RolloutFields } from '../executor.ts';
import { kindOf } from '../kind.ts';
import type { RollbackInput } from '../kinds.ts';
import type { Revision } from '../ports/cloud-run.ts';
import { mayRollBack } from '../roles.ts';
import type { RollbackAsk, RollbackRequests } from '../rollback-requests.ts';
import { servingRevision, splitOf } from '../traffic.ts';
import type { RunbookState } from '../types.ts';
import { auditRefusal, type UseCaseDeps } from './deps.ts';
import { dispatchPerson, waitsOnFailedGate } from './send.ts';
import { acquireLock, createRollout } from './start.ts';

// A manual /rollback: by the environment's rollback policy (roles.ts), either now, or once the request
// has its approvals (rollback-requests.ts). With a canary under way it is that canary's own rollback (its
// stable revision, its procedure); otherwise a standalone rollback record under a 'rollback' lock.

type RunResult = StartResult & { via?: 'rollout' };

export async function startRollback(
  deps: UseCaseDeps,
  requests: RollbackRequests<RunResult>,
  input: Parameters<Engine['startRollback']>[0],
): Promise<RollbackStartResult> {
  const { store, config } = deps;
  const { service, env, requestedBy } = input;
  const reason = input.reason.trim();
  if (!reason) return { ok: false, reason: 'invalid', message: 'a rollback needs a reason' };
  let targeted: ReturnType<typeof targetOf>;
  try {
    targeted = targetOf(config, service, env);
  } catch (error) {
    return { ok: false, reason: 'invalid', message: messageOf(error) };
  }
  if (!config.runbooks[targeted.target.runbook])
    return { ok: false, reason: 'invalid', message: `no runbook "${targeted.target.runbook}"` };
  const environment = config.environments[env];
  if (!environment) return { ok: false, reason: 'invalid', message: `no environment "${env}" in the config` };
  const holder = await store.locks.get(service, env);
  const active =
    holder?.kind === 'rollout'
      ? (await store.rollouts.get<RolloutFields>(holder.rolloutId))?.data.state
      : undefined;
  const right = mayRollBack(environment, await deps.personOf(requestedBy), {
    gateFailed: waitsOnFailedGate(deps, active),
    ...(active ? { requestedBy: active.requestedBy } : {}),
  });
  if (!right.ok) {
    await auditRefusal(deps, requestedBy, 'rollback.start', { service, env }, right.reason);
    return { ok: false, reason: 'not-allowed', message: right.reason };
  }
  const ask: RollbackAsk = {
    service,
    env,
    requestedBy,
    reason,
    ...(input.toRevision === undefined ? {} : { toRevision: input.toRevision }),
    ...(input.mode === undefined ? {} : { mode: input.mode }),
  };
  const id = deps.newId(service, env);
  if (right.alone || input.dryRun) return runRollback(deps, ask, id, input.dryRun ?? false);
  // Waiting for approvers: say now what is wrong with the target, not after they approved.
  if (input.toRevision !== undefined && !active) {
    try {
      const problem = revisionProblem(
        await deps.cloudRun.listRevisions(targeted.ref),
        input.toRevision,
        targeted.ref.service,
      );
      if (problem) return { ok: false, reason: 'invalid', message: problem };
    } catch (error) {
      return { ok: false, reason: 'error', message: messageOf(error) };
    }
  }
  return { ok: true, pending: true, request: await requests.create(id, ask) };
}

/** A rollback allowed to run now: into the active canary, or as its own record. */
export async function runRollback(
  deps: UseCaseDeps,
  ask: RollbackAsk,
  id: string,
  dryRun: boolean,
): Promise<RunResult> {
  const { service, env, requestedBy, reason } = ask;
  const targeted = targetOf(deps.config, service, env);
  const runbook = deps.config.runbooks[targeted.target.runbook];
  if (!runbook) return { ok: false, reason: 'invalid', message: `no runbook "${targeted.target.runbook}"` };
  const at = deps.now();
  const kind = kindOf(deps.kinds, 'rollback');
  const acquired = await acquireLock(deps, kind, {
    id,
    service,
    env,
    requestedBy,
    reason: `rollback: ${reason}`,
    at,
  });
  if (!acquired.ok) {
    // A rollout under way rolls back itself: its stable revision, its own procedure.
    if (acquired.reason === 'held' && acquired.holder.kind === 'rollout') {
      const sent = await dispatchPerson(deps, acquired.holder.rolloutId, {
        type: 'rollback',
        at: at.toISOString(),
        by: requestedBy,
        reason,
        ...(ask.toRevision === undefined ? {} : { toRevision: ask.toRevision }),
        ...(ask.mode === undefined ? {} : { mode: ask.mode }),
      });
      if (!sent.ok) return { ok: false, reason: 'refused', message: sent.message, via: 'rollout' };
      return {
        ok: true,
        rolloutId: acquired.holder.rolloutId,
        state: sent.state as RunbookState,
        settled: sent.settled,
        via: 'rollout',
      };
    }
    return acquired;
  }
  const lock = acquired.lock;
  let toRevision = ask.toRevision;
  let fromRevision: string | undefined;
  try {
    const described = await deps.cloudRun.describe(targeted.ref);
    fromRevision = servingRevision(splitOf(described.trafficStatuses));
    const revisions = await deps.cloudRun.listRevisions(targeted.ref);
    if (toRevision === undefined) {
      toRevision = previousReady(revisions, fromRevision);
      if (!toRevision)
        throw new Error(`no ready revision before ${fromRevision ?? 'the serving one'} to roll back to`);
    } else {
      const problem = revisionProblem(revisions, toRevision, targeted.ref.service);
      if (problem) throw new Error(problem);
    }
  } catch (error) {
    await deps.store.locks.release(service, env, lock.token).catch(() => {});
    return { ok: false, reason: 'invalid', message: messageOf(error) };
  }
  const input: RollbackInput = {
    reason,
    toRevision,
    ...(fromRevision === undefined || fromRevision === toRevision ? {} : { fromRevision }),
    mode: ask.mode ?? 'full',
  };
  const state = kind.init({ id, service, env, requestedBy, dryRun, at: at.toISOString() }, input, runbook);
  return createRollout(deps, lock, state, runbook) as Promise<RunResult>;
}

/** The newest ready revision created before `current` (revisions come newest first). */
export function previousReady(
  revisions: readonly Revision[],
  current: string | undefined,
): string | undefined {
  const index = current === undefined ? -1 : revisions.findIndex((r) => r.name === current);
  return revisions.slice(index + 1).find((r) => r.ready && r.name !== current)?.name;
}

/** The named revision, ready; or why not. */
function revisionProblem(revisions: readonly Revision[], name: string, service: string): string | undefined {
  return revisions.some((r) => r.name === name && r.ready)
    ? undefined
    : `no ready revision ${name} of ${service}`;
}
