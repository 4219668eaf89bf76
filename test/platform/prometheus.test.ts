import { beforeEach, describe, expect, it } from 'vitest';
import {
  createPrometheusTwin,
  PROMETHEUS_TWIN_ORIGIN as ORIGIN,
} from '../../sandbox/twins/prometheus/index.ts';
import type { Prometheus } from '../../src/gates/ports/prometheus.ts';
import { createPrometheus, parseSampleValue } from '../../src/platform/prometheus/index.ts';
import { PlatformError } from '../../src/runbooks/ports/errors.ts';
import { useTwins } from '../helpers/msw.ts';

const twin = createPrometheusTwin();
useTwins(...twin.handlers);
beforeEach(() => twin.reset());

const prometheus: Prometheus = createPrometheus({ baseUrl: ORIGIN, timeoutMs: 2_000 });

const ERROR_RATIO = 'sum(rate(http_requests_total{code=~"5.."}[5m])) / sum(rate(http_requests_total[5m]))';
const AT = new Date('2026-11-02T10:00:00.250Z');

describe('Prometheus instant queries', () => {
  it('returns a typed vector, asking with POST form fields, the time and its own timeout', async () => {
    twin.answer('sum by (code) (rate(http_requests_total[5m]))', {
      vector: [
        { metric: { code: '200' }, value: 41.5 },
        { metric: { code: '500' }, value: 0.25 },
      ],
    });
    const result = await prometheus.query('sum by (code) (rate(http_requests_total[5m]))', AT);
    expect(result).toEqual({
      resultType: 'vector',
      samples: [
        { metric: { code: '200' }, value: 41.5, at: AT },
        { metric: { code: '500' }, value: 0.25, at: AT },
      ],
      warnings: [],
      infos: [],
    });
    expect(twin.queries).toEqual([
      { query: 'sum by (code) (rate(http_requests_total[5m]))', time: AT, timeout: '2000ms', method: 'POST' },
    ]);
    expect(twin.recorder.requests[0]?.headers['content-type']).toBe('application/x-www-form-urlencoded');
  });

  it('parses NaN and infinities, which arrive as strings', async () => {
    twin.answer(ERROR_RATIO, {
      vector: [
        { metric: { revision: 'a' }, value: Number.NaN },
        { metric: { revision: 'b' }, value: Number.POSITIVE_INFINITY },
        { metric: { revision: 'c' }, value: Number.NEGATIVE_INFINITY },
      ],
    });
    const result = await prometheus.query(ERROR_RATIO);
    expect(result.resultType === 'vector' && result.samples.map((s) => s.value)).toEqual([
      Number.NaN,
      Number.POSITIVE_INFINITY,
      Number.NEGATIVE_INFINITY,
    ]);
  });

  it('returns scalars, and an empty vector for a series that does not exist', async () => {
    twin.answer('scalar(sum(up))', { scalar: 3 });
    // The twin matches queries with whitespace collapsed, so a reformatted query finds its answer.
    expect(await prometheus.query('\n  scalar(sum(up))\n', AT)).toEqual({
      resultType: 'scalar',
      value: 3,
      at: AT,
      warnings: [],
      infos: [],
    });
    expect(await prometheus.query('nova_golden_mismatch_total')).toMatchObject({
      resultType: 'vector',
      samples: [],
    });
  });

  it('surfaces warnings and infos', async () => {
    twin.answer('sum(nova_golden_mismatch_total)', {
      vector: [{ value: 0 }],
      warnings: ['remote read of store eu-1 failed; the answer may be partial'],
      infos: ['PromQL info: metric might not be a counter'],
    });
    expect(await prometheus.query('sum(nova_golden_mismatch_total)')).toMatchObject({
      warnings: ['remote read of store eu-1 failed; the answer may be partial'],
      infos: ['PromQL info: metric might not be a counter'],
    });
  });

  it('answers from a function of the evaluation time, for values captured before and after a change', async () => {
    const change = new Date('2026-11-02T10:05:00Z');
    twin.answer('sum(nova_golden_mismatch_total)', ({ time }) => ({
      vector: [{ value: time < change ? 0 : 1 }],
    }));
    const before = await prometheus.query(
      'sum(nova_golden_mismatch_total)',
      new Date('2026-11-02T10:00:00Z'),
    );
    const after = await prometheus.query('sum(nova_golden_mismatch_total)', new Date('2026-11-02T10:10:00Z'));
    expect([before, after].map((r) => r.resultType === 'vector' && r.samples[0]?.value)).toEqual([0, 1]);
  });

  it('the twin also answers GET, as Prometheus does', async () => {
    twin.answer('up', { vector: [{ metric: { job: 'control' }, value: 1 }] });
    const response = await fetch(`${ORIGIN}/api/v1/query?query=up&time=1700000000.5`);
    expect(await response.json()).toEqual({
      status: 'success',
      data: { resultType: 'vector', result: [{ metric: { job: 'control' }, value: [1700000000.5, '1'] }] },
    });
  });
});

