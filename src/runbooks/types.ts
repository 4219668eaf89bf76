import type { FreezeRule } from '../config/freezes.ts';
import type { CanaryRunbook } from '../config/runbooks.ts';
import type { StageVerdict } from '../gates/judge.ts';
import type { GateResult } from '../gates/result.ts';
import type { GateWait } from '../gates/time-to-decision.ts';
import type { FreezeOverride, FreezeWindow } from './freeze/windows.ts';
import type { JobRun } from './ports/cloud-run.ts';
import type { ErrorBudget } from './ports/error-budget.ts';
import type { FlagReading, FlagSetResult } from './ports/flags.ts';

// The contract between the pure runbooks (canary/, rollback.ts) and the executor (executor.ts).
// A runbook is a function (state, event) -> (state, effects, refused?). It never does I/O: the executor
// performs each effect through the ports, feeds the outcome back as an event, and persists every state
// with the store's compare-and-set under the lock's fencing token. Times are ISO strings carried by the
// events, so a step is deterministic and can be replayed in a test.

/** Percent of traffic per revision (short names), as Cloud Run reports it; 0 % entries left out. */
export type Split = Record<string, number>;

export type RolloutStatus =
  | 'deploying' // stage A: the no-traffic revision is being deployed
  | 'checking' // a stage's checks run once (smoke tests, post-stage checklist)
  | 'awaiting-approval' // the next traffic increase waits for approvals
  | 'shifting' // a traffic change (or, after promotion, a revision tag change) is in flight
  | 'watching' // gates run every interval through the watch window
  | 'paused' // a person paused it; `hold` says where it resumes
  | 'needs-attention' // retries exhausted, an inconclusive window, an expired approval: people decide
  | 'rolling-back' // the rollback procedure runs (`rollback` holds its state)
  | 'promoted'
  | 'rolled-back'
  | 'aborted'
  | 'failed';

/** A line of the rollout's own timeline (bot actions), for the thread and the report. */
export interface TimelineEntry {
  at: string;
  what: string;
  by?: string;
}

export interface Approval {
  userId: string;
  at: string;
}

export interface StageProgress {
  index: number;
  name: string;
  traffic: number;
  approvals: Approval[];
  approvalRequestedAt?: string;
  approvalExpiresAt?: string;
  /** How many times approval was requested for this stage (a re-request after expiry or a pause adds one). */
  approvalRequests?: number;
  /** When the stage's traffic was confirmed (its watch window starts here). */
  startedAt?: string;
  windowEndsAt?: string;
  /**
   * Set when people restarted the watch window (resume after needs-attention): the current window's start,
   * and the index of its first tick. Earlier ticks stay in `ticks` for the report but are not judged again.
   */
  windowStartedAt?: string;
  windowFromTick?: number;
  checks?: GateResult[];
  /** One entry per tick: the results of the stage's gates at that tick. */
  ticks: GateResult[][];
  /** The end of the window of the last tick that ran every gate (fast ticks run the fast signals only). */
  fullTickAt?: string;
  /** Fast ticks run in the stage; one that finds no failure leaves no entry in `ticks`. */
  fastTicks?: number;
  extensionsUsed: number;
  /**
   * When the stage warned that its watch window cannot reach a decision at the traffic it sees (too few
   * canary requests for a gate by the window's end; gates/time-to-decision.ts): once a stage.
   */
  decisionWarnedAt?: string;
  verdict?: StageVerdict;
  endedAt?: string;
  /**
   * Gates of any mode that would have blocked this stage: failed as a check, or failed it judged alone
   * (gates/modes.ts), or named by the judge's fail. What the gates' track record counts.
   */
  flagged?: string[];
  /** Advisory gates that failed in this stage and asked people for one click, each with its decision. */
  asks?: AdvisoryAsk[];
}

/** Which advisory ask a click answers: the stage's index and the ask's index in its `asks`. */
export interface AskRef {
  stage: number;
  ask: number;
}

