import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Revision } from '../../src/runbooks/ports/cloud-run.ts';
import { chooseRollbackTarget, type PastRollout } from '../../src/runbooks/rollback-target.ts';
import { readHistory } from '../../src/runbooks/use-cases/rollback-history.ts';
import { openTestStore, type TestStore } from '../helpers/redis.ts';

// Where /rollback goes without --to, from the history alone (rollback-target.ts).

const revisions = (...names: string[]): Revision[] =>
  names.map((name) => ({ name, image: `img:${name}`, ready: true }));
const at = (min: number) => new Date(Date.UTC(2026, 10, 23, 10, min)).toISOString();

const canary = (
  id: string,
  status: string,
  stable: string,
  rev: string,
  min: number,
  extra: Partial<PastRollout> = {},
): PastRollout => ({
  id,
  kind: 'canary',
  status,
  startedAt: at(min),
  endedAt: at(min + 5),
  stableRevision: stable,
  canaryRevision: rev,
  ...extra,
});

describe('the rollback target', () => {
  it('after an aborted canary and a promoted one: the stable revision before the promotion', () => {
    const choice = chooseRollbackTarget({
      serving: 'r3',
      revisions: revisions('r3', 'r2', 'r1'),
      history: [canary('c1', 'aborted', 'r1', 'r2', 0), canary('c2', 'promoted', 'r1', 'r3', 10)],
      served: [
        { at: at(12), split: { r1: 50, r3: 50 } },
        { at: at(14), split: { r1: 0, r3: 100 } },
      ],
    });
    expect(choice).toEqual({
      ok: true,
      target: {
        revision: 'r1',
        image: 'img:r1',
        lastServed: at(12),
        why: 'the stable revision before rollout c2 was promoted',
      },
    });
  });

  it('a release made outside shiftgate: the revision the last promotion left stable', () => {
    const choice = chooseRollbackTarget({
      serving: 'hotfix',
      revisions: revisions('hotfix', 'r3', 'r1'),
      history: [canary('c2', 'promoted', 'r1', 'r3', 10, { tag: 'v3' })],
      served: [],
    });
    expect(choice).toMatchObject({
      ok: true,
      target: { revision: 'r3', lastServed: at(15), why: 'stable since rollout c2 (v3) was promoted' },
    });
  });

  it('never a revision a rollback moved traffic away from, nor one no longer ready', () => {
    const choice = chooseRollbackTarget({
      serving: 'r2',
      revisions: [...revisions('r4', 'r2'), { name: 'r1', image: 'img:r1', ready: false }],
      history: [
        canary('c1', 'promoted', 'r1', 'r2', 0),
        canary('c2', 'promoted', 'r2', 'r4', 10),
        { id: 'rb1', kind: 'rollback', status: 'rolled-back', startedAt: at(20), rolledBackFrom: 'r4' },
      ],
      served: [],
    });
    expect(choice).toEqual({
      ok: false,
      why: 'no revision a promoted rollout left behind can take the traffic',
      passedOver: [
        { revision: 'r4', why: 'rollback rb1 took traffic away from it' },
        { revision: 'r2', why: 'it is serving now' },
        { revision: 'r1', why: 'it is no longer ready' },
      ],
    });
  });

  it('with no promoted rollout, there is none (failed and rolled-back canaries vouch for nothing)', () => {
    const choice = chooseRollbackTarget({
      serving: 'r1',
      revisions: revisions('r3', 'r2', 'r1'),
      history: [canary('c1', 'failed', 'r1', 'r2', 0), canary('c2', 'rolled-back', 'r1', 'r3', 10)],
      served: [],
    });
    expect(choice).toMatchObject({ ok: false, passedOver: [] });
  });
});

describe('the history a target is chosen from', () => {
  let t: TestStore;
  beforeEach(() => {
    t = openTestStore('rollback-history');
  });
  afterEach(() => t.cleanup());

  it('rebuilds a rollout whose record has expired from its audit lines; other services do not count', async () => {
    const line = (what: string, extra: Record<string, unknown> = {}) =>
      t.store.audit.append({ who: 'shiftgate', what, service: 'web', env: 'prod', ...extra });
    await line('rollout.start', { rolloutId: 'old-1', after: { status: 'deploying' }, at: at(0) });
    await line('cloud-run.deploy', {
      rolloutId: 'old-1',
      after: { revision: 'r2', image: 'img:v2', traffic: { r1: 100 } },
      at: at(1),
    });
    await line('cloud-run.set-traffic', {
      rolloutId: 'old-1',
      before: { r1: 50, r2: 50 },
      after: { r2: 100 },
      at: at(3),
    });
    await line('rollout.promoted', { rolloutId: 'old-1', after: { status: 'promoted' }, at: at(4) });
    await t.store.audit.append({
      who: 'shiftgate',
      what: 'rollout.promoted',
      rolloutId: 'other-1',
      service: 'api',
      env: 'prod',
      after: { status: 'promoted' },
    });
    const history = await readHistory(t.store, 'web', 'prod');
    expect(history.rollouts).toEqual([
      {
        id: 'old-1',
        kind: 'canary',
        status: 'promoted',
        startedAt: at(0),
        endedAt: at(4),
        canaryRevision: 'r2',
        stableRevision: 'r1',
      },
    ]);
    const choice = chooseRollbackTarget({
      serving: 'r2',
      revisions: revisions('r2', 'r1'),
      history: history.rollouts,
      served: history.served,
    });
    expect(choice).toMatchObject({ ok: true, target: { revision: 'r1', lastServed: at(3) } });
  });
});
