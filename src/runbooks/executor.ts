import { crashPoint } from '../faults/crash-point.ts';
import { messageOf } from '../gates/error-result.ts';
import type { RolloutRecord, Store } from '../store/index.ts';
import { extendPlan } from './dry-run.ts';
import {
  type EffectContext,
  type EffectPerformer,
  isRetryable,
  type Logger,
  OUTCOME_EFFECTS,
  type Outcome,
  Superseded,
} from './effects.ts';
import { applyFreezeOverride } from './freeze/override.ts';
import { AWAITS_RESULT } from './in-flight.ts';
import { type KindRegistry, kindOf, type RunbookStateBase } from './kind.ts';
import type { Fence } from './locks.ts';
import { isTerminalStatus } from './status.ts';
import type { Effect, PlanEntry, RunbookEvent, RunbookPolicy, RunbookState, StepResult } from './types.ts';

// The executor: load the record, step the runbook, persist, then perform the effects and feed their
// outcomes back, until the rollout waits for a timer or a person.
//
//   1. load      store.rollouts.get (skipped when the previous step of the same chain left the record)
//   2. step      the pure runbook: (state, event, ctx) -> (state, effects) or refused
//   3. persist   store.rollouts.transition(id, version, fence, {status, state, outbox, applied}): a
//                compare-and-set on the version, under the lock's fencing token. On a version conflict
//                the record is read again and the event stepped again on what is there now (the runbook
//                refuses it if it no longer applies); a fencing conflict (the lock was taken away) drops it.
//   4. perform   only after the write succeeded, in order. If persisting fails (Redis unreachable),
//                nothing is performed, so nothing changes traffic on a decision that was not recorded.
//   5. feed      each outcome (deployed, traffic-set, gates-done, effect-failed, ...) is an event of its
//                own, back to 1.
//
// Never twice: every event has an id; the record keeps the ids of its last applied events (`applied`), so
// a second delivery (a timer job run again after its replica died, two replicas working the same chain,
// a redrive) is dropped. Outcome ids derive from the transition that emitted the effect and the effect's
// position, so the same effect performed twice yields the same id and only the first one counts.
//
// Crash safety: the effects of a transition are written with it (`outbox`). If a replica dies between the
// write and the end of its effects, `redrive` performs that outbox again: every effect is idempotent
// (traffic effects reconcile with what Cloud Run reports, the deploy names its revision deterministically,
// timers have deterministic ids, the incident and the report are keyed by rollout), and the outcomes
// carry the same ids as the first time. The engine's sweep calls redrive for records left unsettled.
//
// Pending and settled: a transition with effects marks the record pending at its version (same script);
// once those effects have all run and no outcome is left to feed back, `settle` clears it. While a chain
// runs, this replica holds a short lease on the rollout (store.workers), renewed every third of its TTL:
// the sweep redrives a pending step as soon as no live replica holds that lease, terminal steps included.

/**
 * The record's data fields, each stored as JSON in its own hash field. `S` and `D` narrow the state and
 * the definition for readers that know the kind; the executor itself only knows RunbookStateBase.
 */
export type RolloutFields<S extends RunbookStateBase = RunbookState, D = unknown> = {
  state: S;
  /**
   * The runbook definition, pinned when the rollout started: a config reload does not change its stages.
   * The only source of the stages the card, /canary status and the notifier show.
   */
  runbook: D;
  /** The effects of the last transition, for redrive. */
  outbox?: Outbox;
  /** Ids of the last applied events, newest last. */
  applied?: string[];
  /** Dry-run only: every effect asked for, in order. */
  plan?: PlanEntry[];
};

export interface Outbox {
  /** The version the transition wrote. */
  version: number;
  /** When it was written (ISO, the executor's clock): the sweep redrives outboxes older than its lease. */
  writtenAt: string;
  /** The event that was applied. */
  cause: { id: string; type: RunbookEvent['type']; at: string };
  effects: Effect[];
  /** Some effect answers with an event: the chain goes on after it. */
  awaits: boolean;
}

export type Refusal = 'not-found' | 'finished' | 'refused' | 'duplicate' | 'fenced' | 'conflict' | 'error';

export type ApplyResult =
  | {
      ok: true;
      rolloutId: string;
      eventId: string;
      event: RunbookEvent;
      version: number;
      before: RunbookStateBase;
      state: RunbookStateBase;
      effects: Effect[];
      fence: Fence;
      runbook: unknown;
      /** The record as written, for the next step of the chain. */
      record: RolloutRecord<Fields>;
    }
  | { ok: false; reason: Refusal; message: string; state?: RunbookStateBase };

