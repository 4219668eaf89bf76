import { formatNumber } from './render.ts';
import type { GateResult, SampleNeed } from './result.ts';

// Time to decision: while a gate waits for the canary requests it needs (cloud-monitoring's minRequests),
// how long until it has them at the canary's request rate, and whether the stage's watch window gets there
// at all. Pure: from the gate's own reading (result.ts SampleNeed: what its Monitoring read counted, over
// which span, at which share), the window's start and end, and the time of the evaluation.
//
//   rate      canary requests a second in the data read; where the canary counted none, or the data is
//             from before the window (none of the window's is complete yet), its share of the total's rate
//   lag       how late the data is: evaluation time minus the end of the data counted (Cloud Monitoring's
//             ingestion delay as it is, 0 for a source with no delay)
//   from      new requests count from the later of that end and the window's start (the share changed there)
//   servedBy  from + (needed - counted) / rate: when the last request needed is served
//   ready     servedBy + lag: when that request is visible and the gate can judge
//   byEnd     counted + rate x (window end - from): the canary requests the whole window will hold
//
// The window decides only when byEnd >= needed. Otherwise its end finds too few requests (inconclusive:
// extended once, then people decide), which the stage says at its first tick instead (procedure.ts).

/** The canary's request rate, as read. */
export interface CanaryRate {
  perSecond: number;
  /** canary: counted on the canary itself; share: its traffic share of the service's total. */
  source: 'canary' | 'share';
  share: number;
  /** The service's rate (canary and stable), for source 'share'. */
  totalPerSecond?: number;
}

export type Decision =
  /** The gate has the requests it needs. */
  | { kind: 'enough' }
  /** No request reached the service in the data read: when it will have them cannot be estimated. */
  | { kind: 'no-traffic'; more: number }
  /** The window reaches them: `readyInMs` from the evaluation, `byEnd` expected at its end. */
  | { kind: 'waiting'; more: number; readyInMs: number; byEnd: number; watchNeededMs: number }
  /** The window ends with `byEnd` < needed; a watch window of `watchNeededMs` would have them. */
  | { kind: 'cannot-decide'; more: number; readyInMs: number; byEnd: number; watchNeededMs: number };

export interface DecisionInput {
  /** Canary requests needed, and counted so far in the window. */
  needed: number;
  counted: number;
  /** Canary requests a second; 0 when none came. */
  perSecond: number;
  /** Epoch ms: end of the data counted, the evaluation, the window's start and end. */
  through: number;
  at: number;
  windowStart: number;
  windowEnd: number;
}

export function timeToDecision(input: DecisionInput): Decision {
  const { needed, counted, perSecond, through, at, windowStart, windowEnd } = input;
  const more = Math.max(0, Math.ceil(needed - counted));
  if (more === 0) return { kind: 'enough' };
  if (!(perSecond > 0 && Number.isFinite(perSecond))) return { kind: 'no-traffic', more };
  const from = Math.max(through, windowStart);
  const lag = Math.max(0, at - through);
  const servedBy = from + (more / perSecond) * 1000;
  const reach = counted + (perSecond * Math.max(0, windowEnd - from)) / 1000;
  const estimate = {
    more,
    readyInMs: Math.max(0, servedBy + lag - at),
    byEnd: Math.floor(reach),
    watchNeededMs: Math.max(0, servedBy - windowStart),
  };
  return reach >= needed ? { kind: 'waiting', ...estimate } : { kind: 'cannot-decide', ...estimate };
}

/** The canary's rate in a gate's reading; undefined when its span is empty (nothing to divide by). */
export function canaryRate(need: SampleNeed): CanaryRate | undefined {
  const { traffic, share } = need;
  const seconds = (Date.parse(traffic.through) - Date.parse(traffic.from)) / 1000;
  if (!(seconds > 0)) return undefined;
  if (!traffic.before && traffic.canary > 0) {
    return { perSecond: traffic.canary / seconds, source: 'canary', share };
  }
  const total = (traffic.canary + traffic.stable) / seconds;
  return { perSecond: share * total, source: 'share', share, totalPerSecond: total };
}

/** One gate's wait for requests: what it needs, at what rate, and the estimate. */
export interface GateWait {
  gate: string;
  needed: number;
  counted: number;
  rate: CanaryRate;
  decision: Exclude<Decision, { kind: 'enough' }>;
  /** ISO time of the evaluation the estimate is from. */
  at: string;
}

