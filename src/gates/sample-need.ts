import { type CompleteWindow, type RevisionPair, readRevisionPair } from './baseline.ts';
import type { CloudMonitoring } from './ports/monitoring.ts';
import type { GateContext, GateResult, SampleNeed } from './result.ts';

// What a cloud-monitoring gate that needs `minRequests` canary requests saw while it had fewer (result.ts
// SampleNeed), so that time-to-decision.ts can foresee when it will judge. In the window: the counts it
// judged. While none of the window's data is complete (Monitoring is minutes late, so for the first
// minutes of every stage): the service's traffic in the minutes just before, read as the gate reads the
// window. Its total at the stage's new share is the canary's expected rate, known at the stage's first
// tick instead of minutes into it.

/**
 * How much traffic before the window is read while none of the window's data is complete, in samples of
 * the metric: 5 minutes in production, scaled with the sandbox's seconds-long samples (its windows are
 * widened to a minute all the same).
 */
export const SAMPLES_BEFORE = 5;
const DEFAULT_BEFORE_MS = 5 * 60_000;

/** The gate's need from the counts it judged in the window. */
export function needInWindow(needed: number, pair: RevisionPair, window: CompleteWindow): SampleNeed {
  const { ctx } = window;
  return {
    needed,
    counted: pair.canary.requests,
    // ctx.window ends at the complete data (baseline.ts completeWindow).
    through: ctx.window.end.toISOString(),
    share: ctx.canaryShare,
    traffic: trafficOf(pair, ctx),
  };
}

/**
 * The requests each revision served in the pair's window. After promotion (ctx.baseline) the previous
 * revision's counts are from its own past window, not this one: nothing else served beside the canary.
 */
function trafficOf(pair: RevisionPair, ctx: GateContext): SampleNeed['traffic'] {
  return {
    canary: pair.canary.requests,
    stable: ctx.baseline === undefined ? pair.stable.requests : 0,
    from: pair.window.start.toISOString(),
    through: pair.window.end.toISOString(),
  };
}

/**
 * The gate's need while none of the window's data is complete: nothing counted, and the traffic of the
 * minutes before the complete data ends. Undefined when they cannot be read: foreseeing is a courtesy,
 * and the gate's own result stands either way.
 */
export async function needBefore(
  monitoring: CloudMonitoring,
  needed: number,
  window: CompleteWindow,
): Promise<SampleNeed | undefined> {
  const { ctx } = window;
  const through = ctx.window.end;
  const period = monitoring.samplePeriodMs;
  const wanted = period !== undefined && period > 0 ? SAMPLES_BEFORE * period : DEFAULT_BEFORE_MS;
  const span = Math.max(wanted, monitoring.shortestWindowMs ?? 0);
  // After promotion the previous revision's past window says nothing about the canary's rate (trafficOf
  // counts it as 0): read the minutes before without it, one call.
  const { baseline: _past, ...current } = ctx;
  const before = { ...current, window: { start: new Date(through.getTime() - span), end: through } };
  let pair: RevisionPair;
  try {
    pair = await readRevisionPair(monitoring, before, []);
  } catch {
    return undefined;
  }
  return {
    needed,
    counted: 0,
    through: through.toISOString(),
    share: ctx.canaryShare,
    traffic: { ...trafficOf(pair, ctx), before: true },
  };
}

export function withNeed(result: GateResult, need: SampleNeed | undefined): GateResult {
  return need ? { ...result, sampleNeed: need } : result;
}
