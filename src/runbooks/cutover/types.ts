import type { GateResult } from '../../gates/result.ts';
import type { Approval, Attention, Pending, RolloutStatus, Split, TimelineEntry } from '../types.ts';

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

export type CutoverStepStatus = 'pending' | 'running' | 'passed' | 'failed' | 'skipped';

export interface CutoverStep {
  name: CutoverStepName;
  status: CutoverStepStatus;
  startedAt?: string;
  endedAt?: string;
  /** Gate results of the step (smokes, route verification, dual-run comparisons). */
  results: GateResult[];
  /** What failed in it, counted against its hard gate. */
  failures: number;
  /** The step's own log: what was done and what came back. */
  log: TimelineEntry[];
}

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
  timeline: TimelineEntry[];
  startedAt: string;
  endedAt?: string;
}
