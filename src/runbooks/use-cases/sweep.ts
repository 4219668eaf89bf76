import { messageOf } from '../../gates/error-result.ts';
import type { RolloutRecord } from '../../store/index.ts';
import type { RolloutFields } from '../executor.ts';
import type { RunbookStateBase } from '../kind.ts';
import { isTerminalStatus } from '../status.ts';
import type { UseCaseDeps } from './deps.ts';

// Recovery: a replica that died mid-step leaves work nobody is doing. Every replica runs the sweep on a
// short timer (src/bot/engine.ts); it finds:
//   - a record whose `start` was never applied (died between creating it and its first step): it applies
//     `start` with the id the starter would have used, so whichever comes second is a duplicate;
//   - a pending step (its effects not all run; terminal steps too, whose last effects release the lock,
//     write the report and update the card): it performs the step's outbox again (executor.redrive);
//   - a deploy lock whose rollout record never appeared, or whose rollout finished without releasing it.
// It acts once no live replica holds the rollout's worker lease (store.workers), i.e. within that lease's
// TTL of a replica's death, plus a short grace for a step that is being written right now. A live holder
// is left alone, except after the long leases below (a chain stuck on a call that never returns).

export interface SweepLeases {
  /** A step still unfinished after this long is redriven even while a live replica holds its lease. */
  leaseMs: number;
  /** The same for a step that deploys (pulling and starting an image takes longer). */
  deployLeaseMs: number;
  /** Age of a new record before the sweep applies its `start` (its starter may be about to); default 2 s. */
  graceMs?: number;
  /** This replica's worker lease: its name and TTL (as given to the executor). */
  worker: { owner: string; ttlMs: number };
  /** A deploy lock without a record is released after this long (locks taken before leases); default 60 s. */
  orphanLockMs?: number;
  /** Two redrives of one step (by any replicas) are at least this far apart; default 30 s. */
  retryMs?: number;
}

type Sweepable = RolloutRecord<Partial<RolloutFields<RunbookStateBase>>>;

export interface Sweep {
  /** One pass: returns how many rollouts this replica took over. */
  (): Promise<number>;
  /**
   * Takes over one rollout now, without waiting for the grace, if it has unfinished work and nobody works
   * it: a timer job that BullMQ ran again after its replica died finds its event applied already, and
   * continues the chain here instead of waiting for the next sweep.
   */
  resume(rolloutId: string, why: string): Promise<boolean>;
}

export function createSweep(
  deps: Pick<UseCaseDeps, 'store' | 'executor' | 'now' | 'log'>,
  leases: SweepLeases,
): Sweep {
  const { store, executor, log } = deps;
  const graceMs = leases.graceMs ?? 2_000;
  const retryMs = leases.retryMs ?? 30_000;
  const { owner, ttlMs } = leases.worker;

  /** What is left undone on this record, if anything. */
  function unfinished(record: Sweepable): 'start' | 'outbox' | undefined {
    const outbox = record.data.outbox;
    const current = outbox !== undefined && outbox.version === record.version;
    if (record.pending === record.version)
      return current ? 'outbox' : record.version === 1 ? 'start' : undefined;
    // Written before steps were marked pending: an active record with an outbox at its version.
    const legacy = record.pending === undefined && record.settled === undefined;
    if (legacy && current && !isTerminalStatus(record.status))
      return outbox.effects.length > 0 ? 'outbox' : undefined;
    return undefined;
  }

  async function takeOver(record: Sweepable, at: number, why?: string): Promise<boolean> {
    const work = unfinished(record);
    if (!work) {
      // In the pending set with nothing to do (e.g. a later step settled it): tidy it.
      if (record.pending !== undefined && record.pending < record.version)
        await store.rollouts.settle(record.id, record.pending);
      return false;
    }
    if (executor.busy(record.id)) return false;
    const outbox = record.data.outbox;
    const since = work === 'outbox' && outbox ? outbox.writtenAt : record.data.state?.startedAt;
    const age = at - Date.parse(since ?? '');
    // A step's worker holds its lease before writing it; a new record's starter holds none until `start`.
    if (work === 'start' && !(age >= graceMs) && why === undefined) return false;
    const claimed = await store.workers.claim(record.id, owner, ttlMs);
    if (!claimed) {
      // A live replica works it: leave it, unless it has been at it far longer than any step takes.
      const deploys = outbox?.effects.some((e) => e.type === 'deploy') ?? false;
      if (age < (deploys ? leases.deployLeaseMs : leases.leaseMs)) return false;
    }
    // Read again: the step may have been settled (by this replica's own chain, say) since the list was read.
    const now = (await store.rollouts.get(record.id)) as Sweepable | undefined;
    const still = now !== undefined && now.version === record.version && unfinished(now) === work;
    const taken = still && (await store.idempotency.claim(`redrive:${record.id}:${record.version}`, retryMs));
    if (!taken) {
      if (claimed && !executor.busy(record.id)) await store.workers.release(record.id, owner);
      return false;
    }
    log.warn('taking over an unfinished step', {
      rolloutId: record.id,
      version: record.version,
      work,
      ...(why ? { why } : {}),
    });
    const run =
      work === 'start'
        ? executor
            .dispatch(
              record.id,
              { type: 'start', at: record.data.state?.startedAt ?? new Date(at).toISOString() },
              { eventId: `${record.id}.start` },
            )
            .then((started) => (started.ok ? started.settled : undefined))
        : executor.redrive(record.id, record.version);
    void run
      .catch((error: unknown) =>
        log.error('redrive failed', { rolloutId: record.id, error: messageOf(error) }),
      )
      .finally(() => {
        if (claimed && !executor.busy(record.id)) store.workers.release(record.id, owner).catch(() => {});
      });
    return true;
  }

  const sweep = async function sweep(): Promise<number> {
    const at = deps.now().getTime();
    const [pending, active] = await Promise.all([store.rollouts.listPending(), store.rollouts.listActive()]);
    const seen = new Set<string>();
    let count = 0;
    for (const record of [...pending, ...active] as Sweepable[]) {
      if (seen.has(record.id)) continue;
      seen.add(record.id);
      try {
        if (await takeOver(record, at)) count += 1;
      } catch (error) {
        log.warn('sweep could not look at a rollout', { rolloutId: record.id, error: messageOf(error) });
      }
    }
    const released = await store.locks.releaseOrphans({
      now: at,
      ...(leases.orphanLockMs === undefined ? {} : { graceMs: leases.orphanLockMs }),
    });
    for (const lock of released) {
      log.warn('released a deploy lock its rollout cannot release', {
        rolloutId: lock.rolloutId,
        service: lock.service,
        env: lock.env,
      });
    }
    return count;
  } as Sweep;

  sweep.resume = async (rolloutId, why) => {
    const record = (await store.rollouts.get(rolloutId)) as Sweepable | undefined;
    return record ? takeOver(record, deps.now().getTime(), why) : false;
  };

  return sweep;
}
