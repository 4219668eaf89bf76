import { formatDuration } from '../../config/duration.ts';
import type { FlagCanaryRunbook } from '../../config/flags.ts';
import type { GateResult } from '../../gates/result.ts';
import { ask, type Draft, draft, effectFailed, redo, retry, settle } from '../in-flight.ts';
import { isTerminalStatus } from '../status.ts';
import { addMs, isBefore, note } from '../timeline.ts';
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
} from '../train.ts';
import type {
  FlagCanaryState,
  FlagStep,
  FlagStepName,
  RunbookEvent,
  StepContext,
  StepResult,
} from '../types.ts';

// The feature-flag canary of seed 003 as one pure step function, in the seed's order:
//
//   prerequisites  sign-offs (checked at start and recorded here), then the shadow-run and health gates
//   flags-before   the flags' current values, from their backend
//   baseline       the triggers' values before the change (capture-before: Prometheus)
//   approval       where the runbook asks for it (never in a dry run): the environment's approvals
//   flags-on       every flag on, read back (a sign-off that expired meanwhile stops it first)
//   smoke          an http gate (0 / 1) or a Cloud Run job (its exit code); a failure rolls back
//   watch          the triggers every interval through the window: any-increase rolls back at once, delta
//                  and delta-percent by the judge; Prometheus unreachable warns and goes on (or stops, as
//                  the runbook says)
//   flags-off      on a breach, an abort after flags-on, or a person's rollback: the flags back to the
//                  values they had before, read back. CANARY PASSED when the window ends without a breach.
//
// `/flag off` with no canary running is the same record in mode 'off': the flags-off step alone.

type D = Draft<FlagCanaryState>;
type Ev<T extends RunbookEvent['type']> = Extract<RunbookEvent, { type: T }>;
type Ctx = StepContext<FlagCanaryRunbook>;
type Outcome = string | undefined;

export interface FlagCanaryInput {
  mode: 'canary' | 'off';
  /** --watch: overrides the runbook's window. */
  watchMs?: number;
  signoffs?: FlagCanaryState['signoffs'];
  /** mode off: why (the audit line and the report). */
  reason?: string;
}

export function newFlagCanary(
  base: Pick<FlagCanaryState, 'id' | 'service' | 'env' | 'requestedBy' | 'dryRun'> & {
    at: string;
    config: string;
  },
  input: FlagCanaryInput,
  runbook: FlagCanaryRunbook,
): FlagCanaryState {
  const names: FlagStepName[] =
    input.mode === 'off'
      ? ['flags-before', 'flags-off']
      : [
          'prerequisites',
          'flags-before',
          'baseline',
          ...(base.dryRun || !runbook.approval ? [] : (['approval'] as const)),
          'flags-on',
          ...(runbook.smoke ? (['smoke'] as const) : []),
          'watch',
        ];
  const { at, ...rest } = base;
  return {
    kind: 'flag-canary',
    ...rest,
    status: 'checking',
    mode: input.mode,
    flags: runbook.flags.map((f) => f.name),
    watchMs: input.watchMs ?? runbook.watch,
    intervalMs: runbook.interval,
    steps: names.map(newStep),
    step: 0,
    signoffs: input.signoffs ?? [],
    approvals: [],
    ticks: [],
    warnings: [],
    ...(input.mode === 'off'
      ? {
          rollback: {
            trigger: 'manual' as const,
            reason: input.reason ?? 'flags off by hand',
            at,
            by: base.requestedBy,
          },
        }
      : {}),
    timeline: [],
    startedAt: at,
  };
}

const current = (s: FlagCanaryState): FlagStep => currentStep(s);
const log = stepLog;

export function flagCanaryStep(
  state: FlagCanaryState,
  event: RunbookEvent,
  ctx: Ctx,
): StepResult<FlagCanaryState> {
  if (isTerminalStatus(state.status))
    return { state, effects: [], refused: `the flag canary has ended (${state.status})` };
  const d = draft(state);
  const refused = handle(d, event, ctx);
  if (refused !== undefined) return { state, effects: [], refused };
  return { state: d.s, effects: d.effects };
}

