import type { StreamCutoverRunbook } from '../../config/runbooks.ts';
import type { GateResult } from '../../gates/result.ts';
import { ask, type Draft, draft, effectFailed, redo, retry, settle } from '../in-flight.ts';
import { overrideTargetOf } from '../ports/route-split.ts';
import { isTerminalStatus } from '../status.ts';
import { note } from '../timeline.ts';
import { formatSplit, sameSplit } from '../traffic.ts';
import {
  approvalExpired,
  approvalExpiryKey,
  approve,
  currentStep,
  newStep,
  notify,
  notifyStep,
  outcomeOf,
  requestApproval,
  stepLog,
  stepNote,
} from '../train.ts';
import type { RunbookEvent, StepContext, StepResult } from '../types.ts';
import { breached, judgeHardGates } from './hard-gates.ts';
import type { CutoverStep, CutoverStepName, StreamCutoverState } from './types.ts';

// The production stream cutover train of seed 004, as one pure step function. Its steps run in order:
//
//   pre-smoke     the stream contract smokes (sse-contract gates) on both aliases
//   approval      live trains only: the environment's approvals, before the first change
//   route-flip    read the route split; with --apply-route-flip override it to the runbook's target; then
//                 its verify gates read it back (route-split evaluate answers the target)
//   post-smoke    the smokes again
//   canary-drill  read the split; 100 % to the stable revision, verified; back to the split found, verified
//   dual-run      with --dual-run: the smokes' requests to the service and the legacy base URL, compared
//   error-budget  the SLO's consumed error budget, or the operator's --error-budget-consumed
//   hard-gates    the seed's thresholds over all of it: the train passes or fails
//   flip-back     a failed (or aborted) train that flipped the route puts back the override it found
//
// A step whose failures already exceed its hard gate stops the train there (the rest is skipped): a smoke
// that fails before the flip must not be followed by the flip. A failed effect is retried by the policy,
// then counts as a failure of its step; only a flip-back that cannot be done needs people.

type D = Draft<StreamCutoverState>;
type Ev<T extends RunbookEvent['type']> = Extract<RunbookEvent, { type: T }>;
type Ctx = StepContext<StreamCutoverRunbook>;
type Outcome = string | undefined;

export interface CutoverInput {
  stableRevision: string;
  canaryRevision: string;
  applyRouteFlip: boolean;
  legacyUrl?: string;
  errorBudgetConsumed?: number;
}

export function newCutover(
  base: Pick<StreamCutoverState, 'id' | 'service' | 'env' | 'requestedBy' | 'dryRun'> & { at: string },
  input: CutoverInput,
  runbook: StreamCutoverRunbook,
): StreamCutoverState {
  const names: CutoverStepName[] = [
    'pre-smoke',
    ...(base.dryRun || !runbook.approval ? [] : (['approval'] as const)),
    'route-flip',
    'post-smoke',
    'canary-drill',
    ...(input.legacyUrl === undefined ? [] : (['dual-run'] as const)),
    'error-budget',
    'hard-gates',
  ];
  const { at, ...rest } = base;
  return {
    kind: 'stream-cutover',
    ...rest,
    status: 'checking',
    stableRevision: input.stableRevision,
    canaryRevision: input.canaryRevision,
    applyRouteFlip: input.applyRouteFlip,
    ...(input.legacyUrl === undefined ? {} : { legacyUrl: input.legacyUrl }),
    ...(input.errorBudgetConsumed === undefined ? {} : { errorBudgetGiven: input.errorBudgetConsumed }),
    steps: names.map(newStep),
    step: 0,
    approvals: [],
    timeline: [],
    startedAt: at,
  };
}

const current = (s: StreamCutoverState): CutoverStep => currentStep(s);
const log = stepLog;

export function cutoverStep(
  state: StreamCutoverState,
  event: RunbookEvent,
  ctx: Ctx,
): StepResult<StreamCutoverState> {
  if (isTerminalStatus(state.status))
    return { state, effects: [], refused: `the train has ended (${state.status})` };
  const d = draft(state);
  const refused = handle(d, event, ctx);
  if (refused !== undefined) return { state, effects: [], refused };
  return { state: d.s, effects: d.effects };
}

