import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EffectContext, EffectPerformer, Outcome } from '../../src/runbooks/effects.ts';
import { createExecutor, type Executor, type RolloutFields } from '../../src/runbooks/executor.ts';
import { attentionOf } from '../../src/runbooks/hold.ts';
import { KINDS } from '../../src/runbooks/kinds.ts';
import type { Lock } from '../../src/runbooks/locks.ts';
import { PlatformError } from '../../src/runbooks/ports/errors.ts';
import type {
  CanaryState,
  Effect,
  RunbookEvent,
  RunbookPolicy,
  StepContext,
  StepResult,
} from '../../src/runbooks/types.ts';
import type { Store } from '../../src/store/index.ts';
import { openTestStore, type TestStore } from '../helpers/redis.ts';

// The executor against real Redis with a toy runbook and a recording performer: persist before perform,
// re-step on a version conflict, never apply an event twice, stop on a lost lock, turn effect failures
// into events, and drop a write whose step was overtaken.

/** A step function of the canary kind's shape: the toy takes the canary's place in the kind table. */
type Step = (state: CanaryState, event: RunbookEvent, ctx: StepContext) => StepResult<CanaryState>;

const POLICY: RunbookPolicy = {
  requiredApprovals: 1,
  allowSelfApproval: false,
  approvalTtlMs: 60_000,
  onGateFailure: 'automatic',
  maxAttempts: 3,
  backoffMs: () => 10,
};

/** The toy runbook: start deploys, deployed shifts traffic, traffic-set starts watching; it counts its steps. */
const toy: Step = (state, event) => {
  const s = structuredClone(state) as CanaryState;
  s.timeline.push({ at: event.at, what: event.type });
  const effects: Effect[] = [];
  switch (event.type) {
    case 'start':
      if (s.status !== 'deploying' || state.timeline.length > 0)
        return { state, effects: [], refused: 'started' };
      effects.push(
        { type: 'notify', notification: { kind: 'rollout-started' } },
        { type: 'deploy', image: 'i', tag: 't' },
      );
      break;
    case 'deployed':
      if (s.status !== 'deploying') return { state, effects: [], refused: 'no deploy in flight' };
      s.status = 'shifting';
      s.canaryRevision = event.revision;
      effects.push({ type: 'set-traffic', stable: 'old', canary: event.revision, canaryPercent: 5 });
      break;
    case 'traffic-set':
      if (s.status !== 'shifting') return { state, effects: [], refused: 'no shift in flight' };
      s.status = 'watching';
      s.trafficNow = event.traffic;
      break;
    case 'effect-failed':
      s.status = 'needs-attention';
      s.hold = {
        kind: 'attention',
        cause: 'effect-failed',
        reason: `${event.effect}: ${event.error} (${event.retryable ? 'retryable' : 'final'})`,
        at: event.at,
        from: state.status,
      };
      break;
    case 'pause':
      s.status = 'paused';
      break;
    default:
      return { state, effects: [], refused: `${event.type} does not apply` };
  }
  return { state: s, effects };
};

function newState(id: string): CanaryState {
  return {
    kind: 'canary',
    id,
    service: 'svc',
    env: 'prod',
    image: 'i',
    tag: 't',
    requestedBy: 'UREQ',
    dryRun: false,
    status: 'deploying',
    stage: 0,
    stages: [],
    timeline: [],
    startedAt: new Date().toISOString(),
  };
}

interface Recorder extends EffectPerformer {
  done: Effect['type'][];
  /** What an effect does; default: answer as the toy expects. */
  behave?: (effect: Effect, ctx: EffectContext) => Promise<Outcome | undefined>;
}

function recorder(): Recorder {
  const r: Recorder = {
    done: [],
    async perform(effect, ctx) {
      if (r.behave) {
        const outcome = await r.behave(effect, ctx);
        r.done.push(effect.type);
        return outcome;
      }
      r.done.push(effect.type);
      const at = ctx.at();
      if (effect.type === 'deploy')
        return {
          event: { type: 'deployed', at, revision: 'new', stableRevision: 'old', traffic: { old: 100 } },
        };
      if (effect.type === 'set-traffic')
        return { event: { type: 'traffic-set', at, traffic: { old: 95, new: 5 } } };
      return undefined;
    },
  };
  return r;
}

let t: TestStore;
let ids = 0;
beforeEach(() => {
  t = openTestStore('executor');
});
afterEach(() => t.cleanup());

