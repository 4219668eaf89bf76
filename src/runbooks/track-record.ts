import type { Store } from '../store/index.ts';
import type { GateRecordEntry, GateRecordWrite, LaterRollback } from './gate-record.ts';
import { DEFAULT_LAST, type GateTally, type RecordedRollout, tallyGates } from './gate-tally.ts';

// Reading and writing the gates' track record (gate-record.ts, gate-tally.ts) in the store.

/** How far back a later /rollback looks for the promoted rollout whose revision it took away. */
const LATER_LOOKBACK = 50;

/** Writes what a finished run adds; idempotent, so the write-report effect may run it again on redrive. */
export async function saveGateRecord(store: Store, write: GateRecordWrite | undefined): Promise<void> {
  if (!write) return;
  if (write.type === 'rollout') {
    const { entry } = write;
    await store.gateRecords.record(entry.service, entry.rolloutId, Date.parse(entry.endedAt), entry);
    return;
  }
  const recent = await store.gateRecords.list<GateRecordEntry, LaterRollback>(write.service, LATER_LOOKBACK);
  // The newest promoted rollout of that environment whose revision the rollback took the traffic from.
  const undone = recent.find(
    ({ entry }) =>
      entry.env === write.env && entry.outcome === 'promoted' && entry.revision === write.fromRevision,
  );
  if (undone) await store.gateRecords.markLater(write.service, undone.entry.rolloutId, write.later);
}

export interface TrackRecordQuery {
  /** The services to read (each has its own record). */
  services: readonly string[];
  /** Only rollouts of this environment. */
  env?: string;
  /** Rollouts counted per gate; default 40. */
  last?: number;
}

export interface TrackRecord {
  tallies: GateTally[];
  /** Finished rollouts read (the record keeps the newest 500 per service). */
  rollouts: number;
}

/** The tallies of every gate over the services' recorded rollouts. */
export async function readTrackRecord(store: Store, query: TrackRecordQuery): Promise<TrackRecord> {
  const last = query.last ?? DEFAULT_LAST;
  const read = await Promise.all(
    query.services.map((service) =>
      store.gateRecords.list<GateRecordEntry, LaterRollback>(service, Number.MAX_SAFE_INTEGER),
    ),
  );
  const rollouts: RecordedRollout[] = read
    .flat()
    .filter(({ entry }) => query.env === undefined || entry.env === query.env);
  return { tallies: tallyGates(rollouts, last), rollouts: rollouts.length };
}
