import type { CutoverStep, HardGate, StreamCutoverState } from '../runbooks/cutover/types.ts';
import type { PlanEntry, Split, TimelineEntry } from '../runbooks/types.ts';
import { type FreezeOverrideSummary, freezeOverridesOf } from './freeze-overrides.ts';
import { type GateEvidence, gateEvidence } from './rollout-gates.ts';
import { describeEffect } from './rollout-plan.ts';

// The evidence report of a stream cutover train (seed 004, "Artifacts": summary.json, SUMMARY.md and the
// per-step logs), built from the train's state alone. Every step with its observed values against its
// threshold, the hard gates with their evidence, and each step's own log. Pure.

export const CUTOVER_SUMMARY_SCHEMA = 'shiftgate/stream-cutover-summary@1' as const;

export interface CutoverStepSummary {
  name: CutoverStep['name'];
  status: CutoverStep['status'];
  startedAt: string | null;
  endedAt: string | null;
  failures: number;
  results: GateEvidence[];
  log: TimelineEntry[];
}

export interface CutoverSummary {
  schema: typeof CUTOVER_SUMMARY_SCHEMA;
  kind: 'stream-cutover';
  rolloutId: string;
  service: string;
  env: string;
  dryRun: boolean;
  requestedBy: string;
  outcome: { status: string; passed: boolean; reason: string };
  inputs: {
    stableRevision: string;
    canaryRevision: string;
    applyRouteFlip: boolean;
    dualRunLegacyUrl: string | null;
    errorBudgetConsumedGiven: number | null;
  };
  approvals: { userId: string; at: string }[];
  route: { overrideBefore: string | null; flipped: boolean; flippedBack: boolean };
  drill: { trafficFound: Split | null };
  errorBudget: StreamCutoverState['errorBudget'] | null;
  hardGates: HardGate[];
  steps: CutoverStepSummary[];
  timings: { startedAt: string; endedAt: string | null; durationMs: number | null };
  /** Admins let it go on during scheduled freeze windows; empty: never. */
  freezeOverrides: FreezeOverrideSummary[];
  timeline: TimelineEntry[];
  plan: { n: number; at: string; after: string; what: string }[] | null;
  notes: string[];
}

export function cutoverSummary(state: StreamCutoverState, plan?: readonly PlanEntry[]): CutoverSummary {
  const failing = (state.hardGates ?? []).filter((g) => g.status !== 'pass');
  const passed = state.status === 'promoted';
  const reason = passed
    ? 'every hard gate passed'
    : state.status === 'aborted'
      ? `aborted by ${state.aborted?.by ?? 'someone'}${state.aborted?.reason ? `: ${state.aborted.reason}` : ''}`
      : failing.length > 0
        ? `hard gates not passed: ${failing.map((g) => g.name).join(', ')}`
        : `not ended (${state.status})`;
  return {
    schema: CUTOVER_SUMMARY_SCHEMA,
    kind: 'stream-cutover',
    rolloutId: state.id,
    service: state.service,
    env: state.env,
    dryRun: state.dryRun,
    requestedBy: state.requestedBy,
    outcome: {
      status: state.status,
      passed,
      reason: `${reason}${state.route?.flippedBack ? '; the route was flipped back' : ''}`,
    },
    inputs: {
      stableRevision: state.stableRevision,
      canaryRevision: state.canaryRevision,
      applyRouteFlip: state.applyRouteFlip,
      dualRunLegacyUrl: state.legacyUrl ?? null,
      errorBudgetConsumedGiven: state.errorBudgetGiven ?? null,
    },
    approvals: state.approvals,
    route: {
      overrideBefore: state.route?.before ?? null,
      flipped: state.route?.flipped ?? false,
      flippedBack: state.route?.flippedBack ?? false,
    },
    drill: { trafficFound: state.drill?.found ?? null },
    errorBudget: state.errorBudget ?? null,
    hardGates: state.hardGates ?? [],
    steps: state.steps.map((s) => ({
      name: s.name,
      status: s.status,
      startedAt: s.startedAt ?? null,
      endedAt: s.endedAt ?? null,
      failures: s.failures,
      results: s.results.map(gateEvidence),
      log: s.log,
    })),
    timings: {
      startedAt: state.startedAt,
      endedAt: state.endedAt ?? null,
      durationMs: state.endedAt ? Date.parse(state.endedAt) - Date.parse(state.startedAt) : null,
    },
    freezeOverrides: freezeOverridesOf(state),
    timeline: state.timeline,
    plan: plan
      ? plan.map((p) => ({ n: p.n, at: p.at, after: p.after, what: describeEffect(p.effect) }))
      : null,
    notes: state.dryRun
      ? [
          'Dry run: nothing changed. The smokes and comparisons were not run; reads (route split, traffic, SLO) were.',
        ]
      : [],
  };
}
