import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { createMonitoringTwin, INSTANT_DATA } from '../../sandbox/twins/monitoring/index.ts';
import { createErrorBudgetReader } from '../../src/platform/monitoring/index.ts';
import { PlatformError } from '../../src/runbooks/ports/errors.ts';
import { useTwins } from '../helpers/msw.ts';

// The error-budget reader through the real @google-cloud/monitoring clients (REST fallback) against the
// Monitoring twin's SLOs: the SLO from the service-monitoring API, the budget from its
// select_slo_budget_fraction series, as late as the twin makes it.

const twin = createMonitoringTwin({ project: 'p', ...INSTANT_DATA });
// The same twin with production lateness (60 s samples, 180 s ingestion) on a clock the test moves.
let clock = Date.parse('2026-11-20T10:00:30Z');
const late = createMonitoringTwin({ origin: 'http://late-monitoring.twin', now: () => clock });
useTwins(...twin.handlers, ...late.handlers);

const endpoint = (host: string) => ({ host, port: 80, protocol: 'http' as const });
const target = { projectId: 'p', endpoint: endpoint('monitoring.twin') };
const budget = createErrorBudgetReader({ target, timeoutMs: 2_000, retryDelayMs: 1 });
const lateBudget = createErrorBudgetReader({
  target: { projectId: 'p', endpoint: endpoint('late-monitoring.twin') },
  retryDelayMs: 1,
  now: () => new Date(clock),
});
afterAll(() => Promise.all([budget.close(), lateBudget.close()]));

const STREAM = 'projects/p/services/stream/serviceLevelObjectives/availability';
const MONTHLY = 'projects/p/services/stream/serviceLevelObjectives/latency-monthly';
const ago = (minutes: number) => Date.now() - minutes * 60_000;

beforeEach(() => {
  twin.reset();
  twin.defineSlo({
    name: STREAM,
    displayName: 'Stream availability',
    goal: 0.999,
    rollingPeriod: '2419200s',
  });
  twin.defineSlo({ name: MONTHLY, goal: 0.99, calendarPeriod: 'MONTH' });
});

describe('consumed', () => {
  it('reads the SLO and the newest point of its budget fraction', async () => {
    const at = ago(5);
    twin.setBudgetFraction(STREAM, 0.9, ago(20));
    twin.setBudgetFraction(STREAM, 0.75, at);

    const read = await budget.consumed(STREAM);

    expect(read).toEqual({
      slo: STREAM,
      displayName: 'Stream availability',
      goal: 0.999,
      period: 'rolling 28d',
      consumedPercent: 25,
      at: new Date(at).toISOString(),
    });
  });

  it('reads a calendar period, and an SLO without a display name', async () => {
    twin.setBudgetFraction(MONTHLY, 1, ago(1));
    const read = await budget.consumed(MONTHLY);
    expect(read).toMatchObject({ slo: MONTHLY, goal: 0.99, period: 'calendar MONTH', consumedPercent: 0 });
    expect(read).not.toHaveProperty('displayName');
  });

  it('rounds to hundredths and reports an overspent budget above 100 %', async () => {
    twin.setBudgetFraction(STREAM, 1 / 3, ago(2));
    expect((await budget.consumed(STREAM)).consumedPercent).toBe(66.67);
    twin.setBudgetFraction(STREAM, -0.25, ago(1));
    expect((await budget.consumed(STREAM)).consumedPercent).toBe(125);
    twin.setBudgetFraction(STREAM, 0, ago(0.5));
    expect((await budget.consumed(STREAM)).consumedPercent).toBe(100);
  });

  it('asks for the SLO and its raw budget series over the last hour, in the SLO’s project', async () => {
    twin.setBudgetFraction(STREAM, 0.5, ago(1));
    const before = Date.now();
    await budget.consumed(STREAM);

    const paths = twin.recorder.requests.map((r) => r.path.split('?')[0]).sort();
    expect(paths).toEqual([`/v3/${STREAM}`, '/v3/projects/p/timeSeries']);
    const series = twin.recorder.requests.find((r) => r.path.includes('timeSeries'));
    const sent = new URL(`http://x${series?.path}`).searchParams;
    expect(sent.get('filter')).toBe(`select_slo_budget_fraction("${STREAM}")`);
    const start = Date.parse(sent.get('interval.startTime') as string);
    const end = Date.parse(sent.get('interval.endTime') as string);
    expect(end - start).toBe(3_600_000);
    expect(end).toBeGreaterThanOrEqual(before);
    expect([...sent.keys()].filter((k) => k.startsWith('aggregation'))).toEqual([]);
  });

  it('says invalid, naming the SLO, when it has no budget point in the last hour', async () => {
    const none = await budget.consumed(STREAM).catch((e: unknown) => e);
    expect(none).toBeInstanceOf(PlatformError);
    expect(none).toMatchObject({ system: 'monitoring', kind: 'invalid' });
    expect((none as Error).message).toContain(STREAM);
    expect((none as Error).message).toContain('no point in the last 60 min');

    twin.setBudgetFraction(STREAM, 0.5, ago(61));
    await expect(budget.consumed(STREAM)).rejects.toMatchObject({ kind: 'invalid' });
  });

  it('refuses a name that is no SLO name without asking', async () => {
    await expect(budget.consumed('projects/p/services/stream')).rejects.toMatchObject({
      system: 'monitoring',
      kind: 'invalid',
      message: expect.stringContaining('projects/P/services/S/serviceLevelObjectives/O'),
    });
    expect(twin.recorder.requests).toHaveLength(0);
  });
});

