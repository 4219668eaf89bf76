import { messageOf } from '../../gates/error-result.ts';
import { targetOf } from '../effects.ts';
import type { Engine, RollbackStartResult, StartResult } from '../engine.ts';
import type { RolloutFields } from '../executor.ts';
import { kindOf } from '../kind.ts';
import type { RollbackInput } from '../kinds.ts';
import type { Revision, ServiceRef } from '../ports/cloud-run.ts';
import { mayRollBack } from '../roles.ts';
import type { RollbackAsk, RollbackRequests } from '../rollback-requests.ts';
import { chooseRollbackTarget, lastServedAt, type RollbackTarget } from '../rollback-target.ts';
import { servingRevision, splitOf } from '../traffic.ts';
import type { RollbackState, RunbookState, Split } from '../types.ts';
import { auditRefusal, type UseCaseDeps } from './deps.ts';
import { readHistory } from './rollback-history.ts';
import { dispatchPerson, waitsOnFailedGate } from './send.ts';
import { acquireLock, createRollout } from './start.ts';

// A manual /rollback: by the environment's rollback policy (roles.ts), either now, or once the request
// has its approvals (rollback-requests.ts). With a canary under way it is that canary's own rollback (its
// stable revision, its procedure); otherwise a standalone rollback record under a 'rollback' lock.

type RunResult = StartResult & { via?: 'rollout'; target?: RollbackTarget };

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
  // The target is resolved now, before anyone approves: approvers and the requester see where it goes.
  let resolved: Resolved;
  try {
    resolved = await resolveTarget(deps, targeted.ref, { service, env }, input, active);
  } catch (error) {
    return { ok: false, reason: 'error', message: messageOf(error) };
  }
  if (!resolved.ok) return resolved.refusal;
  const ask: RollbackAsk = {
    service,
    env,
    requestedBy,
    reason,
    ...(input.toRevision === undefined ? {} : { toRevision: input.toRevision }),
    ...(resolved.target === undefined ? {} : { target: resolved.target }),
    ...(input.mode === undefined ? {} : { mode: input.mode }),
  };
  const id = deps.newId(service, env);
  if (right.alone || input.dryRun) return runRollback(deps, ask, id, input.dryRun ?? false);
  return { ok: true, pending: true, request: await requests.create(id, ask) };
}

type Resolved =
  | { ok: true; target?: RollbackTarget }
  | { ok: false; refusal: Extract<RollbackStartResult, { ok: false }> };

/**
 * Where the rollback goes: the revision named with --to (it must be ready), the active canary's stable
 * revision, or the last known-good stable revision of the history (rollback-target.ts).
 */
async function resolveTarget(
  deps: UseCaseDeps,
  ref: ServiceRef,
  scope: { service: string; env: string },
  asked: { toRevision?: string; mode?: RollbackState['mode'] },
  active: RunbookState | undefined,
): Promise<Resolved> {
  const { toRevision } = asked;
  const revisions = await deps.cloudRun.listRevisions(ref);
  const image = (name: string) => revisions.find((r) => r.name === name)?.image;
  if (active?.kind === 'canary' && toRevision === undefined) {
    const stable = active.stableRevision;
    if (stable === undefined) return { ok: true };
    const served = active.trafficNow?.[stable] ? deps.now().toISOString() : active.startedAt;
    return {
      ok: true,
      target: withImage(
        {
          revision: stable,
          lastServed: served,
          why: `the stable revision of rollout ${active.id}, under way`,
        },
        image(stable),
      ),
    };
  }
  const history = await readHistory(deps.store, scope.service, scope.env);
  if (toRevision !== undefined) {
    const problem = revisionProblem(revisions, toRevision, ref.service);
    if (problem) return { ok: false, refusal: { ok: false, reason: 'invalid', message: problem } };
    const lastServed = lastServedAt(toRevision, history.served);
    return {
      ok: true,
      target: withImage(
        { revision: toRevision, why: 'named with --to', ...(lastServed ? { lastServed } : {}) },
        image(toRevision),
      ),
    };
  }
  if (active !== undefined) return { ok: true };
  const described = await deps.cloudRun.describe(ref);
  const serving = servingRevision(splitOf(described.trafficStatuses));
  const choice = chooseRollbackTarget({
    serving,
    revisions,
    history: history.rollouts,
    served: history.served,
  });
  if (choice.ok) return { ok: true, target: choice.target };
  // A route-only rollback moves no traffic: it needs no known-good revision, only the one serving.
  if (asked.mode === 'route-only' && serving !== undefined)
    return {
      ok: true,
      target: withImage(
        { revision: serving, why: 'route-only: the traffic stays where it is' },
        image(serving),
      ),
    };
  const { ok: _ok, ...noTarget } = choice;
  return { ok: false, refusal: { ok: false, reason: 'no-target', ...scope, ...noTarget } };
}

function withImage(target: RollbackTarget, image: string | undefined): RollbackTarget {
  return image === undefined ? target : { ...target, image };
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
  if (!acquired.ok && acquired.reason === 'held' && acquired.holder.rolloutId === id) {
    // This request's own rollback holds the lock: started by a replica that died before recording that
    // it had (rollback-requests.ts lets the next click try again). Once its record exists, that is it.
    const record = await deps.store.rollouts.get<RolloutFields>(id);
    if (record) return { ok: true, rolloutId: id, state: record.data.state, settled: Promise.resolve() };
  }
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
  let toRevision = ask.toRevision ?? ask.target?.revision;
  let target = ask.target;
  let fromRevision: string | undefined;
  let trafficBefore: Split | undefined;
  try {
    // Read before the first change: what the cards call "Traffic before".
    const described = await deps.cloudRun.describe(targeted.ref);
    trafficBefore = splitOf(described.trafficStatuses);
    fromRevision = servingRevision(trafficBefore);
    if (toRevision === undefined) {
      // A request made while a canary ran, approved after it ended: resolve from the history now.
      const resolved = await resolveTarget(
        deps,
        targeted.ref,
        { service, env },
        { ...(ask.mode ? { mode: ask.mode } : {}) },
        undefined,
      );
      const refusal = resolved.ok ? undefined : resolved.refusal;
      if (refusal?.reason === 'no-target') {
        throw new Error(
          `no known-good stable revision to roll back to (${refusal.why}): ask again with --to`,
        );
      }
      if (refusal) throw new Error('message' in refusal ? refusal.message : 'no revision to roll back to');
      target = resolved.ok ? resolved.target : undefined;
      toRevision = target?.revision;
      if (toRevision === undefined) throw new Error('no revision to roll back to');
    } else {
      const problem = revisionProblem(
        await deps.cloudRun.listRevisions(targeted.ref),
        toRevision,
        targeted.ref.service,
      );
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
    ...(trafficBefore === undefined ? {} : { trafficBefore }),
    mode: ask.mode ?? 'full',
  };
  const state = kind.init({ id, service, env, requestedBy, dryRun, at: at.toISOString() }, input, runbook);
  const created = (await createRollout(deps, lock, state, runbook)) as RunResult;
  return created.ok && target ? { ...created, target } : created;
}

/** The named revision, ready; or why not. */
function revisionProblem(revisions: readonly Revision[], name: string, service: string): string | undefined {
  return revisions.some((r) => r.name === name && r.ready)
    ? undefined
    : `no ready revision ${name} of ${service}`;
}