describe('Prometheus failures', () => {
  async function failure(promise: Promise<unknown>): Promise<PlatformError> {
    const error = await promise.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(PlatformError);
    expect((error as PlatformError).system).toBe('prometheus');
    return error as PlatformError;
  }

  it("a query that does not parse is invalid, with Prometheus' message", async () => {
    twin.answer('sum(rate(x[5m])', {
      errorType: 'bad_data',
      error: 'invalid parameter "query": 1:16: parse error: unclosed left parenthesis',
    });
    const error = await failure(prometheus.query('sum(rate(x[5m])'));
    expect(error.kind).toBe('invalid');
    expect(error.message).toBe(
      'prometheus query sum(rate(x[5m]): bad_data (400): invalid parameter "query": 1:16: parse error: unclosed left parenthesis',
    );
  });

  it('an execution error (422) is invalid; unavailable (503) is unavailable; a server timeout is a timeout', async () => {
    twin.answer('a * on() b', { errorType: 'execution', error: 'many-to-many matching not allowed' });
    const execution = await failure(prometheus.query('a * on() b'));
    expect([execution.kind, execution.message]).toEqual([
      'invalid',
      'prometheus query a * on() b: execution (422): many-to-many matching not allowed',
    ]);

    twin.recorder.inject({ match: '/api/v1/query', status: 503, message: 'TSDB not ready' });
    const unavailable = await failure(prometheus.query('up'));
    expect([unavailable.kind, unavailable.message]).toEqual([
      'unavailable',
      'prometheus query up: unavailable (503): TSDB not ready',
    ]);

    twin.recorder.inject({ match: '/api/v1/query', kind: 'timeout' });
    expect((await failure(prometheus.query('up'))).kind).toBe('timeout');
  });

  it('no answer within the bound is a timeout', async () => {
    const quick = createPrometheus({ baseUrl: ORIGIN, timeoutMs: 50 });
    twin.recorder.inject({ match: '/api/v1/query', delayMs: 2_000 });
    const error = await failure(quick.query('up'));
    expect(error.kind).toBe('timeout');
    expect(error.message).toBe(`prometheus query up: no answer from ${ORIGIN}/api/v1/query within 50 ms`);
  });

  it('a proxy error page, a malformed answer, a range vector or an unreachable server say so', async () => {
    twin.recorder.inject({ match: '/api/v1/query', kind: 'proxy-error' });
    expect(await failure(prometheus.query('up'))).toMatchObject({
      kind: 'unavailable',
      message: expect.stringContaining('answered 502'),
    });

    twin.recorder.inject({ match: '/api/v1/query', kind: 'malformed' });
    expect((await failure(prometheus.query('up'))).kind).toBe('invalid');

    const matrix = createPrometheus({
      baseUrl: ORIGIN,
      fetch: async () => Response.json({ status: 'success', data: { resultType: 'matrix', result: [] } }),
    });
    expect((await failure(matrix.query('up[5m]'))).message).toBe(
      'prometheus query up[5m]: the query answers a matrix, not an instant vector or a scalar',
    );

    const down = createPrometheus({
      baseUrl: ORIGIN,
      fetch: () => Promise.reject(new TypeError('fetch failed')),
    });
    expect(await failure(down.query('up'))).toMatchObject({
      kind: 'unavailable',
      message: expect.stringContaining('could not be reached'),
    });
  });
});

describe('sample values', () => {
  it('reads Go float formatting and refuses anything else', () => {
    expect(parseSampleValue('1.5')).toBe(1.5);
    expect(parseSampleValue('1e-07')).toBe(1e-7);
    expect(parseSampleValue('+Inf')).toBe(Number.POSITIVE_INFINITY);
    expect(parseSampleValue('-Inf')).toBe(Number.NEGATIVE_INFINITY);
    expect(parseSampleValue('NaN')).toBeNaN();
    expect(parseSampleValue('abc')).toBeUndefined();
    expect(parseSampleValue('')).toBeUndefined();
  });
});
