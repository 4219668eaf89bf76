import { formatDuration } from '../../config/duration.ts';
import { type CanaryRunbook, type Stage, stageAt } from '../../config/runbooks.ts';
import { judgeStage, type StageJudgement } from '../../gates/judge.ts';
import { enforcedTicks, failingAlone, withModes } from '../../gates/modes.ts';
import { renderGate } from '../../gates/render.ts';
import type { GateResult } from '../../gates/result.ts';
import { cannotDecide, type GateWait, stageWait, waitText } from '../../gates/time-to-decision.ts';
import { approvalRefusal, needsApproval } from '../approvals.ts';
import { freezeHold } from '../freeze/windows.ts';
import { localTime } from '../freeze/words.ts';
import { ask, effectFailed, settle } from '../in-flight.ts';
import { addMs, earliest, isBefore, latest, note } from '../timeline.ts';
import { canarySplit, formatSplit, sameSplit } from '../traffic.ts';
import type { CanaryState, StageProgress, StepContext } from '../types.ts';
import { askAdvisory, flag, noteShadow } from './advisory.ts';
import { releasePrevious, removeTagByHand } from './post-promotion.ts';
import { inPostPromotion } from './post-promotion-stage.ts';
import { finishRollback, startRollback } from './rolling-back.ts';
import {
  type CanaryDraft,
  current,
  type Ev,
  expiryKey,
  hurried,
  needsAttention,
  notify,
  type Outcome,
  revisions,
  stageDef,
  stageName,
  tickKey,
  windowStart,
} from './shared.ts';

// The canary's procedure, in the order of seed 000's "Canary Stage Plan": each function takes the
// event that moves the rollout on, or is the step it moves on to.
//
//   Stage A (0 %): deploy the new image as a revision with no traffic, tagged canary. Capture the values
//                  the prometheus gates compare against. Run the stage's checks on the tag URL.
//   Stages B-E:    ask for approval (N distinct approvers, never the requester unless allowed; the request
//                  expires), set the traffic split, verify the split Cloud Run reports, run the stage's
//                  checks once, then run its gates every interval through the watch window and let the
//                  judge (gates/judge.ts) decide: continue, extend, pass, fail or ask people. A window
//                  too short for the canary requests its gates need at the traffic seen is said once, at
//                  the first tick that shows it (gates/time-to-decision.ts), not found at its end.
//   Stage E passed: promoted; the report is written and the lock released. With a post-promotion stage
//                  (config `postPromotion`), the previous revision is kept warm under a revision tag and
//                  the stage's gates watch the new revision against the previous one's metrics before
//                  promotion; then the tag is released and the rollout is done (or a gate rolls it back).
//
// "Do not advance if any gate fails": a failing check or gate starts the rollback (rolling-back.ts) at
// once, or, when the environment's policy says so, asks for one click first. A failing check at stage A
// fails the rollout instead: nothing served the new revision, so there is nothing to roll back.
// Only enforce gates decide so; shadow gates are recorded and advisory ones ask (advisory.ts).

// ---------------------------------------------------------------------------------------------------------
// Stage A (0 %): deploy the new image as a no-traffic revision, then smoke it on its tag URL.

export function start(d: CanaryDraft, e: Ev<'start'>): Outcome {
  const s = d.s;
  if (s.timeline.length > 0) return 'the rollout has already started';
  note(s, e.at, `rollout of ${s.image} ${s.tag} requested${s.dryRun ? ' (dry run)' : ''}`, s.requestedBy);
  notify(d, { kind: 'rollout-started' });
  note(s, e.at, 'preconditions: the image, the service, the right to deploy it, its environment');
  ask(d, { type: 'check-preconditions', image: s.image });
  return undefined;
}