/** An advisory gate's failure asking for one click (canary/advisory.ts), and who decided how. */
export interface AdvisoryAsk {
  gates: string[];
  /** The failing results in words, as the thread showed them. */
  reason: string;
  at: string;
  decision?: { choice: 'continue' | 'roll back' | 'abort'; by: string; at: string };
}

/** What the executor needs to know about the environment's policies at each step (from config). */
export interface RunbookPolicy {
  /** Distinct approvals needed per stage. */
  requiredApprovals: number;
  allowSelfApproval: boolean;
  approvalTtlMs: number;
  /** automatic: a failing gate rolls back at once; approve: ask for one click first. */
  onGateFailure: 'automatic' | 'approve';
  /** Retries of a failing effect (Cloud Run, Monitoring) before needs-attention. */
  maxAttempts: number;
  /** Backoff before retry n (1-based), in ms. */
  backoffMs: (attempt: number) => number;
  /**
   * The scheduled freezes of the rollout's service environment (config/freezes.ts): a canary stage that
   * would shift traffic by itself during one asks for approval instead. Absent: none.
   */
  freezes?: readonly FreezeRule[];
}

export interface RollbackState {
  trigger: 'gate' | 'manual';
  reason: string;
  by?: string;
  /** The stage that failed, or where the rollout stood when a person rolled back. */
  failedStage?: string;
  /** The revision that gets 100 % (the stable one, a named one, or the previous ready one). */
  toRevision: string;
  /** The revision being rolled away from, when known. */
  fromRevision?: string;
  mode: 'full' | 'route-only' | 'traffic-only';
  status: 'overriding-route' | 'shifting' | 'verifying' | 'checking' | 'done' | 'needs-attention';
  routeOverride?: string;
  trafficBefore?: Split;
  trafficAfter?: Split;
  checks?: GateResult[];
  /** false: no incident at the end (an abort that returns traffic: nothing failed). Default true. */
  incident?: boolean;
  /** Why the procedure needs attention, or what went wrong after it (failing rollback checks). */
  attention?: string;
  startedAt: string;
  endedAt?: string;
}

/**
 * The effect in flight that awaits its result event (deploy, capture-before, set-traffic, rollback-traffic,
 * route-override, evaluate). Fire-and-forget effects (notify, schedule, cancel, open-incident, release-lock,
 * write-report) are never pending: the executor retries those itself.
 */
export interface Pending {
  effect: Effect['type'];
  /** Attempts made so far, the first one included. */
  attempts: number;
  lastError?: string;
  /** The effect itself, re-emitted as is on retry or resume. */
  payload?: Effect;
  /** Key of the scheduled retry timer, while one is scheduled (cancelled when the state moves on). */
  retryKey?: string;
}

/** Why a rollout needs attention: it decides what `resume` does (see canary/attention.ts). */
export type AttentionCause =
  | 'effect-failed' // retries exhausted: resume re-emits the effect
  | 'traffic-mismatch' // Cloud Run reports another split than asked: resume asks again
  | 'approval-expired' // resume asks for approval again
  | 'checks-error' // a check could not be run: resume runs the checks again
  | 'gates' // the judge found a gate nobody is watching: resume restarts the watch window
  | 'inconclusive' // no gate could judge the window: resume accepts the stage and goes on
  | 'gate-failed' // a gate failed and the policy asks for one click: only rollback (or abort) goes on
  | 'advisory-failed' // an advisory gate failed: one click, continue (resume, an approver's) or roll back
  | 'rollback' // the rollback procedure is stuck: resume retries its step
  | 'rollback-checks'; // terminal: rolled back, but the checks on the stable revision failed

/** People must decide: why (the cause decides what resume does), since when, and what to tell them. */
export interface Attention<Cause extends AttentionCause = AttentionCause> {
  kind: 'attention';
  cause: Cause;
  reason: string;
  at: string;
}

/** A pause holds one of the two waits; deploys, checks and traffic changes finish first. */
export type PausedFrom = Extract<RolloutStatus, 'awaiting-approval' | 'watching'>;