function handle(d: D, e: RunbookEvent, ctx: Ctx): Outcome {
  const s = d.s;
  switch (e.type) {
    case 'start':
      if (s.timeline.length > 0) return 'the flag canary has started already';
      note(
        s,
        e.at,
        s.mode === 'off'
          ? `flags off: ${s.flags.join(', ')}`
          : `flag canary ${s.config}: ${s.flags.join(', ')}, watch ${formatDuration(s.watchMs)}${s.dryRun ? ' (dry-run)' : ''}`,
        s.requestedBy,
      );
      notify(d, { kind: 'rollout-started' });
      begin(d, ctx, e.at);
      return undefined;
    case 'checks-done':
      return checksDone(d, e, ctx);
    case 'flags-read':
      return outcomeOf(d, 'flags-before', 'read-flags', () => {
        s.flagsBefore = e.reading;
        log(d, e.at, `${e.reading.where}: ${valuesText(e.reading.values)}`);
        finish(d, ctx, e.at);
      });
    case 'before-captured':
      return outcomeOf(d, 'baseline', 'capture-before', () => {
        s.before = e.values;
        const named = Object.entries(e.values);
        log(
          d,
          e.at,
          named.length
            ? `baseline: ${named.map(([k, v]) => `${k} ${v}`).join(', ')}`
            : 'baseline: no value captured (Prometheus unreachable or no data): the delta triggers will be inconclusive',
        );
        if (named.length === 0) warn(d, e.at, 'no baseline could be captured from Prometheus');
        finish(d, ctx, e.at);
      });
    case 'flags-set':
      return flagsSet(d, e, ctx);
    case 'job-done':
      return jobDone(d, e, ctx);
    case 'tick':
      return tick(d, e, ctx);
    case 'gates-done':
      return gatesDone(d, e, ctx);
    case 'approve':
      return approve(d, e, ctx.policy, 'flag canary', () => finish(d, ctx, e.at));
    case 'approval-expired':
      return approvalExpired(d, e, ctx.policy);
    case 'abort':
      return abort(d, e, ctx);
    case 'rollback':
      return rollbackAsked(d, e, ctx);
    case 'resume':
      return resume(d, e, ctx);
    case 'effect-failed':
      return failedEffect(d, e, ctx);
    case 'retry':
      return retry(d, e);
    case 'pause':
    case 'promote-now':
      return `a flag canary cannot ${e.type === 'pause' ? 'pause' : 'promote now'}: abort it, or roll it back`;
    default:
      return `${e.type} does not apply to a flag canary`;
  }
}

function valuesText(values: Record<string, boolean | undefined>): string {
  return Object.entries(values)
    .map(([k, v]) => `${k}=${v === undefined ? 'unset' : v}`)
    .join(', ');
}

function warn(d: D, at: string, what: string): void {
  d.s.warnings.push(what);
  log(d, at, `warning: ${what}`);
}

