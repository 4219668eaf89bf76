import { describe, expect, it } from 'vitest';
import { attentionOf } from '../../src/runbooks/hold.ts';
import type { CanaryState } from '../../src/runbooks/types.ts';
import { APPROVERS, ENV, REQUESTER, SERVICE, testConfig, useEngineWorld } from '../helpers/engine-world.ts';

// Cloud Monitoring's data arrives late: the twin holds every request back until its sample (here 500 ms,
// production 60 s) plus the ingestion latency (here 1.5 s, production up to 180 s) have passed, and the
// adapter knows the same figures from the config. Scaled down with the test's 2 s watch windows, the
// proportions are production's (a 10-minute window, data 3-4 minutes late).

const SAMPLE = { ms: 500, text: '500ms' };
const LATENCY = { ms: 1_500, text: '1500ms' };
const world = useEngineWorld('late-data', [], {
  visibility: { samplePeriodMs: SAMPLE.ms, ingestionLatencyMs: LATENCY.ms },
});
const TAG = 'v1.3.0';

const late = (dataWaitMs?: number) => {
  const config = testConfig({
    watch: '2s',
    interval: '250ms',
    samplePeriod: SAMPLE.text,
    ingestionLatency: LATENCY.text,
  });
  const canary = config.runbooks.canary as { judge: { dataWait: number } };
  if (dataWaitMs !== undefined) canary.judge.dataWait = dataWaitMs;
  return config;
};

async function startAtStageB(config: ReturnType<typeof late>) {
  world.seed();
  const engine = world.engine({ config });
  const started = await engine.startCanary({ service: SERVICE, env: ENV, tag: TAG, requestedBy: REQUESTER });
  if (!started.ok) throw new Error(JSON.stringify(started));
  const id = started.rolloutId;
  world.feed(world.canaryRevision(id, TAG));
  await world.until(engine, id, (v) => expect(v.status).toBe('awaiting-approval'));
  await engine.send(id, { type: 'approve', userId: APPROVERS[0], stage: 1 });
  return { engine, id };
}

describe('gates judged on late data', () => {
  it('does not pass a stage before the data that covers its whole window is visible', async () => {
    const { engine, id } = await startAtStageB(late());
    const view = await world.until(
      engine,
      id,
      (v) => expect((v.state as CanaryState).stages[1]?.verdict).toBe('pass'),
      20_000,
    );
    const b = (view.state as CanaryState).stages[1];
    const windowEnd = Date.parse(b?.windowEndsAt as string);
    const results = b?.ticks.map((tick) => tick.find((r) => r.gate === 'error-rate')) ?? [];
    // Early ticks judged a window cut at the complete data, and said so; the first had none of it yet.
    expect(results[0]?.status).toBe('inconclusive');
    expect(results[0]?.reason).toMatch(/^waiting for Cloud Monitoring's data/);
    expect(results.some((r) => /data through \d\d:\d\d:\d\dZ, [\d.]+ s behind/.test(r?.reason ?? ''))).toBe(
      true,
    );
    // The stage passed on a tick whose data reached the end of the window, which is later than the window.
    const last = results.at(-1);
    expect(Date.parse(last?.dataThrough as string)).toBeGreaterThanOrEqual(windowEnd);
    expect(Date.parse(b?.endedAt as string)).toBeGreaterThanOrEqual(windowEnd + LATENCY.ms);
    // While it waited, the ticks after the window's end were judged "continue", never pass.
    const waited = b?.ticks.filter((tick) => Date.parse(tick[0]?.at as string) > windowEnd) ?? [];
    expect(waited.length).toBeGreaterThanOrEqual(2);
  });

  it('stops at needs-attention (inconclusive), never passes, when the data does not arrive within dataWait', async () => {
    const { engine, id } = await startAtStageB(late(100));
    const view = await world.until(engine, id, (v) => expect(v.status).toBe('needs-attention'), 20_000);
    const state = view.state as CanaryState;
    expect(state.stages[1]?.verdict).toBe('inconclusive');
    expect(attentionOf(state)?.reason).toMatch(
      /^stage B: the data never covered the window to \d\d:\d\d:\d\dZ: error-rate judged data through \d\d:\d\d:\d\dZ; a person decides$/,
    );
    expect(world.split()).not.toEqual(expect.objectContaining({ [world.canaryRevision(id, TAG)]: 25 }));
  });
});
