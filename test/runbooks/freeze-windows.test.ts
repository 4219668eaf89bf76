import { tzOffset } from '@date-fns/tz';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DAYS_OF_WEEK, type FreezeRule, freezeRule } from '../../src/config/freezes.ts';
import { activeFreeze, freezeHold, upcomingFreezes } from '../../src/runbooks/freeze/windows.ts';
import { windowEnd } from '../../src/runbooks/freeze/words.ts';

// When scheduled freezes hold (src/runbooks/freeze/windows.ts): weekly windows on the wall clock of their
// time zone, across both DST changes; one-time windows; windows that touch as one; the schedule ahead; and
// properties over random rules, zones and instants against an oracle that reads the wall clock with Intl.

const rule = (input: object): FreezeRule => freezeRule.parse(input);
const at = (iso: string) => new Date(iso);
const HOUR = 3_600_000;

/** Friday 16:00 to Monday 09:00, New York time, as three windows that touch. */
const weekend = rule({
  name: 'weekend',
  description: 'No prod changes over the weekend',
  timeZone: 'America/New_York',
  weeklyWindows: [
    { daysOfWeek: ['FRIDAY'], startTime: '16:00' },
    { daysOfWeek: ['SATURDAY', 'SUNDAY'] },
    { daysOfWeek: ['MONDAY'], endTime: '09:00' },
  ],
});

describe('a weekly freeze', () => {
  it('holds from Friday 16:00 to Monday 09:00 on the wall clock, as one window', () => {
    // A week without a DST change: 16:00 EDT is 20:00Z, 09:00 EDT is 13:00Z.
    expect(activeFreeze([weekend], at('2026-06-05T19:59:59Z'))).toBeUndefined();
    const w = activeFreeze([weekend], at('2026-06-05T20:00:00Z'));
    expect(w).toEqual({
      name: 'weekend',
      description: 'No prod changes over the weekend',
      timeZone: 'America/New_York',
      start: '2026-06-05T20:00:00.000Z',
      end: '2026-06-08T13:00:00.000Z',
    });
    expect(activeFreeze([weekend], at('2026-06-07T03:00:00Z'))?.end).toBe('2026-06-08T13:00:00.000Z');
    expect(activeFreeze([weekend], at('2026-06-08T12:59:59Z'))?.start).toBe('2026-06-05T20:00:00.000Z');
    expect(activeFreeze([weekend], at('2026-06-08T13:00:00Z'))).toBeUndefined();
  });

  it('keeps its wall-clock hours across the spring DST change (a 64-hour weekend)', () => {
    // Clocks go forward in New York on Sunday 8 March 2026: Friday 16:00 EST is 21:00Z, Monday 09:00 EDT 13:00Z.
    const w = activeFreeze([weekend], at('2026-03-08T12:00:00Z'));
    expect(w).toMatchObject({ start: '2026-03-06T21:00:00.000Z', end: '2026-03-09T13:00:00.000Z' });
    expect(Date.parse(w?.end ?? '') - Date.parse(w?.start ?? '')).toBe(64 * HOUR);
    expect(activeFreeze([weekend], at('2026-03-06T20:59:59Z'))).toBeUndefined();
    expect(activeFreeze([weekend], at('2026-03-09T13:00:00Z'))).toBeUndefined();
    expect(windowEnd(w as never, at('2026-03-07T10:00:00Z'))).toBe(
      'ends Mon 9 Mar 09:00 America/New_York, in 2 d 3 h',
    );
  });

  it('and across the autumn one (a 66-hour weekend)', () => {
    // Clocks go back on Sunday 1 November 2026: Friday 16:00 EDT is 20:00Z, Monday 09:00 EST 14:00Z.
    const w = activeFreeze([weekend], at('2026-10-31T12:00:00Z'));
    expect(w).toMatchObject({ start: '2026-10-30T20:00:00.000Z', end: '2026-11-02T14:00:00.000Z' });
    expect(Date.parse(w?.end ?? '') - Date.parse(w?.start ?? '')).toBe(66 * HOUR);
  });

  it('reads a local time the clocks skip as the hour after', () => {
    const night = rule({
      name: 'night',
      timeZone: 'America/New_York',
      weeklyWindows: [{ daysOfWeek: ['SUNDAY'], startTime: '02:00', endTime: '04:00' }],
    });
    // 02:00-03:00 does not exist on 8 March 2026: the window is 03:00 to 04:00 EDT, one hour.
    expect(activeFreeze([night], at('2026-03-08T07:00:00Z'))).toMatchObject({
      start: '2026-03-08T07:00:00.000Z',
      end: '2026-03-08T08:00:00.000Z',
    });
    expect(activeFreeze([night], at('2026-03-01T07:30:00Z'))).toMatchObject({
      start: '2026-03-01T07:00:00.000Z',
      end: '2026-03-01T09:00:00.000Z',
    });
  });
});