function executorOver(store: Store, performer: EffectPerformer, step: Step = toy): Executor {
  return createExecutor({
    store,
    kinds: { ...KINDS, canary: { ...KINDS.canary, step } },
    policyOf: () => POLICY,
    effects: performer,
    dryRunEffects: performer,
    readVersion: async (id) => (await store.rollouts.get(id))?.version,
    now: () => new Date(),
    log: { warn: () => {}, error: () => {} },
  });
}

async function created(): Promise<{ id: string; lock: Lock }> {
  const id = `x${++ids}`;
  const got = await t.store.locks.acquire('svc', 'prod', {
    rolloutId: id,
    author: 'UREQ',
    reason: 'test',
    kind: 'rollout',
  });
  if (!got.ok) throw new Error('lock');
  const state = newState(id);
  await t.store.rollouts.create({
    id,
    service: 'svc',
    env: 'prod',
    fencingToken: got.lock.token,
    status: state.status,
    state,
    runbook: {},
    applied: [],
  });
  return { id, lock: got.lock };
}

const at = () => new Date().toISOString();
const stateOf = async (id: string) =>
  (await t.store.rollouts.get<RolloutFields>(id))?.data.state as CanaryState;

describe('executor', () => {
  it('persists each step, then performs its effects and feeds their outcomes until the rollout waits', async () => {
    const { id } = await created();
    const performer = recorder();
    const executor = executorOver(t.store, performer);
    const result = await executor.dispatch(id, { type: 'start', at: at() }, { eventId: 'go' });
    expect(result).toMatchObject({ ok: true, state: { status: 'deploying' } });
    if (result.ok) expect(await result.settled).toEqual({ steps: 3 });
    expect(performer.done).toEqual(['notify', 'deploy', 'set-traffic']);
    const record = await t.store.rollouts.get<RolloutFields>(id);
    expect(record?.status).toBe('watching');
    expect(record?.version).toBe(4);
    expect(record?.data.applied).toEqual(['go', 'o2.1', 'o3.0']);
    expect(record?.data.outbox).toMatchObject({
      version: 4,
      cause: { id: 'o3.0', type: 'traffic-set' },
      effects: [],
    });
  });

  it('performs nothing when the step cannot be persisted', async () => {
    const { id } = await created();
    const performer = recorder();
    const store: Store = {
      ...t.store,
      rollouts: { ...t.store.rollouts, transition: () => Promise.reject(new Error('Connection is closed.')) },
    };
    await expect(executorOver(store, performer).dispatch(id, { type: 'start', at: at() })).rejects.toThrow(
      'closed',
    );
    expect(performer.done).toEqual([]);
    expect((await stateOf(id)).timeline).toEqual([]);
  });

  it('re-steps an event on the version another replica wrote in between, and refuses it when it no longer applies', async () => {
    const { id, lock } = await created();
    const performer = recorder();
    let interfere = true;
    const calls: string[] = [];
    const step: Step = (state, event, ctx) => {
      calls.push(`${event.type}@${state.status}`);
      return toy(state, event, ctx);
    };
    const store: Store = {
      ...t.store,
      rollouts: {
        ...t.store.rollouts,
        async transition(rolloutId, version, fence, patch) {
          if (interfere) {
            interfere = false;
            // Another replica applies a pause first.
            const other = await t.store.rollouts.get<RolloutFields>(rolloutId);
            const paused = { ...(other?.data.state as CanaryState), status: 'paused' as const };
            await t.store.rollouts.transition(rolloutId, version, lock, { status: 'paused', state: paused });
          }
          return t.store.rollouts.transition(rolloutId, version, fence, patch);
        },
      },
    };
    const result = await executorOver(store, performer, step).dispatch(id, { type: 'start', at: at() });
    expect(result).toMatchObject({ ok: false, reason: 'refused' });
    expect(calls).toEqual(['start@deploying', 'start@paused']);
    expect(performer.done).toEqual([]);
  });

  it('applies an event id once, however often and wherever it is delivered', async () => {
    const { id } = await created();
    const performer = recorder();
    const a = executorOver(t.store, performer);
    const b = executorOver(t.openAnother(), performer);
    const start = { type: 'start' as const, at: at() };
    const results = await Promise.all([
      a.dispatch(id, start, { eventId: 'once' }),
      b.dispatch(id, start, { eventId: 'once' }),
      a.dispatch(id, start, { eventId: 'once' }),
    ]);
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    expect(results.filter((r) => !r.ok).map((r) => !r.ok && r.reason)).toEqual(['duplicate', 'duplicate']);
    await Promise.all([a.idle(), b.idle()]);
    expect(performer.done).toEqual(['notify', 'deploy', 'set-traffic']);
  });

  it('redrives the last step: effects again, outcomes dropped as already applied', async () => {
    const { id } = await created();
    const performer = recorder();
    const executor = executorOver(t.store, performer);
    // The toy's deploy answers nothing the first time: the chain stops after the step, as after a crash.
    performer.behave = async () => undefined;
    const result = await executor.dispatch(id, { type: 'start', at: at() });
    if (result.ok) await result.settled;
    performer.behave = undefined;
    performer.done.length = 0;
    expect(await executor.redrive(id)).toEqual({ steps: 3 });
    expect(performer.done).toEqual(['notify', 'deploy', 'set-traffic']);
    performer.done.length = 0;
    // The same outbox once more (say, two replicas' sweeps): its outcome is dropped as already applied.
    const record = await t.store.rollouts.get<RolloutFields>(id);
    expect(record?.status).toBe('watching');
    expect(await executor.redrive(id, 2)).toBeUndefined(); // version 2 is no longer current
  });

  it('stops when the lock was taken away (force-unlock, then another holder)', async () => {
    const { id } = await created();
    await t.store.locks.forceUnlock('svc', 'prod', { by: 'UADMIN', reason: 'stuck' });
    await t.store.locks.acquire('svc', 'prod', {
      rolloutId: 'other',
      author: 'U2',
      reason: 'x',
      kind: 'rollout',
    });
    const performer = recorder();
    const result = await executorOver(t.store, performer).dispatch(id, { type: 'start', at: at() });
    expect(result).toMatchObject({ ok: false, reason: 'fenced' });
    if (!result.ok) expect(result.message).toContain('held by other');
    expect(performer.done).toEqual([]);
  });

  it.each([
    ['unavailable', true],
    ['rate-limited', true],
    ['timeout', true],
    ['conflict', true],
    ['not-found', false],
    ['permission-denied', false],
    ['invalid', false],
  ] as const)(
    'turns a %s platform error into effect-failed (retryable: %s) and skips the effects after it',
    async (kind, retryable) => {
      const { id } = await created();
      const performer = recorder();
      performer.behave = async (effect) => {
        if (effect.type === 'deploy') throw new PlatformError('cloud-run', kind, `deploy: ${kind}`);
        return undefined;
      };
      const step: Step = (state, event, ctx) => {
        const result = toy(state, event, ctx);
        if (event.type === 'start')
          result.effects.push({ type: 'notify', notification: { kind: 'stage-started', stage: 0 } });
        return result;
      };
      const result = await executorOver(t.store, performer, step).dispatch(id, { type: 'start', at: at() });
      if (result.ok) await result.settled;
      expect(performer.done).toEqual(['notify']); // the notify after the failed deploy was not sent
      const state = await stateOf(id);
      expect(state.status).toBe('needs-attention');
      expect(attentionOf(state)?.reason).toBe(
        `deploy: deploy: ${kind} (${retryable ? 'retryable' : 'final'})`,
      );
    },
  );

  it('drops a platform write when another step was persisted since the effect was decided', async () => {
    const { id, lock } = await created();
    const performer = recorder();
    let wrote = false;
    performer.behave = async (effect, ctx) => {
      if (effect.type !== 'deploy') return undefined;
      // A person's decision lands between the step and the write.
      const record = await t.store.rollouts.get<RolloutFields>(id);
      await t.store.rollouts.transition(id, record?.version ?? 0, lock, { status: 'paused' });
      await ctx.ensureCurrent();
      wrote = true;
      return undefined;
    };
    const result = await executorOver(t.store, performer).dispatch(id, { type: 'start', at: at() });
    expect(result.ok).toBe(true);
    if (result.ok) expect((await result.settled).stopped).toContain('moved from version 2 to 3');
    expect(wrote).toBe(false);
  });

  it('takes no event once the rollout has finished', async () => {
    const { id, lock } = await created();
    const record = await t.store.rollouts.get(id);
    await t.store.rollouts.transition(id, record?.version ?? 0, lock, { status: 'aborted' });
    const result = await executorOver(t.store, recorder()).dispatch(id, {
      type: 'pause',
      at: at(),
      by: 'U',
    } as RunbookEvent);
    expect(result).toMatchObject({ ok: false, reason: 'finished' });
  });
});