function begin(d: D, ctx: Ctx, at: string): void {
  const s = d.s;
  const step = current(s);
  if (s.aborted && step.name !== 'flags-off') {
    stop(d, ctx, at, `aborted by ${s.aborted.by}`);
    return;
  }
  step.status = 'running';
  step.startedAt = at;
  notifyStep(d);
  const r = ctx.runbook;
  switch (step.name) {
    case 'prerequisites': {
      s.status = 'checking';
      for (const signoff of s.signoffs)
        log(
          d,
          at,
          `sign-off of ${signoff.flag} by ${signoff.by} (${signoff.evidence}), valid until ${signoff.expiresAt}`,
        );
      const gates = [...r.prerequisites.shadowRun, ...r.prerequisites.health];
      if (gates.length === 0) {
        log(d, at, 'no shadow-run or health gate in the runbook');
        finish(d, ctx, at);
        return;
      }
      evaluate(d, gates, at, 'checks');
      return;
    }
    case 'flags-before':
      s.status = s.mode === 'off' ? 'rolling-back' : 'checking';
      ask(d, { type: 'read-flags' });
      return;
    case 'baseline':
      ask(d, { type: 'capture-before', gates: r.triggers });
      return;
    case 'approval':
      requestApproval(d, ctx.policy, at, 'the flags go on');
      return;
    case 'flags-on': {
      const expired = s.signoffs.find((g) => !isBefore(at, g.expiresAt));
      if (expired) {
        step.failures += 1;
        log(d, at, `the sign-off of ${expired.flag} expired at ${expired.expiresAt}: the flags stay off`);
        s.verdict = 'failed';
        step.status = 'failed';
        end(d, at, `the sign-off of ${expired.flag} expired before the flags went on`);
        return;
      }
      s.status = 'shifting';
      ask(d, { type: 'set-flags', values: Object.fromEntries(s.flags.map((f) => [f, true])) });
      return;
    }
    case 'smoke': {
      s.status = 'checking';
      const smoke = r.smoke;
      if (smoke && 'gate' in smoke) evaluate(d, [smoke.gate], at, 'checks');
      else if (smoke) ask(d, { type: 'run-job', job: smoke.job, timeoutMs: smoke.timeout });
      return;
    }
    case 'watch':
      s.status = 'watching';
      s.windowStart = at;
      s.windowEndsAt = addMs(at, s.watchMs);
      log(
        d,
        at,
        `watching ${r.triggers.join(', ')} every ${formatDuration(s.intervalMs)} until ${s.windowEndsAt}`,
      );
      scheduleTick(d, at);
      return;
    case 'flags-off': {
      s.status = 'rolling-back';
      const before = s.flagsBefore?.values ?? {};
      // Back to the values they had before (a flag on before the canary stays on); unknown ones go off.
      const values = Object.fromEntries(
        s.flags.map((f) => [f, s.mode === 'off' ? false : (before[f] ?? false)]),
      );
      log(d, at, `flags off: ${valuesText(values)}${s.restore ? ` (back to ${s.restore})` : ''}`);
      ask(d, { type: 'set-flags', values, ...(s.restore ? { restore: s.restore } : {}) });
      return;
    }
  }
}

function evaluate(d: D, gates: string[], at: string, phase: 'checks' | 'gates'): void {
  const start = phase === 'gates' ? (d.s.windowStart ?? at) : at;
  ask(d, { type: 'evaluate', phase, stage: d.s.step, gates, window: { start, end: at } });
}

function finish(d: D, ctx: Ctx, at: string): void {
  const s = d.s;
  const step = current(s);
  step.status = step.failures > 0 ? 'failed' : 'passed';
  step.endedAt = at;
  notifyStep(d);
  if (step.name === 'flags-off') {
    end(d, at, s.rollback?.reason ?? 'flags off');
    return;
  }
  if (s.step === s.steps.length - 1) {
    s.verdict = 'passed';
    end(d, at, 'CANARY PASSED');
    return;
  }
  s.step += 1;
  begin(d, ctx, at);
}

/** Nothing was changed yet (or the change is undone): skip what is left and end. */
function stop(d: D, ctx: Ctx, at: string, why: string): void {
  const s = d.s;
  for (let i = s.step; i < s.steps.length; i++) {
    const st = s.steps[i] as FlagStep;
    if (st.status === 'pending' || st.status === 'running') {
      st.status = 'skipped';
      st.log.push({ at, what: `skipped: ${why}` });
      notifyStep(d, i);
    }
  }
  if (flagsChanged(s)) {
    rollBack(d, ctx, at, { trigger: 'manual', reason: why, at, ...(s.aborted ? { by: s.aborted.by } : {}) });
    return;
  }
  s.verdict = 'failed';
  end(d, at, why);
}

/** The flags may be on: set-flags was asked for. */
function flagsChanged(s: FlagCanaryState): boolean {
  const on = s.steps.find((st) => st.name === 'flags-on');
  return on !== undefined && on.status !== 'pending' && on.status !== 'skipped';
}

/** A breach, a failed smoke or a person: the flags go back (a flags-off step at the end). */
function rollBack(d: D, ctx: Ctx, at: string, rollback: NonNullable<FlagCanaryState['rollback']>): void {
  const s = d.s;
  if (s.rollback && s.steps.some((st) => st.name === 'flags-off')) return;
  s.rollback = rollback;
  s.verdict = 'failed';
  d.effects.push({ type: 'cancel', timer: 'tick', key: tickKey(s) });
  note(s, at, `rollback: ${rollback.reason}`, rollback.by);
  notify(d, {
    kind: 'rolling-back',
    reason: rollback.reason,
    trigger: rollback.trigger === 'manual' ? 'manual' : 'gate',
  });
  for (let i = s.step; i < s.steps.length; i++) {
    const st = s.steps[i] as FlagStep;
    if (st.status === 'pending') {
      st.status = 'skipped';
      st.log.push({ at, what: `skipped: ${rollback.reason}` });
      notifyStep(d, i);
    } else if (st.status === 'running') {
      st.status = 'failed';
      st.endedAt = at;
      notifyStep(d, i);
    }
  }
  s.steps.push(newStep('flags-off'));
  s.step = s.steps.length - 1;
  begin(d, ctx, at);
}