/**
 * What holds a canary, and where `resume` goes back to. One field, so a rollout is paused or needs
 * attention, never both: needing attention while paused (an evaluation in flight failed) ends the pause,
 * and keeps the status the pause was taken from. The hold stays on a record that ended held (aborted
 * before any traffic moved, stopped while its rollback was stuck); 'rollback-checks' is set as it ends.
 */
export type CanaryHold =
  // `at` and `by`: who paused it and when (resuming extends the watch window by the paused time).
  | { kind: 'paused'; from: PausedFrom; at: string; by: string }
  // `from`: the status it stopped in, where resuming after a failed effect goes back to.
  | (Attention & { from: RolloutStatus });

/** What holds a standalone rollback: a stuck step ('rollback'), or failing checks after it ('rollback-checks'). */
export type RollbackHold = Attention<'rollback' | 'rollback-checks'>;

/**
 * The post-promotion watch (config `postPromotion`): the stage after 100 %, the last of `stages`. The new
 * revision serves everything; the previous one is kept warm under a revision tag, and the gates compare the
 * new revision with the previous revision's metrics over the window before it stopped serving.
 */
export interface PostPromotionProgress {
  /** Index of its stage in `stages` (the last one). */
  stage: number;
  /** The revision that served before the promotion: a failing gate rolls back to it. */
  previousRevision?: string;
  /** The window of the previous revision's metrics the gates compare with: up to when it stopped serving. */
  baseline?: { start: string; end: string };
  /** The tag asked for on the previous revision (released at the end even if its answer never came). */
  tagAsked?: string;
  /** The tag keeping the previous revision warm, as Cloud Run reported it (url: the tag's own URL). */
  warm?: { tag: string; revision: string; url?: string; at: string };
  /** Why the previous revision could not be tagged: the watch went on without it. */
  warmFailed?: string;
  /** When the tag was removed as the watch ended, or why it could not be (left for people). */
  released?: { at: string };
  releaseFailed?: string;
  /** A person ended the watch before its window did (/canary done). */
  endedEarly?: { by: string; at: string; reason?: string };
}

export interface CanaryState {
  kind: 'canary';
  id: string;
  service: string;
  env: string;
  image: string;
  /** The image tag asked for, e.g. v1.42.0. */
  tag: string;
  requestedBy: string;
  dryRun: boolean;
  status: RolloutStatus;
  /** Why it stands still (paused, or needs attention) and where `resume` goes back to. */
  hold?: CanaryHold;
  /** The preconditions checked before stage A (seeds 000, 001), each with its result. */
  preconditions?: GateResult[];
  /** The image as asked (`<repo>:<tag>`), when `image` became its digest after the preconditions. */
  imageRequested?: string;
  /** An admin started it without the GO its environment requires (requireGo), with this reason. */
  goOverride?: { by: string; reason: string; at: string };
  /** Admins let it go on during scheduled freeze windows (at its start, or while it ran), with a reason. */
  freezeOverrides?: FreezeOverride[];
  /** Set by an admin's promote-now: no more approval waits or watch windows; gates still run once. */
  promoteNow?: { by: string; at: string };
  /** Set by an abort: the rollout ends `aborted` (after returning traffic to stable if it had any). */
  aborted?: { by: string; reason?: string; at: string };
  /** Index into the runbook's stages. */
  stage: number;
  stages: StageProgress[];
  stableRevision?: string;
  canaryRevision?: string;
  canaryUrl?: string;
  trafficBefore?: Split;
  trafficNow?: Split;
  /** Prometheus values captured before the change, by gate name. */
  before?: Record<string, number>;
  /** The effect in flight that may fail and be retried. */
  pending?: Pending;
  rollback?: RollbackState;
  /** Set when the runbook has a post-promotion stage. */
  postPromotion?: PostPromotionProgress;
  timeline: TimelineEntry[];
  startedAt: string;
  endedAt?: string;
}