/** The record as the executor sees it: any kind. */
type Fields = RolloutFields<RunbookStateBase>;

export type DispatchResult =
  | (Extract<ApplyResult, { ok: true }> & { settled: Promise<ChainEnd> })
  | Extract<ApplyResult, { ok: false }>;

/** How a chain of steps ended. */
export interface ChainEnd {
  /** Transitions persisted, the first one included. */
  steps: number;
  /** Why it stopped early (superseded, Redis unreachable), if it did. */
  stopped?: string;
}

export interface ExecutorOptions {
  store: Store;
  /** The kinds it runs: each record's `state.kind` names its step function. */
  kinds: KindRegistry;
  policyOf(state: RunbookStateBase): RunbookPolicy;
  /** Performs effects for real. */
  effects: EffectPerformer;
  /** Performs them for a dry-run record. */
  dryRunEffects: EffectPerformer;
  /** The record's version, read cheaply (HGET); undefined when it is gone. Throws when Redis is unreachable. */
  readVersion(rolloutId: string): Promise<number | undefined>;
  now: () => Date;
  log: Logger;
  /** Ids of applied events kept per record; default 32. */
  appliedMemory?: number;
  /** Version conflicts in a row before giving up on an event; default 16. */
  maxConflicts?: number;
  /** This replica's name and the TTL of its leases on the rollouts it works (see store.workers). */
  worker?: { owner: string; ttlMs: number };
}

export interface Executor {
  /**
   * Applies `event` to the rollout. Resolves once it is persisted (or refused); `settled` resolves when
   * its effects, and the chain of outcomes they lead to, are done. `settled` never rejects.
   */
  dispatch(
    rolloutId: string,
    event: RunbookEvent,
    options?: { eventId?: string; jobId?: string },
  ): Promise<DispatchResult>;
  /** Performs the outbox of the record's current version again (crash recovery); then its chain. */
  redrive(rolloutId: string, version?: number): Promise<ChainEnd | undefined>;
  /** Rollouts with a chain running in this process. */
  busy(rolloutId: string): boolean;
  /** Stops renewing leases (the replica is going away; another takes over once they end). */
  stop(): void;
  /** Resolves when no chain (or audit line) is under way in this process. */
  idle(): Promise<void>;
}

const PERSON_EVENTS = new Set<RunbookEvent['type']>([
  'start',
  'approve',
  'abort',
  'pause',
  'resume',
  'promote-now',
  'end-watch',
  'rollback',
  'freeze-override',
]);

/** Statuses whose arrival is an action worth an audit line even when no person caused it. */
const AUDITED_STATUSES = new Set([
  'needs-attention',
  'rolling-back',
  'promoted',
  'rolled-back',
  'aborted',
  'failed',
]);

function whoOf(event: RunbookEvent, state: RunbookStateBase): string {
  if ('by' in event) return event.by;
  if (event.type === 'approve') return event.userId;
  if (event.type === 'start') return state.requestedBy;
  return 'shiftgate';
}

