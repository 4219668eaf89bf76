import { differenceInMilliseconds } from 'date-fns';
import { stageChart } from '../charts/stage-series.ts';
import type { StageVerdict } from '../gates/judge.ts';
import { isTerminalStatus } from '../runbooks/status.ts';
import type { AdvisoryAsk, Approval, CanaryState, StageProgress } from '../runbooks/types.ts';
import { type GateEvidence, gateEvidence } from './rollout-gates.ts';

// Each stage of a canary as the report shows it: what it was meant to do (name, traffic), what became of
// it, who approved it and when, what its checks and every gate tick measured, what the judge said, and
// how long each part took. Everything is read from the rollout state; a stage the rollout never reached
// says so rather than showing empty times.

/**
 * passed: the judge (or its checks) passed it. failed: a check or gate failed in it. stopped: the rollout
 * ended in it without either (aborted, an effect that needed people, a rollback asked for by a person).
 * in progress: the rollout is still in it. not reached: the rollout ended before it.
 */
export type StageResult = 'passed' | 'failed' | 'stopped' | 'in progress' | 'not reached';

export interface GateTick {
  /** 1-based, in the order the ticks ran. */
  tick: number;
  results: GateEvidence[];
}

export interface StageSummary {
  index: number;
  name: string;
  /** Percent of traffic on the canary in this stage. */
  traffic: number;
  result: StageResult;
  /** The judge's last verdict on the stage; null when it never judged it. */
  verdict: StageVerdict | null;
  approval: {
    /** When approval was (last) asked for; null: this stage asked for none (or was never reached). */
    requestedAt: string | null;
    /** How many times it was asked (an expired or paused request is asked again). */
    requests: number;
    expiresAt: string | null;
    /** Distinct approvers of the request that stands, in order. */
    approvals: Approval[];
    /** From the request to the last approval. */
    waitedMs: number | null;
  };
  /** When the stage's traffic was confirmed (its watch window starts here). */
  startedAt: string | null;
  /** When it passed, or when the rollout stopped in it. */
  endedAt: string | null;
  durationMs: number | null;
  window: {
    /** A window restarted by people (resume after needs-attention) starts later than the stage. */
    startedAt: string | null;
    endsAt: string | null;
    extensions: number;
  };
  /** Run once when the stage began: stage A's smoke checks, the post-stage checklist after it. */
  checks: GateEvidence[];
  /** Every tick of the stage's gates, earlier windows included. */
  ticks: GateTick[];
  /** Gates of any mode that would have blocked the stage (the track record's "would have blocked"). */
  wouldHaveBlocked: string[];
  /** Failed advisory gates that asked people for one click, and what was decided. */
  advisoryAsks: AdvisoryAsk[];
  /**
   * The file name of the stage's chart (canary vs stable over the watch window), uploaded beside the
   * report; null when the stage has no gate that compares the canary with stable.
   */
  chart: string | null;
}

export function stageSummaries(state: CanaryState): StageSummary[] {
  return state.stages.map((stage) => stageSummary(state, stage));
}

function stageSummary(state: CanaryState, stage: StageProgress): StageSummary {
  const result = resultOf(state, stage);
  const reached = result !== 'not reached';
  const endedAt = stage.endedAt ?? (reached && result !== 'in progress' ? stoppedAt(state) : undefined);
  const lastApproval = stage.approvals.at(-1)?.at;
  return {
    index: stage.index,
    name: stage.name,
    traffic: stage.traffic,
    result,
    verdict: stage.verdict ?? null,
    approval: {
      requestedAt: stage.approvalRequestedAt ?? null,
      requests: stage.approvalRequests ?? 0,
      expiresAt: stage.approvalExpiresAt ?? null,
      approvals: stage.approvals.map((a) => ({ userId: a.userId, at: a.at })),
      waitedMs: msBetween(stage.approvalRequestedAt, lastApproval),
    },
    startedAt: stage.startedAt ?? null,
    endedAt: endedAt ?? null,
    durationMs: msBetween(stage.startedAt, endedAt),
    window: {
      startedAt: stage.windowStartedAt ?? stage.startedAt ?? null,
      endsAt: stage.windowEndsAt ?? null,
      extensions: stage.extensionsUsed,
    },
    checks: (stage.checks ?? []).map(gateEvidence),
    ticks: stage.ticks.map((results, i) => ({ tick: i + 1, results: results.map(gateEvidence) })),
    wouldHaveBlocked: stage.flagged ?? [],
    advisoryAsks: stage.asks ?? [],
    chart: stageChart(state, stage.index)?.file ?? null,
  };
}

function resultOf(state: CanaryState, stage: StageProgress): StageResult {
  if (stage.verdict === 'fail') return 'failed';
  if (stage.index < state.stage) return 'passed';
  if (stage.index > state.stage) return 'not reached';
  if (stage.verdict === 'pass' && stage.endedAt !== undefined) return 'passed';
  return isTerminalStatus(state.status) ? 'stopped' : 'in progress';
}

/** When the rollout left the stage it stopped in: the rollback began, it was aborted, or it ended. */
function stoppedAt(state: CanaryState): string | undefined {
  return state.rollback?.startedAt ?? state.aborted?.at ?? state.endedAt;
}

export function msBetween(from: string | undefined, to: string | undefined): number | null {
  if (from === undefined || to === undefined) return null;
  const ms = differenceInMilliseconds(to, from);
  return Number.isNaN(ms) ? null : ms;
}
