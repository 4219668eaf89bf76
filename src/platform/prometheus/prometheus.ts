import type { InstantQueryResult, Prometheus, PrometheusSample } from '../../gates/ports/prometheus.ts';
import { PlatformError, type PlatformErrorKind } from '../../runbooks/ports/errors.ts';
import { parseSampleValue, parseTimestamp, type QueryAnswer, queryAnswer } from './responses.ts';

// Prometheus' instant-query API (POST /api/v1/query, form-encoded, so long PromQL fits) over global
// fetch. The same bound is sent as Prometheus' own `timeout`, so a heavy query is stopped there too.
// Messages carry the query and Prometheus' words, so the person reading a gate failure can re-run it.

const SYSTEM = 'prometheus';

export interface PrometheusOptions {
  /** e.g. http://127.0.0.1:9090 (the path /api/v1/query is added). */
  baseUrl: string;
  timeoutMs?: number;
  /** Extra request headers, e.g. an authorization header for a managed Prometheus. */
  headers?: Record<string, string>;
  fetch?: typeof fetch;
}

/** Prometheus' error types and what they mean for the caller. */
const KIND_OF_ERROR_TYPE: Record<string, PlatformErrorKind> = {
  bad_data: 'invalid', // 400: the query does not parse, or a parameter is wrong
  execution: 'invalid', // 422: the query parses but cannot run (e.g. many-to-many matching)
  timeout: 'timeout', // 503
  canceled: 'unavailable', // 499
  unavailable: 'unavailable', // 503
  internal: 'unavailable', // 500
  not_found: 'not-found', // 404
};

export function createPrometheus(options: PrometheusOptions): Prometheus {
  const url = `${options.baseUrl.replace(/\/+$/, '')}/api/v1/query`;
  const { timeoutMs = 10_000, headers = {} } = options;
  // Looked up at each call, not captured: msw (tests) and instrumentation replace the global later.
  const doFetch: typeof fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));

  async function query(promql: string, time?: Date): Promise<InstantQueryResult> {
    const what = `prometheus query ${promql.length > 200 ? `${promql.slice(0, 200)}...` : promql}`;
    const fail = (kind: PlatformErrorKind, text: string, cause?: unknown) =>
      new PlatformError(SYSTEM, kind, `${what}: ${text}`, cause === undefined ? undefined : { cause });

    const form = new URLSearchParams({ query: promql, timeout: `${timeoutMs}ms` });
    if (time) form.set('time', (time.getTime() / 1000).toFixed(3));
    let response: Response;
    let text: string;
    try {
      response = await doFetch(url, {
        method: 'POST',
        headers: {
          accept: 'application/json',
          'content-type': 'application/x-www-form-urlencoded',
          ...headers,
        },
        body: form.toString(),
        signal: AbortSignal.timeout(timeoutMs),
      });
      text = await response.text();
    } catch (error) {
      if ((error as Error).name === 'TimeoutError') {
        throw fail('timeout', `no answer from ${url} within ${timeoutMs} ms`, error);
      }
      throw fail('unavailable', `${url} could not be reached (${(error as Error).message})`, error);
    }

    let answer: QueryAnswer | undefined;
    try {
      const parsed = queryAnswer.safeParse(JSON.parse(text));
      if (parsed.success) answer = parsed.data;
    } catch {}
    if (answer?.status === 'error') {
      const kind = KIND_OF_ERROR_TYPE[answer.errorType] ?? kindOfHttpStatus(response.status);
      throw fail(kind, `${answer.errorType} (${response.status}): ${answer.error}`);
    }
    if (!response.ok) throw fail(kindOfHttpStatus(response.status), `${url} answered ${response.status}`);
    if (!answer) throw fail('invalid', `${url} answered 200 with something that is not a Prometheus answer`);

    const notes = { warnings: answer.warnings ?? [], infos: answer.infos ?? [] };
    const { data } = answer;
    switch (data.resultType) {
      case 'scalar': {
        const [at, value] = data.result;
        return { resultType: 'scalar', value: sampleValue(value), at: parseTimestamp(at), ...notes };
      }
      case 'vector': {
        const samples = data.result.map((series): PrometheusSample => {
          if (!series.value) {
            throw fail(
              'invalid',
              'a series holds a native histogram, not a number; ask for one, e.g. histogram_quantile()',
            );
          }
          const [at, value] = series.value;
          return { metric: series.metric, value: sampleValue(value), at: parseTimestamp(at) };
        });
        return { resultType: 'vector', samples, ...notes };
      }
      default:
        throw fail('invalid', `the query answers a ${data.resultType}, not an instant vector or a scalar`);
    }

    function sampleValue(text: string): number {
      const value = parseSampleValue(text);
      if (value === undefined) throw fail('invalid', `Prometheus sent a sample value that is not a number`);
      return value;
    }
  }

  return { query };
}

function kindOfHttpStatus(status: number): PlatformErrorKind {
  if (status === 401) return 'unauthorized';
  if (status === 403) return 'permission-denied';
  if (status === 404) return 'not-found';
  if (status === 429) return 'rate-limited';
  return status >= 500 ? 'unavailable' : 'invalid';
}
