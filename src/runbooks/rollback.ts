import type { CanaryRunbook } from '../config/runbooks.ts';
import { ask, awaitsResult, type Draft, draft, effectFailed, redo, retry, settle } from './in-flight.ts';
import { note } from './timeline.ts';
import { formatSplit, sameSplit } from './traffic.ts';
import type {
  Effect,
  Pending,
  RollbackState,
  RunbookEvent,
  StandaloneRollbackState,
  StepContext,
  StepResult,
  TimelineEntry,
} from './types.ts';

// The Deterministic Rollback Procedure of seed 000, as a sub-machine. A canary runs it while its status is
// 'rolling-back' (a failing gate, a person's /rollback, or an abort once the canary had traffic); a
// standalone /rollback runs it with no rollout active. "Trigger rollback immediately if any gate fails":
//
// 1. Route-level rollback (app behaviour safety): override the route split to runbook.rollback.routeOverride
//    (legacy), where the service has one. Skipped in mode 'traffic-only'.
// 2. Infra traffic rollback (Cloud Run safety): 100 % to the target revision. Skipped in mode 'route-only'.
// 3. Verify: the traffic Cloud Run reports after step 2 (carried by traffic-set) must be exactly
//    100 % on the target, else the procedure stops and asks people (resume does step 2 again).
// 4. Confirm health and the auth/session/sync endpoints: runbook.rollback.checks, which the executor runs
//    against the public URL (the stable revision now serves it all).
// 5. Record the incident: failed stage, symptom and revision ids.
//
// A failing check at step 4 does not undo the rollback (going back to the canary would be worse): the
// procedure still ends 'done', with `attention` saying what failed, and the incident says so too.
//
// Each step is derived from what is already done (nextStep), so `start` and `resume` are the same code:
// do the first step not yet confirmed.

export interface RollbackContext {
  runbook: Pick<CanaryRunbook, 'rollback'>;
  /** Defaults to the event's time. */
  at?: string;
  /** The canary's stage index, for the evaluate effect; -1 (the default): no stage, a standalone rollback. */
  stage?: number;
}

export interface RollbackStepResult {
  state: RollbackState;
  effects: Effect[];
  refused?: string;
}

export interface RollbackInput {
  trigger: RollbackState['trigger'];
  reason: string;
  by?: string;
  failedStage?: string;
  toRevision: string;
  fromRevision?: string;
  mode: RollbackState['mode'];
  trafficBefore?: RollbackState['trafficBefore'];
  /** false: no incident at the end (an abort: nothing failed). */
  incident?: boolean;
  at: string;
}

/** A rollback not yet begun: `start` (rollbackStep) emits its first step. */
export function newRollbackState(input: RollbackInput): RollbackState {
  const { at, ...rest } = input;
  const state: RollbackState = {
    ...rest,
    // Provisional: `start` settles it from the runbook (whether it has a route override at all).
    status: input.mode === 'traffic-only' ? 'shifting' : 'overriding-route',
    startedAt: at,
  };
  return dropUndefined(state);
}

