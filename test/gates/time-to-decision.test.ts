import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { GateResult, SampleNeed } from '../../src/gates/result.ts';
import {
  aboutDuration,
  canaryRate,
  type DecisionInput,
  gateWait,
  stageWait,
  timeToDecision,
  waitText,
} from '../../src/gates/time-to-decision.ts';

// The time-to-decision estimator: pure arithmetic on what a gate read (its SampleNeed), the stage's window
// and the time of the evaluation. Times are minutes from T0 unless said otherwise.

const T0 = Date.parse('2026-11-23T10:00:00.000Z');
const min = (n: number) => T0 + n * 60_000;
const iso = (ms: number) => new Date(ms).toISOString();
const WINDOW = { start: iso(min(0)), end: iso(min(10)) };

function input(overrides: Partial<DecisionInput> = {}): DecisionInput {
  return {
    needed: 100,
    counted: 0,
    perSecond: 0.4,
    through: min(0),
    at: min(0),
    windowStart: min(0),
    windowEnd: min(10),
    ...overrides,
  };
}

/** An inconclusive error-rate result carrying what it read. */
function waiting(need: Partial<SampleNeed> & Pick<SampleNeed, 'traffic'>, at = min(1), gate = 'error-rate') {
  return {
    gate,
    kind: 'cloud-monitoring',
    status: 'inconclusive',
    metric: '5xx rate',
    threshold: '< 1 %',
    samples: need.counted ?? 0,
    evidence: '-',
    at: iso(at),
    sampleNeed: { needed: 100, counted: 0, through: iso(at), share: 0.05, ...need },
  } satisfies GateResult;
}

/** Canary and stable requests over [from, through] minutes. */
const traffic = (canary: number, stable: number, from: number, through: number, before = false) => ({
  canary,
  stable,
  from: iso(min(from)),
  through: iso(min(through)),
  ...(before ? { before: true as const } : {}),
});

describe('timeToDecision', () => {
  it('at 0.4 req/s, 100 canary requests take about 4 min (250 s) and a 10-minute window reaches them', () => {
    const d = timeToDecision(input());
    expect(d).toEqual({ kind: 'waiting', more: 100, readyInMs: 250_000, byEnd: 240, watchNeededMs: 250_000 });
    expect(aboutDuration(250_000)).toBe('4 min');
  });

  it("adds Monitoring's lag: requests served until the data's end are visible that much later", () => {
    // At minute 5 the data ends at minute 2 (3 min late) with 48 requests counted; 52 more take 130 s
    // from minute 2, and are visible 3 min after that.
    const d = timeToDecision(input({ counted: 48, through: min(2), at: min(5) }));
    // from minute 2: served by 2:00 + 130 s = 4:10, visible 3 min later at 7:10, 130 s after minute 5.
    expect(d).toMatchObject({ kind: 'waiting', more: 52, readyInMs: 130_000, byEnd: 240 });
  });

  it('counts new requests from the window start when the data read ends before it', () => {
    // The first tick: nothing of the window is complete; the data ends 4 min before the stage began.
    const d = timeToDecision(input({ through: min(-4), at: min(1) }));
    // Served by minute 0 + 250 s, visible 5 min later (the lag seen at minute 1).
    expect(d).toMatchObject({ kind: 'waiting', readyInMs: 250_000 + 300_000 - 60_000, byEnd: 240 });
  });

  it('says the window cannot decide when the requests expected by its end fall short', () => {
    const d = timeToDecision(input({ perSecond: 0.08 }));
    expect(d).toEqual({
      kind: 'cannot-decide',
      more: 100,
      readyInMs: 1_250_000,
      byEnd: 48,
      watchNeededMs: 1_250_000,
    });
  });

  it('has nothing to estimate from without traffic, and nothing to wait for with enough', () => {
    expect(timeToDecision(input({ perSecond: 0 }))).toEqual({ kind: 'no-traffic', more: 100 });
    expect(timeToDecision(input({ perSecond: Number.NaN }))).toEqual({ kind: 'no-traffic', more: 100 });
    expect(timeToDecision(input({ counted: 100 }))).toEqual({ kind: 'enough' });
    expect(timeToDecision(input({ counted: 250, perSecond: 0 }))).toEqual({ kind: 'enough' });
  });
});

