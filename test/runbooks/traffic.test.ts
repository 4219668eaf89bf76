import { describe, expect, it } from 'vitest';
import { canarySplit, formatSplit, sameSplit, servingRevision, splitOf } from '../../src/runbooks/traffic.ts';

describe('traffic splits', () => {
  it('sameSplit treats a revision at 0 % as absent', () => {
    expect(sameSplit({ 'rev-1': 100, 'rev-2': 0 }, { 'rev-1': 100 })).toBe(true);
    expect(sameSplit({ 'rev-1': 100 }, { 'rev-1': 100, 'rev-2': 0 })).toBe(true);
    expect(sameSplit({}, { 'rev-2': 0 })).toBe(true);
    expect(sameSplit({ 'rev-1': 95, 'rev-2': 5 }, { 'rev-2': 5, 'rev-1': 95 })).toBe(true);
    expect(sameSplit({ 'rev-1': 100, 'rev-2': 0 }, { 'rev-2': 100 })).toBe(false);
    expect(sameSplit({ 'rev-1': 95, 'rev-2': 5 }, { 'rev-1': 100 })).toBe(false);
  });

  it('canarySplit leaves 0 % out and gives the stable revision the rest', () => {
    expect(canarySplit('rev-1', 'rev-2', 0)).toEqual({ 'rev-1': 100 });
    expect(canarySplit('rev-1', 'rev-2', 25)).toEqual({ 'rev-1': 75, 'rev-2': 25 });
    expect(canarySplit('rev-1', 'rev-2', 100)).toEqual({ 'rev-2': 100 });
  });

  it('splitOf sums a revision named twice and leaves 0 % targets out', () => {
    expect(
      splitOf([
        { revision: 'rev-1', percent: 60 },
        { revision: 'rev-1', percent: 40, latest: true },
        { revision: 'rev-2', percent: 0, tag: 'canary' },
      ]),
    ).toEqual({ 'rev-1': 100 });
  });

  it('servingRevision is the revision with the most traffic, leaving one out', () => {
    expect(servingRevision({ 'rev-1': 95, 'rev-2': 5 })).toBe('rev-1');
    expect(servingRevision({ 'rev-1': 95, 'rev-2': 5 }, 'rev-1')).toBe('rev-2');
    expect(servingRevision({})).toBeUndefined();
  });

  it('formatSplit lists the largest share first, without 0 % entries', () => {
    expect(formatSplit({ 'rev-3': 5, 'rev-2': 95, 'rev-1': 0 })).toBe('rev-2 95 %, rev-3 5 %');
    expect(formatSplit({ 'rev-1': 0 })).toBe('no traffic');
    expect(formatSplit({ b: 50, a: 50 }, (rev) => `\`${rev}\``)).toBe('`a` 50 %, `b` 50 %');
  });
});
