import { describe, expect, it } from 'vitest';
import { gate as gateSchema } from '../../src/config/gates.ts';
import { canaryRunbook, withFastTicks } from '../../src/config/runbooks.ts';
import type { RequestErrorQuery, RequestErrorSource } from '../../src/gates/ports/error-counts.ts';
import type { CloudMonitoring } from '../../src/gates/ports/monitoring.ts';
import { createCloudMonitoringGate } from '../../src/gates/providers/cloud-monitoring.ts';
import { createGateRegistry } from '../../src/gates/registry.ts';
import { renderGate } from '../../src/gates/render.ts';
import { PlatformError } from '../../src/runbooks/ports/errors.ts';
import { gateContext, NOW } from '../helpers/gate-context.ts';

// The error-rate gate's fast signal over the RequestErrorSource port (the source itself is tested against
// the Logging twin in test/platform/request-errors.test.ts): what it asks, when it fails, what it says.

const ctx = gateContext();
const CANARY = ctx.canaryRevision;
const STABLE = ctx.stableRevision;

function source(counts: { canary: number; stable: number } | Error) {
  const asked: RequestErrorQuery[] = [];
  const port: RequestErrorSource = {
    async count5xx(query) {
      asked.push(query);
      if (counts instanceof Error) throw counts;
      return {
        counts: { [CANARY]: counts.canary, [STABLE]: counts.stable },
        through: query.window.end,
        complete: true,
        filter: 'logName="projects/p/logs/run.googleapis.com%2Frequests" AND httpRequest.status>=500',
      };
    },
  };
  return { port, asked };
}

const errorRate = (extra: Record<string, unknown> = {}) =>
  gateSchema.parse({ kind: 'cloud-monitoring', metric: 'error-rate', belowPercent: 1, ...extra });

describe('the fast signal of a fast tick', () => {
  it('fails a canary drawing far more than its share of the 5xx, counting up to now minus the lag', async () => {
    const { port, asked } = source({ canary: 12, stable: 20 });
    const result = await createGateRegistry({ errorCounts: port }).evaluateFast(
      'error-rate',
      errorRate(),
      ctx,
    );
    expect(result).toMatchObject({
      gate: 'error-rate',
      status: 'fail',
      samples: 32,
      observed: { value: 37.5 },
    });
    expect(result?.reason).toMatch(/^regression vs stable: 12 of 32 5xx on the canary at 5 % traffic/);
    expect(result?.evidence).toMatch(
      /^gcloud logging read '.*httpRequest.status>=500' --project 'openagentsgemini'$/,
    );
    expect(asked[0]).toMatchObject({
      project: ctx.project,
      location: ctx.region,
      revisions: [CANARY, STABLE],
      window: { start: ctx.window.start, end: new Date(NOW.getTime() - 5_000) },
    });
    expect(renderGate(result as NonNullable<typeof result>)).toContain(': FAIL');
  });

  it('is inconclusive, never a pass, while the canary draws its share', async () => {
    const { port } = source({ canary: 2, stable: 40 });
    const result = await createGateRegistry({ errorCounts: port }).evaluateFast(
      'error-rate',
      errorRate(),
      ctx,
    );
    expect(result).toMatchObject({ status: 'inconclusive' });
    expect(result?.reason).toMatch(/^no regression shown yet: 2 of 42 5xx/);
  });

  it('is absent when turned off, for latency, and at 100 % where nothing is left to compare', async () => {
    const { port, asked } = source({ canary: 50, stable: 0 });
    const registry = createGateRegistry({ errorCounts: port });
    expect(await registry.evaluateFast('error-rate', errorRate({ fastSignal: false }), ctx)).toBeUndefined();
    const latency = gateSchema.parse({ kind: 'cloud-monitoring', metric: 'latency', maxMs: 500 });
    expect(await registry.evaluateFast('latency', latency, ctx)).toBeUndefined();
    expect(
      await registry.evaluateFast('error-rate', errorRate(), { ...ctx, canaryShare: 1 }),
    ).toBeUndefined();
    expect(asked).toHaveLength(0);
  });

  it('stands down, saying why, when the logs are not readable; other failures are inconclusive', async () => {
    const denied = source(new PlatformError('logging', 'permission-denied', 'needs roles/logging.viewer'));
    const skipped = await createGateRegistry({ errorCounts: denied.port }).evaluateFast(
      'error-rate',
      errorRate(),
      ctx,
    );
    expect(skipped).toMatchObject({ status: 'skipped' });
    expect(skipped?.reason).toContain('not readable');
    expect(skipped?.reason).toContain('Cloud Monitoring judges alone');
    const quota = source(new PlatformError('logging', 'rate-limited', 'Quota exceeded'));
    const waiting = await createGateRegistry({ errorCounts: quota.port }).evaluateFast(
      'error-rate',
      errorRate(),
      ctx,
    );
    expect(waiting).toMatchObject({ status: 'inconclusive' });
  });
});