function end(d: D, at: string, why: string): void {
  const s = d.s;
  const changedBack = s.steps.some((st) => st.name === 'flags-off' && st.status === 'passed');
  s.status =
    s.mode === 'off'
      ? changedBack
        ? 'rolled-back'
        : 'failed'
      : s.verdict === 'passed'
        ? 'promoted'
        : s.aborted
          ? 'aborted'
          : changedBack
            ? 'rolled-back'
            : 'failed';
  s.endedAt = at;
  note(s, at, s.status === 'promoted' ? 'CANARY PASSED' : `CANARY FAILED: ${why}`);
  if (s.status === 'promoted') notify(d, { kind: 'promoted' });
  else if (s.status === 'rolled-back') notify(d, { kind: 'rolled-back' });
  else if (s.status === 'aborted')
    notify(d, {
      kind: 'aborted',
      by: s.aborted?.by ?? 'someone',
      ...(s.aborted?.reason ? { reason: s.aborted.reason } : {}),
    });
  else notify(d, { kind: 'failed', reason: why });
  d.effects.push({ type: 'write-report' }, { type: 'release-lock' });
}

function checksDone(d: D, e: Ev<'checks-done'>, ctx: Ctx): Outcome {
  const s = d.s;
  const name = current(s).name;
  if (s.pending?.effect !== 'evaluate' || (name !== 'prerequisites' && name !== 'smoke'))
    return `no checks in flight (the flag canary is at ${name})`;
  settle(d);
  const step = current(s);
  step.results.push(...e.results);
  const failed = e.results.filter((r) => r.status !== 'pass');
  step.failures += failed.length;
  log(
    d,
    e.at,
    `${e.results.length - failed.length} of ${e.results.length} passed${failed.length ? `; not passed: ${failed.map((r) => `${r.gate} (${r.status})`).join(', ')}` : ''}`,
  );
  if (name === 'smoke') {
    s.smokeReturnCode = failed.length === 0 ? 0 : 1;
    if (failed.length > 0) {
      step.status = 'failed';
      step.endedAt = e.at;
      rollBack(d, ctx, e.at, {
        trigger: 'smoke',
        reason: `smoke test failed: ${failed.map((r) => r.gate).join(', ')}`,
        at: e.at,
      });
      return undefined;
    }
  }
  if (name === 'prerequisites' && failed.length > 0) {
    step.status = 'failed';
    step.endedAt = e.at;
    notifyStep(d);
    stop(d, ctx, e.at, `prerequisites not met: ${failed.map((r) => r.gate).join(', ')}`);
    return undefined;
  }
  finish(d, ctx, e.at);
  return undefined;
}

/** The smoke job ended: its exit code is the smoke's return code (seed 003: exit != 0 rolls back). */
function jobDone(d: D, e: Ev<'job-done'>, ctx: Ctx): Outcome {
  const s = d.s;
  if (current(s).name !== 'smoke' || s.pending?.effect !== 'run-job') return 'no smoke job in flight';
  settle(d);
  const step = current(s);
  const run = e.run;
  const code = run.exitCode ?? (run.succeeded ? 0 : 1);
  s.smokeReturnCode = code;
  step.results.push({
    gate: `job ${e.job}`,
    kind: 'http',
    status: code === 0 ? 'pass' : 'fail',
    metric: `Cloud Run job ${e.job}`,
    observed: { value: code, unit: 'exit code' },
    threshold: 'exit code 0',
    samples: 1,
    samplesUnit: 'executions',
    evidence: `gcloud run jobs executions describe ${run.execution}`,
    ...(run.message ? { reason: run.message } : {}),
    at: e.at,
  });
  log(d, e.at, `job ${e.job}: execution ${run.execution} ${run.status}, exit code ${run.exitCode ?? 'none'}`);
  if (code !== 0) {
    step.failures += 1;
    step.status = 'failed';
    step.endedAt = e.at;
    rollBack(d, ctx, e.at, {
      trigger: 'smoke',
      reason: `smoke test failed: job ${e.job} exited ${code}`,
      at: e.at,
    });
    return undefined;
  }
  finish(d, ctx, e.at);
  return undefined;
}

