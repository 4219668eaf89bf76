// What the cloud-monitoring gates need from Cloud Monitoring: Cloud Run's request metrics per revision
// over one window, so the canary and the stable revision are compared on the same minutes. Thresholds,
// minimum traffic and the comparison with stable are the gate's business.

/** A time window. Cloud Monitoring reads it as one alignment period ending at `end`. */
export interface TimeWindow {
  start: Date;
  end: Date;
}

export type LatencyPercentile = 50 | 95 | 99;

export interface RevisionStatsQuery {
  project: string;
  /** Cloud Run service name, e.g. openagents-control-service. */
  service: string;
  /** Cloud Run region, e.g. us-central1: a service name is unique per region only. */
  location?: string;
  /** Short revision names (svc-00011-def). Each one is in the answer, with zeros when it served nothing. */
  revisions: readonly string[];
  /** At least 60 s (Cloud Monitoring's shortest alignment period); whole seconds are used. */
  window: TimeWindow;
  /** Latency percentiles to read, one API call each; default [50, 95, 99], [] for counts only. */
  percentiles?: readonly LatencyPercentile[];
}

/** Milliseconds; only the percentiles asked for are present. */
export interface LatencyMs {
  p50?: number;
  p95?: number;
  p99?: number;
}

export interface RevisionStats {
  requests: number;
  /** Requests answered with a 5xx status. */
  errors5xx: number;
  /** Undefined when the revision served no request in the window (or no percentile was asked for). */
  latencyMs: LatencyMs | undefined;
}

/** One Cloud Monitoring request as sent: what a person re-runs to see the same numbers. */
export interface MonitoringEvidence {
  /** 'request-count' or 'latency-p95' etc. */
  measures: string;
  filter: string;
  interval: { startTime: string; endTime: string };
  aggregation: {
    alignmentPeriod: string;
    perSeriesAligner: string;
    crossSeriesReducer: string;
    groupByFields: string[];
  };
  /** The same request against monitoring.googleapis.com: curl it with `gcloud auth print-access-token`. */
  url: string;
}

export interface RevisionStatsResult {
  /** Keyed by short revision name; every revision asked for is present. */
  stats: Record<string, RevisionStats>;
  /** The window as read (whole seconds, ending at the asked end). */
  window: TimeWindow;
  evidence: MonitoringEvidence[];
}

export interface CloudMonitoring {
  /** Throws a PlatformError (system 'monitoring') when Cloud Monitoring cannot answer. */
  revisionStats(query: RevisionStatsQuery): Promise<RevisionStatsResult>;
  /**
   * The end of the newest data that is complete and visible at `now`: Cloud Run's request metrics are
   * sampled every 60 s and a sample is not visible for up to 180 s after it (platform-facts.md), so a
   * window that ends later than this would be judged on minutes that are not there yet. Absent: every
   * request is visible at once (fakes in unit tests).
   */
  completeThrough?(now: Date): Date;
  /** The shortest window it can be asked for (Cloud Monitoring: one 60 s alignment period). */
  readonly shortestWindowMs?: number;
  /** How often the request metrics are sampled (Cloud Run: 60 s); absent: unknown or instant. */
  readonly samplePeriodMs?: number;
}

/** The end of the complete data under a sampling period and an ingestion latency (both ms). */
export function completeThrough(now: Date, visibility: DataVisibility): Date {
  const seen = now.getTime() - visibility.ingestionLatencyMs;
  const period = visibility.samplePeriodMs;
  return new Date(period > 0 ? Math.floor(seen / period) * period : seen);
}

export interface DataVisibility {
  samplePeriodMs: number;
  ingestionLatencyMs: number;
}
