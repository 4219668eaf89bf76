import type { GateMode } from '../config/gates.ts';
import { modeOf } from '../gates/modes.ts';
import { renderGate } from '../gates/render.ts';
import type { GateResult, GateStatus, Quantity } from '../gates/result.ts';

// One gate result as the evidence report carries it: every field the gate returned, with absent values
// as null (so a reader of summary.json sees the field and knows it had no value), and the one line the
// thread showed for it, so the report and Slack say the same thing.

export interface GateEvidence {
  gate: string;
  kind: GateResult['kind'];
  status: GateStatus;
  /** What was measured, in words ("p95 latency", "GET /healthz"). */
  metric: string;
  /** null: nothing could be measured (error, skipped). */
  observed: Quantity | null;
  threshold: string;
  /** The stable revision over the same window, or the value captured before the change; null: none. */
  baseline: Quantity | null;
  samples: number;
  samplesUnit: string | null;
  latencyMs: number | null;
  /** The query, URL, filter or curl line that reproduces the observation. */
  evidence: string;
  reason: string | null;
  at: string;
  /** A fail of this result failed the stage at once, whatever the judge's failure limit. */
  failFast: boolean;
  /** enforce, or shadow (never rolls back) or advisory (asks instead of rolling back). */
  mode: GateMode;
  /** The line the thread showed: observed value first, then the limit and the verdict. */
  line: string;
}

export function gateEvidence(result: GateResult): GateEvidence {
  return {
    gate: result.gate,
    kind: result.kind,
    status: result.status,
    metric: result.metric,
    observed: result.observed ?? null,
    threshold: result.threshold,
    baseline: result.baseline ?? null,
    samples: result.samples,
    samplesUnit: result.samplesUnit ?? null,
    latencyMs: result.latencyMs ?? null,
    evidence: result.evidence,
    reason: result.reason ?? null,
    at: result.at,
    failFast: result.failFast === true,
    mode: modeOf(result),
    line: renderGate(result),
  };
}
