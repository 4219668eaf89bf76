import { type CanaryRunbook, stageAt } from '../../config/runbooks.ts';
import { draft, retry } from '../in-flight.ts';
import { dropUndefined } from '../rollback.ts';
import { isTerminalStatus } from '../status.ts';
import type { CanaryState, RunbookEvent, StepContext, StepResult } from '../types.ts';
import { failed } from './attention.ts';
import { abort, endWatch, pause, promoteNow, resume, rollbackRequested } from './people.ts';
import {
  approvalExpired,
  approve,
  beforeCaptured,
  checksDone,
  deployed,
  gatesDone,
  preconditionsDone,
  revisionTagged,
  start,
  tagFailed,
  tick,
  trafficSet,
} from './procedure.ts';
import { duringRollback } from './rolling-back.ts';
import type { CanaryDraft, Outcome } from './shared.ts';

// A canary's record before it starts, and one step: which file takes each event.

export function newCanary(
  input: Pick<
    CanaryState,
    'id' | 'service' | 'env' | 'image' | 'tag' | 'requestedBy' | 'dryRun' | 'goOverride'
  > & {
    at: string;
    runbook: CanaryRunbook;
  },
): CanaryState {
  // The post-promotion stage (if the runbook has one) is the last stage of the record from the start, so
  // the stage bar and the report show it ahead; it is entered after the 100 % stage passes.
  const post = stageAt(input.runbook, input.runbook.stages.length);
  const stages = post === undefined ? input.runbook.stages : [...input.runbook.stages, post];
  return {
    kind: 'canary',
    id: input.id,
    service: input.service,
    env: input.env,
    image: input.image,
    tag: input.tag,
    requestedBy: input.requestedBy,
    dryRun: input.dryRun,
    ...(input.goOverride ? { goOverride: input.goOverride } : {}),
    status: 'deploying',
    stage: 0,
    stages: stages.map((stage, index) => ({
      index,
      name: stage.name,
      traffic: stage.traffic,
      approvals: [],
      ticks: [],
      extensionsUsed: 0,
    })),
    ...(post === undefined ? {} : { postPromotion: { stage: input.runbook.stages.length } }),
    // Empty until `start`: a record whose timeline is empty has not started.
    timeline: [],
    startedAt: input.at,
  };
}

export function canaryStep(
  state: CanaryState,
  event: RunbookEvent,
  ctx: StepContext,
): StepResult<CanaryState> {
  // The store's list: a status it ends is one the store drops from the active index.
  if (isTerminalStatus(state.status))
    return { state, effects: [], refused: `rollout already ${state.status}` };
  const d = draft(state);
  const refused = handle(d, event, ctx);
  // A refused event changes nothing: the original state, no effects.
  if (refused !== undefined) return { state, effects: [], refused };
  return { state: dropUndefined(d.s), effects: d.effects };
}

function handle(d: CanaryDraft, e: RunbookEvent, ctx: StepContext): Outcome {
  switch (e.type) {
    case 'effect-failed':
      // A revision tag keeps the previous revision warm: its failure never stops the rollout.
      return e.effect === 'tag-revision' ? tagFailed(d, e, ctx) : failed(d, e, ctx);
    case 'retry':
      return retry(d, e);
    case 'revision-tagged':
      return revisionTagged(d, e, ctx);
  }
  if (d.s.status === 'rolling-back') return duringRollback(d, e, ctx);
  switch (e.type) {
    // The procedure (procedure.ts).
    case 'start':
      return start(d, e);
    case 'preconditions-done':
      return preconditionsDone(d, e);
    case 'deployed':
      return deployed(d, e, ctx);
    case 'before-captured':
      return beforeCaptured(d, e, ctx);
    case 'approve':
      return approve(d, e, ctx);
    case 'approval-expired':
      return approvalExpired(d, e, ctx);
    case 'traffic-set':
      return trafficSet(d, e, ctx);
    case 'checks-done':
      return checksDone(d, e, ctx);
    case 'tick':
      return tick(d, e, ctx);
    case 'gates-done':
      return gatesDone(d, e, ctx);
    // People (people.ts).
    case 'rollback':
      return rollbackRequested(d, e, ctx);
    case 'abort':
      return abort(d, e, ctx);
    case 'pause':
      return pause(d, e);
    case 'resume':
      return resume(d, e, ctx);
    case 'promote-now':
      return promoteNow(d, e, ctx);
    case 'end-watch':
      return endWatch(d, e, ctx);
    // Results of the rollback procedure, which is not running.
    case 'route-overridden':
      return 'no route override in flight';
    case 'report-written':
      return 'no report was asked for: the rollout is not finished';
  }
}
