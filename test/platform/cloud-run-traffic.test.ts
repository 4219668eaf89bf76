import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  exactTraffic,
  expectationOf,
  LATEST,
  mismatch,
  REVISION,
  sameTraffic,
  servingNow,
  type WireTarget,
} from '../../src/platform/cloud-run/traffic.ts';
import { splitOf } from '../../src/runbooks/traffic.ts';

// The traffic planning is pure; these properties hold for any traffic a service may already have.

const revision = fc.constantFrom('svc-00001-aaa', 'svc-00002-bbb', 'svc-00003-ccc', 'svc-00004-ddd');

/** A valid current traffic list: serving targets adding to 100, plus tagged 0 % targets, tags unique. */
const currentTraffic = fc
  .record({
    serving: fc.array(
      fc.record({ revision, weight: fc.integer({ min: 1, max: 10 }), latest: fc.boolean() }),
      {
        minLength: 1,
        maxLength: 3,
      },
    ),
    tagged: fc.array(fc.record({ revision, latest: fc.boolean() }), { maxLength: 3 }),
    tags: fc.shuffledSubarray(['canary', 'stable', 'blue', 'previous', 'green']),
  })
  .map(({ serving, tagged, tags }) => {
    const total = serving.reduce((sum, s) => sum + s.weight, 0);
    const percents = serving.map((s) => Math.floor((s.weight * 100) / total));
    percents[0] = (percents[0] ?? 0) + 100 - percents.reduce((a, b) => a + b, 0);
    const targets: WireTarget[] = serving.map((s, i) => ({
      type: s.latest ? LATEST : REVISION,
      revision: s.latest ? '' : s.revision,
      percent: percents[i] ?? 0,
      tag: tags[i] ?? '',
    }));
    tagged.forEach((t, i) => {
      const tag = tags[serving.length + i];
      if (tag)
        targets.push({
          type: t.latest ? LATEST : REVISION,
          revision: t.latest ? '' : t.revision,
          percent: 0,
          tag,
        });
    });
    return targets;
  });

const split = fc
  .record({ stable: revision, canary: revision, percent: fc.integer({ min: 0, max: 100 }) })
  .filter((s) => s.stable !== s.canary)
  .map(({ stable, canary, percent }) => [
    { revision: stable, percent: 100 - percent },
    { revision: canary, percent, tag: 'canary' },
  ]);

const sum = (targets: WireTarget[]) => targets.reduce((total, t) => total + t.percent, 0);
const tagsOf = (targets: WireTarget[]) => targets.map((t) => t.tag).filter(Boolean);

describe('exactTraffic', () => {
  it('gives exactly the split asked for, tags unique, other tags kept, and is idempotent', () => {
    fc.assert(
      fc.property(currentTraffic, split, (current, wanted) => {
        const next = exactTraffic(current, wanted);
        expect(sum(next)).toBe(100);
        expect(new Set(tagsOf(next)).size).toBe(tagsOf(next).length);
        expect(splitOf(next)).toEqual(expectationOf(wanted).split);
        expect(next.find((t) => t.tag === 'canary')?.revision).toBe(wanted[1]?.revision);
        for (const tag of tagsOf(current)) expect(tagsOf(next)).toContain(tag);
        expect(sameTraffic(next, exactTraffic(next, wanted))).toBe(true);
      }),
    );
  });

  it('pins what serves now when deploying, LATEST resolved', () => {
    fc.assert(
      fc.property(currentTraffic, revision, (current, latestReady) => {
        const serving = servingNow(current, latestReady);
        if (typeof serving === 'string') throw new Error(serving);
        const next = exactTraffic(current, [
          ...serving,
          { revision: 'svc-00009-new', percent: 0, tag: 'canary' },
        ]);
        expect(next.every((t) => t.percent === 0 || t.type === REVISION)).toBe(true);
        const before = splitOf(current.map((t) => ({ ...t, revision: t.revision || latestReady })));
        expect(splitOf(next)).toEqual(before);
        expect(next.find((t) => t.tag === 'canary')?.revision).toBe('svc-00009-new');
      }),
    );
  });
});

describe('mismatch', () => {
  const wanted = [
    { revision: 'a', percent: 95 },
    { revision: 'b', percent: 5, tag: 'canary' },
  ];

  it('accepts the split asked for, in any order', () => {
    expect(
      mismatch(expectationOf(wanted), [
        { revision: 'b', percent: 5, tag: 'canary' },
        { revision: 'a', percent: 95 },
        { revision: 'c', percent: 0, tag: 'old' },
      ]),
    ).toBeUndefined();
  });

  it('names expected and reported when they differ', () => {
    expect(mismatch(expectationOf(wanted), [{ revision: 'a', percent: 100 }])).toBe(
      'expected a=95%, b=5%, tag canary->b; Cloud Run reports a=100%, tag canary->(none)',
    );
    expect(mismatch({ tags: { canary: 'b' } }, [{ revision: 'a', percent: 100, tag: 'canary' }])).toBe(
      'expected tag canary->b; Cloud Run reports tag canary->a',
    );
  });
});