/** The stage's watch window, ISO. */
export interface WatchWindow {
  start: string;
  end: string;
}

/** A gate result's wait, or undefined when it waits for no requests (or judged already). */
export function gateWait(result: GateResult, window: WatchWindow): GateWait | undefined {
  const need = result.sampleNeed;
  if (!need || result.status !== 'inconclusive') return undefined;
  const rate = canaryRate(need);
  if (!rate) return undefined;
  const decision = timeToDecision({
    needed: need.needed,
    counted: need.counted,
    perSecond: rate.perSecond,
    through: Date.parse(need.through),
    at: Date.parse(result.at),
    windowStart: Date.parse(window.start),
    windowEnd: Date.parse(window.end),
  });
  if (decision.kind === 'enough') return undefined;
  return { gate: result.gate, needed: need.needed, counted: need.counted, rate, decision, at: result.at };
}

const RANK: Record<GateWait['decision']['kind'], number> = {
  'no-traffic': 0,
  'cannot-decide': 1,
  waiting: 2,
};

/**
 * What the stage waits for: the gate that decides last. No traffic before a window too short, and that
 * before a wait the window reaches; among equals, the one furthest from its need.
 */
export function stageWait(results: readonly GateResult[], window: WatchWindow): GateWait | undefined {
  const waits = results.map((r) => gateWait(r, window)).filter((w): w is GateWait => w !== undefined);
  return waits.sort((a, b) => RANK[a.decision.kind] - RANK[b.decision.kind] || behind(b) - behind(a))[0];
}

function behind(wait: GateWait): number {
  const d = wait.decision;
  if (d.kind === 'no-traffic') return d.more;
  return d.kind === 'cannot-decide' ? wait.needed - d.byEnd : d.readyInMs;
}

/** The window cannot decide at this traffic: what the stage warns of at its start. */
export function cannotDecide(wait: GateWait | undefined): boolean {
  return wait?.decision.kind === 'cannot-decide' || wait?.decision.kind === 'no-traffic';
}

/**
 * The wait in words, plain text (the caller escapes it):
 *   waits for 60 more canary requests (100 needed), about 4 min more at 0.4 req/s
 *   cannot decide within the watch window at this traffic (needs 100 canary requests, expects 48 by the end, at 0.08 req/s)
 *   no traffic: cannot estimate when the canary will have the 100 requests needed
 */
export function waitText(wait: GateWait): string {
  const d = wait.decision;
  const needed = formatNumber(wait.needed);
  switch (d.kind) {
    case 'no-traffic':
      return `no traffic: cannot estimate when the canary will have the ${needed} requests needed`;
    case 'waiting':
      return (
        `waits for ${formatNumber(d.more)} more canary requests (${needed} needed), ` +
        `about ${aboutDuration(d.readyInMs)} more at ${rateText(wait.rate)}`
      );
    case 'cannot-decide':
      return (
        `cannot decide within the watch window at this traffic (needs ${needed} canary requests, ` +
        `expects ${formatNumber(d.byEnd)} by the end, at ${rateText(wait.rate)})`
      );
  }
}

/** "0.4 req/s", or "0.4 req/s (5 % of 8 req/s)" when it is the canary's share of the total. */
export function rateText(rate: CanaryRate): string {
  const own = `${perSecondText(rate.perSecond)} req/s`;
  if (rate.source === 'canary' || rate.totalPerSecond === undefined) return own;
  return `${own} (${formatNumber(100 * rate.share)} % of ${perSecondText(rate.totalPerSecond)} req/s)`;
}

function perSecondText(value: number): string {
  return formatNumber(Number(value.toPrecision(2)));
}

/** "40 s", "4 min", "2.5 h", "3 d": a rough duration, as an estimate deserves. */
export function aboutDuration(ms: number): string {
  const seconds = Math.max(1, Math.round(ms / 1000));
  if (seconds < 90) return `${seconds} s`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 90) return `${minutes} min`;
  const hours = seconds / 3600;
  if (hours < 48) return `${formatNumber(Number(hours.toPrecision(2)))} h`;
  return `${formatNumber(Math.round(hours / 24))} d`;
}
