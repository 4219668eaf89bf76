import { afterEach, describe, expect, it } from 'vitest';
import { sequentialErrorTest } from '../../src/gates/sequential.ts';
import type { Engine } from '../../src/runbooks/engine.ts';
import type { CanaryState } from '../../src/runbooks/types.ts';
import {
  APPROVERS,
  type EngineWorld,
  startAtB,
  testConfig,
  useEngineWorld,
} from '../helpers/engine-world.ts';

// The error-rate gate's fast signal through the engine, the real Logging adapter and the Logging twin
// with its own ingestion latency (5 s) and read quota (60 entries.list a minute), while Cloud Monitoring
// is as late as in production (60 s samples, visible 180 s later): only the request logs can judge the
// canary within the test's seconds. Stage B watches for 10 minutes with a tick every minute; the fast
// signal is read every second (the default is 10 s) up to 5 s before now.

const world = useEngineWorld('fast-signal', [], {
  visibility: { samplePeriodMs: 60_000, ingestionLatencyMs: 180_000 },
  logging: {},
});

function config(fastSignal: false | { interval: number; lag: number }, interval = '1m') {
  const cfg = testConfig({ watch: '10m', interval, samplePeriod: '1m', ingestionLatency: '3m' });
  (cfg.gates['error-rate'] as { fastSignal: unknown }).fastSignal = fastSignal;
  return cfg;
}
const FAST = { interval: 1_000, lag: 5_000 };

/**
 * 1,000 requests a second, 5xx only written (what the query lists): stable at 1 %, the canary at
 * `factor` times that, on the split Cloud Run serves now.
 */
function serve(w: EngineWorld, revisions: { stable: string; canary: string }, factor: number) {
  const owed = { stable: 0, canary: 0 };
  const seen = { firstCanaryError: undefined as number | undefined, canary: 0, stable: 0 };
  const timer = setInterval(() => {
    const share = (w.split()[revisions.canary] ?? 0) / 100;
    owed.stable += 100 * (1 - share) * 0.01;
    owed.canary += 100 * share * 0.01 * factor;
    for (const which of ['stable', 'canary'] as const) {
      for (; owed[which] >= 1; owed[which] -= 1) {
        w.logs.recordRequest(revisions[which], { status: 503, url: '/api/x' });
        seen[which] += 1;
        if (which === 'canary') seen.firstCanaryError ??= Date.now();
      }
    }
  }, 100);
  stops.push(() => clearInterval(timer));
  return seen;
}
const stops: (() => void)[] = [];
afterEach(() => {
  for (const stop of stops.splice(0)) stop();
});

async function watchingB(engine: Engine, tag: string) {
  const at = await startAtB(world, engine, tag);
  await engine.send(at.id, { type: 'approve', userId: APPROVERS[0], stage: 1 });
  await world.until(engine, at.id, (v) => {
    expect(v.status).toBe('watching');
    expect((v.state as CanaryState).stage).toBe(1);
  });
  return at;
}

const listCalls = () => world.logs.recorder.requests.filter((r) => r.path.includes('/v2/entries:list'));

describe('the fast error signal', () => {
  it('rolls back a canary with 5x the 5xx within seconds of its errors, minutes before Monitoring could', async () => {
    const engine = world.engine({ config: config(FAST) });
    const { id, stable, revision } = await watchingB(engine, 'v2.0.0');
    const seen = serve(world, { stable, canary: revision }, 5);
    const view = await world.until(
      engine,
      id,
      (v) => expect(v.status).toMatch(/^rolling-back|rolled-back$/),
      40_000,
    );
    const caughtAt = Date.now();
    const b = (view.state as CanaryState).stages[1];
    expect(b?.verdict).toBe('fail');
    // One tick recorded: the fast one that failed; the stage's own minute tick never came.
    expect(b?.ticks).toHaveLength(1);
    const failed = b?.ticks[0]?.[0];
    expect(failed).toMatchObject({
      gate: 'error-rate',
      status: 'fail',
      metric: "canary's share of 5xx (request logs)",
    });
    expect(failed?.reason).toMatch(/^regression vs stable: \d+ of \d+ 5xx on the canary at 5 % traffic/);
    expect(failed?.evidence).toContain('httpRequest.status>=500');
    // Within seconds of the canary's first 5xx (5 s of them arrive in Logging late): Monitoring's first
    // complete minute of the stage would take 60 s + 180 s.
    const after = caughtAt - (seen.firstCanaryError as number);
    expect(after).toBeLessThan(25_000);
    expect(after).toBeLessThan(60_000 + 180_000);
    // Counts of both revisions, not requests, were read: a few list calls, none beyond one a second.
    expect(listCalls().length).toBeGreaterThan(0);
    expect(listCalls().length).toBeLessThanOrEqual(Math.ceil(after / 1_000) + 5);
  });

  it('does not fail a canary drawing its share of the 5xx, and fast ticks leave no tick or message behind', async () => {
    const engine = world.engine({ config: config(FAST) });
    const { id, stable, revision } = await watchingB(engine, 'v2.0.1');
    const seen = serve(world, { stable, canary: revision }, 1);
    // Twelve fast ticks: the first 5 s of 5xx are in Logging and have been counted several times over.
    const view = await world.until(
      engine,
      id,
      (v) => expect((v.state as CanaryState).stages[1]?.fastTicks ?? 0).toBeGreaterThanOrEqual(12),
      40_000,
    );
    expect(view.status).toBe('watching');
    const b = (view.state as CanaryState).stages[1];
    expect(b?.ticks).toEqual([]);
    expect(b?.verdict).not.toBe('fail');
    expect(world.notifications.filter((n) => n.rolloutId === id && n.notification.kind === 'gates')).toEqual(
      [],
    );
    expect(seen.stable).toBeGreaterThan(50);
    // What was counted would not reject either: the canary's share is its traffic share.
    expect(
      sequentialErrorTest({ canaryErrors: seen.canary, stableErrors: seen.stable, rho: 0.05, alpha: 0.01 })
        .reject,
    ).toBe(false);
  });

  it('reads no request log when turned off: Monitoring alone judges, minutes late', async () => {
    const engine = world.engine({ config: config(false, '1s') });
    const { id, stable, revision } = await watchingB(engine, 'v2.0.2');
    serve(world, { stable, canary: revision }, 5);
    const view = await world.until(
      engine,
      id,
      (v) => expect((v.state as CanaryState).stages[1]?.ticks.length ?? 0).toBeGreaterThanOrEqual(8),
      40_000,
    );
    expect(view.status).toBe('watching');
    const b = (view.state as CanaryState).stages[1];
    expect(b?.fastTicks).toBeUndefined();
    for (const tick of b?.ticks ?? []) {
      expect(tick[0]).toMatchObject({ gate: 'error-rate', status: 'inconclusive' });
      expect(tick[0]?.reason).toMatch(/^waiting for Cloud Monitoring's data/);
    }
    expect(listCalls()).toEqual([]);
  });
});
