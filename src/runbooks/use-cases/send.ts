import { crashPoint } from '../../faults/crash-point.ts';
import { checkApprover } from '../approvals.ts';
import { promotingStage } from '../canary/post-promotion-stage.ts';
import type { PersonEvent, PersonInput, SendResult } from '../engine.ts';
import type { RolloutFields } from '../executor.ts';
import { kindOf, type RunbookStateBase } from '../kind.ts';
import { mayContinuePastAdvisory, mayControl, mayRollBack } from '../roles.ts';
import type { CanaryState } from '../types.ts';
import { auditRefusal, type UseCaseDeps } from './deps.ts';
import { forwardFreezeRefusal } from './freeze.ts';
import { goRefusal } from './go.ts';

// A person's decision sent to a rollout of any kind: checked against the environment's roles at the
// moment of the action (never trusted from a button), then applied by the executor. The approval itself
// is kept once, in the rollout's state (its stage's approvals), where the card and the report read it.

type Denied = { ok: false; reason: string; message: string };

export async function send(
  deps: UseCaseDeps,
  rolloutId: string,
  input: PersonInput,
  options: { eventId?: string } = {},
): Promise<SendResult<RunbookStateBase>> {
  const event = { ...input, at: input.at ?? deps.now().toISOString() } as PersonEvent;
  const record = await deps.store.rollouts.get<RolloutFields<RunbookStateBase>>(rolloutId);
  if (!record) return { ok: false, reason: 'not-found', message: `no rollout ${rolloutId}` };
  const denied = await permission(deps, record.data.state, event);
  if (denied) return denied;
  return dispatchPerson(deps, rolloutId, event, options);
}

/** A person's event, already allowed. */
export async function dispatchPerson(
  deps: Pick<UseCaseDeps, 'executor'>,
  rolloutId: string,
  event: PersonEvent,
  options: { eventId?: string } = {},
): Promise<SendResult<RunbookStateBase>> {
  const dispatched = await deps.executor.dispatch(
    rolloutId,
    event,
    options.eventId ? { eventId: options.eventId } : {},
  );
  if (!dispatched.ok) return { ok: false, reason: dispatched.reason, message: dispatched.message };
  if (event.type === 'approve') crashPoint('after-approval');
  return {
    ok: true,
    status: dispatched.state.status,
    version: dispatched.version,
    state: dispatched.state,
    settled: dispatched.settled,
  };
}

/** Whether a rollout waits on a failed gate for one click (its requester and approvers may roll back alone). */
export function waitsOnFailedGate(
  deps: Pick<UseCaseDeps, 'kinds'>,
  state: RunbookStateBase | undefined,
): boolean {
  if (!state) return false;
  return kindOf(deps.kinds, state.kind).waitsOnFailedGate?.(state) ?? false;
}

/** Undefined when this person may send this event to this rollout, by the environment's roles. */
async function permission(
  deps: UseCaseDeps,
  state: RunbookStateBase,
  event: PersonEvent,
): Promise<Denied | undefined> {
  const environment = deps.config.environments[state.env];
  if (!environment)
    return { ok: false, reason: 'invalid', message: `no environment ${state.env} in the config` };
  const kind = kindOf(deps.kinds, state.kind);
  // A click on an advisory gate's ask names it; only a kind that asks so (the canary) takes one.
  const advisory = (event.type === 'resume' || event.type === 'rollback') && event.advisory !== undefined;
  if (advisory && !kind.waitsOnAdvisoryGate)
    return { ok: false, reason: 'invalid', message: `a ${state.kind} has no advisory gate to answer` };
  const person = await deps.personOf(event.type === 'approve' ? event.userId : event.by);
  let check: { ok: true } | { ok: false; reason: string };
  let reason = 'not-allowed';
  if (event.type === 'approve') {
    // The last stage promotes: the environment's GO requirement holds then too (unless an admin overrode it).
    const canary = state as Partial<CanaryState>;
    const promoting = canary.stages
      ? promotingStage({
          stages: canary.stages,
          ...(canary.postPromotion ? { postPromotion: canary.postPromotion } : {}),
        })
      : -1;
    if (canary.kind === 'canary' && !canary.goOverride && event.stage === promoting) {
      const noGo = await goRefusal(deps, state.env);
      if (noGo) {
        await auditRefusal(
          deps,
          event.userId,
          'rollout.approve',
          { rolloutId: state.id, service: state.service, env: state.env },
          noGo,
        );
        return { ok: false, reason: 'refused', message: noGo };
      }
    }
    check = checkApprover({
      policy: {
        approvers: environment.approval.approvers,
        allowSelfApproval: environment.approval.allowSelfApproval,
      },
      requestedBy: state.requestedBy,
      userId: person.userId,
      groupsOfUser: person.groups,
    });
  } else if (event.type === 'rollback') {
    const right = mayRollBack(environment, person, {
      gateFailed: waitsOnFailedGate(deps, state),
      requestedBy: state.requestedBy,
    });
    check = right;
    if (right.ok && !right.alone) {
      reason = 'needs-approval';
      check = {
        ok: false,
        reason: `a rollback you ask for needs ${environment.rollback.approval.required} approval(s) here: ask with /rollback ${state.service} ${state.env} --reason "<why>"`,
      };
    }
  } else if (event.type === 'resume' && (advisory || kind.waitsOnAdvisoryGate?.(state))) {
    // Resuming past a failed advisory gate is the stage's approval, not the requester's control. A click
    // on an ask decided since is checked the same way; the runbook then says what was decided.
    check = mayContinuePastAdvisory(environment, person, state.requestedBy);
  } else {
    check = mayControl(environment, person, event.type, state.requestedBy);
  }
  // Allowed by the roles: a scheduled freeze window may still hold traffic where it is (use-cases/freeze.ts).
  if (check.ok) return forwardFreezeRefusal(deps, state, event);
  const scope = { rolloutId: state.id, service: state.service, env: state.env };
  await auditRefusal(deps, person.userId, `rollout.${event.type}`, scope, check.reason);
  return { ok: false, reason, message: check.reason };
}