function flagsSet(d: D, e: Ev<'flags-set'>, ctx: Ctx): Outcome {
  const s = d.s;
  const name = current(s).name;
  if ((name !== 'flags-on' && name !== 'flags-off') || s.pending?.effect !== 'set-flags')
    return `no flag change in flight (the flag canary is at ${name})`;
  settle(d);
  const r = e.result;
  log(
    d,
    e.at,
    `${r.written ? 'set' : 'already as asked, nothing written'}: ${r.where}: ${valuesText(r.values)}`,
  );
  const reading = { values: r.values, version: r.version, where: r.where };
  if (name === 'flags-on') {
    s.flagsAfter = reading;
    if (r.restore !== undefined) s.restore = r.restore;
  } else s.flagsOff = reading;
  finish(d, ctx, e.at);
  return undefined;
}

const tickKey = (s: FlagCanaryState) => `watch:${s.ticks.length}`;

function scheduleTick(d: D, at: string): void {
  const s = d.s;
  const due = addMs(at, s.intervalMs);
  const when = s.windowEndsAt && isBefore(s.windowEndsAt, due) ? s.windowEndsAt : due;
  d.effects.push({
    type: 'schedule',
    timer: 'tick',
    at: when,
    key: tickKey(s),
    event: { type: 'tick', at: when, stage: s.step },
  });
}

function tick(d: D, e: Ev<'tick'>, ctx: Ctx): Outcome {
  const s = d.s;
  if (current(s).name !== 'watch' || s.status !== 'watching' || e.stage !== s.step) return 'no watch is due';
  if (s.pending?.effect === 'evaluate') return 'the triggers are being read already';
  evaluate(d, ctx.runbook.triggers, e.at, 'gates');
  return undefined;
}

function gatesDone(d: D, e: Ev<'gates-done'>, ctx: Ctx): Outcome {
  const s = d.s;
  if (current(s).name !== 'watch' || s.pending?.effect !== 'evaluate' || e.stage !== s.step)
    return 'no watch tick in flight';
  settle(d);
  const step = current(s);
  s.ticks.push(e.results);
  step.results = e.results;
  notifyStep(d);
  const breach = breachOf(s, e.results);
  if (breach) {
    step.failures += 1;
    step.status = 'failed';
    step.endedAt = e.at;
    rollBack(d, ctx, e.at, { trigger: 'trigger', reason: breach, at: e.at });
    return undefined;
  }
  const unreachable = e.results.filter((r) => r.status === 'error');
  if (unreachable.length > 0) {
    const why = `Prometheus could not be read (${unreachable.map((r) => r.gate).join(', ')}): ${unreachable[0]?.reason ?? 'error'}`;
    if (ctx.runbook.prometheusUnavailable === 'stop') {
      step.status = 'failed';
      step.endedAt = e.at;
      rollBack(d, ctx, e.at, {
        trigger: 'prometheus',
        reason: `${why}; the runbook stops on that`,
        at: e.at,
      });
      return undefined;
    }
    warn(d, e.at, `${why}; the watch goes on (seed 003: continue, warn)`);
  }
  if (s.windowEndsAt && !isBefore(e.at, s.windowEndsAt)) {
    log(d, e.at, `window ended after ${s.ticks.length} reads without a breach`);
    finish(d, ctx, e.at);
    return undefined;
  }
  scheduleTick(d, e.at);
  return undefined;
}

