import { describe, expect, it } from 'vitest';
import type { Engine } from '../../src/runbooks/engine.ts';
import { attentionOf } from '../../src/runbooks/hold.ts';
import type { CanaryState } from '../../src/runbooks/types.ts';
import {
  ADMIN,
  APPROVERS,
  ENV,
  OUTSIDER,
  REQUESTER,
  SERVICE,
  startAtB as startAtBOf,
  testConfig,
  useEngineWorld,
} from '../helpers/engine-world.ts';

// People's decisions through the engine: approval rules end to end, abort, pause and resume, promote-now.

const world = useEngineWorld('engine-people');
const TAG = 'v2.0.0';
const canary = (view: { state: unknown }) => view.state as CanaryState;

const startAtB = (engine: Engine) => startAtBOf(world, engine, TAG);

async function timersOf(engine: Engine, id: string): Promise<string[]> {
  const jobs = await engine.scheduler.queue.getJobs(['delayed', 'wait', 'active']);
  return jobs.map((j) => j.id ?? '').filter((jobId) => jobId.startsWith(`${id}:`));
}

describe('approvals', () => {
  it('refuses self-approval and non-approvers, counts N distinct people, refuses stages not current', async () => {
    const engine = world.engine({ config: testConfig({ required: 2 }) });
    const { id, stable, revision } = await startAtB(engine);

    const self = await engine.send(id, { type: 'approve', userId: REQUESTER, stage: 1 });
    expect(self).toMatchObject({ ok: false, reason: 'not-allowed' });
    if (!self.ok) expect(self.message).toContain('someone else has to approve');
    const outsider = await engine.send(id, { type: 'approve', userId: OUTSIDER, stage: 1 });
    expect(outsider).toMatchObject({ ok: false, reason: 'not-allowed' });
    if (!outsider.ok) expect(outsider.message).toContain('not an approver');
    const ahead = await engine.send(id, { type: 'approve', userId: APPROVERS[0], stage: 2 });
    expect(ahead).toMatchObject({ ok: false, reason: 'refused' });

    const first = await engine.send(id, { type: 'approve', userId: APPROVERS[0], stage: 1 });
    expect(first).toMatchObject({ ok: true, status: 'awaiting-approval' });
    const again = await engine.send(id, { type: 'approve', userId: APPROVERS[0], stage: 1 });
    expect(again).toMatchObject({ ok: false, reason: 'refused' });
    expect(world.split()).toEqual({ [stable]: 100 }); // one approval of two moves nothing

    const second = await engine.send(id, { type: 'approve', userId: APPROVERS[1], stage: 1 });
    expect(second).toMatchObject({ ok: true, status: 'shifting' });
    await world.until(engine, id, (v) => expect(canary(v).stage).toBe(2));
    expect(world.split()).toEqual({ [stable]: 95, [revision]: 5 });

    // A button of stage B clicked again once the rollout is at C: refused, nothing changes.
    const late = await engine.send(id, { type: 'approve', userId: APPROVERS[1], stage: 1 });
    expect(late).toMatchObject({ ok: false, reason: 'refused' });
    if (!late.ok) expect(late.message).toContain('already past');
    const view = await engine.get(id);
    expect(canary(view as { state: unknown }).stages[1]?.approvals.map((a) => a.userId)).toEqual([
      ...APPROVERS,
    ]);

    const refusals = (await world.store.audit.read({ limit: 100 })).entries.filter((e) =>
      e.what.startsWith('rollout.approve.refused'),
    );
    expect(refusals.map((e) => e.who).sort()).toEqual(
      [APPROVERS[0], APPROVERS[0], APPROVERS[1], OUTSIDER, REQUESTER].sort(),
    );
  });

  it('expires an approval request: needs attention, a late approval is refused, resume asks again', async () => {
    const engine = world.engine({ config: testConfig({ expiresAfter: '400ms' }) });
    const { id, stable, revision } = await startAtB(engine);
    const expired = await world.until(engine, id, (v) => expect(v.status).toBe('needs-attention'));
    expect(attentionOf(canary(expired))?.cause).toBe('approval-expired');
    expect(world.notifications.map((n) => n.notification.kind)).toContain('needs-attention');

    const late = await engine.send(id, { type: 'approve', userId: APPROVERS[0], stage: 1 });
    expect(late).toMatchObject({ ok: false, reason: 'refused' });
    expect(world.split()).toEqual({ [stable]: 100 });

    const resumed = await engine.send(id, { type: 'resume', by: REQUESTER });
    expect(resumed).toMatchObject({ ok: true, status: 'awaiting-approval' });
    const approved = await engine.send(id, { type: 'approve', userId: APPROVERS[0], stage: 1 });
    expect(approved.ok).toBe(true);
    await world.until(engine, id, (v) => expect(v.status).toBe('watching'));
    expect(world.split()).toEqual({ [stable]: 95, [revision]: 5 });
  });
});

