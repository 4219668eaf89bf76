import type { PersonEvent, SendResult } from '../engine.ts';
import type { RolloutFields } from '../executor.ts';
import { freezesOf } from '../freeze/scope.ts';
import {
  activeFreezes,
  type FreezeOverride,
  type FreezeWindow,
  freezeHold,
  lifted,
} from '../freeze/windows.ts';
import { windowEnd, windowName } from '../freeze/words.ts';
import type { RunbookStateBase } from '../kind.ts';
import { describePrincipals, isMember } from '../principals.ts';
import { auditRefusal, type UseCaseDeps } from './deps.ts';

// Scheduled freezes (config/freezes.ts) as the engine applies them:
//
// - a new rollout (canary, stream cutover, flag canary) is refused during a window, naming it and its end;
//   an admin may start anyway with a reason (`--during-freeze`), audited and kept in the rollout's record;
// - a rollout already running when a window begins holds where it is: approvals of its next forward shift
//   and promote-now are refused (a canary stage that would shift by itself asks for approval instead, see
//   canary/procedure.ts); its gates keep watching, and rollbacks and aborts always run. An admin lets it go
//   on with a reason (`/canary resume … --during-freeze`): the override is applied by the engine for every
//   kind (freeze/override.ts), audited, and said in the thread and the report.
// A dry run is never held: it changes nothing.

type Refused = { ok: false; reason: 'refused' | 'not-allowed' | 'invalid' | 'not-found'; message: string };

const OVERRIDE_HINT = '--during-freeze "<reason>"';

function frozenWords(service: string, env: string, window: FreezeWindow, now: Date): string {
  return `${service} in ${env} is in freeze window ${windowName(window)}, which ${windowEnd(window, now)}`;
}

/**
 * Whether a new rollout may start now: open, refused during a window, or going on by an admin's override
 * (audited here, before anything is locked: an override lost to a crash is asked again, one never audited
 * is not).
 */
export async function startFreeze(
  deps: UseCaseDeps,
  input: {
    service: string;
    env: string;
    requestedBy: string;
    dryRun?: boolean;
    duringFreeze?: string;
    rolloutId: string;
  },
): Promise<{ ok: true; override?: FreezeOverride } | Refused> {
  if (input.dryRun) return { ok: true };
  const now = deps.now();
  const windows = activeFreezes(freezesOf(deps.config, input.service, input.env), now);
  const [window] = windows;
  if (!window) return { ok: true };
  const scope = { service: input.service, env: input.env };
  const frozen = `${frozenWords(input.service, input.env, window, now)}: new rollouts wait until then; rollbacks still run`;
  if (input.duringFreeze === undefined)
    return {
      ok: false,
      reason: 'refused',
      message: `${frozen}. An admin may start anyway with ${OVERRIDE_HINT} (audited).`,
    };
  const environment = deps.config.environments[input.env];
  const person = await deps.personOf(input.requestedBy);
  if (!environment || !isMember(environment.admins, person)) {
    const why = `only admins may start during a freeze window (${describePrincipals(environment?.admins ?? { users: [], groups: [] })}): ${frozen}`;
    await auditRefusal(deps, input.requestedBy, 'rollout.freeze-override', scope, why);
    return { ok: false, reason: 'not-allowed', message: why };
  }
  const override = { by: input.requestedBy, reason: input.duringFreeze, at: now.toISOString(), windows };
  await deps.store.audit.append({
    who: input.requestedBy,
    what: 'rollout.freeze-override',
    rolloutId: input.rolloutId,
    ...scope,
    reason: input.duringFreeze,
    before: { windows: windows.map(({ name, start, end }) => ({ name, start, end })) },
    at: override.at,
  });
  return { ok: true, override };
}

/**
 * Why a person's event may not move this rollout's traffic forward now (an approval, promote-now), or
 * undefined when it may. Said to the person and audited.
 */
export async function forwardFreezeRefusal(
  deps: UseCaseDeps,
  state: RunbookStateBase,
  event: PersonEvent,
): Promise<Refused | undefined> {
  if (event.type !== 'approve' && event.type !== 'promote-now') return undefined;
  if (state.dryRun) return undefined;
  const at = new Date(event.at);
  const window = freezeHold(freezesOf(deps.config, state.service, state.env), state.freezeOverrides, at);
  if (!window) return undefined;
  const message = `${frozenWords(state.service, state.env, window, at)}: no traffic goes forward until then. The rollout holds where it is: its gates keep watching, and rollback and abort still work. An admin may let it go on: \`/canary resume ${state.service} ${state.env} ${OVERRIDE_HINT}\`.`;
  const who = event.type === 'approve' ? event.userId : event.by;
  const scope = { rolloutId: state.id, service: state.service, env: state.env };
  await auditRefusal(deps, who, `rollout.${event.type}`, scope, message);
  return { ok: false, reason: 'refused', message };
}

/** An admin lets a running rollout go on during the freeze windows in effect now, with a reason. */
export async function overrideFreeze(
  deps: UseCaseDeps,
  rolloutId: string,
  input: { by: string; reason: string },
): Promise<SendResult<RunbookStateBase>> {
  const record = await deps.store.rollouts.get<RolloutFields<RunbookStateBase>>(rolloutId);
  const state = record?.data.state;
  if (!state) return { ok: false, reason: 'not-found', message: `no rollout ${rolloutId}` };
  const scope = { rolloutId, service: state.service, env: state.env };
  const environment = deps.config.environments[state.env];
  if (!environment || !isMember(environment.admins, await deps.personOf(input.by))) {
    const why = `only admins may let a rollout go on during a freeze window (${describePrincipals(environment?.admins ?? { users: [], groups: [] })})`;
    await auditRefusal(deps, input.by, 'rollout.freeze-override', scope, why);
    return { ok: false, reason: 'not-allowed', message: why };
  }
  if (state.dryRun) return { ok: false, reason: 'invalid', message: 'a dry run is never held by a freeze' };
  const now = deps.now();
  const active = activeFreezes(freezesOf(deps.config, state.service, state.env), now);
  const windows = active.filter((w) => !lifted(w, state.freezeOverrides));
  if (windows.length === 0) {
    const message =
      active.length > 0
        ? `${rolloutId} goes on during ${active.map((w) => w.name).join(', ')} already (an admin's override)`
        : `no freeze window of ${state.service} in ${state.env} is in effect now: nothing to override`;
    return { ok: false, reason: 'refused', message };
  }
  const dispatched = await deps.executor.dispatch(rolloutId, {
    type: 'freeze-override',
    at: now.toISOString(),
    by: input.by,
    reason: input.reason,
    windows,
  });
  if (!dispatched.ok) return { ok: false, reason: dispatched.reason, message: dispatched.message };
  return {
    ok: true,
    status: dispatched.state.status,
    version: dispatched.version,
    state: dispatched.state,
    settled: dispatched.settled,
  };
}
