import { describe, expect, it } from 'vitest';
import type { GateRegistry } from '../../src/gates/registry.ts';
import type { Engine } from '../../src/runbooks/engine.ts';
import { attentionOf } from '../../src/runbooks/hold.ts';
import type { CanaryState } from '../../src/runbooks/types.ts';
import type { Store } from '../../src/store/index.ts';
import {
  APPROVERS,
  cloudRunWith,
  ENV,
  REF,
  REQUESTER,
  SERVICE,
  startAtB as startAtBOf,
  testConfig,
  useEngineWorld,
} from '../helpers/engine-world.ts';

// Failures: Cloud Run errors retried then needs-attention, Redis unreachable, a replica dying after each
// kind of effect, and two replicas working the same rollout at once.

const world = useEngineWorld('engine-failures');
const TAG = 'v3.0.0';
const canary = (view: { state: unknown }) => view.state as CanaryState;

const startAtB = (engine: Engine) => startAtBOf(world, engine, TAG);

/** No split asked for twice in a row, deploys aside: nothing was applied twice. */
function expectNoRepeats(splits: Record<string, number>[]): void {
  for (let i = 1; i < splits.length; i++) expect(splits[i]).not.toEqual(splits[i - 1]);
}

describe('Cloud Run failing', () => {
  it('retries a failing traffic change with backoff, then needs attention; resume tries again', async () => {
    const engine = world.engine();
    const { id, stable, revision } = await startAtB(engine);
    // maxAttempts is 3 (test policy): five 503s outlast the first round of retries.
    world.cloudRun.recorder.inject({
      match: world.cloudRun.routes.updateService(REF),
      status: 503,
      times: 5,
    });
    await engine.send(id, { type: 'approve', userId: APPROVERS[0], stage: 1 });
    const stuck = await world.until(engine, id, (v) => expect(v.status).toBe('needs-attention'));
    const state = canary(stuck);
    expect(attentionOf(state)?.cause).toBe('effect-failed');
    expect(attentionOf(state)?.reason).toContain('set-traffic failed after 3 attempts');
    expect(state.pending).toMatchObject({ effect: 'set-traffic', attempts: 3 });
    expect(world.patches()).toHaveLength(1 + 3);
    expect(world.split()).toEqual({ [stable]: 100 });

    const resumed = await engine.send(id, { type: 'resume', by: REQUESTER });
    expect(resumed.ok).toBe(true);
    await world.until(engine, id, (v) => expect(v.status).toBe('watching'));
    expect(world.split()).toEqual({ [stable]: 95, [revision]: 5 });
    expect(world.patches()).toHaveLength(1 + 3 + 3); // two more 503s, then the change
  });
});

describe('Redis unreachable', () => {
  it('changes no traffic when the decision cannot be persisted', async () => {
    const base = world.testStore.openAnother();
    let down = false;
    const store: Store = {
      ...base,
      rollouts: {
        ...base.rollouts,
        transition: (...args) =>
          down
            ? Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:6379'))
            : base.rollouts.transition(...args),
      },
    };
    const engine = world.engine({ store });
    const { id, stable, revision } = await startAtB(engine);
    const patches = world.patches().length;

    down = true;
    await expect(engine.send(id, { type: 'approve', userId: APPROVERS[0], stage: 1 })).rejects.toThrow(
      'ECONNREFUSED',
    );
    expect(world.patches()).toHaveLength(patches);
    expect(world.split()).toEqual({ [stable]: 100 });

    down = false;
    const approved = await engine.send(id, { type: 'approve', userId: APPROVERS[0], stage: 1 });
    expect(approved.ok).toBe(true);
    await world.until(engine, id, (v) => expect(v.status).toBe('watching'));
    expect(world.split()).toEqual({ [stable]: 95, [revision]: 5 });
  });

  it('writes nothing to Cloud Run when it cannot confirm the step is still current', async () => {
    world.seed();
    // The engine's own connection (version checks, timers) points at a port nobody listens on.
    const engine = world.engine({ redisUrl: 'redis://127.0.0.1:1', worker: { start: false } });
    const started = await engine.startCanary({
      service: SERVICE,
      env: ENV,
      tag: TAG,
      requestedBy: REQUESTER,
    });
    expect(started.ok).toBe(true);
    if (started.ok)
      expect(await started.settled).toMatchObject({ stopped: expect.stringContaining('cannot confirm') });
    expect(world.patches()).toHaveLength(0);
  });
});

type Kind = 'deploy' | 'set-traffic' | 'evaluate';

/** Ports for a replica that dies right after performing one effect of `kind`: it never reports back. */
function dyingAfter(kind: Kind, die: () => void) {
  let died = false;
  const hang = <T>() => {
    died = true;
    die();
    return new Promise<T>(() => {});
  };
  const real = world.cloudRunAdapter;
  const cloudRun = cloudRunWith(world, {
    deployNoTraffic: async (ref, request) => {
      const done = await real.deployNoTraffic(ref, request);
      return kind === 'deploy' && !died ? hang() : done;
    },
    setSplit: async (ref, request) => {
      const done = await real.setSplit(ref, request);
      return kind === 'set-traffic' && !died ? hang() : done;
    },
  });
  const gates: GateRegistry = {
    evaluate: async (name, gate, ctx) => {
      const result = await world.gates.evaluate(name, gate, ctx);
      return kind === 'evaluate' && name === 'error-rate' && !died ? hang() : result;
    },
  };
  return { cloudRun, gates };
}