describe('one-time windows', () => {
  const yearEnd = rule({
    name: 'year-end',
    timeZone: 'America/New_York',
    oneTimeWindows: [{ start: '2026-12-18 17:00', end: '2027-01-04 09:00' }],
  });

  it('hold from start to end in their time zone', () => {
    expect(activeFreeze([yearEnd], at('2026-12-18T21:59:00Z'))).toBeUndefined();
    expect(activeFreeze([yearEnd], at('2026-12-25T00:00:00Z'))).toMatchObject({
      start: '2026-12-18T22:00:00.000Z',
      end: '2027-01-04T14:00:00.000Z',
    });
  });

  it('join the weekly windows they touch: the freeze ends when the last of them does', () => {
    const both = rule({
      ...weekend,
      oneTimeWindows: [{ start: '2026-06-03 09:00', end: '2026-06-05 18:00' }],
    });
    expect(activeFreeze([both], at('2026-06-04T12:00:00Z'))).toMatchObject({
      start: '2026-06-03T13:00:00.000Z',
      end: '2026-06-08T13:00:00.000Z',
    });
  });

  it('of several freezes, the one that ends last is named', () => {
    expect(activeFreeze([weekend, yearEnd], at('2026-12-19T12:00:00Z'))?.name).toBe('year-end');
  });
});

describe('the schedule ahead', () => {
  it('lists the windows in effect or beginning within the horizon, by start', () => {
    const seven = upcomingFreezes([weekend], at('2026-03-05T12:00:00Z'), 7 * 24 * HOUR);
    expect(seven.map((w) => w.start)).toEqual(['2026-03-06T21:00:00.000Z']);
    const nine = upcomingFreezes([weekend], at('2026-03-05T12:00:00Z'), 9 * 24 * HOUR);
    // The second Friday is after the change: 16:00 EDT is 20:00Z.
    expect(nine.map((w) => w.start)).toEqual(['2026-03-06T21:00:00.000Z', '2026-03-13T20:00:00.000Z']);
    const during = upcomingFreezes([weekend], at('2026-03-07T12:00:00Z'), HOUR);
    expect(during.map((w) => w.end)).toEqual(['2026-03-09T13:00:00.000Z']);
  });

  it('a window lifted by an override no longer holds the rollout; another one still does', () => {
    const now = at('2026-06-06T12:00:00Z');
    const w = activeFreeze([weekend], now);
    if (!w) throw new Error('expected the weekend');
    const override = { by: 'UADMIN01', reason: 'hotfix', at: now.toISOString(), windows: [w] };
    expect(freezeHold([weekend], [override], now)).toBeUndefined();
    // The next weekend is another window: the override was for this one.
    expect(freezeHold([weekend], [override], at('2026-06-13T12:00:00Z'))?.start).toBe(
      '2026-06-12T20:00:00.000Z',
    );
  });
});

// Properties ---------------------------------------------------------------------------------------------

const ZONES = [
  'America/New_York',
  'Europe/London',
  'Australia/Sydney',
  'America/Sao_Paulo',
  'Asia/Kolkata',
  'UTC',
] as const;

const weeklyArb = fc
  .record({
    days: fc.subarray([...DAYS_OF_WEEK], { minLength: 1 }),
    from: fc.integer({ min: 0, max: 95 }),
    length: fc.integer({ min: 1, max: 96 }),
  })
  .map(({ days, from, length }) => {
    const end = Math.min(96, from + length);
    const clock = (q: number) =>
      `${String(Math.floor(q / 4)).padStart(2, '0')}:${String((q % 4) * 15).padStart(2, '0')}`;
    return { daysOfWeek: days, startTime: clock(from), endTime: clock(end) };
  });

