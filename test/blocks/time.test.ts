import { describe, expect, it } from 'vitest';
import { between, humanDuration, relative } from '../../src/blocks/time.ts';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

describe('durations in messages', () => {
  it('shows the two largest units, leaves 0 out, and counts days past a month', () => {
    expect(humanDuration(0)).toBe('0 s');
    expect(humanDuration(-5_000)).toBe('0 s');
    expect(humanDuration(59_499)).toBe('59 s');
    expect(humanDuration(59_500)).toBe('1 min');
    expect(humanDuration(12 * MIN + 59_000)).toBe('12 min');
    expect(humanDuration(2 * HOUR)).toBe('2 h');
    expect(humanDuration(2 * HOUR + 5 * MIN + 30_000)).toBe('2 h 5 min');
    expect(humanDuration(3 * DAY + 59 * MIN)).toBe('3 d');
    expect(humanDuration(3 * DAY + 4 * HOUR)).toBe('3 d 4 h');
    expect(humanDuration(40 * DAY + HOUR)).toBe('40 d 1 h');
  });

  it('between and relative', () => {
    expect(between('2026-11-23T10:00:00.000Z', '2026-11-23T12:05:00.000Z')).toBe('2 h 5 min');
    expect(between('2026-11-23T10:00:00.000Z', undefined)).toBeUndefined();
    expect(between('not a time', '2026-11-23T10:00:00.000Z')).toBeUndefined();
    const now = Date.parse('2026-11-23T10:12:00.000Z');
    expect(relative('2026-11-23T10:00:00.000Z', now)).toBe('12 min ago');
    expect(relative('2026-11-23T10:24:00.000Z', now)).toBe('in 12 min');
  });
});