function handle(d: D, e: RunbookEvent, ctx: Ctx): Outcome {
  const s = d.s;
  switch (e.type) {
    case 'start':
      if (s.timeline.length > 0) return 'the train has started already';
      note(
        s,
        e.at,
        `stream cutover ${s.stableRevision} -> ${s.canaryRevision}${s.dryRun ? ' (dry-run)' : ''}`,
        s.requestedBy,
      );
      notify(d, { kind: 'rollout-started' });
      begin(d, ctx, e.at);
      return undefined;
    case 'checks-done':
      return checksDone(d, e, ctx);
    case 'route-read':
      return routeRead(d, e, ctx);
    case 'route-overridden':
      return routeOverridden(d, e, ctx);
    case 'traffic-read':
      return trafficRead(d, e);
    case 'traffic-set':
      return trafficSet(d, e, ctx);
    case 'dual-run-done':
      return outcomeOf(d, 'dual-run', 'dual-run', () => {
        record(d, e.at, e.results, 'compared');
        finish(d, ctx, e.at);
      });
    case 'error-budget-read':
      return outcomeOf(d, 'error-budget', 'read-error-budget', () => {
        const b = e.budget;
        s.errorBudget = {
          source: 'slo',
          consumedPercent: b.consumedPercent,
          slo: b.slo,
          goal: b.goal,
          period: b.period,
        };
        log(
          d,
          e.at,
          `SLO ${b.displayName ?? b.slo}: ${b.consumedPercent} % of the error budget consumed (${b.period})`,
        );
        finish(d, ctx, e.at);
      });
    case 'approve':
      return approve(d, e, ctx.policy, 'train', () => finish(d, ctx, e.at));
    case 'approval-expired':
      return approvalExpired(d, e, ctx.policy);
    case 'abort':
      return abort(d, e, ctx);
    case 'resume':
      return resume(d, e, ctx);
    case 'effect-failed':
      return failedEffect(d, e, ctx);
    case 'retry':
      return retry(d, e);
    case 'pause':
    case 'promote-now':
    case 'rollback':
      return `a stream cutover train cannot ${e.type === 'promote-now' ? 'promote now' : e.type}: abort it (a flipped route is flipped back)`;
    default:
      return `${e.type} does not apply to a stream cutover train`;
  }
}

/** Start the step at s.step: what it asks for first. */
function begin(d: D, ctx: Ctx, at: string): void {
  const s = d.s;
  const step = current(s);
  if (s.aborted && !['error-budget', 'hard-gates', 'flip-back'].includes(step.name)) {
    stopHere(d, ctx, at, `aborted by ${s.aborted.by}`);
    return;
  }
  step.status = 'running';
  step.startedAt = at;
  notifyStep(d);
  switch (step.name) {
    case 'pre-smoke':
    case 'post-smoke':
      s.status = 'checking';
      evaluate(d, ctx.runbook.smokes, at);
      return;
    case 'approval':
      requestApproval(d, ctx.policy, at, 'the first change');
      return;
    case 'route-flip':
      s.status = 'shifting';
      ask(d, { type: 'route-status' });
      return;
    case 'canary-drill':
      s.status = 'shifting';
      s.drill = {};
      ask(d, { type: 'read-traffic' });
      return;
    case 'dual-run':
      s.status = 'checking';
      ask(d, { type: 'dual-run', gates: ctx.runbook.smokes, legacyUrl: s.legacyUrl ?? '' });
      return;
    case 'error-budget': {
      s.status = 'checking';
      const slo = ctx.runbook.errorBudget.slo;
      if (slo !== undefined) {
        ask(d, { type: 'read-error-budget', slo });
        return;
      }
      s.errorBudget =
        s.errorBudgetGiven === undefined
          ? { source: 'assumed', consumedPercent: 0 }
          : { source: 'operator', consumedPercent: s.errorBudgetGiven };
      log(
        d,
        at,
        `error budget consumed: ${s.errorBudget.consumedPercent} % (${s.errorBudget.source === 'operator' ? 'given by the operator' : 'not given: 0 assumed for a dry-run'})`,
      );
      finish(d, ctx, at);
      return;
    }
    case 'hard-gates':
      judge(d, ctx, at);
      return;
    case 'flip-back':
      flipBack(d, at);
      return;
  }
}

