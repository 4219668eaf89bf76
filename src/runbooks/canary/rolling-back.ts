import { cancelRetry } from '../in-flight.ts';
import {
  describeRollback,
  driveRollback,
  newRollbackState,
  type RollbackInput,
  reasonOf,
  stepNote,
} from '../rollback.ts';
import { note } from '../timeline.ts';
import type { Notification, RunbookEvent, StepContext } from '../types.ts';
import { releasePrevious } from './post-promotion.ts';
import {
  type CanaryDraft,
  cancelWait,
  current,
  needsAttention,
  notify,
  type Outcome,
  revisions,
} from './shared.ts';

// Seed 000's Deterministic Rollback Procedure (rollback.ts) run inside the canary, whoever started it: a
// failing check or gate, a person's /rollback, or an abort once the canary had traffic. While it runs,
// the canary's status is 'rolling-back' and only the procedure's results move it; when it is done the
// rollout ends rolled back (or aborted), and a check failing on the stable revision is left open. Rolled
// back from the post-promotion watch, the previous revision's warm tag is released first (it serves all
// traffic again); its result (revision-tagged, procedure.ts) then ends the rollout here.

/** Hand the rollout to the procedure: cancel what it waited on, and take its first step. */
export function startRollback(
  d: CanaryDraft,
  ctx: StepContext,
  at: string,
  input: Pick<RollbackInput, 'trigger' | 'reason' | 'by' | 'mode' | 'incident'> & { toRevision?: string },
  options: { waiting: boolean } = { waiting: true },
): void {
  const s = d.s;
  if (options.waiting) cancelWait(d);
  cancelRetry(d);
  const { stable, canary } = revisions(s);
  s.status = 'rolling-back';
  // The procedure decides from here: a pause or an attention it replaces is over.
  s.hold = undefined;
  s.rollback = newRollbackState({
    ...input,
    failedStage: current(s).name,
    toRevision: input.toRevision ?? stable,
    fromRevision: canary,
    ...(s.trafficNow === undefined ? {} : { trafficBefore: s.trafficNow }),
    at,
  });
  notify(d, { kind: 'rolling-back', reason: input.reason, trigger: input.trigger });
  driveRollback(d, { type: 'start', at }, { runbook: ctx.runbook, at, stage: s.stage });
  note(s, at, `rolling back (${input.reason}): ${describeRollback(s.rollback, ctx.runbook)}`, input.by);
}

/** While rolling back, only the procedure's results are taken; a person may not stop it half-way. */
export function duringRollback(d: CanaryDraft, e: RunbookEvent, ctx: StepContext): Outcome {
  const s = d.s;
  switch (e.type) {
    case 'route-overridden':
    case 'traffic-set':
    case 'checks-done': {
      const refused = driveRollback(d, e, { runbook: ctx.runbook, at: e.at, stage: s.stage });
      if (refused !== undefined) return refused;
      if (e.type === 'traffic-set') s.trafficNow = e.traffic;
      note(s, e.at, stepNote(e));
      afterRollbackStep(d, e.at);
      return undefined;
    }
    case 'abort':
      return 'a rollback is under way: it cannot be aborted';
    case 'rollback':
      return 'already rolling back';
    default:
      return `${e.type} does not apply while rolling back`;
  }
}

/** The procedure stuck (people decide), or done (the rollout ends). */
function afterRollbackStep(d: CanaryDraft, at: string): void {
  const s = d.s;
  const rb = s.rollback;
  if (rb?.status === 'needs-attention') {
    needsAttention(d, at, 'rollback', rb.attention ?? 'the rollback is stuck');
    return;
  }
  if (rb?.status !== 'done') return;
  if (releasePrevious(d, at)) return;
  finishRollback(d, at);
}

/** The procedure is done (and the warm tag released): the rollout ends rolled back, or aborted. */
export function finishRollback(d: CanaryDraft, at: string): void {
  const s = d.s;
  const rb = s.rollback;
  if (rb === undefined) return;
  // Done. A failing rollback check does not undo the rollback: the rollout is rolled back, with attention.
  s.status = s.aborted === undefined ? 'rolled-back' : 'aborted';
  s.endedAt = at;
  note(s, at, `${s.status}: ${describeDone(rb.mode, rb.toRevision)}`);
  const ended: Notification =
    s.aborted === undefined
      ? { kind: 'rolled-back' }
      : { kind: 'aborted', by: s.aborted.by, ...reasonOf(s.aborted.reason) };
  notify(d, ended);
  if (rb.attention !== undefined) {
    s.hold = { kind: 'attention', cause: 'rollback-checks', reason: rb.attention, at, from: 'rolling-back' };
    notify(d, { kind: 'needs-attention', reason: rb.attention });
  }
  d.effects.push({ type: 'write-report' }, { type: 'release-lock' });
}

function describeDone(mode: string, toRevision: string): string {
  return mode === 'route-only' ? 'route split overridden' : `${toRevision} serves 100 %`;
}
