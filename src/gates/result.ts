import type { Gate, GateMode } from '../config/gates.ts';
import type { RouteSplitEvaluator } from './ports/route-split.ts';

// What every gate evaluation returns (DESIGN.md "Gates"): the verdict, the observed value beside the
// threshold (and the stable baseline where there is one), how much data stood behind it, and evidence
// a person can re-run. The one-line rendering is in render.ts.

/**
 * pass / fail: judged. inconclusive: too little data to judge (never a failure). error: the source
 * could not be reached or answered nonsense (distinct from fail). skipped: not applicable here, e.g.
 * an authenticated check with no access token configured.
 */
export type GateStatus = 'pass' | 'fail' | 'inconclusive' | 'error' | 'skipped';

/** A measured value with its unit: 412 'ms', 0.8 '%', 503 'status', 'rust_shell' (a target). */
export interface Quantity {
  value: number | string;
  unit?: string;
}

export interface GateResult {
  /** The gate's name in the config, e.g. "latency-p95". */
  gate: string;
  kind: Gate['kind'];
  status: GateStatus;
  /** What was measured, in words: "p95 latency", "5xx rate", "GET /healthz". */
  metric: string;
  /** Absent only when nothing could be measured (error, skipped). */
  observed?: Quantity;
  /** The limit in words, e.g. "< 1 %", "<= +20 % vs stable", "status 200". */
  threshold: string;
  /** Stable revision's value over the same window, or the value captured before the change. */
  baseline?: Quantity;
  /** Requests, log entries, points or probes behind the observation. */
  samples: number;
  /** What `samples` counts, plural ('requests', 'log entries', 'series'); render.ts defaults it per kind. */
  samplesUnit?: string;
  /** Round trip of a probe in ms (http, sse-contract), shown beside the status: "503 in 40 ms". */
  latencyMs?: number;
  /** URL, query or filter that reproduces the observation. */
  evidence: string;
  /** Why, in words: the rule that broke, why it is inconclusive, the error message. */
  reason?: string;
  /**
   * One plain sentence for people, with no statistics: what the verdict means ("The canary's p95 is
   * more than 20 % above stable's."). Slack's gate lines show it; the figures stay in `reason`, which
   * goes to the line's context and the report. Absent: the line says it from the status and reason.
   */
  summary?: string;
  /** ISO time of the evaluation. */
  at: string;
  /**
   * ISO end of the data the result judged, for sources whose data arrives late (Cloud Monitoring): the
   * window was cut there. The judge waits for it to reach the end of the watch window (judge.ts).
   */
  dataThrough?: string;
  /** The numbers the stage chart draws beside `observed` and `baseline` (src/charts); see GatePlot. */
  plot?: GatePlot;
  /**
   * A fail of this result fails the stage at once, whatever the judge's failure limit (seed 003: any
   * increase of a counter such as golden_mismatch). See judge.ts.
   */
  failFast?: boolean;
  /**
   * Set while the gate waits for enough canary requests to judge (inconclusive: too few, or none of the
   * window's data complete yet): what it needs and the traffic it saw, for time-to-decision.ts.
   */
  sampleNeed?: SampleNeed;
  /**
   * The gate's mode when it is not enforce, stamped by the canary from its pinned runbook (gates/modes.ts):
   * a shadow result never fails a stage, an advisory one asks people. Absent: enforce.
   */
  mode?: Exclude<GateMode, 'enforce'>;
}

/**
 * What a gate with a minimum of canary requests (cloud-monitoring's minRequests) had when it had fewer:
 * enough to foresee when it will have them, at the traffic it read, and whether the watch window reaches it.
 */
export interface SampleNeed {
  /** Canary requests the gate needs before it judges. */
  needed: number;
  /** Canary requests counted in the stage's window so far (0 while none of its data is complete). */
  counted: number;
  /** ISO end of the data counted: later requests are served but not visible yet (Monitoring is late). */
  through: string;
  /** The canary's share of traffic during the window, 0..1. */
  share: number;
  /**
   * Requests of the canary and stable revisions over [from, through] as read: the window's own data, or,
   * while none of it is complete, the minutes just before it (`before`: only their total says anything
   * about the new share, which it is multiplied by).
   */
  traffic: { canary: number; stable: number; from: string; through: string; before?: true };
}

/**
 * What a gate that compares the canary with stable over the stage's window adds for the stage chart
 * (src/charts): the canary's value is `observed`, stable's is `baseline`, and these are the numbers
 * drawn beside them, in the same unit, at `dataThrough` (or `at`). A few numbers per tick: the chart is
 * drawn from the ticks the rollout record already keeps, with no read of its own.
 */
export interface GatePlot {
  /** Which panel: the 5xx rate, a latency percentile, errors in the logs per request. */
  panel: 'error-rate' | 'latency' | 'error-logs';
  /** What the canary's value must stay under at this tick (the bound, stable's p95 plus 20 %...). */
  limit?: number;
  /** The canary's confidence band, [lower, upper] (rate-bound.ts), where the gate judges by one. */
  band?: [number, number];
}

/** Everything a gate needs to know about the rollout at the moment it is evaluated. */
export interface GateContext {
  project: string;
  region: string;
  /** The Cloud Run service name. */
  service: string;
  publicUrl: string;
  /** Tag URL of the canary revision (https://canary---svc-hash-uc.a.run.app). */
  canaryUrl?: string;
  /**
   * The Cloud Run service's own URL (https://svc-hash-uc.a.run.app), for gates with `target: service`:
   * smokes that bypass the custom domain while its mapping is pending (seed 001). Filled only when a
   * gate being evaluated asks for it.
   */
  serviceUrl?: string;
  stableRevision: string;
  canaryRevision: string;
  /** Share of traffic on the canary, 0..1, during the window. */
  canaryShare: number;
  /** The observation window (metrics and logs). */
  window: { start: Date; end: Date };
  /**
   * Where the comparison's baseline comes from when it is not the stable revision over `window`: a
   * revision over a past window of its own (after promotion, the previous revision before it stopped
   * serving: the new one serves everything now, so nothing runs beside it to compare with).
   */
  baseline?: { revision: string; window: { start: Date; end: Date } };
  /** The service environment's Prometheus, for prometheus gates that name no url of their own. */
  prometheusUrl?: string;
  /** The service environment's access token, resolved; absent when none is configured. */
  accessToken?: string;
  /** False-alarm rate of the sequential error-count test (the runbook's judge.alpha). */
  alpha: number;
  /** Values captured before the change, by gate name (prometheus deltas). */
  before?: Record<string, number>;
  /** This service environment's route-split control, when it has one (each service has its own API). */
  routeSplit?: { evaluator: RouteSplitEvaluator; baseUrl?: string };
  now: () => Date;
  signal?: AbortSignal;
}

/** The config of one gate kind, e.g. GateOf<'http'>. */
export type GateOf<K extends Gate['kind']> = Extract<Gate, { kind: K }>;

/** One provider per gate kind; it takes its clients (ports) when created, and evaluates one gate. */
export interface GateProvider<G extends Gate = Gate> {
  evaluate(name: string, gate: G, ctx: GateContext): Promise<GateResult>;
}
