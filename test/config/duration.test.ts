import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from '../../src/config/duration.ts';

describe('durations', () => {
  it('reads the forms the runbooks use', () => {
    expect(parseDuration('10m')).toBe(600_000);
    expect(parseDuration('30s')).toBe(30_000);
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('0s')).toBe(0);
  });

  it('refuses what is not a duration', () => {
    for (const text of ['', '10', 'ten minutes', '10 m', '-5s', '1.5m', 'm', '10M']) {
      expect(parseDuration(text), text).toBeUndefined();
    }
  });

  it('formats any number of milliseconds back to the same value', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 30 * 86_400_000 }), (ms) => {
        expect(parseDuration(formatDuration(ms))).toBe(ms);
      }),
    );
  });
});