function evaluate(d: D, gates: string[], at: string): void {
  ask(d, { type: 'evaluate', phase: 'checks', stage: d.s.step, gates, window: { start: at, end: at } });
}

/** Count what did not pass (a skipped smoke is a smoke that did not run: a failure of a live train). */
function record(d: D, at: string, results: GateResult[], what: string): void {
  const step = current(d.s);
  step.results.push(...results);
  const failed = results.filter((r) => r.status !== 'pass');
  step.failures += failed.length;
  log(
    d,
    at,
    `${results.length - failed.length} of ${results.length} ${what}${failed.length ? `; not passed: ${failed.map((r) => `${r.gate} (${r.status})`).join(', ')}` : ''}`,
  );
}

/** The step is done: passed when nothing in it failed. Next: the following step, or the verdict. */
function finish(d: D, ctx: Ctx, at: string): void {
  const s = d.s;
  const step = current(s);
  step.status = step.failures > 0 ? 'failed' : 'passed';
  step.endedAt = at;
  notifyStep(d);
  if (step.name === 'hard-gates') return;
  if (step.name === 'flip-back') {
    end(d, at);
    return;
  }
  if (breached(s, ctx.runbook, step.name)) {
    stopHere(d, ctx, at, `${step.name} failed beyond its hard gate`);
    return;
  }
  s.step += 1;
  begin(d, ctx, at);
}

/**
 * Skip the changes and checks left, and go to the verdict. The error budget is still read (a read changes
 * nothing, and the report then holds every hard gate measured); a train stopped at it or past it judges.
 */
function stopHere(d: D, ctx: Ctx, at: string, why: string): void {
  const s = d.s;
  note(s, at, `the train stops: ${why}`);
  const budgetAt = s.steps.findIndex((st) => st.name === 'error-budget');
  const verdictAt = s.steps.findIndex((st) => st.name === 'hard-gates');
  const next = budgetAt > s.step ? budgetAt : verdictAt;
  for (let i = s.step; i < next; i++) {
    const st = s.steps[i] as CutoverStep;
    if (st.status === 'pending' || st.status === 'running') {
      st.status = 'skipped';
      stepNote(st, at, `skipped: ${why}`);
      notifyStep(d, i);
    }
  }
  s.step = next;
  begin(d, ctx, at);
}

function judge(d: D, ctx: Ctx, at: string): void {
  const s = d.s;
  const gates = judgeHardGates(s, ctx.runbook);
  s.hardGates = gates;
  const failing = gates.filter((g) => g.status !== 'pass');
  s.verdict = failing.length === 0 && !s.aborted ? 'passed' : 'failed';
  const step = current(s);
  step.failures = failing.length;
  log(
    d,
    at,
    failing.length === 0
      ? 'every hard gate passed'
      : `hard gates not passed: ${failing.map((g) => g.name).join(', ')}`,
  );
  finish(d, ctx, at);
  if (s.verdict === 'failed' && s.route?.flipped && !s.route.flippedBack) {
    s.steps.push(newStep('flip-back'));
    s.step = s.steps.length - 1;
    begin(d, ctx, at);
    return;
  }
  end(d, at);
}

function flipBack(d: D, at: string): void {
  const s = d.s;
  s.status = 'rolling-back';
  const target = overrideTargetOf(s.route?.before ?? null);
  log(
    d,
    at,
    `the route was flipped in this train: putting back ${s.route?.before ?? 'no override'} (override ${target})`,
  );
  ask(d, { type: 'route-override', target });
}

function end(d: D, at: string): void {
  const s = d.s;
  s.status = s.aborted ? 'aborted' : s.verdict === 'passed' ? 'promoted' : 'failed';
  s.endedAt = at;
  note(
    s,
    at,
    s.status === 'promoted'
      ? 'cutover passed every hard gate'
      : s.status === 'aborted'
        ? 'train aborted'
        : 'cutover failed its hard gates',
  );
  if (s.status === 'promoted') notify(d, { kind: 'promoted' });
  else if (s.status === 'aborted')
    notify(d, {
      kind: 'aborted',
      by: s.aborted?.by ?? 'someone',
      ...(s.aborted?.reason ? { reason: s.aborted.reason } : {}),
    });
  else notify(d, { kind: 'failed', reason: failureWords(s) });
  d.effects.push({ type: 'write-report' }, { type: 'release-lock' });
}