describe('timeToDecision, for any traffic and window', () => {
  const arbitrary = fc
    .record({
      needed: fc.integer({ min: 1, max: 100_000 }),
      counted: fc.integer({ min: 0, max: 100_000 }),
      perSecond: fc.double({ min: 0.001, max: 10_000, noNaN: true }),
      windowMs: fc.integer({ min: 1_000, max: 4 * 3_600_000 }),
      // The data ends up to 5 min before the window start, or inside the window.
      throughMs: fc.integer({ min: -300_000, max: 3_600_000 }),
      lagMs: fc.integer({ min: 0, max: 600_000 }),
    })
    .map(({ needed, counted, perSecond, windowMs, throughMs, lagMs }) =>
      input({
        needed,
        counted,
        perSecond,
        through: T0 + throughMs,
        at: T0 + throughMs + lagMs,
        windowStart: T0,
        windowEnd: T0 + windowMs,
      }),
    );

  it('waits only for what is missing, and says the window decides exactly when its end holds enough', () => {
    fc.assert(
      fc.property(arbitrary, (i) => {
        const d = timeToDecision(i);
        if (i.counted >= i.needed) {
          expect(d).toEqual({ kind: 'enough' });
          return;
        }
        expect(d.kind === 'waiting' || d.kind === 'cannot-decide').toBe(true);
        if (d.kind !== 'waiting' && d.kind !== 'cannot-decide') return;
        expect(d.more).toBe(i.needed - i.counted);
        expect(d.readyInMs).toBeGreaterThanOrEqual(0);
        expect(d.byEnd).toBeGreaterThanOrEqual(i.counted);
        if (d.kind === 'waiting') expect(d.byEnd).toBeGreaterThanOrEqual(i.needed);
        else expect(d.byEnd).toBeLessThan(i.needed);
      }),
    );
  });

  it('the requests served until the estimate (less the lag) are the ones missing', () => {
    fc.assert(
      fc.property(arbitrary, (i) => {
        const d = timeToDecision(i);
        if (d.kind !== 'waiting' && d.kind !== 'cannot-decide') return;
        const from = Math.max(i.through, i.windowStart);
        const ready = i.at + d.readyInMs - (i.at - i.through);
        const served = (i.perSecond * (ready - from)) / 1000;
        // Epoch milliseconds carry about 1e-4 ms of rounding: close in relative terms.
        expect(Math.abs(served - d.more)).toBeLessThanOrEqual(1e-6 * d.more + 1e-3);
      }),
    );
  });

  it('more traffic, more requests counted or a longer window never make the wait longer or the window short', () => {
    fc.assert(
      fc.property(
        arbitrary,
        fc.double({ min: 1, max: 100, noNaN: true }),
        fc.integer({ min: 0, max: 10_000 }),
        fc.integer({ min: 0, max: 3_600_000 }),
        (i, faster, counted, longer) => {
          const base = timeToDecision(i);
          for (const better of [
            timeToDecision({ ...i, perSecond: i.perSecond * faster }),
            timeToDecision({ ...i, counted: i.counted + counted }),
            timeToDecision({ ...i, windowEnd: i.windowEnd + longer }),
          ]) {
            if (base.kind === 'enough') expect(better.kind).toBe('enough');
            if (base.kind === 'waiting')
              expect(better.kind === 'waiting' || better.kind === 'enough').toBe(true);
            if ('readyInMs' in base && 'readyInMs' in better) {
              expect(better.readyInMs).toBeLessThanOrEqual(base.readyInMs + 1e-6);
            }
          }
        },
      ),
    );
  });
});