/** A manual /rollback with no rollout active: its own record, lock kind 'rollback'. */
export interface StandaloneRollbackState {
  kind: 'rollback';
  id: string;
  service: string;
  env: string;
  requestedBy: string;
  dryRun: boolean;
  status: 'rolling-back' | 'needs-attention' | 'rolled-back' | 'failed';
  rollback: RollbackState;
  /** The effect in flight that may fail and be retried. */
  pending?: Pending;
  /** Set while it needs attention, or when it ended with something still open (failing rollback checks). */
  hold?: RollbackHold;
  timeline: TimelineEntry[];
  startedAt: string;
  endedAt?: string;
}

// The state of a production stream cutover train (seed 004): one record, its steps in order, each with
// what it observed. The train is sequential, as the seed's script is: one step runs at a time.

export type CutoverStepName =
  | 'pre-smoke' // stream contract smokes on both aliases, before anything changes
  | 'approval' // a live train waits for the environment's approvals before its first change
  | 'route-flip' // the route split: read, flipped (--apply-route-flip), read back
  | 'post-smoke' // the same smokes, after the flip
  | 'canary-drill' // traffic to stable, verified; back to the split found, verified
  | 'dual-run' // the same streams from the Rust and the legacy base URL, compared
  | 'error-budget' // the SLO's consumed error budget (Cloud Monitoring, or given by the operator)
  | 'hard-gates' // the seed's thresholds over everything observed
  | 'flip-back'; // a failed train that flipped the route puts it back

export type TrainStepStatus = 'pending' | 'running' | 'passed' | 'failed' | 'skipped';
export type CutoverStepStatus = TrainStepStatus;

/** One step of a train (a stream cutover, a flag canary): its status, what it observed, its own log. */
export interface TrainStep<Name extends string = string> {
  name: Name;
  status: TrainStepStatus;
  startedAt?: string;
  endedAt?: string;
  /** Gate results of the step (smokes, route verification, comparisons, the latest watch tick). */
  results: GateResult[];
  /** What failed in it (a cutover counts them against its hard gate). */
  failures: number;
  /** The step's own log: what was done and what came back. */
  log: TimelineEntry[];
}

export type CutoverStep = TrainStep<CutoverStepName>;

/** One of the seed's hard gates: a count (or a percent) against its most. */
export interface HardGate {
  name:
    | 'route-flip-failures'
    | 'stream-smoke-failures'
    | 'canary-drill-failures'
    | 'dual-run-failures'
    | 'error-budget-consumed';
  status: 'pass' | 'fail' | 'error';
  /** Absent when it could not be measured (an SLO that could not be read). */
  observed?: number;
  unit: 'failures' | '%';
  /** The most allowed. */
  max: number;
  evidence: string;
}

export interface ErrorBudgetReading {
  source: 'slo' | 'operator' | 'assumed';
  consumedPercent?: number;
  slo?: string;
  goal?: number;
  period?: string;
  /** Why it could not be read. */
  error?: string;
}

/** What holds a train: an expired approval request, or a flip-back that failed its retries. */
export type CutoverHold = Attention<'approval-expired' | 'rollback'>;

export interface StreamCutoverState {
  kind: 'stream-cutover';
  id: string;
  service: string;
  env: string;
  requestedBy: string;
  dryRun: boolean;
  status: RolloutStatus;
  hold?: CutoverHold;
  pending?: Pending;
  stableRevision: string;
  canaryRevision: string;
  applyRouteFlip: boolean;
  /** --dual-run <legacy-url>: the legacy stack's base URL. */
  legacyUrl?: string;
  /** --error-budget-consumed: the operator's observed percent (when the config names no SLO). */
  errorBudgetGiven?: number;
  steps: CutoverStep[];
  /** Index of the running step. */
  step: number;
  approvals: Approval[];
  approvalRequestedAt?: string;
  approvalExpiresAt?: string;
  approvalRequests?: number;
  route?: {
    /** The override before the train touched it (null: none). */
    before?: string | null;
    /** The flip was asked for: a failed train flips back. */
    flipped?: boolean;
    flippedBack?: boolean;
  };
  drill?: { found?: Split; phase?: 'to-stable' | 'restore' };
  errorBudget?: ErrorBudgetReading;
  hardGates?: HardGate[];
  verdict?: 'passed' | 'failed';
  aborted?: { by: string; at: string; reason?: string };
  /** Admins let it go on during scheduled freeze windows, with a reason. */
  freezeOverrides?: FreezeOverride[];
  timeline: TimelineEntry[];
  startedAt: string;
  endedAt?: string;
}

