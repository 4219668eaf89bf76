import { describe, expect, it } from 'vitest';
import { rateBoundTest } from '../../src/gates/rate-bound.ts';

// A 20-minute stage at 5 % of 100 requests/s: 300 canary requests a minute, judged at every minute tick on
// the cumulative counts, as the error-rate gate reads them.
const PER_MINUTE = 300;
const MINUTES = 20;
const ALPHA = 0.01;

/** mulberry32: a seeded generator, so the counts below are the same on every run. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** How many of `runs` stages at a true rate fail somewhere in the stage, by each rule. */
function failures(ratePercent: number, runs: number, seed: number) {
  const next = random(seed);
  let confidence = 0;
  let point = 0;
  for (let run = 0; run < runs; run++) {
    let errors = 0;
    let byConfidence = false;
    let byPoint = false;
    for (let minute = 1; minute <= MINUTES; minute++) {
      for (let r = 0; r < PER_MINUTE; r++) if (next() < ratePercent / 100) errors++;
      const requests = minute * PER_MINUTE;
      byPoint ||= (100 * errors) / requests >= 1;
      byConfidence ||= rateBoundTest({ errors, requests, boundPercent: 1, alpha: ALPHA }).above;
    }
    if (byConfidence) confidence++;
    if (byPoint) point++;
  }
  return { confidence: confidence / runs, point: point / runs };
}

describe('rateBoundTest', () => {
  it('fails a healthy canary at most alpha of the time however often it is read, where the point rule fails it often', () => {
    const atHalf = failures(0.5, 300, 1);
    expect(atHalf.confidence).toBe(0);
    expect(atHalf.point).toBeGreaterThan(0.05); // the seed's literal rule, read every minute
    const atBound = failures(1, 300, 2); // exactly at the bound: the worst case of the null
    expect(atBound.confidence).toBeLessThanOrEqual(2 * ALPHA);
    expect(atBound.point).toBeGreaterThan(0.5);
  });

  it('catches a canary clearly above the bound within the stage', () => {
    expect(failures(3, 200, 3).confidence).toBeGreaterThanOrEqual(0.95);
  });

  it('says the point estimate and the lower limit, which is above the bound exactly when it fails', () => {
    const shown = rateBoundTest({ errors: 30, requests: 1_000, boundPercent: 1, alpha: ALPHA });
    expect(shown).toMatchObject({ above: true, pointPercent: 3 });
    expect(shown.lowerPercent).toBeGreaterThan(1);
    expect(shown.lowerPercent).toBeLessThan(3);
    // The upper edge, the chart's band: above the estimate, and narrowing as requests accumulate.
    expect(shown.upperPercent).toBeGreaterThan(3);
    const more = rateBoundTest({ errors: 300, requests: 10_000, boundPercent: 1, alpha: ALPHA });
    expect(more.upperPercent).toBeGreaterThan(3);
    expect(more.upperPercent - more.lowerPercent).toBeLessThan(shown.upperPercent - shown.lowerPercent);
    expect(rateBoundTest({ errors: 0, requests: 10_000, boundPercent: 1, alpha: ALPHA })).toMatchObject({
      lowerPercent: 0,
      pointPercent: 0,
    });
    expect(shown.pValue).toBeLessThan(ALPHA);
    const noise = rateBoundTest({ errors: 12, requests: 1_000, boundPercent: 1, alpha: ALPHA });
    expect(noise).toMatchObject({ above: false, pointPercent: 1.2 });
    expect(noise.lowerPercent).toBeLessThan(1);
    expect(rateBoundTest({ errors: 0, requests: 100, boundPercent: 1, alpha: ALPHA })).toMatchObject({
      above: false,
      lowerPercent: 0,
      pValue: 1,
    });
  });

  it('refuses counts that cannot be', () => {
    expect(() => rateBoundTest({ errors: 5, requests: 4, boundPercent: 1, alpha: ALPHA })).toThrow(
      RangeError,
    );
    expect(() => rateBoundTest({ errors: 0, requests: 0, boundPercent: 1, alpha: ALPHA })).toThrow(
      RangeError,
    );
    expect(() => rateBoundTest({ errors: 1, requests: 10, boundPercent: 100, alpha: ALPHA })).toThrow(
      RangeError,
    );
  });
});