describe('failures', () => {
  it('reports an unknown SLO as not-found, naming it', async () => {
    const unknown = 'projects/p/services/stream/serviceLevelObjectives/nope';
    const error = await budget.consumed(unknown).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PlatformError);
    expect(error).toMatchObject({ system: 'monitoring', kind: 'not-found' });
    expect((error as Error).message).toContain(`no SLO ${unknown}`);
    // An SLO of another project is unknown too, though its service and id exist in p.
    await expect(
      budget.consumed('projects/q/services/stream/serviceLevelObjectives/availability'),
    ).rejects.toMatchObject({ kind: 'not-found' });
  });

  it('maps 403 to permission-denied, naming the role', async () => {
    twin.setBudgetFraction(STREAM, 0.5, ago(1));
    twin.recorder.inject({
      match: 'serviceLevelObjectives',
      status: 403,
      message: 'Permission monitoring.slos.get denied (or the resource may not exist).',
    });
    const error = await budget.consumed(STREAM).catch((e: unknown) => e);
    expect(error).toMatchObject({ system: 'monitoring', kind: 'permission-denied' });
    expect((error as Error).message).toMatch(/roles\/monitoring\.viewer.*monitoring\.slos\.get denied/);
    expect((error as Error).message).toContain(STREAM);
  });

  it('maps a persistent 429 to rate-limited after the bounded attempts', async () => {
    twin.setBudgetFraction(STREAM, 0.5, ago(1));
    twin.recorder.inject({ match: 'timeSeries', status: 429, retryAfter: 1, times: 10 });
    await expect(budget.consumed(STREAM)).rejects.toMatchObject({
      kind: 'rate-limited',
      message: expect.stringContaining('2 attempts'),
    });
  });

  it('retries a 503 once, and maps a persistent one to unavailable', async () => {
    twin.setBudgetFraction(STREAM, 0.5, ago(1));
    twin.recorder.inject({ match: 'serviceLevelObjectives', status: 503 });
    expect((await budget.consumed(STREAM)).consumedPercent).toBe(50);

    twin.recorder.inject({ match: 'serviceLevelObjectives', status: 503, times: 10 });
    await expect(budget.consumed(STREAM)).rejects.toMatchObject({
      kind: 'unavailable',
      message: expect.stringContaining(STREAM),
    });
  });
});