// The feature-flag canary of seed 003, as one train of steps like the cutover's.
export type FlagStepName =
  | 'prerequisites' // sign-offs (checked at start), shadow-run and health gates
  | 'flags-before' // the flags' current values, read from their backend
  | 'baseline' // the triggers' values before the change (Prometheus)
  | 'approval' // where the environment asks for it, before the flags go on
  | 'flags-on' // the flags set, read back
  | 'smoke' // an http gate, or a Cloud Run job's exit code
  | 'watch' // the triggers every interval through the watch window
  | 'flags-off'; // on a breach (or a person's rollback): the flags back as they were, read back

export type FlagStep = TrainStep<FlagStepName>;

/** A flag canary's record: `mode` off is `/flag off` with no canary running, the flags-off step alone. */
export interface FlagCanaryState {
  kind: 'flag-canary';
  id: string;
  service: string;
  env: string;
  requestedBy: string;
  dryRun: boolean;
  status: RolloutStatus;
  hold?: Attention<'approval-expired' | 'rollback'>;
  pending?: Pending;
  /** The flag set: the runbook's name in the config (the seed's canary config). */
  config: string;
  mode: 'canary' | 'off';
  flags: string[];
  watchMs: number;
  intervalMs: number;
  steps: FlagStep[];
  step: number;
  /** The sign-offs the flags that need one had when it started. */
  signoffs: { flag: string; by: string; at: string; expiresAt: string; evidence: string }[];
  flagsBefore?: { values: Record<string, boolean | undefined>; version: string; where: string };
  flagsAfter?: { values: Record<string, boolean | undefined>; version: string; where: string };
  /** As read back once the flags-off step set them back. */
  flagsOff?: { values: Record<string, boolean | undefined>; version: string; where: string };
  /** What undoes the change (cloud-run-env: the revision that served before). */
  restore?: string;
  /** The triggers' values before the flags went on, by gate name. */
  before?: Record<string, number>;
  approvals: Approval[];
  approvalRequestedAt?: string;
  approvalExpiresAt?: string;
  approvalRequests?: number;
  /** The smoke's return code: 0 passed, 1 failed (an http gate), the job's exit code; null: not run. */
  smokeReturnCode?: number | null;
  windowStart?: string;
  windowEndsAt?: string;
  /** Every watch tick's results, in order. */
  ticks: GateResult[][];
  /** Said in the thread and the report: Prometheus unreachable (the watch went on), and the like. */
  warnings: string[];
  rollback?: {
    trigger: 'trigger' | 'smoke' | 'manual' | 'prometheus';
    reason: string;
    at: string;
    by?: string;
  };
  verdict?: 'passed' | 'failed';
  aborted?: { by: string; at: string; reason?: string };
  /** Admins let it go on during scheduled freeze windows, with a reason. */
  freezeOverrides?: FreezeOverride[];
  timeline: TimelineEntry[];
  startedAt: string;
  endedAt?: string;
}

export type RunbookState = CanaryState | StandaloneRollbackState | StreamCutoverState | FlagCanaryState;