describe('the fast signal in the gate at the stage tick', () => {
  // Cloud Monitoring with nothing complete in the window yet (minutes late). While waiting, the gate
  // asks only for the traffic before the window (sample-need.ts); that read failing changes nothing here.
  const late: CloudMonitoring = {
    async revisionStats() {
      throw new Error('Monitoring unavailable');
    },
    completeThrough: () => new Date(ctx.window.start.getTime() - 60_000),
    shortestWindowMs: 60_000,
  };

  it('fails on the logs while Monitoring still waits for complete data, keeping where its data ends', async () => {
    const { port } = source({ canary: 12, stable: 20 });
    const gate = createCloudMonitoringGate({ monitoring: late, errorCounts: port });
    const result = await gate.evaluate('error-rate', errorRate() as never, ctx);
    expect(result.status).toBe('fail');
    expect(result.reason).toMatch(/^regression vs stable in the request logs: 12 of 32/);
    expect(result.dataThrough).toBeDefined();
  });

  it('adds what the logs show to a result Monitoring judged, and nothing when turned off', async () => {
    const { port } = source({ canary: 2, stable: 40 });
    const gate = createCloudMonitoringGate({ monitoring: late, errorCounts: port });
    const on = await gate.evaluate('error-rate', errorRate() as never, ctx);
    expect(on.status).toBe('inconclusive');
    expect(on.reason).toContain('request logs: 2 of 42 5xx on the canary');
    const off = await gate.evaluate('error-rate', errorRate({ fastSignal: false }) as never, ctx);
    expect(off.reason).not.toContain('request logs');
  });
});

describe('fastSignal in the config', () => {
  it('is on by default, reads every 10 s up to 5 s ago, and can be tuned or turned off', () => {
    expect(errorRate()).toMatchObject({ fastSignal: true });
    expect(errorRate({ fastSignal: { interval: '2s' } })).toMatchObject({
      fastSignal: { interval: 2_000, lag: 5_000 },
    });
    expect(errorRate({ fastSignal: false })).toMatchObject({ fastSignal: false });
    expect(() => errorRate({ fastSignal: { interval: '0s' } })).toThrow();
  });

  it('pins fast ticks on the watched stages that have such a gate and a longer interval', () => {
    const runbook = canaryRunbook.parse({
      kind: 'canary',
      stages: [
        { name: 'A', traffic: 0 },
        { name: 'B', traffic: 5, watch: '10m', interval: '1m', gates: ['error-rate', 'latency'] },
        { name: 'C', traffic: 50, watch: '10m', interval: '5s', gates: ['error-rate'] },
        { name: 'D', traffic: 60, watch: '10m', interval: '1m', gates: ['quiet', 'latency'] },
        { name: 'E', traffic: 100, watch: '10m', interval: '1m', gates: ['error-rate'] },
      ],
    });
    const gates = {
      'error-rate': errorRate(),
      quiet: errorRate({ fastSignal: false }),
      latency: gateSchema.parse({ kind: 'cloud-monitoring', metric: 'latency', maxMs: 500 }),
    };
    const pinned = withFastTicks(runbook, gates).stages.map((s) => s.fast);
    expect(pinned).toEqual([
      undefined,
      { gates: ['error-rate'], interval: 10_000 },
      undefined,
      undefined,
      undefined,
    ]);
  });
});