/** Before stage A: a required precondition that did not pass fails the rollout with nothing deployed. */
export function preconditionsDone(d: CanaryDraft, e: Ev<'preconditions-done'>): Outcome {
  const s = d.s;
  if (s.status !== 'deploying' || s.pending?.effect !== 'check-preconditions')
    return 'no preconditions in flight';
  settle(d);
  s.preconditions = e.results;
  notify(d, { kind: 'preconditions', results: e.results, blocking: e.blocking });
  if (e.blocking.length > 0) {
    const reason = `preconditions not met: ${e.blocking.join(', ')}; nothing was deployed`;
    s.status = 'failed';
    s.endedAt = e.at;
    note(s, e.at, reason);
    notify(d, { kind: 'failed', reason });
    d.effects.push({ type: 'write-report' }, { type: 'release-lock' });
    return undefined;
  }
  if (e.image !== undefined && e.image !== s.image) {
    s.imageRequested = s.image;
    s.image = e.image;
  }
  note(s, e.at, `stage ${current(s).name}: deploy ${s.tag} (${s.image}) as a revision with no traffic`);
  ask(d, { type: 'deploy', image: s.image, tag: s.tag });
  return undefined;
}

export function deployed(d: CanaryDraft, e: Ev<'deployed'>, ctx: StepContext): Outcome {
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

export function beforeCaptured(d: CanaryDraft, e: Ev<'before-captured'>, ctx: StepContext): Outcome {
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
function enterStage(d: CanaryDraft, ctx: StepContext, at: string, index: number): void {
  const s = d.s;
  s.stage = index;
  if (needsApproval(ctx.runbook, index) && s.promoteNow === undefined) {
    requestApproval(d, ctx, at);
    return;
  }
  // During a freeze window no traffic goes forward by itself (a stage without approval, promote-now):
  // the stage asks for approval, which counts once the window ends or an admin lets the rollout go on.
  const frozen = s.dryRun ? undefined : freezeHold(ctx.policy.freezes ?? [], s.freezeOverrides, new Date(at));
  if (frozen && current(s).traffic > (s.stages[index - 1]?.traffic ?? 0)) {
    note(
      s,
      at,
      `stage ${current(s).name}: freeze window ${frozen.name} until ${localTime(frozen.end, frozen.timeZone)}: it waits for approval instead of shifting by itself`,
    );
    requestApproval(d, ctx, at);
    return;
  }
  if (s.promoteNow !== undefined) {
    note(s, at, `stage ${current(s).name}: no approval wait (promote-now)`, s.promoteNow.by);
  }
  shift(d, at);
}

export function requestApproval(d: CanaryDraft, ctx: StepContext, at: string): void {
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

export function approve(d: CanaryDraft, e: Ev<'approve'>, ctx: StepContext): Outcome {
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

export function approvalExpired(d: CanaryDraft, e: Ev<'approval-expired'>, ctx: StepContext): Outcome {
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

export function shift(d: CanaryDraft, at: string): void {
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
export function trafficSet(d: CanaryDraft, e: Ev<'traffic-set'>, ctx: StepContext): Outcome {
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
export function startStage(d: CanaryDraft, ctx: StepContext, at: string): void {
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
export function runChecks(d: CanaryDraft, ctx: StepContext, at: string): void {
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

export function checksDone(d: CanaryDraft, e: Ev<'checks-done'>, ctx: StepContext): Outcome {
  const s = d.s;
  if (s.status !== 'checking' || s.pending?.effect !== 'evaluate') return 'no checks in flight';
  settle(d);
  const stage = current(s);
  const results = withModes(e.results, ctx.runbook.gateModes);
  stage.checks = results;
  notify(d, { kind: 'checks', stage: s.stage, results });
  const all = results.filter((r) => r.status === 'fail');
  const failing = all.filter((r) => r.mode === undefined);
  const erroring = results.filter((r) => r.status === 'error' && r.mode === undefined);
  const passed = results.filter((r) => r.status === 'pass').length;
  note(s, e.at, `stage ${stage.name} checks: ${passed} of ${results.length} passed`);
  const before = [...(stage.flagged ?? [])];
  flag(
    stage,
    all.map((r) => r.gate),
  );
  noteShadow(d, e.at, all, before);
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
  if (askAdvisory(d, e.at, 'checks', all)) return undefined;
  afterChecks(d, ctx, e.at);
  return undefined;
}

/** A stage with gates and a watch window is watched; any other stage passes on its checks. */
export function afterChecks(d: CanaryDraft, ctx: StepContext, at: string): void {
  const s = d.s;
  const def = stageDef(ctx, s);
  if (def.gates.length === 0 || def.watch === 0) {
    passStage(d, ctx, at, 'its checks passed');
    return;
  }
  s.status = 'watching';
  // Under promote-now the gates run once, at once; otherwise the first tick is one interval in.
  if (hurried(s)) {
    evaluateGates(d, ctx, at);
    return;
  }
  const stage = current(s);
  const first = addMs(windowStart(stage), def.interval);
  // Gates with a fast signal are read sooner, and every fast interval after (fast ticks).
  const soonest = def.fast ? earliest(first, addMs(windowStart(stage), def.fast.interval)) : first;
  scheduleTick(d, earliest(latest(soonest, at), stage.windowEndsAt ?? first));
}

/**
 * A fast tick runs only the stage's fast signals (the error-rate gate's 5xx from the request logs, read
 * every few seconds); the stage's own ticks run every gate every interval, and always at the window's
 * end. Fast ticks are separate so that the minute-aligned gates are not re-read, re-counted by the
 * judge's failure limit and re-posted to Slack every few seconds: a fast tick that finds no failure
 * leaves no tick, message or timeline line behind.
 */
function isFastTick(s: CanaryState, def: Stage, at: string): boolean {
  const stage = current(s);
  if (!def.fast || hurried(s)) return false;
  if (stage.windowEndsAt !== undefined && !isBefore(at, stage.windowEndsAt)) return false;
  return isBefore(at, addMs(lastFullTick(stage), def.interval));
}

/** Where the stage's ticks count their interval from: the last one that ran every gate, or the window start. */
function lastFullTick(stage: StageProgress): string {
  const start = windowStart(stage);
  return stage.fullTickAt === undefined ? start : latest(stage.fullTickAt, start);
}

export function scheduleTick(d: CanaryDraft, at: string): void {
  const s = d.s;
  d.effects.push({
    type: 'schedule',
    timer: 'tick',
    at,
    key: tickKey(s),
    event: { type: 'tick', at, stage: s.stage },
  });
}

export function tick(d: CanaryDraft, e: Ev<'tick'>, ctx: StepContext): Outcome {
  const s = d.s;
  if (e.stage !== s.stage)
    return `a tick of stage ${stageName(s, e.stage)}: the rollout is at ${current(s).name}`;
  if (s.status !== 'watching') return `not watching gates (${s.status})`;
  if (s.pending?.effect === 'evaluate') return 'the gates are already being evaluated';
  if (!isFastTick(s, stageDef(ctx, s), e.at))
    note(s, e.at, `stage ${current(s).name}: tick ${current(s).ticks.length + 1}`);
  evaluateGates(d, ctx, e.at);
  return undefined;
}

/** Gates are judged over the window so far, from its start (the sequential error test needs it whole). */
export function evaluateGates(d: CanaryDraft, ctx: StepContext, at: string): void {
  const s = d.s;
  const stage = current(s);
  const def = stageDef(ctx, s);
  const fast = isFastTick(s, def, at);
  ask(d, {
    type: 'evaluate',
    phase: 'gates',
    stage: s.stage,
    gates: [...(fast ? (def.fast?.gates ?? []) : def.gates)],
    window: { start: windowStart(stage), end: at },
    ...(fast ? { fast: true as const } : {}),
  });
}

export function gatesDone(d: CanaryDraft, e: Ev<'gates-done'>, ctx: StepContext): Outcome {
  const s = d.s;
  if (e.stage !== s.stage)
    return `gate results of stage ${stageName(s, e.stage)}: the rollout is at ${current(s).name}`;
  const watching = s.status === 'watching' || (s.hold?.kind === 'paused' && s.hold.from === 'watching');
  const payload = s.pending?.payload;
  if (!watching || payload?.type !== 'evaluate' || payload.phase !== 'gates')
    return 'no gate evaluation in flight';
  settle(d);
  const stage = current(s);
  const def = stageDef(ctx, s);
  const evaluatedUntil = payload.window.end;
  // Ticks end at the window's end; past it (waiting for late data) they go on every interval. Fast ticks
  // come between the stage's own ticks, within the window.
  const next = () => {
    const end = stage.windowEndsAt;
    let due = latest(addMs(lastFullTick(stage), def.interval), e.at);
    if (def.fast && !hurried(s)) due = earliest(due, latest(addMs(evaluatedUntil, def.fast.interval), e.at));
    return end !== undefined && isBefore(evaluatedUntil, end) ? earliest(due, end) : due;
  };
  const results = withModes(e.results, ctx.runbook.gateModes);
  if (payload.fast) {
    stage.fastTicks = (stage.fastTicks ?? 0) + 1;
    // Nothing failed: nothing to record; the next tick is scheduled (unless paused: resume does it).
    if (!results.some((r) => r.status === 'fail')) {
      if (s.status !== 'paused') scheduleTick(d, next());
      return undefined;
    }
  } else {
    stage.fullTickAt = evaluatedUntil;
  }
  stage.ticks.push(results);
  const judged = judge(stage, ctx, evaluatedUntil, hurried(s));
  // Every gate judged alone, whatever its mode: what would have blocked (shadow, advisory, and the record).
  const alone = failingAlone(stage.ticks.slice(stage.windowFromTick ?? 0), {
    failureLimit: ctx.runbook.judge.failureLimit,
  });
  const before = [...(stage.flagged ?? [])];
  flag(stage, [...alone.map((r) => r.gate), ...(judged.verdict === 'fail' ? judged.gates : [])]);
  stage.verdict = judged.verdict;
  const tickNo = stage.ticks.length;
  const shortfall = judged.verdict === 'continue' ? windowFallsShort(s, results, evaluatedUntil) : undefined;
  if (shortfall) stage.decisionWarnedAt = e.at;
  notify(d, {
    kind: 'gates',
    stage: s.stage,
    tick: tickNo,
    results,
    verdict: judged.verdict,
    ...(shortfall ? { cannotDecide: shortfall } : {}),
  });
  note(s, e.at, `stage ${stage.name} tick ${tickNo}: ${judged.verdict}, ${judged.reason}`);
  if (shortfall) note(s, e.at, `stage ${stage.name}: ${shortfall.gate} ${waitText(shortfall)}`);
  noteShadow(d, e.at, alone, before);

  // "Trigger rollback immediately if any gate fails": even while paused.
  if (judged.verdict === 'fail') {
    gateFailed(d, ctx, e.at, `stage ${stage.name}: ${judged.reason}`);
    return undefined;
  }
  // An advisory gate that would have failed the stage asks for one click, even while paused.
  if (askAdvisory(d, e.at, 'gate', alone)) return undefined;
  // Paused: recorded; the tick after resume judges everything again.
  if (s.status === 'paused') return undefined;
  switch (judged.verdict) {
    case 'continue':
      if (hurried(s)) return passStage(d, ctx, e.at, 'its gates ran once with no failure (promote-now)');
      scheduleTick(d, next());
      return undefined;
    case 'extend':
      stage.extensionsUsed += 1;
      stage.windowEndsAt = addMs(stage.windowEndsAt ?? evaluatedUntil, def.watch);
      note(s, e.at, `stage ${stage.name}: watch window extended to ${stage.windowEndsAt}`);
      scheduleTick(d, next());
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

/**
 * "Say so at the start of the stage, not at its end": the first tick whose readings show a gate cannot
 * have the canary requests it needs by the window's end (gates/time-to-decision.ts) warns, once a stage,
 * while people can still act on it. Under promote-now there is no window to fall short.
 */
function windowFallsShort(
  s: CanaryState,
  results: GateResult[],
  evaluatedUntil: string,
): GateWait | undefined {
  const stage = current(s);
  const end = stage.windowEndsAt;
  // promote-now leaves no window to fall short, except the post-promotion watch (hurried).
  if (stage.decisionWarnedAt !== undefined || hurried(s)) return undefined;
  if (end === undefined || !isBefore(evaluatedUntil, end)) return undefined;
  const wait = stageWait(results, { start: windowStart(stage), end });
  return cannotDecide(wait) ? wait : undefined;
}

/** The judge sees the ticks of the current window; under promote-now the window never "completes". */
function judge(
  stage: StageProgress,
  ctx: StepContext,
  evaluatedUntil: string,
  promoteNow: boolean,
): StageJudgement {
  const end = stage.windowEndsAt;
  const windowComplete = !promoteNow && end !== undefined && !isBefore(evaluatedUntil, end);
  // Only enforce gates decide: shadow and advisory ones never roll back or hold the stage (modes.ts).
  return judgeStage(
    {
      ticks: enforcedTicks(stage.ticks.slice(stage.windowFromTick ?? 0)),
      windowComplete,
      extensionsUsed: stage.extensionsUsed,
      ...(end !== undefined
        ? {
            windowEnd: end,
            // Records pinned before dataWait existed wait its default.
            dataWaitOver: !isBefore(evaluatedUntil, addMs(end, ctx.runbook.judge.dataWait ?? 360_000)),
          }
        : {}),
    },
    { failureLimit: ctx.runbook.judge.failureLimit },
  );
}

export function passStage(d: CanaryDraft, ctx: StepContext, at: string, why: string): undefined {
  const s = d.s;
  const stage = current(s);
  stage.verdict = 'pass';
  stage.endedAt = at;
  notify(d, { kind: 'stage-passed', stage: s.stage });
  note(s, at, `stage ${stage.name} passed: ${why}`);
  if (inPostPromotion(s)) return finishWatch(d, at);
  const next = s.stage + 1;
  if (s.postPromotion?.stage === next) return startPostPromotion(d, ctx, at);
  if (next < s.stages.length) {
    enterStage(d, ctx, at, next);
    return undefined;
  }
  return promote(d, at);
}

/** Stage E passed (and the post-promotion watch, if any, is over): the rollout is done. */
function promote(d: CanaryDraft, at: string): undefined {
  const s = d.s;
  s.status = 'promoted';
  s.endedAt = at;
  const after = s.postPromotion === undefined ? '' : '; the post-promotion watch is over';
  note(s, at, `promoted: ${revisions(s).canary} serves 100 %${after}`);
  notify(d, { kind: 'promoted' });
  d.effects.push({ type: 'write-report' }, { type: 'release-lock' });
  return undefined;
}

// ---------------------------------------------------------------------------------------------------------
// After 100 % (config `postPromotion`): the new revision serves everything; the previous one is kept warm
// under a revision tag; the stage's gates watch the new revision against the previous revision's metrics
// over the hours before it stopped serving. A failing gate rolls back to the previous revision (as at any
// stage: gateFailed). When the window passes, or a person ends it early (people.ts), the tag is released
// (post-promotion.ts) and the rollout is done. The lock is held throughout.

function startPostPromotion(d: CanaryDraft, ctx: StepContext, at: string): undefined {
  const s = d.s;
  const p = s.postPromotion;
  const config = ctx.runbook.postPromotion;
  if (p === undefined || config === undefined) return promote(d, at);
  const { stable, canary } = revisions(s);
  // The previous revision stopped serving when the 100 % stage's traffic was confirmed.
  const end = s.stages[p.stage - 1]?.startedAt ?? at;
  p.previousRevision = stable;
  p.baseline = { start: addMs(end, -config.baselineWindow), end };
  s.stage = p.stage;
  const watch = formatDuration(stageDef(ctx, s).watch);
  note(
    s,
    at,
    `promoted: ${canary} serves 100 %; post-promotion watch for ${watch}, against ${stable} from ${p.baseline.start} to ${end}`,
  );
  const tag = config.warmTag === false ? undefined : config.warmTag;
  notify(d, {
    kind: 'post-promotion',
    previousRevision: stable,
    watchMs: stageDef(ctx, s).watch,
    ...(tag === undefined ? {} : { tag }),
  });
  if (tag === undefined) {
    startStage(d, ctx, at);
    return undefined;
  }
  s.status = 'shifting';
  p.tagAsked = tag;
  note(s, at, `keep ${stable} warm: tag ${tag}`);
  ask(d, { type: 'tag-revision', tag, revision: stable });
  return undefined;
}

/** The watch is over (passed, accepted or ended early): release the previous revision, then done. */
export function finishWatch(d: CanaryDraft, at: string): undefined {
  const s = d.s;
  const stage = current(s);
  stage.endedAt ??= at;
  if (releasePrevious(d, at)) {
    s.status = 'shifting';
    return undefined;
  }
  return promote(d, at);
}

/** Cloud Run reports the tag on the previous revision (the watch starts), or gone (the rollout ends). */
export function revisionTagged(d: CanaryDraft, e: Ev<'revision-tagged'>, ctx: StepContext): Outcome {
  const s = d.s;
  const p = s.postPromotion;
  const asked = s.pending?.payload;
  if (p === undefined || asked?.type !== 'tag-revision' || asked.tag !== e.tag)
    return 'no revision tag change in flight';
  settle(d);
  if (asked.revision !== undefined) {
    p.warm = { tag: e.tag, revision: asked.revision, at: e.at, ...(e.url ? { url: e.url } : {}) };
    note(s, e.at, `${asked.revision} kept warm: tag ${e.tag}${e.url ? ` (${e.url})` : ''}`);
    startStage(d, ctx, e.at);
    return undefined;
  }
  p.released = { at: e.at };
  note(s, e.at, `${p.previousRevision ?? 'the previous revision'} released: tag ${e.tag} removed`);
  return afterRelease(d, e.at);
}

/**
 * A tag change failed. It is retried like any effect; once the retries are spent the rollout goes on
 * without it and says so: a tag makes a rollback faster, it is never a reason to hold the rollout.
 */
export function tagFailed(d: CanaryDraft, e: Ev<'effect-failed'>, ctx: StepContext): Outcome {
  const s = d.s;
  const asked = s.pending?.payload;
  const outcome = effectFailed(d, e, ctx.policy);
  if (outcome.kind !== 'exhausted') return outcome.kind === 'refused' ? outcome.reason : undefined;
  const p = s.postPromotion;
  settle(d);
  if (p === undefined || asked?.type !== 'tag-revision') return 'no revision tag change in flight';
  if (asked.revision !== undefined) {
    p.warmFailed = outcome.reason;
    note(s, e.at, `${asked.revision} not kept warm (${outcome.reason}); the watch goes on without its tag`);
    startStage(d, ctx, e.at);
    return undefined;
  }
  p.releaseFailed = outcome.reason;
  note(
    s,
    e.at,
    `tag ${asked.tag} left in place (${outcome.reason}): remove it by hand: ${removeTagByHand(asked.tag)}`,
  );
  return afterRelease(d, e.at);
}

function afterRelease(d: CanaryDraft, at: string): undefined {
  if (d.s.status === 'rolling-back') {
    finishRollback(d, at);
    return undefined;
  }
  return promote(d, at);
}

/** Stage A's smoke failed on the no-traffic revision: nothing to roll back, the rollout fails. */
export function failRollout(d: CanaryDraft, at: string, reason: string): undefined {
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
// "Trigger rollback immediately if any gate fails."

/** A failing check or gate: roll back at once, or (policy 'approve') ask for one click first. */
function gateFailed(d: CanaryDraft, ctx: StepContext, at: string, reason: string): void {
  current(d.s).verdict = 'fail';
  if (ctx.policy.onGateFailure === 'approve') {
    needsAttention(d, at, 'gate-failed', reason, `${reason}. Roll back? (the policy asks for one click)`);
    return;
  }
  // Found by checks or gates just evaluated: no tick is scheduled, so there is no wait to cancel.
  startRollback(d, ctx, at, { trigger: 'gate', reason, mode: 'full' }, { waiting: false });
}

/** Every gate and check any stage names, in order, once: the executor captures the prometheus ones. */
function gatesOfAllStages(runbook: CanaryRunbook): string[] {
  const post = stageAt(runbook, runbook.stages.length)?.gates ?? [];
  return [...new Set([...runbook.stages.flatMap((stage) => [...stage.checks, ...stage.gates]), ...post])];
}

function lines(results: GateResult[]): string {
  return results.map((r) => `${r.gate}: ${renderGate(r)}`).join('; ');
}
