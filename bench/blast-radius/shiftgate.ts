import { gate as gateSchema } from '../../src/config/gates.ts';
import { regressionAlpha } from '../../src/gates/fast-signal.ts';
import { judgeStage } from '../../src/gates/judge.ts';
import type { RequestErrorSource } from '../../src/gates/ports/error-counts.ts';
import { type CloudMonitoring, completeThrough } from '../../src/gates/ports/monitoring.ts';
import { createCloudMonitoringGate } from '../../src/gates/providers/cloud-monitoring.ts';
import type { GateContext, GateOf, GateResult } from '../../src/gates/result.ts';
import { createSequentialErrorTest } from '../../src/gates/sequential.ts';
import { errorsInMinutes, type Stream, type World } from './world.ts';

// shiftgate judging a simulated canary with its own code: the cloud-monitoring error-rate gate
// (src/gates/providers/cloud-monitoring.ts: "5xx below 1 %" shown at alpha by the confidence sequence of
// rate-bound.ts, and the sequential test of sequential.ts against stable) read at 1-minute ticks over the
// stage's window from its start, and the stage judge (src/gates/judge.ts) with failureLimit 0 (the seed's
// "any failing gate rolls back") and its data wait. Only Cloud Monitoring is simulated: a port that sums
// the stream's 60 s samples inside the window asked for, and says which samples are visible yet through
// the same completeThrough as the production adapter.

/** The seed's error-rate gate, through the config schema so its defaults (rule, minRequests) are the real ones. */
export const ERROR_RATE_GATE = gateSchema.parse({
  kind: 'cloud-monitoring',
  metric: 'error-rate',
  belowPercent: 1,
  minRequests: 100,
}) as GateOf<'cloud-monitoring'>;

/** judge.dataWait's default (src/config/runbooks.ts): how long a stage waits for late data after its window. */
export const DATA_WAIT_S = 6 * 60;
const TICK_S = 60;
const T0 = Date.UTC(2026, 0, 5, 9, 0, 0); // the shift, on a minute boundary

export interface Decision {
  /** Seconds from the shift to the decision to roll back; undefined: never rolled back. */
  rollbackAt?: number;
  /** Seconds at which the stage ended otherwise (promoted, or a person asked); undefined when rolled back. */
  endedAt?: number;
}

/** The stage as shiftgate runs it; `instant`: the twin's old instant data instead of Cloud Monitoring's latency. */
export async function shiftgate(
  stream: Stream,
  world: World,
  instant: boolean,
  withLogs = false,
): Promise<Decision> {
  const monitoring = simulatedMonitoring(stream, world, instant);
  // With the fast signal on, the gate's own regression test runs at half the alpha (fast-signal.ts); the
  // log counts themselves are simulated by fastSignal() below, so the gate's source counts nothing here.
  const errorCounts: RequestErrorSource | undefined = withLogs
    ? { count5xx: async (q) => ({ counts: {}, through: q.window.end, complete: true, filter: '' }) }
    : undefined;
  const provider = createCloudMonitoringGate({ monitoring, ...(errorCounts ? { errorCounts } : {}) });
  const windowEnd = new Date(T0 + world.horizonS * 1000).toISOString();
  const ticks: GateResult[][] = [];
  for (let t = TICK_S; ; t += TICK_S) {
    const now = new Date(T0 + t * 1000);
    const result = await provider.evaluate('error-rate', ERROR_RATE_GATE, context(world, now));
    ticks.push([result]);
    const judged = judgeStage(
      {
        ticks,
        windowComplete: t >= world.horizonS,
        windowEnd,
        dataWaitOver: t >= world.horizonS + DATA_WAIT_S,
      },
      { failureLimit: 0 },
    );
    if (judged.verdict === 'fail') return { rollbackAt: t };
    if (judged.verdict !== 'continue' && judged.verdict !== 'extend') return { endedAt: t };
  }
}

function context(world: World, now: Date): GateContext {
  return {
    project: 'bench',
    region: 'us-central1',
    service: 'svc',
    publicUrl: 'https://svc.example',
    stableRevision: 'svc-00001-old',
    canaryRevision: 'svc-00002-new',
    canaryShare: world.share,
    window: { start: new Date(T0), end: now },
    alpha: world.alpha,
    now: () => now,
  };
}

function simulatedMonitoring(stream: Stream, world: World, instant: boolean): CloudMonitoring {
  const visibility = { samplePeriodMs: world.samplePeriodMs, ingestionLatencyMs: world.ingestionLatencyMs };
  return {
    async revisionStats(query) {
      // Whole samples inside the window (windows start at the shift and end on sample boundaries).
      const from = Math.ceil((query.window.start.getTime() - T0) / 60_000);
      const to = Math.floor((query.window.end.getTime() - T0) / 60_000);
      const minutes = Math.max(0, to - from);
      const errors = errorsInMinutes(stream, from, to);
      return {
        stats: {
          'svc-00001-old': {
            requests: minutes * stream.stableRequestsPerMinute,
            errors5xx: errors.stable,
            latencyMs: undefined,
          },
          'svc-00002-new': {
            requests: minutes * stream.canaryRequestsPerMinute,
            errors5xx: errors.canary,
            latencyMs: undefined,
          },
        },
        window: query.window,
        evidence: [],
      };
    },
    ...(instant
      ? {}
      : {
          completeThrough: (now: Date) => completeThrough(now, visibility),
          shortestWindowMs: world.samplePeriodMs,
        }),
  };
}

/**
 * The fast error signal (src/gates/fast-signal.ts) beside the gate above: the same sequential test
 * (sequential.ts) on the stage's 5xx per revision as Cloud Logging shows them, `logLatencyS` late, read
 * every 10 s until the stage ends, each of the two tests at half the runbook's alpha (regressionAlpha).
 * Only errors are needed, so it does not wait for Monitoring's minutes.
 */
export function fastSignal(stream: Stream, world: World, until: number): number | undefined {
  const test = createSequentialErrorTest(world.share);
  const line = -Math.log(regressionAlpha(world.alpha, true));
  let x = 0;
  let y = 0;
  for (let t = 10; t <= until; t += 10) {
    const seen = t - world.logLatencyS;
    while (x < stream.canaryErrorAt.length && (stream.canaryErrorAt[x] as number) < seen) x++;
    while (y < stream.stableErrorAt.length && (stream.stableErrorAt[y] as number) < seen) y++;
    if (test.logBayesFactor(x, y) >= line) return t;
  }
  return undefined;
}
