// What the Prometheus twin answers, and how Prometheus writes it on the wire.

export type PrometheusErrorType =
  | 'bad_data'
  | 'execution'
  | 'timeout'
  | 'canceled'
  | 'unavailable'
  | 'internal'
  | 'not_found';

export interface TwinSeries {
  metric?: Record<string, string>;
  value: number;
}

interface Notes {
  warnings?: string[];
  infos?: string[];
}

export type TwinAnswer =
  | ({ vector: TwinSeries[] } & Notes)
  | ({ scalar: number } & Notes)
  | { errorType: PrometheusErrorType; error: string; warnings?: string[] };

/** An answer, or a function of the query and its evaluation time (a value that moves between ticks). */
export type Answerer = TwinAnswer | ((context: { query: string; time: Date }) => TwinAnswer);

/** The HTTP status Prometheus' API sends with each error type (web/api/v1/api.go). */
export const STATUS_OF_ERROR_TYPE: Record<PrometheusErrorType, number> = {
  bad_data: 400,
  execution: 422,
  canceled: 499,
  timeout: 503,
  unavailable: 503,
  internal: 500,
  not_found: 404,
};

/** Go's float formatting as Prometheus uses it for sample values. */
export function formatSampleValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return '+Inf';
  if (value === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(value);
}

/** Unix seconds with millisecond precision, as Prometheus writes timestamps. */
export function formatTimestamp(time: Date): number {
  return Math.round(time.getTime()) / 1000;
}

/** A `time` parameter: Unix seconds (fractions allowed) or RFC 3339; undefined when neither. */
export function parseTimeParam(text: string): Date | undefined {
  const seconds = Number(text);
  if (text.trim() !== '' && Number.isFinite(seconds)) return new Date(Math.round(seconds * 1000));
  const date = new Date(text);
  return /^\d{4}-\d{2}-\d{2}T/.test(text) && !Number.isNaN(date.getTime()) ? date : undefined;
}

/** Queries are matched after collapsing whitespace, so a reformatted PromQL still finds its answer. */
export function queryKey(query: string): string {
  return query.trim().replace(/\s+/g, ' ');
}