describe('with production lateness', () => {
  const minute = (m: number) => Date.parse('2026-11-20T10:00:00Z') + m * 60_000;

  it('reads a budget only once its sample has ended and been ingested, and the newest point that exists', async () => {
    late.defineSlo({ name: STREAM, goal: 0.999, rollingPeriod: '604800s' });
    clock = minute(0.5);
    late.setBudgetFraction(STREAM, 0.8); // in the sample ending 10:01, visible from 10:04

    clock = minute(3.9);
    await expect(lateBudget.consumed(STREAM)).rejects.toMatchObject({ kind: 'invalid' });

    clock = minute(4);
    expect(await lateBudget.consumed(STREAM)).toMatchObject({
      period: 'rolling 7d',
      consumedPercent: 20,
      at: '2026-11-20T10:01:00.000Z',
    });

    late.setBudgetFraction(STREAM, 0.5); // at 10:04: not visible before 10:08
    clock = minute(7.5);
    expect(await lateBudget.consumed(STREAM)).toMatchObject({
      consumedPercent: 20,
      at: '2026-11-20T10:04:00.000Z',
    });
    clock = minute(8);
    expect(await lateBudget.consumed(STREAM)).toMatchObject({
      consumedPercent: 50,
      at: '2026-11-20T10:05:00.000Z',
    });
  });
});

describe('the twin', () => {
  const list = async (params: Record<string, string>) => {
    const end = new Date().toISOString();
    const search = new URLSearchParams({
      'interval.startTime': new Date(ago(60)).toISOString(),
      'interval.endTime': end,
      ...params,
    });
    const response = await fetch(`http://monitoring.twin/v3/projects/p/timeSeries?${search}`);
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  it('answers the budget series raw, as a DOUBLE gauge, and nothing for an SLO without points', async () => {
    twin.setBudgetFraction(STREAM, 0.5, ago(3));
    const { status, body } = await list({ filter: `select_slo_budget_fraction("${STREAM}")` });
    expect(status).toBe(200);
    expect(body).toEqual({
      timeSeries: [
        {
          metricKind: 'GAUGE',
          valueType: 'DOUBLE',
          points: [
            {
              interval: { startTime: expect.any(String), endTime: expect.any(String) },
              value: { doubleValue: 0.5 },
            },
          ],
        },
      ],
    });
    expect(await list({ filter: `select_slo_budget_fraction("${MONTHLY}")` })).toEqual({
      status: 200,
      body: {},
    });
  });

  it('refuses what it cannot answer as the API would: aggregation, other selectors, unknown SLOs', async () => {
    twin.setBudgetFraction(STREAM, 0.5, ago(3));
    const aggregated = await list({
      filter: `select_slo_budget_fraction("${STREAM}")`,
      'aggregation.alignmentPeriod': '60s',
      'aggregation.perSeriesAligner': 'ALIGN_MEAN',
    });
    expect(aggregated.status).toBe(400);
    expect((await list({ filter: `select_slo_health("${STREAM}")` })).status).toBe(400);
    const unknown = await list({
      filter: 'select_slo_budget_fraction("projects/p/services/s/serviceLevelObjectives/x")',
    });
    expect(unknown).toMatchObject({ status: 404, body: { error: { code: 404, status: 'NOT_FOUND' } } });
  });

  it('holds SLOs to service.proto’s constraints', () => {
    const slo = { name: 'projects/p/services/s/serviceLevelObjectives/x' };
    expect(() => twin.defineSlo({ ...slo, goal: 1, rollingPeriod: '86400s' })).toThrow(/goal/);
    expect(() => twin.defineSlo({ ...slo, goal: 0.99, rollingPeriod: '3600s' })).toThrow(
      /whole number of days/,
    );
    expect(() => twin.defineSlo({ ...slo, goal: 0.99, rollingPeriod: '3024000s' })).toThrow(/up to 30/);
    expect(() => twin.defineSlo({ ...slo, goal: 0.99 })).toThrow(/exactly one/);
    expect(() => twin.setBudgetFraction(slo.name, 0.5)).toThrow(/define it first/);
  });
});
