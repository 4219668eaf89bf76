import { formatDuration } from '../config/duration.ts';
import type { CanaryRunbook, Stage } from '../config/runbooks.ts';
import { judgeStage, type StageJudgement } from '../gates/judge.ts';
import { renderGate } from '../gates/render.ts';
import type { GateResult } from '../gates/result.ts';
import { approvalRefusal, needsApproval } from './approvals.ts';
import { ask, cancelRetry, type Draft, draft, effectFailed, redo, retry, settle } from './in-flight.ts';
import {
  describeRollback,
  driveRollback,
  dropUndefined,
  newRollbackState,
  type RollbackInput,
  reasonOf,
  stepNote,
} from './rollback.ts';
import { isTerminalStatus } from './status.ts';
import { addMs, earliest, isBefore, latest, msBetween, note } from './timeline.ts';
import { canarySplit, formatSplit, sameSplit } from './traffic.ts';
import type {
  AttentionCause,
  CanaryState,
  Notification,
  RunbookEvent,
  StageProgress,
  StepContext,
  StepResult,
} from './types.ts';

// The canary runbook (seed 000, "Canary Stage Plan"), as a pure state machine: (state, event) -> (state,
// effects). It never does I/O; the executor performs the effects and feeds their outcomes back as events.
//
//   Stage A (0 %): deploy the new image as a revision with no traffic, tagged canary. Capture the values
//                  the prometheus gates compare against. Run the stage's checks on the tag URL.
//   Stages B-E:    ask for approval (N distinct approvers, never the requester unless allowed; the request
//                  expires), set the traffic split, verify the split Cloud Run reports, run the stage's
//                  checks once, then run its gates every interval through the watch window and let the
//                  judge (gates/judge.ts) decide: continue, extend, pass, fail or ask people.
//   Stage E passed: promoted; the report is written and the lock released.
//
//   "Do not advance if any gate fails": a failing check or gate starts the Deterministic Rollback
//   Procedure (rollback.ts) at once, or, when the environment's policy says so, asks for one click first.
//   A failing check at stage A fails the rollout instead: nothing served the new revision, so there is
//   nothing to roll back (and overriding the route split would change what users get for nothing).
//
//   People: approve, abort, pause, resume, promote-now (admins), rollback. Who may do what is checked by
//   the caller; the runbook checks when: a button of an earlier stage, or of a finished rollout, is refused
//   with a reason and changes nothing.
//
//   Failures: an effect that fails is retried with backoff (policy.maxAttempts attempts in all), then
//   the rollout waits in needs-attention. It never guesses: people resume, roll back or abort.
//
// Read top to bottom: stage A, every stage, rolling back, people, failures.

type D = Draft<CanaryState>;
type Ev<T extends RunbookEvent['type']> = Extract<RunbookEvent, { type: T }>;
/** A refusal reason, or undefined when the event was taken. */
type Outcome = string | undefined;