describe('the canary rate of a reading', () => {
  it("is the canary's own count over the span read, once it has any", () => {
    const need = waiting({ traffic: traffic(24, 456, 0, 1) }).sampleNeed;
    expect(canaryRate(need)).toEqual({ perSecond: 0.4, source: 'canary', share: 0.05 });
  });

  it("is the share of the total's rate where the canary counted none, or the minutes read are before the window", () => {
    const before = waiting({ traffic: traffic(0, 2_400, -9, -4, true) }).sampleNeed;
    expect(canaryRate(before)).toMatchObject({ source: 'share', share: 0.05, totalPerSecond: 8 });
    expect(canaryRate(before)?.perSecond).toBeCloseTo(0.4);
    // Before the window the canary served at the earlier share: only the total counts.
    const earlier = waiting({ traffic: traffic(600, 1_800, -9, -4, true) }).sampleNeed;
    expect(canaryRate(earlier)?.perSecond).toBeCloseTo(0.4);
    const none = waiting({ traffic: traffic(0, 120, 0, 1) }).sampleNeed;
    expect(canaryRate(none)).toMatchObject({ source: 'share', totalPerSecond: 2 });
    expect(canaryRate(none)?.perSecond).toBeCloseTo(0.1);
    expect(canaryRate(waiting({ traffic: traffic(5, 5, 1, 1) }).sampleNeed)).toBeUndefined();
  });
});

describe('what a stage waits for, in words', () => {
  it('waits for N more canary requests, about X at R req/s', () => {
    const wait = gateWait(waiting({ counted: 40, traffic: traffic(24, 456, 0, 1) }), WINDOW);
    expect(wait && waitText(wait)).toBe(
      'waits for 60 more canary requests (100 needed), about 3 min more at 0.4 req/s',
    );
  });

  it('says the window cannot decide, with what it needs and what it expects by the end', () => {
    // At the first tick: 1.6 req/s on the service in the 5 min before the data's end, 5 % of it on the canary.
    const result = waiting({ traffic: traffic(0, 480, -9, -4, true), through: iso(min(-4)) });
    const wait = gateWait(result, WINDOW);
    expect(wait?.decision.kind).toBe('cannot-decide');
    expect(wait && waitText(wait)).toBe(
      'cannot decide within the watch window at this traffic (needs 100 canary requests, expects 48 by the end, at 0.08 req/s (5 % of 1.6 req/s))',
    );
  });

  it('says when there is no traffic to estimate from', () => {
    const wait = gateWait(waiting({ traffic: traffic(0, 0, -9, -4, true) }), WINDOW);
    expect(wait && waitText(wait)).toBe(
      'no traffic: cannot estimate when the canary will have the 100 requests needed',
    );
  });

  it('names the gate that decides last, and nothing for gates that judged or wait for no requests', () => {
    const fast = waiting({ traffic: traffic(60, 1_140, 0, 1) }, min(1), 'latency-p95');
    const slow = waiting({ needed: 500, traffic: traffic(60, 1_140, 0, 1) }, min(1), 'error-rate');
    expect(stageWait([fast, slow], WINDOW)?.gate).toBe('error-rate');
    const short = waiting({ needed: 1_000, traffic: traffic(6, 114, 0, 1) }, min(1), 'latency-p95');
    expect(stageWait([slow, short], WINDOW)?.decision.kind).toBe('cannot-decide');
    const { sampleNeed: _, ...plain } = slow;
    expect(stageWait([plain, { ...slow, status: 'pass' }], WINDOW)).toBeUndefined();
  });

  it('rounds durations as an estimate deserves', () => {
    expect(
      [0, 40_000, 89_000, 250_000, 80 * 60_000, 150 * 60_000, 72 * 3_600_000].map(aboutDuration),
    ).toEqual(['1 s', '40 s', '89 s', '4 min', '80 min', '2.5 h', '3 d']);
  });
});
