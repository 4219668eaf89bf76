import type { FlagCanaryState, TimelineEntry, TrainStep } from '../runbooks/types.ts';
import { type FreezeOverrideSummary, freezeOverridesOf } from './freeze-overrides.ts';
import { type GateEvidence, gateEvidence } from './rollout-gates.ts';

// The evidence report of a flag canary, with the fields seed 003's report has (success, rollback_triggered,
// rollback_reason, smoke_returncode, metrics_delta: each trigger before, after, delta and threshold) and
// the usual evidence: the flags before and after, sign-offs, approvals, every step with its checks and
// log, every watch tick. Built from the state alone; pure.

export const FLAG_SUMMARY_SCHEMA = 'shiftgate/flag-canary-summary@1' as const;

export interface MetricDelta {
  before: number | null;
  after: number | string | null;
  delta: number | null;
  threshold: string;
  status: string;
}

export interface FlagSummary {
  schema: typeof FLAG_SUMMARY_SCHEMA;
  kind: 'flag-canary';
  rolloutId: string;
  config: string;
  mode: FlagCanaryState['mode'];
  service: string;
  env: string;
  dryRun: boolean;
  requestedBy: string;
  status: string;
  success: boolean;
  rollback_triggered: boolean;
  rollback_reason: string | null;
  smoke_returncode: number | null;
  metrics_delta: Record<string, MetricDelta>;
  flags: {
    names: string[];
    /** null for a flag the backend does not have (JSON would drop an undefined). */
    before: Record<string, boolean | null> | null;
    after: Record<string, boolean | null> | null;
    /** As read back after the flags-off step (a rollback, or /flag off). */
    afterRollback: Record<string, boolean | null> | null;
    where: string | null;
    /** What undid (or would undo) the change: cloud-run-env's revision before. */
    restore: string | null;
  };
  signoffs: FlagCanaryState['signoffs'];
  approvals: { userId: string; at: string }[];
  warnings: string[];
  steps: {
    name: string;
    status: string;
    startedAt: string | null;
    endedAt: string | null;
    results: GateEvidence[];
    log: TimelineEntry[];
  }[];
  ticks: GateEvidence[][];
  timings: { startedAt: string; endedAt: string | null; watchMs: number; intervalMs: number };
  /** Admins let it go on during scheduled freeze windows; empty: never. */
  freezeOverrides: FreezeOverrideSummary[];
  timeline: TimelineEntry[];
  notes: string[];
}

export function flagSummary(state: FlagCanaryState): FlagSummary {
  const last = state.ticks.at(-1) ?? [];
  const metrics: Record<string, MetricDelta> = {};
  for (const result of last) {
    const before = state.before?.[result.gate];
    const after = result.observed?.value;
    metrics[result.gate] = {
      before: before ?? null,
      after: after ?? null,
      delta: before !== undefined && typeof after === 'number' ? round(after - before) : null,
      threshold: result.threshold,
      status: result.status,
    };
  }
  const triggered = state.rollback !== undefined && state.mode === 'canary';
  return {
    schema: FLAG_SUMMARY_SCHEMA,
    kind: 'flag-canary',
    rolloutId: state.id,
    config: state.config,
    mode: state.mode,
    service: state.service,
    env: state.env,
    dryRun: state.dryRun,
    requestedBy: state.requestedBy,
    status: state.status,
    success: state.status === 'promoted' || (state.mode === 'off' && state.status === 'rolled-back'),
    rollback_triggered: triggered,
    rollback_reason: state.rollback?.reason ?? null,
    smoke_returncode: state.smokeReturnCode ?? null,
    metrics_delta: metrics,
    flags: {
      names: state.flags,
      before: state.flagsBefore ? nulled(state.flags, state.flagsBefore.values) : null,
      after: state.flagsAfter ? nulled(state.flags, state.flagsAfter.values) : null,
      afterRollback: state.flagsOff ? nulled(state.flags, state.flagsOff.values) : null,
      where: state.flagsBefore?.where ?? null,
      restore: state.restore ?? null,
    },
    signoffs: state.signoffs,
    approvals: state.approvals,
    warnings: state.warnings,
    steps: state.steps.map(stepOf),
    ticks: state.ticks.map((tick) => tick.map(gateEvidence)),
    timings: {
      startedAt: state.startedAt,
      endedAt: state.endedAt ?? null,
      watchMs: state.watchMs,
      intervalMs: state.intervalMs,
    },
    freezeOverrides: freezeOverridesOf(state),
    timeline: state.timeline,
    notes: state.dryRun
      ? ['Dry run: no flag was changed. Reads (flags, Prometheus) were made; smoke and watch were not run.']
      : [],
  };
}

function stepOf(step: TrainStep) {
  return {
    name: step.name,
    status: step.status,
    startedAt: step.startedAt ?? null,
    endedAt: step.endedAt ?? null,
    results: step.results.map(gateEvidence),
    log: step.log,
  };
}

const nulled = (flags: string[], values: Record<string, boolean | undefined>) =>
  Object.fromEntries(flags.map((f) => [f, values[f] ?? null]));

const round = (n: number) => Math.round(n * 1e6) / 1e6;
