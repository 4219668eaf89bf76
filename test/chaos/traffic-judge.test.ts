import { describe, expect, it } from 'vitest';
import { judgeTraffic } from '../../bench/chaos/traffic-judge.ts';

// The chaos run's traffic check (npm run chaos): what Cloud Run served, judged against the stage order and
// the rollout's final state.

const P = [5, 25, 50, 100];
const at = (canary: number): { split: Record<string, number> } => ({
  split: canary === 100 ? { c: 100 } : canary === 0 ? { s: 100 } : { s: 100 - canary, c: canary },
});
const state = (status: string, trafficNow?: Record<string, number>) => ({
  status,
  stableRevision: 's',
  canaryRevision: 'c',
  ...(trafficNow ? { trafficNow } : {}),
});

describe('judgeTraffic', () => {
  it('passes a promotion in order and a rollback from 5 %', () => {
    expect(judgeTraffic('a', [5, 25, 50, 100].map(at), state('promoted', { c: 100 }), { c: 100 }, P)).toEqual(
      [],
    );
    expect(judgeTraffic('a', [at(5), at(0)], state('rolled-back', { s: 100 }), { s: 100 }, P)).toEqual([]);
  });

  it('flags a change applied twice, a skipped stage and a change after the return', () => {
    expect(judgeTraffic('a', [at(5), at(25), at(5)], state('watching'), {}, P)[0]).toMatch(/applied twice/);
    expect(judgeTraffic('a', [at(5), at(50)], state('watching'), {}, P)[0]).toMatch(/skipped 25/);
    expect(
      judgeTraffic('a', [at(5), at(0), at(5)], state('rolled-back'), { s: 95, c: 5 }, P).join('\n'),
    ).toMatch(/after the return/);
  });

  it('flags a final split that is not the final state, and a revision of no rollout', () => {
    expect(judgeTraffic('a', [at(5)], state('aborted'), { s: 95, c: 5 }, P)[0]).toMatch(
      /aborted, but Cloud Run serves/,
    );
    expect(judgeTraffic('a', [{ split: { s: 95, x: 5 } }], state('watching'), {}, P)[0]).toMatch(
      /no rollout/,
    );
  });
});
