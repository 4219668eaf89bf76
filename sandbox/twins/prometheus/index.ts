import { delay, HttpResponse, http, type RequestHandler } from 'msw';
import { Recorder } from '../recorder.ts';
import {
  type Answerer,
  formatSampleValue,
  formatTimestamp,
  type PrometheusErrorType,
  parseTimeParam,
  queryKey,
  STATUS_OF_ERROR_TYPE,
  type TwinAnswer,
} from './answers.ts';

// Prometheus' instant-query API: GET or POST (form-encoded) /api/v1/query with query, time, timeout.
// Answers are set per query string; a query nobody set answers an empty vector, as a real Prometheus
// does for a series that does not exist. Errors carry Prometheus' shape and status codes.

export type { Answerer, PrometheusErrorType, TwinAnswer, TwinSeries } from './answers.ts';

export interface PrometheusTwinOptions {
  origin?: string;
}

export interface AskedQuery {
  query: string;
  time: Date;
  /** The `timeout` parameter as sent, e.g. "10000ms". */
  timeout?: string;
  method: string;
}

export interface PrometheusTwin {
  handlers: RequestHandler[];
  /** Requests in order; faults: {match: '/api/v1/query', status | delayMs}, kind 'timeout' | 'malformed' | 'proxy-error'. */
  recorder: Recorder;
  /** The queries evaluated, in order, with their evaluation time. */
  readonly queries: AskedQuery[];
  /** Sets the answer to `query` (matched with whitespace collapsed): a vector, a scalar, an error, or a function. */
  answer(query: string, answer: Answerer): void;
  reset(): void;
}

export const PROMETHEUS_TWIN_ORIGIN = 'http://prometheus.twin';

const FAULT_ERROR_TYPE: Record<number, PrometheusErrorType> = {
  400: 'bad_data',
  404: 'not_found',
  422: 'execution',
  499: 'canceled',
  503: 'unavailable',
};

function prometheusError(
  errorType: PrometheusErrorType,
  error: string,
  warnings?: string[],
  status?: number,
) {
  return HttpResponse.json(
    { status: 'error', errorType, error, ...(warnings?.length ? { warnings } : {}) },
    { status: status ?? STATUS_OF_ERROR_TYPE[errorType] },
  );
}

function render(answer: TwinAnswer, time: Date) {
  if ('errorType' in answer) return prometheusError(answer.errorType, answer.error, answer.warnings);
  const at = formatTimestamp(time);
  const data =
    'scalar' in answer
      ? { resultType: 'scalar', result: [at, formatSampleValue(answer.scalar)] }
      : {
          resultType: 'vector',
          result: answer.vector.map((s) => ({
            metric: s.metric ?? {},
            value: [at, formatSampleValue(s.value)],
          })),
        };
  return HttpResponse.json({
    status: 'success',
    data,
    ...(answer.warnings?.length ? { warnings: answer.warnings } : {}),
    ...(answer.infos?.length ? { infos: answer.infos } : {}),
  });
}

export function createPrometheusTwin(options: PrometheusTwinOptions = {}): PrometheusTwin {
  const origin = options.origin ?? PROMETHEUS_TWIN_ORIGIN;
  const recorder = new Recorder();
  const answers = new Map<string, Answerer>();
  const queries: AskedQuery[] = [];

  async function evaluate({ request }: { request: Request }) {
    const recorded = await recorder.record(request);
    // As Prometheus does, form fields of a POST join the URL's parameters.
    const params = new URLSearchParams(new URL(request.url).search);
    if (request.method === 'POST') {
      if (!request.headers.get('content-type')?.includes('application/x-www-form-urlencoded')) {
        return prometheusError(
          'bad_data',
          'invalid parameter "query": 1:1: parse error: no expression found in input',
        );
      }
      for (const [key, value] of new URLSearchParams(await request.text())) params.set(key, value);
    }
    const fault = recorder.takeFault(recorded.method, recorded.path);
    if (fault?.delayMs) await delay(fault.delayMs);
    if (fault?.kind === 'timeout')
      return prometheusError('timeout', 'query timed out in expression evaluation');
    if (fault?.kind === 'malformed')
      return HttpResponse.json({ status: 'success', data: { resultType: 'vector' } });
    if (fault?.kind === 'proxy-error') {
      return new HttpResponse('<html><body>502 Bad Gateway</body></html>', {
        status: 502,
        headers: { 'content-type': 'text/html' },
      });
    }
    if (fault?.status) {
      const errorType = FAULT_ERROR_TYPE[fault.status] ?? 'internal';
      return prometheusError(
        errorType,
        fault.message ?? `twin: injected ${fault.status}`,
        undefined,
        fault.status,
      );
    }

    const query = params.get('query') ?? '';
    if (query.trim() === '') {
      return prometheusError(
        'bad_data',
        'invalid parameter "query": 1:1: parse error: no expression found in input',
      );
    }
    const timeParam = params.get('time');
    const time = timeParam === null ? new Date() : parseTimeParam(timeParam);
    if (!time) {
      return prometheusError(
        'bad_data',
        `invalid parameter "time": cannot parse "${timeParam}" to a valid timestamp`,
      );
    }
    const timeout = params.get('timeout');
    queries.push({ query, time, method: request.method, ...(timeout === null ? {} : { timeout }) });
    const answerer = answers.get(queryKey(query)) ?? { vector: [] };
    return render(typeof answerer === 'function' ? answerer({ query, time }) : answerer, time);
  }

  return {
    handlers: [http.get(`${origin}/api/v1/query`, evaluate), http.post(`${origin}/api/v1/query`, evaluate)],
    recorder,
    queries,
    answer: (query, answer) => void answers.set(queryKey(query), answer),
    reset() {
      answers.clear();
      queries.length = 0;
      recorder.reset();
    },
  };
}