describe('a replica dying after each kind of effect', () => {
  it.each<Kind>(['deploy', 'set-traffic', 'evaluate'])(
    'after %s: another replica redrives the step and the rollout converges, nothing applied twice',
    async (kind) => {
      const stable = world.seed();
      let dead!: () => void;
      const died = new Promise<void>((resolve) => {
        dead = resolve;
      });
      let a: Engine | undefined;
      const ports = dyingAfter(kind, () => {
        void a?.close({ force: true });
        dead();
      });
      a = world.engine({ store: world.testStore.openAnother(), ...ports });
      const started = await a.startCanary({ service: SERVICE, env: ENV, tag: TAG, requestedBy: REQUESTER });
      if (!started.ok) throw new Error(JSON.stringify(started));
      const id = started.rolloutId;
      const revision = world.canaryRevision(id, TAG);
      world.feed(revision);
      if (kind !== 'deploy') {
        await world.until(a, id, (v) => expect(v.status).toBe('awaiting-approval'));
        await a.send(id, { type: 'approve', userId: APPROVERS[0], stage: 1 });
      }
      await died;

      const b = world.engine({ sweep: { intervalMs: 0, leaseMs: 0, deployLeaseMs: 0 } });
      expect(await b.sweep()).toBe(1);
      expect(await b.sweep()).toBe(0); // claimed once
      if (kind === 'deploy') {
        await world.until(b, id, (v) => expect(v.status).toBe('awaiting-approval'));
        await b.send(id, { type: 'approve', userId: APPROVERS[0], stage: 1 });
      }
      await world.until(b, id, (v) => {
        expect(v.status).toBe('awaiting-approval');
        expect(canary(v).stage).toBe(2);
      });
      expect(world.split()).toEqual({ [stable]: 95, [revision]: 5 });
      const splits = world.patchedSplits();
      expect(splits).toEqual([{ [stable]: 100 }, { [stable]: 95, [revision]: 5 }]);
      expectNoRepeats(splits);
    },
  );
});

describe('two replicas', () => {
  it('working the same rollout at once never shift twice: every stage applied once, in order', async () => {
    const stable = world.seed();
    const config = testConfig({ watch: '750ms', interval: '250ms' });
    const a = world.engine({ config, store: world.testStore.openAnother() });
    const b = world.engine({ config, store: world.testStore.openAnother() });
    const started = await a.startCanary({ service: SERVICE, env: ENV, tag: TAG, requestedBy: REQUESTER });
    if (!started.ok) throw new Error(JSON.stringify(started));
    const id = started.rolloutId;
    const revision = world.canaryRevision(id, TAG);
    world.feed(revision);

    for (let stage = 1; stage <= 4; stage++) {
      await world.until(b, id, (v) => {
        expect(v.status).toBe('awaiting-approval');
        expect(canary(v).stage).toBe(stage);
      });
      // The same click delivered to both replicas, and both approvers clicking on either at once.
      const sends = await Promise.all([
        a.send(id, { type: 'approve', userId: APPROVERS[0], stage }, { eventId: `click-${stage}` }),
        b.send(id, { type: 'approve', userId: APPROVERS[0], stage }, { eventId: `click-${stage}` }),
        a.send(id, { type: 'approve', userId: APPROVERS[1], stage }),
        b.send(id, { type: 'approve', userId: APPROVERS[1], stage }),
      ]);
      expect(sends.filter((s) => s.ok)).toHaveLength(1);
      if (stage === 2) {
        // The same timer event on both replicas at once: applied by one only.
        await world.until(a, id, (v) => expect(v.status).toBe('watching'));
        const tick = { type: 'tick' as const, at: new Date().toISOString(), stage };
        const both = await Promise.all([
          a.executor.dispatch(id, tick, { eventId: 'same-tick' }),
          b.executor.dispatch(id, tick, { eventId: 'same-tick' }),
        ]);
        expect(both.filter((r) => r.ok).length).toBeLessThanOrEqual(1);
      }
    }
    await world.until(a, id, (v) => expect(v.status).toBe('promoted'), 15_000);
    const splits = world.patchedSplits();
    expect(splits).toEqual([
      { [stable]: 100 },
      { [stable]: 95, [revision]: 5 },
      { [stable]: 75, [revision]: 25 },
      { [stable]: 50, [revision]: 50 },
      { [revision]: 100 },
    ]);
    const done = await a.get(id);
    for (const stage of canary(done as { state: unknown }).stages.slice(1))
      expect(stage.approvals).toHaveLength(1);
  });
});
