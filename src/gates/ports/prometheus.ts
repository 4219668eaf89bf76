// What the prometheus gate needs from Prometheus: one PromQL instant query, typed. Absolute thresholds
// and deltas against a value captured before the change (seed 003) are the gate's business.

/** One element of an instant vector. */
export interface PrometheusSample {
  metric: Record<string, string>;
  /** NaN and ±Infinity are real answers (0/0, an empty histogram); they arrive as "NaN", "+Inf", "-Inf". */
  value: number;
  at: Date;
}

interface Answer {
  /** Prometheus' warnings, e.g. about a partial answer: worth showing beside the gate result. */
  warnings: string[];
  /** Prometheus 3 notes, e.g. a rate() over a metric that does not look like a counter. */
  infos: string[];
}

export interface VectorResult extends Answer {
  resultType: 'vector';
  /** Empty when no series matches, which is not an error in PromQL. */
  samples: PrometheusSample[];
}

export interface ScalarResult extends Answer {
  resultType: 'scalar';
  value: number;
  at: Date;
}

export type InstantQueryResult = VectorResult | ScalarResult;

export interface Prometheus {
  /**
   * Evaluates `promql` at `time` (default: now on Prometheus' clock). A query answering a range vector or
   * a string is refused. Throws an Error (a PlatformError from the adapter) with Prometheus' own message.
   */
  query(promql: string, time?: Date): Promise<InstantQueryResult>;
}
