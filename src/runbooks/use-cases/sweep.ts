import { messageOf } from '../../gates/error-result.ts';
import type { RolloutRecord } from '../../store/index.ts';
import type { RolloutFields } from '../executor.ts';
import type { RunbookStateBase } from '../kind.ts';
import type { UseCaseDeps } from './deps.ts';

// Recovery: a replica that died between persisting a step and finishing its effects leaves the step's
// outbox unsettled. The sweep (run by every replica on a timer, see src/bot/engine.ts) redrives the outbox
// of each active rollout, of any kind, whose step is older than its lease; one replica per version claims it.

export interface SweepLeases {
  /** A step's effects still unfinished after this long are redriven. */
  leaseMs: number;
  /** The same for a step that deploys (pulling and starting an image takes longer). */
  deployLeaseMs: number;
}

const WEEK_MS = 7 * 86_400_000;

export function createSweep(
  deps: Pick<UseCaseDeps, 'store' | 'executor' | 'now' | 'log'>,
  leases: SweepLeases,
) {
  const { store, executor, log } = deps;
  // Redrive claims: one replica per (rollout, version); remembered here so a sweep does not ask again.
  const redriven = new Map<string, number>();

  /** Redrives unsettled steps older than their lease; returns how many this replica took. */
  return async function sweep(): Promise<number> {
    const active = (await store.rollouts.listActive()) as RolloutRecord<
      Partial<RolloutFields<RunbookStateBase>>
    >[];
    const at = deps.now().getTime();
    let count = 0;
    const ids = new Set<string>();
    for (const record of active) {
      ids.add(record.id);
      const outbox = record.data.outbox;
      if (!outbox || outbox.version !== record.version || outbox.effects.length === 0) continue;
      if (executor.busy(record.id) || redriven.get(record.id) === record.version) continue;
      const lease = outbox.effects.some((e) => e.type === 'deploy') ? leases.deployLeaseMs : leases.leaseMs;
      if (at - Date.parse(outbox.writtenAt) < lease) continue;
      redriven.set(record.id, record.version);
      if (!(await store.idempotency.claim(`redrive:${record.id}:${record.version}`, WEEK_MS))) continue;
      count += 1;
      void executor
        .redrive(record.id, record.version)
        .catch((error: unknown) =>
          log.error('redrive failed', { rolloutId: record.id, error: messageOf(error) }),
        );
    }
    for (const id of redriven.keys()) if (!ids.has(id)) redriven.delete(id);
    return count;
  };
}