function failureWords(s: StreamCutoverState): string {
  const failing = (s.hardGates ?? []).filter((g) => g.status !== 'pass').map((g) => g.name);
  const back = s.route?.flippedBack ? '; the route was flipped back' : '';
  return `hard gates not passed: ${failing.join(', ') || 'none'}${back}`;
}

function checksDone(d: D, e: Ev<'checks-done'>, ctx: Ctx): Outcome {
  const s = d.s;
  const name = current(s).name;
  if (s.pending?.effect !== 'evaluate' || !['pre-smoke', 'post-smoke', 'route-flip'].includes(name))
    return `no checks in flight (the train is at ${name})`;
  settle(d);
  record(
    d,
    e.at,
    e.results,
    name === 'route-flip' ? 'route checks answered the target' : 'stream smokes passed',
  );
  finish(d, ctx, e.at);
  return undefined;
}

function routeRead(d: D, e: Ev<'route-read'>, ctx: Ctx): Outcome {
  const s = d.s;
  const name = current(s).name;
  if (name !== 'route-flip' || s.pending?.effect !== 'route-status')
    return `no route read in flight (the train is at ${name})`;
  settle(d);
  s.route = { ...s.route, before: e.override };
  log(d, e.at, `route split: mode ${e.mode}, override ${e.override ?? 'none'}`);
  if (s.applyRouteFlip) {
    s.route.flipped = true;
    log(d, e.at, `flipping the route: override ${ctx.runbook.route.target}`);
    ask(d, { type: 'route-override', target: ctx.runbook.route.target });
    return undefined;
  }
  log(d, e.at, 'verify only (no --apply-route-flip): the route is left as it is');
  verifyRoute(d, ctx, e.at);
  return undefined;
}

function verifyRoute(d: D, ctx: Ctx, at: string): void {
  const gates = ctx.runbook.route.verify;
  if (gates.length === 0) {
    log(d, at, 'no route verify gates in the runbook: nothing to read back');
    finish(d, ctx, at);
    return;
  }
  evaluate(d, gates, at);
}

function routeOverridden(d: D, e: Ev<'route-overridden'>, ctx: Ctx): Outcome {
  const s = d.s;
  const name = current(s).name;
  if ((name !== 'route-flip' && name !== 'flip-back') || s.pending?.effect !== 'route-override')
    return `no route change in flight (the train is at ${name})`;
  settle(d);
  const now = e.override === undefined ? '' : `; the split reports override ${e.override ?? 'none'}`;
  if (name === 'flip-back') {
    s.route = { ...s.route, flippedBack: true };
    log(d, e.at, `route flipped back: ${e.target}${now}`);
    note(s, e.at, `route flipped back (${e.target})`);
    finish(d, ctx, e.at);
    return undefined;
  }
  log(d, e.at, `route overridden: ${e.target}${now}`);
  verifyRoute(d, ctx, e.at);
  return undefined;
}

function trafficRead(d: D, e: Ev<'traffic-read'>): Outcome {
  const s = d.s;
  if (current(s).name !== 'canary-drill' || s.pending?.effect !== 'read-traffic')
    return `no traffic read in flight (the train is at ${current(s).name})`;
  settle(d);
  s.drill = { found: e.traffic, phase: 'to-stable' };
  log(d, e.at, `traffic found: ${formatSplit(e.traffic)}; drill: 100 % to ${s.stableRevision}`);
  ask(d, { type: 'rollback-traffic', toRevision: s.stableRevision });
  return undefined;
}