/** The seed's rollback reason for a failing trigger: `golden_mismatch increased: 0 -> 1`. */
function breachOf(s: FlagCanaryState, results: GateResult[]): string | undefined {
  // Every trigger of the seed rolls back on its first breach: golden_mismatch at once (any-increase), the
  // error-rate and p95 deltas as soon as they exceed their profile.
  const failed =
    results.find((r) => r.status === 'fail' && r.failFast) ?? results.find((r) => r.status === 'fail');
  if (!failed) return undefined;
  const before = s.before?.[failed.gate];
  const after = failed.observed?.value;
  const metric = failed.gate.replace(/-/g, '_');
  if (failed.failFast && before !== undefined && after !== undefined)
    return `${metric} increased: ${before} -> ${after}`;
  const observed =
    after === undefined ? '' : ` ${after}${failed.observed?.unit ? ` ${failed.observed.unit}` : ''}`;
  return `${metric} breached:${observed} (limit ${failed.threshold})`;
}

function resume(d: D, e: Ev<'resume'>, ctx: Ctx): Outcome {
  const s = d.s;
  if (s.status !== 'needs-attention' || s.hold === undefined)
    return `nothing to resume: the flag canary is ${s.status}`;
  const cause = s.hold.cause;
  s.hold = undefined;
  note(s, e.at, 'resumed', e.by);
  notify(d, { kind: 'resumed', by: e.by });
  if (cause === 'approval-expired') {
    requestApproval(d, ctx.policy, e.at, 'the flags go on');
    return undefined;
  }
  s.status = 'rolling-back';
  if (!redo(d)) begin(d, ctx, e.at);
  return undefined;
}

function abort(d: D, e: Ev<'abort'>, ctx: Ctx): Outcome {
  const s = d.s;
  if (s.aborted) return `aborted already by ${s.aborted.by}`;
  s.aborted = { by: e.by, at: e.at, ...(e.reason ? { reason: e.reason } : {}) };
  note(s, e.at, `abort${e.reason ? `: ${e.reason}` : ''}`, e.by);
  if (s.status === 'needs-attention' && s.hold?.cause === 'rollback') {
    // The flags could not be put back: people take over.
    s.pending = undefined;
    s.hold = undefined;
    end(d, e.at, `stopped while the flags could not be set back${e.reason ? `: ${e.reason}` : ''}`);
    return undefined;
  }
  if (current(s).name === 'approval' || (current(s).name === 'watch' && s.pending === undefined)) {
    d.effects.push({ type: 'cancel', timer: 'approval-expiry', key: approvalExpiryKey(s) });
    s.hold = undefined;
    stop(d, ctx, e.at, `aborted by ${e.by}${e.reason ? `: ${e.reason}` : ''}`);
  }
  // An effect in flight: the canary stops when its outcome arrives (begin sees `aborted`).
  return undefined;
}

function rollbackAsked(d: D, e: Ev<'rollback'>, ctx: Ctx): Outcome {
  const s = d.s;
  if (!flagsChanged(s)) return 'the flags have not been changed yet: abort it instead';
  if (current(s).name === 'flags-off') return 'the flags are being set back already';
  if (s.pending !== undefined) return `${s.pending.effect} is in flight: try again in a moment`;
  rollBack(d, ctx, e.at, { trigger: 'manual', reason: e.reason, at: e.at, by: e.by });
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
  log(d, e.at, outcome.reason);
  if (step.name === 'flags-off') {
    s.status = 'needs-attention';
    const reason = `the flags could not be set back: ${outcome.reason}. Resume retries; or set them by hand and abort`;
    s.hold = { kind: 'attention', cause: 'rollback', reason, at: e.at };
    notify(d, { kind: 'needs-attention', reason });
    return undefined;
  }
  s.pending = undefined;
  step.failures += 1;
  step.status = 'failed';
  step.endedAt = e.at;
  notifyStep(d);
  if (step.name === 'baseline') {
    // Prometheus unreachable before the change: the seed goes on with a warning.
    warn(d, e.at, `no baseline: ${outcome.reason}`);
    step.failures = 0;
    step.status = 'passed';
    s.step += 1;
    begin(d, ctx, e.at);
    return undefined;
  }
  if (step.name === 'flags-on' || step.name === 'smoke' || step.name === 'watch') {
    rollBack(d, ctx, e.at, {
      trigger: step.name === 'smoke' ? 'smoke' : 'manual',
      reason: `${step.name} failed: ${outcome.reason}`,
      at: e.at,
    });
    return undefined;
  }
  stop(d, ctx, e.at, `${step.name} failed: ${outcome.reason}`);
  return undefined;
}