export function newCanary(input: {
  id: string;
  service: string;
  env: string;
  image: string;
  tag: string;
  requestedBy: string;
  dryRun: boolean;
  at: string;
  runbook: CanaryRunbook;
}): CanaryState {
  return {
    kind: 'canary',
    id: input.id,
    service: input.service,
    env: input.env,
    image: input.image,
    tag: input.tag,
    requestedBy: input.requestedBy,
    dryRun: input.dryRun,
    status: 'deploying',
    stage: 0,
    stages: input.runbook.stages.map((stage, index) => ({
      index,
      name: stage.name,
      traffic: stage.traffic,
      approvals: [],
      ticks: [],
      extensionsUsed: 0,
    })),
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

function handle(d: D, e: RunbookEvent, ctx: StepContext): Outcome {
  switch (e.type) {
    case 'effect-failed':
      return failed(d, e, ctx);
    case 'retry':
      return retry(d, e);
  }
  if (d.s.status === 'rolling-back') return duringRollback(d, e, ctx);
  switch (e.type) {
    case 'start':
      return start(d, e);
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
    case 'route-overridden':
      return 'no route override in flight';
    case 'report-written':
      return 'no report was asked for: the rollout is not finished';
  }
}

// ---------------------------------------------------------------------------------------------------------
// Stage A (0 %): deploy the new image as a no-traffic revision, then smoke it on its tag URL.

function start(d: D, e: Ev<'start'>): Outcome {
  const s = d.s;
  if (s.timeline.length > 0) return 'the rollout has already started';
  note(s, e.at, `rollout of ${s.image} ${s.tag} requested${s.dryRun ? ' (dry run)' : ''}`, s.requestedBy);
  notify(d, { kind: 'rollout-started' });
  note(s, e.at, `stage ${current(s).name}: deploy ${s.tag} as a revision with no traffic`);
  ask(d, { type: 'deploy', image: s.image, tag: s.tag });
  return undefined;
}

function deployed(d: D, e: Ev<'deployed'>, ctx: StepContext): Outcome {
  const s = d.s;
  if (s.status !== 'deploying' || s.pending?.effect !== 'deploy') return 'no deploy in flight';
  settle(d);
  s.canaryRevision = e.revision;
  s.stableRevision = e.stableRevision;
  if (e.canaryUrl !== undefined) s.canaryUrl = e.canaryUrl;
  s.trafficBefore = e.traffic;
  s.trafficNow = e.traffic;
  note(s, e.at, `deployed ${e.revision} with no traffic; Cloud Run reports ${formatSplit(e.traffic)}`);
  // The runbook only names gates; the executor knows their kinds. It captures the prometheus ones among
  // these and answers before-captured at once (with no values) when there are none.
  const gates = gatesOfAllStages(ctx.runbook);
  if (gates.length > 0) {
    ask(d, { type: 'capture-before', gates });
    return undefined;
  }
  startStage(d, ctx, e.at);
  return undefined;
}

function beforeCaptured(d: D, e: Ev<'before-captured'>, ctx: StepContext): Outcome {
  const s = d.s;
  if (s.pending?.effect !== 'capture-before') return 'no capture of values before the change in flight';
  settle(d);
  s.before = e.values;
  const names = Object.keys(e.values);
  note(
    s,
    e.at,
    names.length === 0 ? 'no values to capture before the change' : `captured ${names.join(', ')}`,
  );
  startStage(d, ctx, e.at);
  return undefined;
}

// ---------------------------------------------------------------------------------------------------------
// Every stage: approval (stages B-E), traffic, checks once, then gates every interval through the window.

/** Stage A starts once deployed; every later one asks for approval first, unless it needs none. */
function enterStage(d: D, ctx: StepContext, at: string, index: number): void {
  const s = d.s;
  s.stage = index;
  if (needsApproval(ctx.runbook, index) && s.promoteNow === undefined) {
    requestApproval(d, ctx, at);
    return;
  }
  if (s.promoteNow !== undefined) {
    note(s, at, `stage ${current(s).name}: no approval wait (promote-now)`, s.promoteNow.by);
  }
  shift(d, at);
}

function requestApproval(d: D, ctx: StepContext, at: string): void {
  const s = d.s;
  const stage = current(s);
  stage.approvalRequests = (stage.approvalRequests ?? 0) + 1;
  stage.approvalRequestedAt = at;
  stage.approvalExpiresAt = addMs(at, ctx.policy.approvalTtlMs);
  s.status = 'awaiting-approval';
  const required = ctx.policy.requiredApprovals;
  notify(d, { kind: 'approval-requested', stage: s.stage, required, expiresAt: stage.approvalExpiresAt });
  const expiresAt = stage.approvalExpiresAt;
  d.effects.push({
    type: 'schedule',
    timer: 'approval-expiry',
    at: expiresAt,
    key: expiryKey(s),
    event: { type: 'approval-expired', at: expiresAt, stage: s.stage },
  });
  note(
    s,
    at,
    `stage ${stage.name} (${stage.traffic} %): approval requested, ${required} needed, expires ${expiresAt}`,
  );
}

function approve(d: D, e: Ev<'approve'>, ctx: StepContext): Outcome {
  const s = d.s;
  if (e.stage < s.stage)
    return `stage ${stageName(s, e.stage)} is already past: the rollout is at ${current(s).name}`;
  if (e.stage > s.stage)
    return `stage ${stageName(s, e.stage)} is not next: the rollout is at ${current(s).name}`;
  const stage = current(s);
  if (s.status !== 'awaiting-approval') return `stage ${stage.name} is not awaiting approval (${s.status})`;
  const refusal = approvalRefusal({
    stage,
    userId: e.userId,
    at: e.at,
    requestedBy: s.requestedBy,
    allowSelfApproval: ctx.policy.allowSelfApproval,
  });
  if (refusal !== undefined) return refusal;
  stage.approvals.push({ userId: e.userId, at: e.at });
  const count = stage.approvals.length;
  const required = ctx.policy.requiredApprovals;
  notify(d, { kind: 'approval-recorded', stage: s.stage, userId: e.userId, count, required });
  note(s, e.at, `stage ${stage.name} approved (${count} of ${required})`, e.userId);
  if (count < required) return undefined;
  d.effects.push({ type: 'cancel', timer: 'approval-expiry', key: expiryKey(s) });
  shift(d, e.at);
  return undefined;
}

function approvalExpired(d: D, e: Ev<'approval-expired'>, ctx: StepContext): Outcome {
  const s = d.s;
  const stage = current(s);
  if (e.stage !== s.stage || s.status !== 'awaiting-approval') return 'no approval request to expire';
  // A stale timer of an earlier request fires before the current one expires.
  if (stage.approvalExpiresAt !== undefined && isBefore(e.at, stage.approvalExpiresAt)) {
    return 'the approval request has not expired yet';
  }
  const got = `${stage.approvals.length} of ${ctx.policy.requiredApprovals} approvals`;
  const ttl = formatDuration(ctx.policy.approvalTtlMs);
  needsAttention(
    d,
    e.at,
    'approval-expired',
    `the approval request for stage ${stage.name} expired after ${ttl} (${got})`,
  );
  return undefined;
}

function shift(d: D, at: string): void {
  const s = d.s;
  const stage = current(s);
  const { stable, canary } = revisions(s);
  s.status = 'shifting';
  note(
    s,
    at,
    `stage ${stage.name}: set traffic ${stable} ${100 - stage.traffic} %, ${canary} ${stage.traffic} %`,
  );
  ask(d, { type: 'set-traffic', stable, canary, canaryPercent: stage.traffic });
}

/** The executor read the split back: it must be exactly the one asked for. */
function trafficSet(d: D, e: Ev<'traffic-set'>, ctx: StepContext): Outcome {
  const s = d.s;
  if (s.status !== 'shifting' || s.pending?.effect !== 'set-traffic') return 'no traffic change in flight';
  settle(d);
  s.trafficNow = e.traffic;
  const stage = current(s);
  const { stable, canary } = revisions(s);
  const asked = canarySplit(stable, canary, stage.traffic);
  if (!sameSplit(e.traffic, asked)) {
    const reason = `stage ${stage.name} asked for ${formatSplit(asked)}, Cloud Run reports ${formatSplit(e.traffic)}`;
    needsAttention(d, e.at, 'traffic-mismatch', reason);
    return undefined;
  }
  note(s, e.at, `Cloud Run reports ${formatSplit(e.traffic)}`);
  startStage(d, ctx, e.at);
  return undefined;
}

/** The stage's traffic is confirmed: its watch window starts now. */
function startStage(d: D, ctx: StepContext, at: string): void {
  const s = d.s;
  const stage = current(s);
  const def = stageDef(ctx, s);
  stage.startedAt = at;
  stage.windowEndsAt = addMs(at, def.watch);
  notify(d, { kind: 'stage-started', stage: s.stage });
  const watch =
    def.gates.length > 0 && def.watch > 0 ? `, gates watched for ${formatDuration(def.watch)}` : '';
  note(s, at, `stage ${stage.name} started at ${stage.traffic} %${watch}`);
  runChecks(d, ctx, at);
}

/** The stage's checks run once (stage A: smoke on the tag URL; later: the post-stage checklist). */
function runChecks(d: D, ctx: StepContext, at: string): void {
  const s = d.s;
  const def = stageDef(ctx, s);
  if (def.checks.length === 0) {
    afterChecks(d, ctx, at);
    return;
  }
  s.status = 'checking';
  ask(d, {
    type: 'evaluate',
    phase: 'checks',
    stage: s.stage,
    gates: [...def.checks],
    // Checks are probes of now; log-based ones look back over the rollout so far.
    window: { start: s.startedAt, end: at },
  });
}

function checksDone(d: D, e: Ev<'checks-done'>, ctx: StepContext): Outcome {
  const s = d.s;
  if (s.status !== 'checking' || s.pending?.effect !== 'evaluate') return 'no checks in flight';
  settle(d);
  const stage = current(s);
  stage.checks = e.results;
  notify(d, { kind: 'checks', stage: s.stage, results: e.results });
  const failing = e.results.filter((r) => r.status === 'fail');
  const erroring = e.results.filter((r) => r.status === 'error');
  const passed = e.results.filter((r) => r.status === 'pass').length;
  note(s, e.at, `stage ${stage.name} checks: ${passed} of ${e.results.length} passed`);
  // A failing check fails the stage; an error means it could not be checked: people decide, as for a
  // gate nobody watches. Inconclusive and skipped (not applicable here) do not hold the stage.
  if (failing.length > 0) {
    const reason = `stage ${stage.name} checks failed: ${lines(failing)}`;
    if (s.stage === 0) return failRollout(d, e.at, reason);
    gateFailed(d, ctx, e.at, reason);
    return undefined;
  }
  if (erroring.length > 0) {
    needsAttention(d, e.at, 'checks-error', `stage ${stage.name}: could not check ${lines(erroring)}`);
    return undefined;
  }
  afterChecks(d, ctx, e.at);
  return undefined;
}

/** A stage with gates and a watch window is watched; any other stage passes on its checks. */
function afterChecks(d: D, ctx: StepContext, at: string): void {
  const s = d.s;
  const def = stageDef(ctx, s);
  if (def.gates.length === 0 || def.watch === 0) {
    passStage(d, ctx, at, 'its checks passed');
    return;
  }
  s.status = 'watching';
  // Under promote-now the gates run once, at once; otherwise the first tick is one interval in.
  if (s.promoteNow !== undefined) {
    evaluateGates(d, ctx, at);
    return;
  }
  const stage = current(s);
  const first = addMs(windowStart(stage), def.interval);
  scheduleTick(d, earliest(latest(first, at), stage.windowEndsAt ?? first));
}

function scheduleTick(d: D, at: string): void {
  const s = d.s;
  d.effects.push({
    type: 'schedule',
    timer: 'tick',
    at,
    key: tickKey(s),
    event: { type: 'tick', at, stage: s.stage },
  });
}

function tick(d: D, e: Ev<'tick'>, ctx: StepContext): Outcome {
  const s = d.s;
  if (e.stage !== s.stage)
    return `a tick of stage ${stageName(s, e.stage)}: the rollout is at ${current(s).name}`;
  if (s.status !== 'watching') return `not watching gates (${s.status})`;
  if (s.pending?.effect === 'evaluate') return 'the gates are already being evaluated';
  note(s, e.at, `stage ${current(s).name}: tick ${current(s).ticks.length + 1}`);
  evaluateGates(d, ctx, e.at);
  return undefined;
}

/** Gates are judged over the window so far, from its start (the sequential error test needs it whole). */
function evaluateGates(d: D, ctx: StepContext, at: string): void {
  const s = d.s;
  const stage = current(s);
  const gates = stageDef(ctx, s).gates;
  ask(d, {
    type: 'evaluate',
    phase: 'gates',
    stage: s.stage,
    gates: [...gates],
    window: { start: windowStart(stage), end: at },
  });
}

function gatesDone(d: D, e: Ev<'gates-done'>, ctx: StepContext): Outcome {
  const s = d.s;
  if (e.stage !== s.stage)
    return `gate results of stage ${stageName(s, e.stage)}: the rollout is at ${current(s).name}`;
  const watching = s.status === 'watching' || (s.status === 'paused' && s.pausedFrom === 'watching');
  const payload = s.pending?.payload;
  if (!watching || payload?.type !== 'evaluate' || payload.phase !== 'gates')
    return 'no gate evaluation in flight';
  settle(d);
  const stage = current(s);
  const def = stageDef(ctx, s);
  stage.ticks.push(e.results);
  const evaluatedUntil = payload.window.end;
  const judged = judge(stage, ctx, evaluatedUntil, s.promoteNow !== undefined);
  stage.verdict = judged.verdict;
  const tickNo = stage.ticks.length;
  notify(d, { kind: 'gates', stage: s.stage, tick: tickNo, results: e.results, verdict: judged.verdict });
  note(s, e.at, `stage ${stage.name} tick ${tickNo}: ${judged.verdict}, ${judged.reason}`);

  // "Trigger rollback immediately if any gate fails": even while paused.
  if (judged.verdict === 'fail') {
    gateFailed(d, ctx, e.at, `stage ${stage.name}: ${judged.reason}`);
    return undefined;
  }
  // Paused: recorded; the tick after resume judges everything again.
  if (s.status === 'paused') return undefined;
  const next = (from: string) =>
    earliest(latest(addMs(from, def.interval), e.at), stage.windowEndsAt ?? evaluatedUntil);
  switch (judged.verdict) {
    case 'continue':
      if (s.promoteNow !== undefined)
        return passStage(d, ctx, e.at, 'its gates ran once with no failure (promote-now)');
      scheduleTick(d, next(evaluatedUntil));
      return undefined;
    case 'extend':
      stage.extensionsUsed += 1;
      stage.windowEndsAt = addMs(stage.windowEndsAt ?? evaluatedUntil, def.watch);
      note(s, e.at, `stage ${stage.name}: watch window extended to ${stage.windowEndsAt}`);
      scheduleTick(d, next(evaluatedUntil));
      return undefined;
    case 'pass':
      return passStage(d, ctx, e.at, judged.reason);
    case 'needs-attention':
      needsAttention(d, e.at, 'gates', `stage ${stage.name}: ${judged.reason}`);
      return undefined;
    case 'inconclusive':
      needsAttention(d, e.at, 'inconclusive', `stage ${stage.name}: ${judged.reason}`);
      return undefined;
  }
}

/** The judge sees the ticks of the current window; under promote-now the window never "completes". */
function judge(
  stage: StageProgress,
  ctx: StepContext,
  evaluatedUntil: string,
  promoteNow: boolean,
): StageJudgement {
  const windowComplete =
    !promoteNow && stage.windowEndsAt !== undefined && !isBefore(evaluatedUntil, stage.windowEndsAt);
  return judgeStage(
    {
      ticks: stage.ticks.slice(stage.windowFromTick ?? 0),
      windowComplete,
      extensionsUsed: stage.extensionsUsed,
    },
    { failureLimit: ctx.runbook.judge.failureLimit },
  );
}

function passStage(d: D, ctx: StepContext, at: string, why: string): undefined {
  const s = d.s;
  const stage = current(s);
  stage.verdict = 'pass';
  stage.endedAt = at;
  notify(d, { kind: 'stage-passed', stage: s.stage });
  note(s, at, `stage ${stage.name} passed: ${why}`);
  if (s.stage < s.stages.length - 1) {
    enterStage(d, ctx, at, s.stage + 1);
    return undefined;
  }
  // Stage E passed: promoted.
  s.status = 'promoted';
  s.endedAt = at;
  note(s, at, `promoted: ${revisions(s).canary} serves 100 %`);
  notify(d, { kind: 'promoted' });
  d.effects.push({ type: 'write-report' }, { type: 'release-lock' });
  return undefined;
}

/** Stage A's smoke failed on the no-traffic revision: nothing to roll back, the rollout fails. */
function failRollout(d: D, at: string, reason: string): undefined {
  const s = d.s;
  current(s).verdict = 'fail';
  s.status = 'failed';
  s.endedAt = at;
  note(s, at, `failed: ${reason}; the new revision never had traffic`);
  notify(d, { kind: 'failed', reason });
  d.effects.push({ type: 'write-report' }, { type: 'release-lock' });
  return undefined;
}

// ---------------------------------------------------------------------------------------------------------
// Rolling back: the Deterministic Rollback Procedure (rollback.ts) runs inside the canary.

/** A failing check or gate: roll back at once, or (policy 'approve') ask for one click first. */
function gateFailed(d: D, ctx: StepContext, at: string, reason: string): void {
  current(d.s).verdict = 'fail';
  if (ctx.policy.onGateFailure === 'approve') {
    needsAttention(d, at, 'gate-failed', reason, `${reason}. Roll back? (the policy asks for one click)`);
    return;
  }
  // Found by checks or gates just evaluated: no tick is scheduled, so there is no wait to cancel.
  startRollback(d, ctx, at, { trigger: 'gate', reason, mode: 'full' }, { waiting: false });
}

function startRollback(
  d: D,
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
  s.attention = undefined;
  s.pausedFrom = undefined;
  s.pausedAt = undefined;
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

function duringRollback(d: D, e: RunbookEvent, ctx: StepContext): Outcome {
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

function afterRollbackStep(d: D, at: string): void {
  const s = d.s;
  const rb = s.rollback;
  if (rb?.status === 'needs-attention') {
    needsAttention(d, at, 'rollback', rb.attention ?? 'the rollback is stuck');
    return;
  }
  if (rb?.status !== 'done') return;
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
    s.attention = { reason: rb.attention, at, cause: 'rollback-checks' };
    notify(d, { kind: 'needs-attention', reason: rb.attention });
  }
  d.effects.push({ type: 'write-report' }, { type: 'release-lock' });
}

function describeDone(mode: string, toRevision: string): string {
  return mode === 'route-only' ? 'route split overridden' : `${toRevision} serves 100 %`;
}

/** /rollback by a person (or the one click a failed gate asked for). The caller checked the policy. */
function rollbackRequested(d: D, e: Ev<'rollback'>, ctx: StepContext): Outcome {
  const s = d.s;
  const cause = s.status === 'needs-attention' ? s.attention?.cause : undefined;
  if (cause === 'rollback') return 'a rollback is already under way: resume to retry its step';
  const to = e.toRevision ?? s.stableRevision;
  if (to === undefined) return 'the stable revision is not known yet: name the revision to roll back to';
  const mode = e.mode ?? 'full';
  if (mode === 'route-only' && ctx.runbook.rollback.routeOverride === undefined) {
    return 'this service has no route-split override: a route-only rollback has nothing to do';
  }
  if (s.canaryRevision === undefined) return 'nothing deployed yet: abort instead';
  // The click a failed gate asked for keeps the gate's reason and trigger.
  const gate = cause === 'gate-failed' && s.attention !== undefined;
  const reason = gate ? (s.attention?.reason ?? e.reason) : e.reason;
  startRollback(d, ctx, e.at, { trigger: gate ? 'gate' : 'manual', reason, by: e.by, toRevision: to, mode });
  return undefined;
}

// ---------------------------------------------------------------------------------------------------------
// People: abort, pause, resume, promote-now. Who may is the caller's check; when is the runbook's.

/**
 * Abort. Before the canary had any traffic: the rollout ends `aborted` at once. After: traffic must go back
 * to stable first, so the rollback procedure runs in mode traffic-only with no incident (nothing failed;
 * /rollback is the full incident procedure), then the rollout ends `aborted`. With a failed gate waiting
 * for its one click, abort is that click: the full procedure with its incident, ending `aborted`.
 */
function abort(d: D, e: Ev<'abort'>, ctx: StepContext): Outcome {
  const s = d.s;
  const cause = s.status === 'needs-attention' ? s.attention?.cause : undefined;
  // A rollback stuck in needs-attention: people take over by hand; the record ends `failed`.
  if (cause === 'rollback') {
    cancelRetry(d);
    s.pending = undefined;
    s.status = 'failed';
    s.endedAt = e.at;
    note(s, e.at, `stopped while the rollback needed attention${e.reason ? `: ${e.reason}` : ''}`, e.by);
    notify(d, { kind: 'aborted', by: e.by, ...reasonOf(e.reason) });
    d.effects.push({ type: 'write-report' }, { type: 'release-lock' });
    return undefined;
  }
  s.aborted = { by: e.by, at: e.at, ...reasonOf(e.reason) };
  if (hasTraffic(s)) {
    const reason = `aborted: ${e.reason ?? 'no reason given'}`;
    if (cause === 'gate-failed') {
      startRollback(d, ctx, e.at, {
        trigger: 'gate',
        reason: s.attention?.reason ?? reason,
        by: e.by,
        mode: 'full',
      });
    } else {
      startRollback(d, ctx, e.at, {
        trigger: 'manual',
        reason,
        by: e.by,
        mode: 'traffic-only',
        incident: false,
      });
    }
    return undefined;
  }
  cancelTimers(d);
  cancelRetry(d);
  s.pending = undefined;
  s.status = 'aborted';
  s.endedAt = e.at;
  note(s, e.at, `aborted before any traffic moved${e.reason ? `: ${e.reason}` : ''}`, e.by);
  notify(d, { kind: 'aborted', by: e.by, ...reasonOf(e.reason) });
  d.effects.push({ type: 'write-report' }, { type: 'release-lock' });
  return undefined;
}

/**
 * Pause holds the rollout where it waits: for approval, or between gate ticks. Not while an effect is in
 * flight (deploy, traffic change, checks): those finish in seconds, so it is refused with a reason rather
 * than deferred. Gates still being evaluated when it pauses are recorded, and a fail still rolls back.
 */
function pause(d: D, e: Ev<'pause'>): Outcome {
  const s = d.s;
  if (s.status === 'paused') return 'already paused';
  if (s.status === 'needs-attention') return 'it already waits for people';
  if (s.status === 'deploying' || s.status === 'checking' || s.status === 'shifting') {
    return `cannot pause while ${s.status === 'shifting' ? 'traffic is changing' : s.status}: try again in a moment`;
  }
  // An evaluation in flight (and its retry) goes on: its results are recorded while paused.
  cancelWait(d);
  s.pausedFrom = s.status;
  s.pausedAt = e.at;
  s.status = 'paused';
  note(s, e.at, `paused (${s.pausedFrom})`, e.by);
  notify(d, { kind: 'paused', by: e.by });
  return undefined;
}

/** Resume from a pause, or from needs-attention (what it does depends on why; see AttentionCause). */
function resume(d: D, e: Ev<'resume'>, ctx: StepContext): Outcome {
  const s = d.s;
  if (s.status === 'paused') return resumePaused(d, e, ctx);
  if (s.status !== 'needs-attention') return `nothing to resume: the rollout is ${s.status}`;
  const cause = s.attention?.cause;
  if (cause === 'gate-failed') return 'a gate failed: roll back (or abort); the rollout does not go on';
  const from = s.pausedFrom;
  const stage = current(s);
  s.attention = undefined;
  s.pausedFrom = undefined;
  s.pausedAt = undefined;
  note(s, e.at, `resumed (${cause ?? 'needs attention'})`, e.by);
  notify(d, { kind: 'resumed', by: e.by });
  switch (cause) {
    case 'traffic-mismatch':
      shift(d, e.at);
      return undefined;
    case 'approval-expired':
      // The lapsed request's approvals lapse with it (the timeline keeps them): ask again from zero.
      stage.approvals = [];
      requestApproval(d, ctx, e.at);
      return undefined;
    case 'checks-error':
      runChecks(d, ctx, e.at);
      return undefined;
    case 'gates': {
      // A gate nobody could watch: watch a fresh window; earlier ticks stay in the report.
      const def = stageDef(ctx, s);
      stage.windowStartedAt = e.at;
      stage.windowFromTick = stage.ticks.length;
      stage.windowEndsAt = addMs(e.at, def.watch);
      s.status = 'watching';
      scheduleTick(d, earliest(addMs(e.at, def.interval), stage.windowEndsAt));
      return undefined;
    }
    case 'inconclusive':
      // Nothing failed and nothing could judge: a person accepts the stage (the next one asks for approval).
      return passStage(d, ctx, e.at, `accepted by ${e.by}: no gate could judge the window`);
    case 'rollback': {
      s.status = 'rolling-back';
      if (s.rollback?.status === 'needs-attention') {
        const refused = driveRollback(d, e, { runbook: ctx.runbook, at: e.at, stage: s.stage });
        if (refused !== undefined) return refused;
        return undefined;
      }
      return redo(d) ? undefined : 'nothing to resume';
    }
    default:
      // An effect whose retries ran out: emit it again, with a fresh count of attempts.
      s.status = from ?? 'needs-attention';
      return redo(d) ? undefined : 'nothing to resume';
  }
}

function resumePaused(d: D, e: Ev<'resume'>, ctx: StepContext): Outcome {
  const s = d.s;
  const from = s.pausedFrom ?? 'watching';
  const pausedFor = s.pausedAt === undefined ? 0 : Math.max(0, msBetween(s.pausedAt, e.at));
  s.status = from;
  s.pausedFrom = undefined;
  s.pausedAt = undefined;
  note(s, e.at, `resumed after ${formatDuration(pausedFor)}`, e.by);
  notify(d, { kind: 'resumed', by: e.by });
  if (from === 'awaiting-approval') {
    // Approvals given before the pause still count; the request gets a fresh expiry.
    requestApproval(d, ctx, e.at);
    return undefined;
  }
  // The paused time does not count towards the watch window: it is extended by as much.
  const stage = current(s);
  if (stage.windowEndsAt !== undefined) stage.windowEndsAt = addMs(stage.windowEndsAt, pausedFor);
  if (s.pending?.effect !== 'evaluate') scheduleTick(d, e.at);
  return undefined;
}

/**
 * promote-now (admins): no more waiting, never fewer gates. From here, no approval waits and no watch
 * windows: every remaining stage still shifts its traffic, runs its checks and its gates once, and a
 * failing check or gate still rolls back. Inconclusive gates do not hold it (a split seconds old has too
 * little traffic to judge); a gate nobody can measure still asks people.
 */
function promoteNow(d: D, e: Ev<'promote-now'>, ctx: StepContext): Outcome {
  const s = d.s;
  if (s.promoteNow !== undefined) return 'already promoting now';
  const cause = s.status === 'needs-attention' ? s.attention?.cause : undefined;
  if (s.status === 'needs-attention' && cause !== 'approval-expired' && cause !== 'inconclusive') {
    return `it needs attention first: ${s.attention?.reason ?? 'see the thread'}`;
  }
  const wasPaused = s.status === 'paused';
  if (wasPaused) {
    s.status = s.pausedFrom ?? 'watching';
    s.pausedFrom = undefined;
    s.pausedAt = undefined;
  }
  s.promoteNow = { by: e.by, at: e.at };
  notify(d, { kind: 'promote-now', by: e.by });
  note(s, e.at, 'promote now: no more approval waits or watch windows; gates still run', e.by);
  const stage = current(s);
  switch (s.status) {
    case 'awaiting-approval':
      if (!wasPaused) d.effects.push({ type: 'cancel', timer: 'approval-expiry', key: expiryKey(s) });
      note(s, e.at, `stage ${stage.name}: no approval wait (promote-now)`, e.by);
      shift(d, e.at);
      return undefined;
    case 'watching':
      if (s.pending?.effect === 'evaluate') return undefined;
      if (!wasPaused) d.effects.push({ type: 'cancel', timer: 'tick', key: tickKey(s) });
      evaluateGates(d, ctx, e.at);
      return undefined;
    case 'needs-attention':
      s.attention = undefined;
      s.pausedFrom = undefined;
      if (cause === 'inconclusive') return passStage(d, ctx, e.at, `accepted by ${e.by} (promote-now)`);
      shift(d, e.at);
      return undefined;
    default:
      // Deploying, checking or shifting: the flag takes effect at the next wait.
      return undefined;
  }
}

// ---------------------------------------------------------------------------------------------------------
// Failures: retried with backoff, then people decide (in-flight.ts).

function failed(d: D, e: Ev<'effect-failed'>, ctx: StepContext): Outcome {
  if (d.s.status === 'needs-attention') return 'it already waits for people';
  const outcome = effectFailed(d, e, ctx.policy);
  if (outcome.kind === 'refused') return outcome.reason;
  if (outcome.kind === 'exhausted') {
    needsAttention(d, e.at, d.s.status === 'rolling-back' ? 'rollback' : 'effect-failed', outcome.reason);
  }
  return undefined;
}

/** Stop and ask people. `pausedFrom` remembers where to go back to. */
function needsAttention(d: D, at: string, cause: AttentionCause, reason: string, message = reason): void {
  const s = d.s;
  if (s.status !== 'paused') s.pausedFrom = s.status;
  s.pausedAt = undefined;
  s.status = 'needs-attention';
  s.attention = { reason, at, cause };
  note(s, at, `needs attention: ${reason}`);
  notify(d, { kind: 'needs-attention', reason: message });
}

// ---------------------------------------------------------------------------------------------------------
// Helpers.

function notify(d: D, notification: Notification): void {
  d.effects.push({ type: 'notify', notification });
}

/** Cancel every timer of the rollout: the one it waits on, and any retry. */
function cancelTimers(d: D): void {
  cancelWait(d);
  cancelRetry(d);
}

/** Cancel the timer the rollout waits on: the next tick, or the approval request's expiry. */
function cancelWait(d: D): void {
  const s = d.s;
  if (s.status === 'awaiting-approval')
    d.effects.push({ type: 'cancel', timer: 'approval-expiry', key: expiryKey(s) });
  if (s.status === 'watching' && s.pending?.effect !== 'evaluate') {
    d.effects.push({ type: 'cancel', timer: 'tick', key: tickKey(s) });
  }
}

/** Whether the canary has (or may have) traffic: reported, or a traffic change in flight or failed. */
function hasTraffic(s: CanaryState): boolean {
  const reported = s.canaryRevision === undefined ? 0 : (s.trafficNow?.[s.canaryRevision] ?? 0);
  return reported > 0 || s.pending?.effect === 'set-traffic';
}

function current(s: CanaryState): StageProgress {
  const stage = s.stages[s.stage];
  if (stage === undefined) throw new Error(`rollout ${s.id} has no stage ${s.stage}`);
  return stage;
}

function stageDef(ctx: StepContext, s: CanaryState): Stage {
  const stage = ctx.runbook.stages[s.stage];
  if (stage === undefined) throw new Error(`the runbook has no stage ${s.stage} (rollout ${s.id})`);
  return stage;
}

function stageName(s: CanaryState, index: number): string {
  return s.stages[index]?.name ?? `#${index}`;
}

function revisions(s: CanaryState): { stable: string; canary: string } {
  if (s.stableRevision === undefined || s.canaryRevision === undefined) {
    throw new Error(`rollout ${s.id}: revisions are not known before the deploy`);
  }
  return { stable: s.stableRevision, canary: s.canaryRevision };
}

function windowStart(stage: StageProgress): string {
  return stage.windowStartedAt ?? stage.startedAt ?? '';
}

/** Timer keys are deterministic, so a duplicate schedule collapses: tick n of stage s is `s:n`. */
function tickKey(s: CanaryState): string {
  return `${s.stage}:${current(s).ticks.length + 1}`;
}

/** Approval request r of stage s is `s:r`. */
function expiryKey(s: CanaryState): string {
  return `${s.stage}:${current(s).approvalRequests ?? 1}`;
}

/** Every gate and check any stage names, in order, once: the executor captures the prometheus ones. */
function gatesOfAllStages(runbook: CanaryRunbook): string[] {
  return [...new Set(runbook.stages.flatMap((stage) => [...stage.checks, ...stage.gates]))];
}

function lines(results: GateResult[]): string {
  return results.map((r) => `${r.gate}: ${renderGate(r)}`).join('; ');
}
