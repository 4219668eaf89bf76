import type { AuditEntry, Store } from '../../store/index.ts';
import type { RolloutFields } from '../executor.ts';
import type { PastRollout, ServedAt } from '../rollback-target.ts';
import { servingRevision } from '../traffic.ts';
import type { RunbookState, Split } from '../types.ts';

// The history a rollback target is chosen from (rollback-target.ts): the rollouts of one service and
// environment, found through the audit stream (every rollout leaves lines there) and read from their
// records (kept 90 days after they end); a rollout whose record is gone is rebuilt from its audit lines
// (the deploy line names its revisions, the status lines its outcome). The stream is shared by every
// service and never trimmed, so the walk is bounded.

export interface History {
  rollouts: PastRollout[];
  served: ServedAt[];
}

export const HISTORY_AUDIT_LIMIT = 20_000;
const PAGE = 500;
const MAX_ROLLOUTS = 200;

export async function readHistory(
  store: Store,
  service: string,
  env: string,
  limit = HISTORY_AUDIT_LIMIT,
): Promise<History> {
  const served: ServedAt[] = [];
  const fromAudit = new Map<string, Partial<PastRollout> & { lines: AuditEntry[] }>();
  let before: string | undefined;
  let read = 0;
  while (read < limit) {
    const page = await store.audit.read({
      limit: Math.min(PAGE, limit - read),
      ...(before ? { before } : {}),
    });
    read += page.entries.length;
    for (const entry of page.entries) {
      if (entry.service !== service || entry.env !== env) continue;
      for (const value of [entry.before, entry.after, deployed(entry)?.traffic]) {
        if (isSplit(value)) served.push({ at: entry.at, split: value });
      }
      if (entry.rolloutId === undefined) continue;
      const known = fromAudit.get(entry.rolloutId) ?? { lines: [] };
      known.lines.push(entry);
      fromAudit.set(entry.rolloutId, known);
    }
    if (page.next === undefined) break;
    before = page.next;
  }
  const ids = [...fromAudit.keys()].slice(0, MAX_ROLLOUTS);
  const rollouts: PastRollout[] = [];
  for (const id of ids) {
    const record = await store.rollouts.get<RolloutFields>(id);
    const state = record?.data.state;
    // A dry run changed nothing: it vouches for no revision and took traffic from none.
    if (state?.dryRun) continue;
    const past = state ? fromState(state) : fromLines(id, fromAudit.get(id)?.lines ?? []);
    if (past) rollouts.push(past);
  }
  return { rollouts, served };
}

function fromState(state: RunbookState): PastRollout {
  const rb = state.kind === 'canary' || state.kind === 'rollback' ? state.rollback : undefined;
  const base = {
    id: state.id,
    kind: state.kind,
    status: state.status,
    startedAt: state.startedAt,
    ...(state.endedAt ? { endedAt: state.endedAt } : {}),
    // A rollback that moved the traffic took it away from its `from`; a route-only one moved none.
    ...(rb?.trafficAfter && rb.fromRevision && rb.mode !== 'route-only'
      ? { rolledBackFrom: rb.fromRevision, rolledBackTo: rb.toRevision }
      : {}),
  };
  if (state.kind !== 'canary') return base;
  return {
    ...base,
    tag: state.tag,
    ...(state.stableRevision ? { stableRevision: state.stableRevision } : {}),
    ...(state.canaryRevision ? { canaryRevision: state.canaryRevision } : {}),
  };
}

/** A rollout whose record has expired, from its audit lines (newest first). */
function fromLines(id: string, lines: AuditEntry[]): PastRollout | undefined {
  const deploy = lines.map(deployed).find((d) => d !== undefined);
  const status = lines
    .map((l) => (l.after as { status?: unknown } | undefined)?.status)
    .find((s): s is string => typeof s === 'string');
  const first = lines.at(-1);
  if (!deploy || !status || !first) return undefined;
  const stable = isSplit(deploy.traffic) ? servingRevision(deploy.traffic, deploy.revision) : undefined;
  return {
    id,
    kind: 'canary',
    status,
    startedAt: first.at,
    ...(lines[0] ? { endedAt: lines[0].at } : {}),
    canaryRevision: deploy.revision,
    ...(stable ? { stableRevision: stable } : {}),
  };
}

function deployed(entry: AuditEntry): { revision: string; traffic?: unknown } | undefined {
  if (entry.what !== 'cloud-run.deploy') return undefined;
  const after = entry.after as { revision?: unknown; traffic?: unknown } | undefined;
  return typeof after?.revision === 'string'
    ? { revision: after.revision, traffic: after.traffic }
    : undefined;
}

function isSplit(value: unknown): value is Split {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const entries = Object.entries(value);
  return entries.length > 0 && entries.every(([, v]) => typeof v === 'number');
}
