import { beforeEach, describe, expect, it } from 'vitest';
import { createMonitoringTwin } from '../../sandbox/twins/monitoring/index.ts';
import { createCloudMonitoringGate } from '../../src/gates/providers/cloud-monitoring.ts';
import { gateWait, waitText } from '../../src/gates/time-to-decision.ts';
import { CLOUD_RUN_VISIBILITY } from '../../src/platform/monitoring/cloud-monitoring.ts';
import { useTwins } from '../helpers/msw.ts';
import { CANARY, context, exampleGate, STABLE, twinMonitoring } from '../helpers/observability-twins.ts';

// What the cloud-monitoring gates read while they wait for their minRequests, through the real adapter
// against a Monitoring twin as late as Cloud Monitoring (60 s samples, visible 180 s after): at a stage's
// first tick none of its window is complete, so the traffic of the minutes before foresees the canary's.

let clock = 0;
const twin = createMonitoringTwin({ project: 'p', service: 'svc', now: () => clock });
useTwins(...twin.handlers);
const gates = createCloudMonitoringGate({ monitoring: twinMonitoring({ visibility: CLOUD_RUN_VISIBILITY }) });
const ERROR_RATE = exampleGate('cloud-monitoring', 'error-rate'); // < 1 %, 100 canary requests

const minute = (m: number) => new Date(Date.parse('2026-11-20T10:00:00Z') + m * 60_000);
/** Stage B (5 %) starts at 10:10 with a 10-minute window. */
const WINDOW = { start: minute(10).toISOString(), end: minute(20).toISOString() };

/** A tick of stage B at `m` minutes past 10:00. */
function tickAt(m: number) {
  clock = minute(m).getTime();
  return gates.evaluate(
    'error-rate',
    ERROR_RATE,
    context({ window: { start: minute(10), end: minute(m) }, now: () => minute(m) }),
  );
}

beforeEach(() => {
  twin.reset();
  // 8 requests a second on the service: all on stable before the stage, 5 % on the canary from 10:10.
  for (let m = 0; m < 30; m++) {
    const canary = m >= 10 ? 24 : 0;
    twin.addTraffic(STABLE, { requests: 480 - canary, at: minute(m + 0.5) });
    if (canary > 0) twin.addTraffic(CANARY, { requests: canary, at: minute(m + 0.5) });
  }
});

describe('a gate waiting for its minRequests', () => {
  it("at the stage's first tick, reads the service's traffic before the window and foresees the canary's", async () => {
    const result = await tickAt(11);
    expect(result.status).toBe('inconclusive');
    expect(result.reason).toMatch(/^waiting for Cloud Monitoring's data/);
    // The complete data ends at 10:08: the 5 minutes before it, canary and stable.
    expect(result.sampleNeed).toEqual({
      needed: 100,
      counted: 0,
      through: minute(8).toISOString(),
      share: 0.05,
      traffic: {
        canary: 0,
        stable: 2_400,
        from: minute(3).toISOString(),
        through: minute(8).toISOString(),
        before: true,
      },
    });
    const wait = gateWait(result, WINDOW);
    // 100 requests at 0.4 a second from 10:10: served by 10:14:10, visible 3 min later, 6 min after 10:11.
    expect(wait?.decision).toMatchObject({ kind: 'waiting', readyInMs: 370_000, byEnd: 240 });
    expect(wait && waitText(wait)).toBe(
      'waits for 100 more canary requests (100 needed), about 6 min more at 0.4 req/s (5 % of 8 req/s)',
    );
  });

  it("later, counts the canary's own requests in the window, and foresees the same moment", async () => {
    const result = await tickAt(16);
    expect(result).toMatchObject({ status: 'inconclusive', samples: 72 });
    expect(result.sampleNeed).toMatchObject({ counted: 72, through: minute(13).toISOString() });
    const wait = gateWait(result, WINDOW);
    expect(wait?.rate).toMatchObject({ source: 'canary' });
    expect(wait?.rate.perSecond).toBeCloseTo(0.4);
    // 28 more from 10:13 at 0.4 a second, visible 3 min after 10:14:10: 10:17:10, as foreseen at 10:11.
    const decision = wait?.decision;
    if (decision?.kind !== 'waiting') throw new Error(`expected a wait, got ${decision?.kind}`);
    expect(decision.more).toBe(28);
    const ready = Date.parse(result.at) + decision.readyInMs;
    expect(Math.abs(ready - minute(17 + 1 / 6).getTime())).toBeLessThan(1_000);
  });

  it('has judged, and carries no need, once it has the requests', async () => {
    const result = await tickAt(19);
    expect(result.status).toBe('pass');
    expect(result.sampleNeed).toBeUndefined();
  });

  it('stays as it was when the traffic before cannot be read', async () => {
    twin.recorder.inject({ match: 'timeSeries', status: 403, times: 10 });
    const result = await tickAt(11);
    expect(result.status).toBe('inconclusive');
    expect(result.reason).toMatch(/^waiting for Cloud Monitoring's data/);
    expect(result.sampleNeed).toBeUndefined();
  });
});