// Events: what happened. Effect outcomes carry what the platform reported, never what was assumed.
export type RunbookEvent =
  | { type: 'start'; at: string }
  | {
      type: 'deployed';
      at: string;
      revision: string;
      stableRevision: string;
      canaryUrl?: string;
      traffic: Split;
    }
  | { type: 'before-captured'; at: string; values: Record<string, number> }
  | { type: 'traffic-set'; at: string; traffic: Split }
  | { type: 'route-overridden'; at: string; target: string; override?: string | null }
  /** The route split's override as read (null: none). */
  | { type: 'route-read'; at: string; override: string | null; mode: string }
  /** The split Cloud Run reports, read without changing it. */
  | { type: 'traffic-read'; at: string; traffic: Split }
  | { type: 'dual-run-done'; at: string; results: GateResult[] }
  | { type: 'error-budget-read'; at: string; budget: ErrorBudget }
  | { type: 'flags-read'; at: string; reading: FlagReading }
  | { type: 'flags-set'; at: string; result: FlagSetResult }
  | { type: 'job-done'; at: string; job: string; run: JobRun }
  /** Before stage A: each precondition's result; `blocking` names the required ones that did not pass. */
  | {
      type: 'preconditions-done';
      at: string;
      results: GateResult[];
      blocking: string[];
      /** The image by digest, when its tag resolved. */
      image?: string;
    }
  | { type: 'checks-done'; at: string; results: GateResult[] }
  | { type: 'tick'; at: string; stage: number }
  | { type: 'gates-done'; at: string; stage: number; results: GateResult[] }
  /** Already checked against the approval policy's "who" by the caller; the runbook checks the rest. */
  | { type: 'approve'; at: string; userId: string; stage: number }
  | { type: 'approval-expired'; at: string; stage: number }
  | { type: 'abort'; at: string; by: string; reason?: string }
  | { type: 'pause'; at: string; by: string }
  /** `advisory`: the click on an advisory gate's ask (stage, ask index): refused unless that ask is open. */
  | { type: 'resume'; at: string; by: string; advisory?: AskRef }
  | { type: 'promote-now'; at: string; by: string }
  /** A person ends the post-promotion watch now (/canary done): the rollout is done, the previous revision released. */
  | { type: 'end-watch'; at: string; by: string; reason?: string }
  /** The tag is on `revision` now (absent: the tag is gone), as Cloud Run reports it. */
  | { type: 'revision-tagged'; at: string; tag: string; revision?: string; url?: string }
  | {
      type: 'rollback';
      at: string;
      by: string;
      reason: string;
      toRevision?: string;
      mode?: RollbackState['mode'];
      advisory?: AskRef;
    }
  | { type: 'effect-failed'; at: string; effect: Effect['type']; error: string; retryable: boolean }
  | { type: 'retry'; at: string; effect: Effect['type'] }
  | { type: 'report-written'; at: string }
  /** An admin lets the rollout go on during these freeze windows (the engine applies it, for every kind). */
  | { type: 'freeze-override'; at: string; by: string; reason: string; windows: FreezeWindow[] };

/** Abstract notifications; src/blocks turns them into Slack messages. The engine knows no Block Kit. */
export type Notification =
  | { kind: 'rollout-started' }
  | { kind: 'stage-started'; stage: number }
  | { kind: 'approval-requested'; stage: number; required: number; expiresAt: string }
  | { kind: 'approval-recorded'; stage: number; userId: string; count: number; required: number }
  | { kind: 'checks'; stage: number; results: GateResult[] }
  | {
      kind: 'gates';
      stage: number;
      tick: number;
      results: GateResult[];
      verdict: StageVerdict;
      /** Set once a stage, at the first tick that foresees it: the window cannot decide at this traffic. */
      cannotDecide?: GateWait;
    }
  | { kind: 'stage-passed'; stage: number }
  | { kind: 'paused'; by: string }
  | { kind: 'resumed'; by: string }
  | { kind: 'needs-attention'; reason: string }
  | { kind: 'rolling-back'; reason: string; trigger: RollbackState['trigger'] }
  | { kind: 'rolled-back' }
  | { kind: 'promoted' }
  | { kind: 'aborted'; by: string; reason?: string }
  /** Stage A's checks failed on the no-traffic revision: nothing served it, so nothing to roll back. */
  | { kind: 'failed'; reason: string }
  | { kind: 'promote-now'; by: string }
  /** Promoted, and the post-promotion watch begins (its stage's traffic is 100 % already). */
  | { kind: 'post-promotion'; previousRevision: string; watchMs: number; tag?: string }
  /** A person ended the post-promotion watch early. */
  | { kind: 'watch-ended'; by: string; reason?: string }
  /** The preconditions checked before anything is deployed, each with its result. */
  | { kind: 'preconditions'; results: GateResult[]; blocking: string[] }
  /** A step of a cutover train began or ended: its message in the thread shows where it stands. */
  | { kind: 'train-step'; step: number }
  /** An admin let the rollout go on during freeze windows (its last override). */
  | { kind: 'freeze-override'; by: string };

