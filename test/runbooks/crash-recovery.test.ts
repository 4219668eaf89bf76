import { describe, expect, it, vi } from 'vitest';
import { targetOf } from '../../src/runbooks/effects.ts';
import type { Engine } from '../../src/runbooks/engine.ts';
import { kindOf } from '../../src/runbooks/kind.ts';
import { KINDS } from '../../src/runbooks/kinds.ts';
import type { CloudRun } from '../../src/runbooks/ports/cloud-run.ts';
import type { CanaryState } from '../../src/runbooks/types.ts';
import {
  APPROVERS,
  cloudRunWith,
  ENV,
  REQUESTER,
  SERVICE,
  testConfig,
  useEngineWorld,
} from '../helpers/engine-world.ts';

// Steps cut by a crash (issue 14, defect 1). A SIGKILL cannot happen in-process, so each test performs the
// first half of a step directly (through the store, or an engine whose ports never answer and which is
// then closed as a dead replica) and checks that a second engine's sweep finishes it within seconds.

const world = useEngineWorld('crash-recovery');
const TAG = 'v4.0.0';
const canary = (view: { state: unknown }) => view.state as CanaryState;
/** A short worker lease, so a dead replica's lease runs out within the test. */
const LEASE = { workerLeaseMs: 300 };

/** Sweeps with `engine` until it took something over (the dead replica's lease has to run out first). */
async function sweepUntilTaken(engine: Engine): Promise<void> {
  const deadline = Date.now() + 15_000;
  while ((await engine.sweep()) === 0) {
    if (Date.now() > deadline) throw new Error('the sweep took nothing over within 15 s');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('a lock whose rollout never appeared', () => {
  it('is released by any replica sweep, so /canary start works again', async () => {
    world.seed();
    // A replica that died right after taking the lock (the lock path rollbacks use), two minutes ago.
    await world.store.locks.acquire(SERVICE, ENV, {
      rolloutId: 'ghost-1',
      author: REQUESTER,
      reason: 'canary v0',
      kind: 'rollout',
      now: Date.now() - 120_000,
    });
    const b = world.engine();
    const refused = await b.startCanary({ service: SERVICE, env: ENV, tag: TAG, requestedBy: REQUESTER });
    expect(refused).toMatchObject({ ok: false, reason: 'held' });
    await b.sweep();
    expect(await world.store.locks.get(SERVICE, ENV)).toBeUndefined();
    const audit = await world.store.audit.read({ limit: 5 });
    expect(audit.entries.map((e) => e.what)).toContain('lock.orphan-release');
    const started = await b.startCanary({ service: SERVICE, env: ENV, tag: TAG, requestedBy: REQUESTER });
    expect(started.ok).toBe(true);
  });

  it('is kept while its lease runs, so a start taking its time is not cut', async () => {
    await world.store.locks.acquire(SERVICE, ENV, {
      rolloutId: 'slow-1',
      author: REQUESTER,
      reason: 'rollback: slow',
      kind: 'rollback',
    });
    await world.engine().sweep();
    expect((await world.store.locks.get(SERVICE, ENV))?.rolloutId).toBe('slow-1');
  });
});

describe('a record whose start was never applied', () => {
  it('is started by the sweep of another replica: deployed and waiting for approval', async () => {
    const stable = world.seed();
    const config = testConfig();
    const runbook = config.runbooks[targetOf(config, SERVICE, ENV).target.runbook];
    const kind = kindOf(KINDS, 'canary');
    const id = 'orphan-start-1';
    const state = kind.init(
      { id, service: SERVICE, env: ENV, requestedBy: REQUESTER, dryRun: false, at: new Date().toISOString() },
      { image: `europe-docker.pkg.dev/proj-test/web/web:${TAG}`, tag: TAG },
      runbook,
    );
    // What /canary start writes before it applies `start`: the lock and the record, in one script.
    const written = await world.store.rollouts.start(
      { id, service: SERVICE, env: ENV, fencingToken: 0, status: state.status, state, runbook, applied: [] },
      { author: REQUESTER, reason: `canary ${TAG}`, kind: 'rollout' },
    );
    expect(written.ok).toBe(true);
    world.feed(world.canaryRevision(id, TAG));
    const b = world.engine({ config, sweep: { intervalMs: 0, graceMs: 0 } });
    expect(await b.sweep()).toBe(1);
    await world.until(b, id, (v) => {
      expect(v.status).toBe('awaiting-approval');
      expect(canary(v).stableRevision).toBe(stable);
    });
  });
});

/** Cloud Run whose `deployNoTraffic` never answers once `hang` is set: the replica dies mid-deploy. */
function hangingDeploy(): { cloudRun: CloudRun; hung: Promise<void> } {
  let reached!: () => void;
  const hung = new Promise<void>((resolve) => {
    reached = resolve;
  });
  const cloudRun = cloudRunWith(world, {
    deployNoTraffic: () => {
      reached();
      return new Promise(() => {});
    },
  });
  return { cloudRun, hung };
}

describe('a replica killed mid-step', () => {
  it('is noticed within its worker lease, not the 15-minute deploy lease: the deploy is redriven', async () => {
    world.seed();
    const dying = hangingDeploy();
    const a = world.engine({
      store: world.testStore.openAnother(),
      cloudRun: dying.cloudRun,
      sweep: { intervalMs: 0, ...LEASE },
    });
    const started = await a.startCanary({ service: SERVICE, env: ENV, tag: TAG, requestedBy: REQUESTER });
    if (!started.ok) throw new Error(JSON.stringify(started));
    const id = started.rolloutId;
    await dying.hung;
    await a.close({ force: true });
    world.feed(world.canaryRevision(id, TAG));
    // Default leases (2 and 15 minutes) for a live worker: only the dead worker's lease lets this through.
    const b = world.engine({ sweep: { intervalMs: 0, ...LEASE } });
    expect(await b.sweep()).toBe(0); // a's lease still runs
    await sweepUntilTaken(b);
    await world.until(b, id, (v) => expect(v.status).toBe('awaiting-approval'));
  });

  it('right after a terminal transition: the lock is released, the report written', async () => {
    world.seed();
    let dying = false;
    const a = world.engine({
      store: world.testStore.openAnother(),
      sweep: { intervalMs: 0, ...LEASE },
      notify: async () => {
        if (dying) await new Promise(() => {});
      },
    });
    const started = await a.startCanary({ service: SERVICE, env: ENV, tag: TAG, requestedBy: REQUESTER });
    if (!started.ok) throw new Error(JSON.stringify(started));
    const id = started.rolloutId;
    world.feed(world.canaryRevision(id, TAG));
    await world.until(a, id, (v) => expect(v.status).toBe('awaiting-approval'));
    dying = true;
    const aborted = await a.send(id, { type: 'abort', by: REQUESTER, reason: 'not today' });
    expect(aborted.ok).toBe(true);
    await a.close({ force: true });
    expect((await world.store.locks.get(SERVICE, ENV))?.rolloutId).toBe(id);
    expect(await world.store.reports.get(id)).toBeUndefined();

    const b = world.engine({ sweep: { intervalMs: 0, ...LEASE } });
    await sweepUntilTaken(b);
    // The taken-over outbox runs on b's own time: wait for what it leaves, not for a fixed moment.
    await vi.waitFor(
      async () => {
        expect(await world.store.locks.get(SERVICE, ENV)).toBeUndefined();
        expect(await world.store.reports.get(id)).toBeDefined();
      },
      { timeout: 10_000, interval: 50 },
    );
    await b.idle();
    expect(await b.sweep()).toBe(0); // settled: nothing left to replay
  });

  it('after an approval was applied: another replica carries it out, nobody approves again', async () => {
    const stable = world.seed();
    let dying = false;
    const real = world.cloudRunAdapter;
    const cloudRun = cloudRunWith(world, {
      describe: (ref) => (dying ? new Promise(() => {}) : real.describe(ref)),
    });
    const a = world.engine({
      store: world.testStore.openAnother(),
      cloudRun,
      sweep: { intervalMs: 0, ...LEASE },
    });
    const started = await a.startCanary({ service: SERVICE, env: ENV, tag: TAG, requestedBy: REQUESTER });
    if (!started.ok) throw new Error(JSON.stringify(started));
    const id = started.rolloutId;
    const revision = world.canaryRevision(id, TAG);
    world.feed(revision);
    await world.until(a, id, (v) => expect(v.status).toBe('awaiting-approval'));
    dying = true;
    expect((await a.send(id, { type: 'approve', userId: APPROVERS[0], stage: 1 })).ok).toBe(true);
    await a.close({ force: true });

    const b = world.engine({ sweep: { intervalMs: 0, ...LEASE } });
    await sweepUntilTaken(b);
    await world.until(b, id, (v) => {
      expect(v.status).toBe('watching');
      expect(canary(v).stages[1]?.approvals).toHaveLength(1);
    });
    expect(world.split()).toEqual({ [stable]: 95, [revision]: 5 });
  });
});
