import type { GateMode } from '../config/gates.ts';
import { modeOf } from '../gates/modes.ts';
import { renderGate } from '../gates/render.ts';
import type { GatePlot, GateResult, GateStatus, Quantity } from '../gates/result.ts';

// One gate result as the evidence report carries it: every field the gate returned, with absent values
// as null (so a reader of summary.json sees the field and knows it had no value), and its full line with
// every figure (the thread shows a short form of it, blocks/gate-lines.ts, with the same figures under it).

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
  /** The plain sentence the thread showed beside the verdict; null: the gate gave none. */
  summary: string | null;
  /** The numbers the stage's chart drew for this tick (limit, confidence band); null: not charted. */
  plot: GatePlot | null;
  at: string;
  /** A fail of this result failed the stage at once, whatever the judge's failure limit. */
  failFast: boolean;
  /** enforce, or shadow (never rolls back) or advisory (asks instead of rolling back). */
  mode: GateMode;
  /** The full line: observed value first, baseline and samples, then the limit, the reason and the verdict. */
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
    summary: result.summary ?? null,
    plot: result.plot ?? null,
    at: result.at,
    failFast: result.failFast === true,
    mode: modeOf(result),
    line: renderGate(result),
  };
}