function trafficSet(d: D, e: Ev<'traffic-set'>, ctx: Ctx): Outcome {
  const s = d.s;
  const phase = s.drill?.phase;
  const wanted = phase === 'to-stable' ? 'rollback-traffic' : 'set-split';
  if (current(s).name !== 'canary-drill' || phase === undefined || s.pending?.effect !== wanted)
    return `no drill traffic change in flight (the train is at ${current(s).name})`;
  settle(d);
  const step = current(s);
  const found = s.drill?.found ?? {};
  if (phase === 'to-stable') {
    const ok = sameSplit(e.traffic, { [s.stableRevision]: 100 });
    if (!ok) step.failures += 1;
    log(
      d,
      e.at,
      `${ok ? 'verified' : 'NOT verified'}: Cloud Run reports ${formatSplit(e.traffic)}${ok ? '' : `, expected 100 % on ${s.stableRevision}`}; back to ${formatSplit(found)}`,
    );
    s.drill = { found, phase: 'restore' };
    ask(d, { type: 'set-split', split: found });
    return undefined;
  }
  const ok = sameSplit(e.traffic, found);
  if (!ok) step.failures += 1;
  log(
    d,
    e.at,
    `${ok ? 'verified' : 'NOT verified'}: Cloud Run reports ${formatSplit(e.traffic)}${ok ? ', the split found' : `, expected ${formatSplit(found)}`}`,
  );
  finish(d, ctx, e.at);
  return undefined;
}

function resume(d: D, e: Ev<'resume'>, ctx: Ctx): Outcome {
  const s = d.s;
  if (s.status !== 'needs-attention' || s.hold === undefined)
    return `nothing to resume: the train is ${s.status}`;
  const cause = s.hold.cause;
  s.hold = undefined;
  note(s, e.at, 'resumed', e.by);
  notify(d, { kind: 'resumed', by: e.by });
  if (cause === 'approval-expired') {
    requestApproval(d, ctx.policy, e.at, 'the first change');
    return undefined;
  }
  s.status = 'rolling-back';
  if (!redo(d)) flipBack(d, e.at);
  return undefined;
}

function abort(d: D, e: Ev<'abort'>, ctx: Ctx): Outcome {
  const s = d.s;
  if (s.aborted) return `aborted already by ${s.aborted.by}`;
  s.aborted = { by: e.by, at: e.at, ...(e.reason ? { reason: e.reason } : {}) };
  note(s, e.at, `abort${e.reason ? `: ${e.reason}` : ''}`, e.by);
  const name = current(s).name;
  // A flip-back stuck on people: they take over; the record ends with the route as it is.
  if (s.status === 'needs-attention' && s.hold?.cause === 'rollback') {
    s.pending = undefined;
    s.verdict = 'failed';
    end(d, e.at);
    return undefined;
  }
  if (name === 'approval') {
    d.effects.push({ type: 'cancel', timer: 'approval-expiry', key: approvalExpiryKey(s) });
    s.hold = undefined;
    stopHere(d, ctx, e.at, `aborted by ${e.by}`);
  }
  // Otherwise an effect is in flight: the train stops when its outcome arrives (begin sees `aborted`).
  return undefined;
}

function failedEffect(d: D, e: Ev<'effect-failed'>, ctx: Ctx): Outcome {
  const s = d.s;
  const outcome = effectFailed(d, e, ctx.policy);
  if (outcome.kind === 'refused') return outcome.reason;
  if (outcome.kind === 'retrying') {
    log(d, e.at, `${e.effect} failed, retrying: ${e.error}`);
    return undefined;
  }
  const step = current(s);
  if (step.name === 'flip-back') {
    s.status = 'needs-attention';
    const reason = `the route could not be flipped back: ${outcome.reason}. Resume retries; or restore it with /route and abort`;
    s.hold = { kind: 'attention', cause: 'rollback', reason, at: e.at };
    log(d, e.at, reason);
    notify(d, { kind: 'needs-attention', reason });
    return undefined;
  }
  // Anything else that cannot be done is a failure of its step, counted against its hard gate.
  s.pending = undefined;
  if (step.name === 'error-budget') {
    s.errorBudget = {
      source: 'slo',
      ...(ctx.runbook.errorBudget.slo ? { slo: ctx.runbook.errorBudget.slo } : {}),
      error: outcome.reason,
    };
  } else {
    step.failures += 1;
  }
  log(d, e.at, outcome.reason);
  // A drill that moved traffic to stable and cannot move it back leaves stable serving: the safe side.
  finish(d, ctx, e.at);
  return undefined;
}