describe('abort', () => {
  it('before any traffic: ends at once, lock released, nothing written to Cloud Run but the deploy', async () => {
    const engine = world.engine();
    const { id, stable } = await startAtB(engine);
    const aborted = await engine.send(id, { type: 'abort', by: REQUESTER, reason: 'wrong tag' });
    expect(aborted).toMatchObject({ ok: true, status: 'aborted' });
    if (aborted.ok) await aborted.settled;
    expect(world.split()).toEqual({ [stable]: 100 });
    expect(world.patches()).toHaveLength(1);
    expect(await world.store.locks.get(SERVICE, ENV)).toBeUndefined();
    expect(await timersOf(engine, id)).toEqual([]); // the approval expiry was cancelled
  });

  it('with canary traffic: traffic goes back to stable (no route override, no incident), then aborted', async () => {
    const engine = world.engine({ config: testConfig({ watch: '10s', interval: '250ms' }) });
    const { id, stable } = await startAtB(engine);
    await engine.send(id, { type: 'approve', userId: APPROVERS[0], stage: 1 });
    await world.until(engine, id, (v) => expect(v.status).toBe('watching'));
    const aborted = await engine.send(id, { type: 'abort', by: REQUESTER, reason: 'saw something odd' });
    expect(aborted).toMatchObject({ ok: true, status: 'rolling-back' });
    const done = await world.until(engine, id, (v) => expect(v.status).toBe('aborted'));
    expect(world.split()).toEqual({ [stable]: 100 });
    expect(canary(done).rollback).toMatchObject({ mode: 'traffic-only', incident: false, status: 'done' });
    expect(world.routeSplit.override).toBeNull();
    await engine.idle();
    expect(await world.store.timelines.list(`incident-${id}`)).toEqual([]);
    expect(await world.store.locks.get(SERVICE, ENV)).toBeUndefined();
  });
});

describe('pause, resume and promote-now', () => {
  it('pause holds the watch window (no timer left), resume picks it up and the stage passes', async () => {
    const engine = world.engine({ config: testConfig({ watch: '1500ms', interval: '250ms' }) });
    const { id } = await startAtB(engine);
    await engine.send(id, { type: 'approve', userId: APPROVERS[0], stage: 1 });
    await world.until(engine, id, (v) => {
      expect(v.status).toBe('watching');
      expect(canary(v).stages[1]?.ticks.length).toBeGreaterThanOrEqual(1);
    });
    // An evaluation in flight goes on while paused (its results are recorded); the next tick is not scheduled.
    const paused = await engine.send(id, { type: 'pause', by: REQUESTER });
    expect(paused).toMatchObject({ ok: true, status: 'paused' });
    const held = await world.until(engine, id, (v) => expect(canary(v).pending).toBeUndefined());
    expect(held.status).toBe('paused');
    expect(await timersOf(engine, id)).toEqual([]);
    const ticks = canary(held).stages[1]?.ticks.length ?? 0;
    expect(await engine.send(id, { type: 'pause', by: REQUESTER })).toMatchObject({
      ok: false,
      reason: 'refused',
    });

    const resumed = await engine.send(id, { type: 'resume', by: REQUESTER });
    expect(resumed).toMatchObject({ ok: true, status: 'watching' });
    const next = await world.until(engine, id, (v) => {
      expect(v.status).toBe('awaiting-approval');
      expect(canary(v).stage).toBe(2);
    });
    expect(canary(next).stages[1]?.ticks.length).toBeGreaterThan(ticks);
    expect(canary(next).stages[1]?.verdict).toBe('pass');
  });

  it('promote-now: no more approval waits or windows, every stage still shifts and runs its gates once', async () => {
    const engine = world.engine({ config: testConfig({ watch: '30s', interval: '10s' }) });
    const { id, stable, revision } = await startAtB(engine);
    const promoted = await engine.send(id, { type: 'promote-now', by: ADMIN });
    expect(promoted.ok).toBe(true);
    const done = await world.until(engine, id, (v) => expect(v.status).toBe('promoted'));
    for (const stage of canary(done).stages.slice(1)) {
      expect(stage.ticks).toHaveLength(1);
      expect(stage.approvals).toEqual([]);
    }
    expect(world.patchedSplits()).toEqual([
      { [stable]: 100 },
      { [stable]: 95, [revision]: 5 },
      { [stable]: 75, [revision]: 25 },
      { [stable]: 50, [revision]: 50 },
      { [revision]: 100 },
    ]);
    expect(await timersOf(engine, id)).toEqual([]);
  });
});