/** Timers are BullMQ delayed jobs with deterministic ids (`${rolloutId}:${timer}:${key}`): duplicates collapse. */
export type Timer = 'tick' | 'approval-expiry' | 'retry';

// Effects: what the executor must do. Each names everything it needs; none reads state behind its back.
export type Effect =
  | { type: 'deploy'; image: string; tag: string }
  | { type: 'capture-before'; gates: string[] }
  /** Reconcile: read what Cloud Run reports, then set exactly this split if it differs. */
  | { type: 'set-traffic'; stable: string; canary: string; canaryPercent: number }
  | { type: 'rollback-traffic'; toRevision: string }
  | { type: 'route-override'; target: string }
  | { type: 'route-status' }
  /** `update-traffic --set-tags tag=revision`, or `--remove-tags tag` without a revision; the split stays. */
  | { type: 'tag-revision'; tag: string; revision?: string }
  | { type: 'read-traffic' }
  /** Reconcile to exactly this split (a drill puts back the split it found). */
  | { type: 'set-split'; split: Split }
  /** The same stream requests to the service's URL and the legacy base URL, compared. */
  | { type: 'dual-run'; gates: string[]; legacyUrl: string }
  | { type: 'read-error-budget'; slo: string }
  | { type: 'read-flags' }
  /** Before anything is deployed: the image in Artifact Registry, the service, the right to deploy, its env. */
  | { type: 'check-preconditions'; image: string }
  /** Runs a Cloud Run job of the service environment to its end (a flag canary's smoke). */
  | { type: 'run-job'; job: string; timeoutMs: number }
  /** The flag set's flags to these values (restore: undo an earlier change, e.g. the revision before). */
  | { type: 'set-flags'; values: Record<string, boolean>; restore?: string }
  | {
      type: 'evaluate';
      phase: 'checks' | 'gates' | 'rollback-checks';
      stage: number;
      gates: string[];
      window: { start: string; end: string };
      /** A fast tick: only the gates' fast signals (the error-rate gate's request-log count). */
      fast?: true;
    }
  | { type: 'schedule'; timer: Timer; at: string; key: string; event: RunbookEvent }
  | { type: 'cancel'; timer: Timer; key: string }
  | { type: 'notify'; notification: Notification }
  | { type: 'open-incident'; failedStage?: string; symptom: string; revisions: { from?: string; to: string } }
  | { type: 'release-lock' }
  | { type: 'write-report' };

/** One line of a dry-run's plan: an effect the runbook asked for, in order. */
export interface PlanEntry {
  /** Position in the plan, from 1. */
  n: number;
  /** The time of the event whose step asked for it. */
  at: string;
  /** The event that led to it. */
  after: string;
  effect: Effect;
}

export interface StepResult<S = RunbookState> {
  state: S;
  effects: Effect[];
  /** Set when the event was refused (stale stage, already decided, not allowed now): nothing changed. */
  refused?: string;
}

/** What a runbook needs besides state and event: its definition (pinned when it started) and the policy. */
export interface StepContext<Definition = CanaryRunbook> {
  runbook: Definition;
  policy: RunbookPolicy;
}