export function rollbackStep(
  state: RollbackState,
  event: RunbookEvent,
  ctx: RollbackContext,
): RollbackStepResult {
  const at = ctx.at ?? event.at;
  const refuse = (reason: string): RollbackStepResult => ({ state, effects: [], refused: reason });
  if (state.status === 'done') return refuse('the rollback is already done');
  const rb = structuredClone(state);
  const effects: Effect[] = [];

  switch (event.type) {
    case 'start': {
      if (rb.mode === 'route-only' && ctx.runbook.rollback.routeOverride === undefined) {
        return refuse('this service has no route-split override: a route-only rollback has nothing to do');
      }
      break;
    }
    // Step 1 confirmed.
    case 'route-overridden': {
      if (rb.status !== 'overriding-route') return refuse('no route override in flight');
      rb.routeOverride = event.target;
      const asked = ctx.runbook.rollback.routeOverride;
      if (event.target !== asked) {
        rb.status = 'needs-attention';
        rb.attention = `the route split reports an override to ${event.target}, expected ${asked}`;
        return { state: rb, effects };
      }
      break;
    }
    // Step 2 done; step 3 verifies what Cloud Run reports.
    case 'traffic-set': {
      if (rb.status !== 'shifting') return refuse('no rollback traffic change in flight');
      rb.trafficAfter = event.traffic;
      if (!verified(rb)) {
        rb.status = 'needs-attention';
        rb.attention = `after the rollback Cloud Run reports ${formatSplit(event.traffic)}, expected ${rb.toRevision} 100 %`;
        return { state: rb, effects };
      }
      break;
    }
    // Step 4 done: a failing check is recorded, never undone.
    case 'checks-done': {
      if (rb.status !== 'checking') return refuse('no rollback checks in flight');
      rb.checks = event.results;
      const bad = event.results.filter((r) => r.status === 'fail' || r.status === 'error');
      if (bad.length > 0) {
        const names = bad.map((r) => `${r.gate} (${r.status})`).join(', ');
        rb.attention = `rollback checks on ${rb.toRevision} did not pass: ${names}`;
      }
      break;
    }
    case 'resume': {
      if (rb.status !== 'needs-attention') return refuse('the rollback does not need attention');
      rb.attention = undefined;
      break;
    }
    default:
      return refuse(`${event.type} does not apply while rolling back`);
  }

  const step = nextStep(rb, ctx.runbook);
  rb.status = step.status;
  if (step.effect) effects.push(step.effect(at, ctx.stage ?? -1));
  if (step.status === 'done') {
    rb.endedAt = at;
    if (rb.incident !== false) effects.push(incident(rb));
  }
  return { state: dropUndefined(rb), effects };
}

interface Step {
  status: RollbackState['status'];
  effect?: (at: string, stage: number) => Effect;
}

/** The first step of the procedure not yet confirmed. */
function nextStep(rb: RollbackState, runbook: Pick<CanaryRunbook, 'rollback'>): Step {
  const target = runbook.rollback.routeOverride;
  if (rb.mode !== 'traffic-only' && target !== undefined && rb.routeOverride !== target) {
    return { status: 'overriding-route', effect: () => ({ type: 'route-override', target }) };
  }
  if (rb.mode !== 'route-only' && !verified(rb)) {
    return { status: 'shifting', effect: () => ({ type: 'rollback-traffic', toRevision: rb.toRevision }) };
  }
  const checks = runbook.rollback.checks;
  if (rb.checks === undefined && checks.length > 0) {
    return {
      status: 'checking',
      effect: (at, stage) => ({
        type: 'evaluate',
        phase: 'rollback-checks',
        stage,
        gates: [...checks],
        window: { start: rb.startedAt, end: at },
      }),
    };
  }
  return { status: 'done' };
}

function verified(rb: RollbackState): boolean {
  return rb.trafficAfter !== undefined && sameSplit(rb.trafficAfter, { [rb.toRevision]: 100 });
}

function incident(rb: RollbackState): Effect {
  const symptom = rb.attention === undefined ? rb.reason : `${rb.reason}; ${rb.attention}`;
  return {
    type: 'open-incident',
    ...(rb.failedStage === undefined ? {} : { failedStage: rb.failedStage }),
    symptom,
    revisions: { ...(rb.fromRevision === undefined ? {} : { from: rb.fromRevision }), to: rb.toRevision },
  };
}

/** "traffic 100 % to rev-1", "route override to legacy, then traffic 100 % to rev-1": for messages. */
export function describeRollback(rb: RollbackState, runbook: Pick<CanaryRunbook, 'rollback'>): string {
  const target = runbook.rollback.routeOverride;
  const route =
    rb.mode !== 'traffic-only' && target !== undefined ? `route override to ${target}` : undefined;
  const traffic = rb.mode !== 'route-only' ? `traffic 100 % to ${rb.toRevision}` : undefined;
  return [route, traffic].filter(Boolean).join(', then ');
}

// ---------------------------------------------------------------------------------------------------------
// Running the sub-machine inside a record (a canary, or a standalone rollback): its effects that await a
// result become the record's `pending`, so failures are retried with the record's policy.