const ruleArb = fc
  .record({ zone: fc.constantFrom(...ZONES), windows: fc.array(weeklyArb, { minLength: 1, maxLength: 4 }) })
  .map(({ zone, windows }) => freezeRule.safeParse({ name: 'r', timeZone: zone, weeklyWindows: windows }))
  .filter((parsed) => parsed.success)
  .map((parsed) => parsed.data as FreezeRule);

const instantArb = fc
  .integer({ min: Date.parse('2024-01-01T00:00:00Z'), max: Date.parse('2028-12-31T00:00:00Z') })
  .map((ms) => new Date(ms));

/** The wall clock of `zone` at `t`, read with Intl: the weekday and minutes since midnight. */
function wallClock(zone: string, t: Date): { day: string; minutes: number } {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: zone,
    weekday: 'long',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(t);
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  return { day: get('weekday').toUpperCase(), minutes: Number(get('hour')) * 60 + Number(get('minute')) };
}

/** Within three hours of a DST change the wall clock is ambiguous or skipped: the oracle does not judge there. */
const nearDstChange = (zone: string, t: Date) =>
  tzOffset(zone, new Date(t.getTime() - 3 * HOUR)) !== tzOffset(zone, new Date(t.getTime() + 3 * HOUR));

const minutesOf = (clock: string) => Number(clock.slice(0, 2)) * 60 + Number(clock.slice(3));

describe('properties', () => {
  it('a freeze holds exactly when the wall clock is inside one of its weekly windows', () => {
    fc.assert(
      fc.property(ruleArb, instantArb, (r, t) => {
        fc.pre(!nearDstChange(r.timeZone, t));
        const { day, minutes } = wallClock(r.timeZone, t);
        const inside = r.weeklyWindows.some(
          (w) =>
            w.daysOfWeek.includes(day as never) &&
            minutes >= minutesOf(w.startTime) &&
            minutes < minutesOf(w.endTime),
        );
        expect(activeFreeze([r], t) !== undefined).toBe(inside);
      }),
      { numRuns: 300 },
    );
  });

  it('the window in effect holds from its start to its end, and not a moment either side', () => {
    fc.assert(
      fc.property(ruleArb, instantArb, (r, t) => {
        const w = activeFreeze([r], t);
        if (!w) return;
        const [start, end] = [Date.parse(w.start), Date.parse(w.end)];
        expect(start <= t.getTime() && t.getTime() < end).toBe(true);
        expect(activeFreeze([r], new Date(start))).toEqual(w);
        expect(activeFreeze([r], new Date(end - 1))).toEqual(w);
        expect(activeFreeze([r], new Date(start - 1))).toBeUndefined();
        expect(activeFreeze([r], new Date(end))).toBeUndefined();
      }),
      { numRuns: 150 },
    );
  });

  it('the schedule lists apart windows, by start, and an instant in its span is frozen iff one covers it', () => {
    fc.assert(
      fc.property(
        ruleArb,
        instantArb,
        fc.integer({ min: 1, max: 14 * 24 }),
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 1, maxLength: 5 }),
        (r, t, hours, probes) => {
          const horizon = hours * HOUR;
          const list = upcomingFreezes([r], t, horizon);
          for (const [i, w] of list.entries()) {
            expect(Date.parse(w.end)).toBeGreaterThan(Date.parse(w.start));
            expect(Date.parse(w.end)).toBeGreaterThan(t.getTime());
            expect(Date.parse(w.start)).toBeLessThan(t.getTime() + horizon);
            const next = list[i + 1];
            if (next) expect(Date.parse(next.start)).toBeGreaterThan(Date.parse(w.end));
          }
          for (const p of probes) {
            const u = new Date(t.getTime() + Math.floor(p * (horizon - 1)));
            const covered = list.some(
              (w) => Date.parse(w.start) <= u.getTime() && u.getTime() < Date.parse(w.end),
            );
            expect(activeFreeze([r], u) !== undefined).toBe(covered);
          }
        },
      ),
      { numRuns: 100 },
    );
  });
});