export function createExecutor(options: ExecutorOptions): Executor {
  const { store, kinds, log } = options;
  const summary = (state: RunbookStateBase) => kindOf(kinds, state.kind).summary(state);
  const memory = options.appliedMemory ?? 32;
  const maxConflicts = options.maxConflicts ?? 16;
  // One step at a time per rollout in this process: fewer version conflicts. Effects run outside it.
  const turns = new Map<string, Promise<unknown>>();
  const chains = new Map<string, number>();
  const running = new Set<Promise<unknown>>();
  const worker = options.worker;
  // Rollouts this process works now, with how many chains (or dispatches) hold each.
  const working = new Map<string, number>();
  let renewal: ReturnType<typeof setInterval> | undefined;
  let stopped = false;

  function renew(ids: string[]): Promise<void> {
    if (!worker || stopped || ids.length === 0) return Promise.resolve();
    return store.workers.hold(ids, worker.owner, worker.ttlMs).catch((error: unknown) => {
      log.warn('worker lease renewal failed', { error: messageOf(error) });
    });
  }

  /** This process works `rolloutId` from now until `leave`: its lease is held and renewed meanwhile. */
  async function enter(rolloutId: string): Promise<void> {
    const count = working.get(rolloutId) ?? 0;
    working.set(rolloutId, count + 1);
    if (!worker || count > 0) return;
    if (!renewal && !stopped) {
      renewal = setInterval(() => void renew([...working.keys()]), Math.max(50, worker.ttlMs / 3));
      renewal.unref();
    }
    await renew([rolloutId]);
  }

  function leave(rolloutId: string): void {
    const count = (working.get(rolloutId) ?? 1) - 1;
    if (count > 0) {
      working.set(rolloutId, count);
      return;
    }
    working.delete(rolloutId);
    if (working.size === 0 && renewal) {
      clearInterval(renewal);
      renewal = undefined;
    }
    if (worker && !stopped) {
      store.workers.release(rolloutId, worker.owner).catch(() => {});
    }
  }

  /** The step of `version` has no effect left to run: the sweep need not look at it again. */
  async function settle(rolloutId: string, version: number): Promise<void> {
    try {
      await store.rollouts.settle(rolloutId, version);
    } catch (error) {
      // Still pending: the sweep redrives it, and every effect is idempotent.
      log.warn('could not mark a step settled', { rolloutId, version, error: messageOf(error) });
    }
  }

  function exclusive<T>(rolloutId: string, fn: () => Promise<T>): Promise<T> {
    const previous = turns.get(rolloutId) ?? Promise.resolve();
    const next = previous.then(fn, fn);
    const tail = next.catch(() => {});
    turns.set(rolloutId, tail);
    void tail.then(() => {
      if (turns.get(rolloutId) === tail) turns.delete(rolloutId);
    });
    return next;
  }

  async function audit(
    applied: { rolloutId: string; before: RunbookStateBase; state: RunbookStateBase },
    event: RunbookEvent,
    refused?: string,
  ): Promise<void> {
    const { before, state } = applied;
    const person = PERSON_EVENTS.has(event.type);
    const statusChanged = before.status !== state.status && AUDITED_STATUSES.has(state.status);
    if (!person && !statusChanged && refused === undefined) return;
    if (!person && refused !== undefined) return; // a stale outcome or timer: not an action
    const attention = state.hold?.kind === 'attention' ? state.hold.reason : undefined;
    try {
      await store.audit.append({
        who: whoOf(event, before),
        what: person
          ? `rollout.${event.type}${refused === undefined ? '' : '.refused'}`
          : `rollout.${state.status}`,
        rolloutId: applied.rolloutId,
        service: before.service,
        env: before.env,
        before: summary(before),
        after: summary(state),
        at: event.at,
        ...(refused !== undefined
          ? { reason: refused }
          : 'reason' in event && event.reason
            ? { reason: event.reason }
            : attention && statusChanged
              ? { reason: attention }
              : {}),
      });
    } catch (error) {
      log.error('audit append failed', { rolloutId: applied.rolloutId, error: messageOf(error) });
    }
  }

  /** Steps 1 to 3 for one event. */
  async function apply(
    rolloutId: string,
    event: RunbookEvent,
    eventId: string,
    known?: RolloutRecord<Fields>,
  ): Promise<ApplyResult> {
    let cached = known;
    for (let attempt = 1; attempt <= maxConflicts; attempt++) {
      const record = cached ?? (await store.rollouts.get<Fields>(rolloutId));
      cached = undefined;
      if (!record) return { ok: false, reason: 'not-found', message: `no rollout ${rolloutId}` };
      const data = record.data;
      const applied = data.applied ?? [];
      if (applied.includes(eventId)) {
        return {
          ok: false,
          reason: 'duplicate',
          message: `${event.type} ${eventId} was applied already`,
          state: data.state,
        };
      }
      if (isTerminalStatus(record.status)) {
        return {
          ok: false,
          reason: 'finished',
          message: `the rollout has finished (${record.status})`,
          state: data.state,
        };
      }
      let result: StepResult<RunbookStateBase>;
      try {
        const kind = kindOf(kinds, data.state.kind);
        // A freeze override is the engine's, the same for every kind (freeze/override.ts).
        result =
          event.type === 'freeze-override'
            ? applyFreezeOverride(data.state, event)
            : kind.step(data.state, event, {
                runbook: data.runbook,
                policy: options.policyOf(data.state),
              });
      } catch (error) {
        log.error('runbook step threw', { rolloutId, event: event.type, error: messageOf(error) });
        return {
          ok: false,
          reason: 'error',
          message: `the runbook failed on ${event.type}: ${messageOf(error)}`,
        };
      }
      if (result.refused !== undefined) {
        track(audit({ rolloutId, before: data.state, state: data.state }, event, result.refused));
        return { ok: false, reason: 'refused', message: result.refused, state: data.state };
      }
      const version = record.version + 1;
      const outbox: Outbox = {
        version,
        writtenAt: options.now().toISOString(),
        cause: { id: eventId, type: event.type, at: event.at },
        effects: result.effects,
        awaits: result.effects.some((e) => OUTCOME_EFFECTS.has(e.type)),
      };
      const fields: Fields = {
        state: result.state,
        runbook: data.runbook,
        outbox,
        applied: [...applied.slice(-(memory - 1)), eventId],
        ...(result.state.dryRun
          ? { plan: extendPlan(data.plan ?? [], result.effects, event.at, event.type) }
          : {}),
      };
      const fence: Fence = { service: record.service, env: record.env, token: record.fencingToken };
      const { runbook: _pinned, ...patch } = fields;
      const moved = await store.rollouts.transition(
        rolloutId,
        record.version,
        fence,
        { status: result.state.status, ...patch },
        { pending: result.effects.length > 0 },
      );
      if (moved.ok) {
        crashPoint(isTerminalStatus(result.state.status) ? 'after-terminal-transition' : 'after-transition');
        const written: RolloutRecord<Fields> = {
          ...record,
          version: moved.version,
          status: result.state.status,
          data: fields,
        };
        const ok: ApplyResult = {
          ok: true,
          rolloutId,
          eventId,
          event,
          version: moved.version,
          before: data.state,
          state: result.state,
          effects: result.effects,
          fence,
          runbook: data.runbook,
          record: written,
        };
        track(audit(ok, event));
        return ok;
      }
      if (moved.conflict === 'version') continue;
      if (moved.conflict === 'not-found')
        return { ok: false, reason: 'not-found', message: `no rollout ${rolloutId}` };
      const holder = moved.holder ? ` (held by ${moved.holder.rolloutId}, token ${moved.holder.token})` : '';
      log.warn('transition fenced: the rollout no longer holds its lock', { rolloutId, event: event.type });
      return {
        ok: false,
        reason: 'fenced',
        message: `the rollout no longer holds the lock of ${record.service}/${record.env}${holder}`,
        state: data.state,
      };
    }
    return {
      ok: false,
      reason: 'conflict',
      message: `${event.type}: ${maxConflicts} version conflicts in a row`,
    };
  }

  function contextOf(applied: Extract<ApplyResult, { ok: true }>, jobId: string | undefined): EffectContext {
    const dryRun = applied.state.dryRun;
    const causeAt = Date.parse(applied.event.at);
    return {
      rolloutId: applied.rolloutId,
      version: applied.version,
      state: applied.state,
      fence: applied.fence,
      runbook: applied.runbook,
      ...(jobId === undefined ? {} : { jobId }),
      ...(applied.record.data.plan ? { plan: applied.record.data.plan } : {}),
      // A dry-run's fast-forwarded timers run ahead of the clock: its outcomes never go back in time.
      at: () => {
        const now = options.now().getTime();
        return new Date(dryRun && causeAt > now ? causeAt : now).toISOString();
      },
      ensureCurrent: async () => {
        let current: number | undefined;
        try {
          current = await options.readVersion(applied.rolloutId);
        } catch (error) {
          throw new Superseded(
            `cannot confirm the rollout is still at version ${applied.version}: ${messageOf(error)}`,
            {
              cause: error,
            },
          );
        }
        if (current !== applied.version) {
          throw new Superseded(`the rollout moved from version ${applied.version} to ${current ?? 'gone'}`);
        }
      },
    };
  }

  /** Step 4: the effects of one transition, in order; returns the outcomes to feed back. */
  async function perform(
    applied: Extract<ApplyResult, { ok: true }>,
    jobId: string | undefined,
  ): Promise<{ event: RunbookEvent; eventId: string }[]> {
    const performer = applied.state.dryRun ? options.dryRunEffects : options.effects;
    const ctx = contextOf(applied, jobId);
    const outcomes: { event: RunbookEvent; eventId: string }[] = [];
    const terminal = isTerminalStatus(applied.state.status);
    for (const [index, effect] of applied.effects.entries()) {
      const eventId = `o${applied.version}.${index}`;
      let outcome: Outcome | undefined;
      try {
        outcome = await performer.perform(effect, ctx);
      } catch (error) {
        if (error instanceof Superseded) throw error;
        if (!AWAITS_RESULT.has(effect.type)) {
          throw new Superseded(`${effect.type} failed: ${messageOf(error)}`, { cause: error });
        }
        log.warn('effect failed', {
          rolloutId: applied.rolloutId,
          effect: effect.type,
          error: messageOf(error),
        });
        // The effects after a failed one were decided assuming it would succeed: the runbook decides again.
        outcomes.push({
          eventId,
          event: {
            type: 'effect-failed',
            at: ctx.at(),
            effect: effect.type,
            error: messageOf(error),
            retryable: isRetryable(error),
          },
        });
        break;
      }
      // A finished rollout takes no more events (its lock is released with its last effects).
      if (outcome && !terminal) outcomes.push({ event: outcome.event, eventId: outcome.eventId ?? eventId });
    }
    return outcomes;
  }

  /** Steps 4 and 5 until the chain waits: depth first, so each effect runs against the version that asked for it. */
  async function follow(
    first: Extract<ApplyResult, { ok: true }>,
    jobId: string | undefined,
  ): Promise<ChainEnd> {
    const rolloutId = first.rolloutId;
    let steps = 1;
    let next: Extract<ApplyResult, { ok: true }> | undefined = first;
    const pending: { event: RunbookEvent; eventId: string; from: number }[] = [];
    let known: RolloutRecord<Fields> | undefined = first.record;
    chains.set(rolloutId, (chains.get(rolloutId) ?? 0) + 1);
    try {
      while (next || pending.length > 0) {
        if (next) {
          const from = next.version;
          const outcomes = await perform(next, jobId);
          // Nothing to feed back: this step is done. Otherwise the outcome's own transition replaces it.
          if (outcomes.length === 0) await settle(rolloutId, from);
          pending.unshift(...outcomes.map((o) => ({ ...o, from })));
          next = undefined;
          continue;
        }
        const { event, eventId, from } = pending.shift() as (typeof pending)[number];
        const base: RolloutRecord<Fields> | undefined = known;
        const result: ApplyResult = await exclusive(
          rolloutId,
          (): Promise<ApplyResult> => apply(rolloutId, event, eventId, base),
        );
        if (result.ok) {
          steps += 1;
          known = result.record;
          next = result;
        } else {
          known = undefined;
          if (result.reason !== 'refused' && result.reason !== 'duplicate' && result.reason !== 'finished') {
            log.warn('outcome not applied', { rolloutId, event: event.type, reason: result.message });
          } else {
            // The runbook will not take this outcome, now or on a redrive: the step that led to it is done.
            await settle(rolloutId, from);
          }
        }
      }
      return { steps };
    } catch (error) {
      const stopped = messageOf(error);
      if (error instanceof Superseded) log.warn('chain stopped', { rolloutId, reason: stopped });
      else log.error('chain failed', { rolloutId, error: stopped });
      return { steps, stopped };
    } finally {
      const left = (chains.get(rolloutId) ?? 1) - 1;
      if (left === 0) chains.delete(rolloutId);
      else chains.set(rolloutId, left);
    }
  }

  function track<T>(promise: Promise<T>): Promise<T> {
    running.add(promise);
    promise.finally(() => running.delete(promise)).catch(() => {});
    return promise;
  }

  return {
    async dispatch(rolloutId, event, { eventId, jobId } = {}) {
      const id =
        eventId ?? `e${options.now().getTime().toString(36)}.${Math.random().toString(36).slice(2, 10)}`;
      await enter(rolloutId);
      let result: ApplyResult;
      try {
        result = await exclusive(rolloutId, () => apply(rolloutId, event, id));
      } catch (error) {
        leave(rolloutId);
        throw error;
      }
      if (!result.ok) {
        leave(rolloutId);
        return result;
      }
      const chain = follow(result, jobId).finally(() => leave(rolloutId));
      return { ...result, settled: track(chain) };
    },

    async redrive(rolloutId, version) {
      const record = await store.rollouts.get<Fields>(rolloutId);
      const outbox = record?.data.outbox;
      if (!record || !outbox) return undefined;
      if (outbox.version !== record.version || (version !== undefined && version !== record.version))
        return undefined;
      // A finished rollout's last effects (release the lock, the report, the card) still run once.
      if (isTerminalStatus(record.status) && record.pending !== record.version) return undefined;
      const state = record.data.state;
      const before = state;
      const replay: Extract<ApplyResult, { ok: true }> = {
        ok: true,
        rolloutId,
        eventId: outbox.cause.id,
        event: { type: 'start', at: outbox.cause.at },
        version: record.version,
        before,
        state,
        effects: outbox.effects,
        fence: { service: record.service, env: record.env, token: record.fencingToken },
        runbook: record.data.runbook,
        record,
      };
      log.warn('redriving the effects of an unsettled step', {
        rolloutId,
        version: record.version,
        cause: outbox.cause.type,
      });
      await enter(rolloutId);
      return track(follow(replay, undefined).finally(() => leave(rolloutId)));
    },

    busy: (rolloutId) => chains.has(rolloutId) || turns.has(rolloutId),

    stop() {
      stopped = true;
      if (renewal) clearInterval(renewal);
      renewal = undefined;
    },

    async idle() {
      while (running.size > 0) await Promise.allSettled([...running]);
    },
  };
}