type Host = { rollback?: RollbackState; pending?: Pending; timeline: TimelineEntry[] };

const RESULTS = new Set<RunbookEvent['type']>(['route-overridden', 'traffic-set', 'checks-done']);

/** Feed an event to the host's rollback. Returns a refusal reason, if any. */
export function driveRollback(d: Draft<Host>, event: RunbookEvent, ctx: RollbackContext): string | undefined {
  const current = d.s.rollback;
  if (current === undefined) return 'no rollback under way';
  const result = rollbackStep(current, event, ctx);
  if (result.refused !== undefined) return result.refused;
  if (RESULTS.has(event.type)) settle(d);
  d.s.rollback = result.state;
  for (const effect of result.effects) {
    if (awaitsResult(effect)) ask(d, effect);
    else d.effects.push(effect);
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------------------
// A standalone rollback: /rollback with no rollout active (back to a named revision, or the last known-good
// stable one from the history, rollback-target.ts, resolved before the record is created). It holds the lock of kind 'rollback', runs
// during a deploy freeze, and follows the same procedure.

export function newStandaloneRollback(input: {
  id: string;
  service: string;
  env: string;
  requestedBy: string;
  reason: string;
  toRevision: string;
  fromRevision?: string;
  mode: RollbackState['mode'];
  trafficBefore?: RollbackState['trafficBefore'];
  dryRun: boolean;
  at: string;
}): StandaloneRollbackState {
  return {
    kind: 'rollback',
    id: input.id,
    service: input.service,
    env: input.env,
    requestedBy: input.requestedBy,
    dryRun: input.dryRun,
    status: 'rolling-back',
    rollback: newRollbackState({
      trigger: 'manual',
      reason: input.reason,
      by: input.requestedBy,
      toRevision: input.toRevision,
      ...(input.fromRevision === undefined ? {} : { fromRevision: input.fromRevision }),
      ...(input.trafficBefore === undefined ? {} : { trafficBefore: input.trafficBefore }),
      mode: input.mode,
      at: input.at,
    }),
    // Empty until `start`: a record whose timeline is empty has not started.
    timeline: [],
    startedAt: input.at,
  };
}

export function standaloneRollbackStep(
  state: StandaloneRollbackState,
  event: RunbookEvent,
  ctx: StepContext<Pick<CanaryRunbook, 'rollback' | 'judge'>>,
): StepResult<StandaloneRollbackState> {
  const refuse = (reason: string): StepResult<StandaloneRollbackState> => ({
    state,
    effects: [],
    refused: reason,
  });
  if (state.status === 'rolled-back' || state.status === 'failed') {
    return refuse(`rollback already ${state.status === 'failed' ? 'stopped' : 'done'}`);
  }
  const d = draft(state);
  const s = d.s;
  const rctx = { runbook: ctx.runbook, at: event.at };

  switch (event.type) {
    case 'start': {
      if (s.timeline.length > 0) return refuse('the rollback has already started');
      const rb = s.rollback;
      note(s, event.at, `rollback requested: ${rb.reason}`, s.requestedBy);
      const refused = driveRollback(d, event, rctx);
      if (refused !== undefined) return refuse(refused);
      d.effects.unshift({
        type: 'notify',
        notification: { kind: 'rolling-back', reason: rb.reason, trigger: 'manual' },
      });
      note(s, event.at, describeRollback(s.rollback, ctx.runbook));
      break;
    }
    case 'route-overridden':
    case 'traffic-set':
    case 'checks-done': {
      if (s.status !== 'rolling-back') return refuse(`${event.type} is not awaited while ${s.status}`);
      const refused = driveRollback(d, event, rctx);
      if (refused !== undefined) return refuse(refused);
      note(s, event.at, stepNote(event));
      break;
    }
    case 'effect-failed': {
      if (s.status !== 'rolling-back') return refuse(`no ${event.effect} in flight`);
      const outcome = effectFailed(d, event, ctx.policy);
      if (outcome.kind === 'refused') return refuse(outcome.reason);
      if (outcome.kind === 'exhausted') needsAttention(d, event.at, outcome.reason);
      return { state: s, effects: d.effects };
    }
    case 'retry': {
      if (s.status !== 'rolling-back') return refuse(`no retry of ${event.effect} is due`);
      const refused = retry(d, event);
      if (refused !== undefined) return refuse(refused);
      return { state: s, effects: d.effects };
    }
    case 'resume': {
      if (s.status !== 'needs-attention') return refuse('the rollback does not need attention');
      s.status = 'rolling-back';
      s.hold = undefined;
      note(s, event.at, 'resumed', event.by);
      d.effects.push({ type: 'notify', notification: { kind: 'resumed', by: event.by } });
      // A stuck step of the procedure is done again; an exhausted effect is re-emitted as is.
      if (s.rollback.status === 'needs-attention') {
        const refused = driveRollback(d, event, rctx);
        if (refused !== undefined) return refuse(refused);
      } else if (!redo(d)) {
        return refuse('nothing to resume');
      }
      return { state: dropUndefined(s), effects: d.effects };
    }
    // People stop a stuck rollback and take over by hand: the record ends 'failed' and frees the lock.
    case 'abort': {
      if (s.status !== 'needs-attention') return refuse('a rollback in progress cannot be aborted');
      s.status = 'failed';
      s.endedAt = event.at;
      s.pending = undefined;
      note(
        s,
        event.at,
        `stopped while needing attention${event.reason ? `: ${event.reason}` : ''}`,
        event.by,
      );
      d.effects.push(
        { type: 'notify', notification: { kind: 'aborted', by: event.by, ...reasonOf(event.reason) } },
        { type: 'write-report' },
        { type: 'release-lock' },
      );
      return { state: dropUndefined(s), effects: d.effects };
    }
    default:
      return refuse(`${event.type} does not apply to a rollback`);
  }

  const rb = s.rollback;
  if (rb.status === 'needs-attention')
    needsAttention(d, event.at, rb.attention ?? 'the rollback needs attention');
  if (rb.status === 'done') {
    s.status = 'rolled-back';
    s.endedAt = event.at;
    note(s, event.at, `rolled back to ${rb.toRevision}`);
    d.effects.push({ type: 'notify', notification: { kind: 'rolled-back' } });
    if (rb.attention !== undefined) {
      s.hold = { kind: 'attention', cause: 'rollback-checks', reason: rb.attention, at: event.at };
      d.effects.push({ type: 'notify', notification: { kind: 'needs-attention', reason: rb.attention } });
    }
    d.effects.push({ type: 'write-report' }, { type: 'release-lock' });
  }
  return { state: dropUndefined(s), effects: d.effects };
}

/** A stuck step or an exhausted effect: resume does it again (the canary's cause 'rollback'). */
function needsAttention(d: Draft<StandaloneRollbackState>, at: string, reason: string): void {
  d.s.status = 'needs-attention';
  d.s.hold = { kind: 'attention', cause: 'rollback', reason, at };
  note(d.s, at, `needs attention: ${reason}`);
  d.effects.push({ type: 'notify', notification: { kind: 'needs-attention', reason } });
}

/** The timeline line for a result of the procedure. */
export function stepNote(event: RunbookEvent): string {
  switch (event.type) {
    case 'route-overridden':
      return `route split overridden to ${event.target}`;
    case 'traffic-set':
      return `Cloud Run reports ${formatSplit(event.traffic)}`;
    case 'checks-done': {
      const passed = event.results.filter((r) => r.status === 'pass').length;
      return `rollback checks: ${passed} of ${event.results.length} passed`;
    }
    default:
      return event.type;
  }
}

export function reasonOf(reason: string | undefined): { reason?: string } {
  return reason === undefined ? {} : { reason };
}

/** Drop undefined fields: records are stored field by field as JSON, and tests compare them. */
export function dropUndefined<T extends object>(value: T): T {
  for (const key of Object.keys(value) as (keyof T)[]) {
    if (value[key] === undefined) delete value[key];
  }
  return value;
}
