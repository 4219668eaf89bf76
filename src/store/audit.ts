import type { Redis } from 'ioredis';
import type { Keys } from './keys.ts';
import { asArray, asStrings, pairsToRecord } from './scripts.ts';
import { type Clock, iso } from './time.ts';

/**
 * The audit trail: one Redis Stream, newest entries read first. It is never trimmed: an audit trail
 * that silently drops entries under load is worse than none, because people trust it. Growth is a
 * few hundred bytes per action; archive it with XRANGE + XDEL (explicitly, with its own audit) if
 * it ever matters.
 *
 * Stream entry fields (the lock scripts in locks.lua.ts write the same ones):
 *   who, what, at (ISO), and when present rolloutId, service, env, reason, before (JSON), after (JSON).
 */

export interface AuditInput {
  who: string;
  what: string;
  rolloutId?: string;
  service?: string;
  env?: string;
  reason?: string;
  /** Any JSON value; stored as JSON text. */
  before?: unknown;
  after?: unknown;
  /** ISO time; defaults to the store clock. */
  at?: string;
}

export interface AuditEntry extends AuditInput {
  /** Stream id; also the paging cursor. */
  id: string;
  at: string;
}

export interface AuditPage {
  /** Newest first. */
  entries: AuditEntry[];
  /** Pass as `before` to read the next (older) page; absent on the last page. */
  next?: string;
}

/** `what` of the entries the store itself writes, inside the scripts that make the change. */
export const STORE_AUDIT_ACTIONS = {
  forceUnlock: 'lock.force-unlock',
  freeze: 'deploy.freeze',
  unfreeze: 'deploy.unfreeze',
  orphanRelease: 'lock.orphan-release',
} as const;

export interface AuditLog {
  append(input: AuditInput): Promise<string>;
  read(options?: { limit?: number; before?: string }): Promise<AuditPage>;
}

const OPTIONAL_TEXT = ['rolloutId', 'service', 'env', 'reason'] as const;

export function createAuditLog(redis: Redis, keys: Keys, clock: Clock): AuditLog {
  return {
    async append(input) {
      const fields: string[] = ['who', input.who, 'what', input.what, 'at', input.at ?? iso(clock())];
      for (const name of OPTIONAL_TEXT) {
        const value = input[name];
        if (value !== undefined) fields.push(name, value);
      }
      if (input.before !== undefined) fields.push('before', JSON.stringify(input.before));
      if (input.after !== undefined) fields.push('after', JSON.stringify(input.after));
      const id = await redis.xadd(keys.audit(), '*', ...fields);
      if (id === null) throw new Error('XADD returned no id');
      return id;
    },

    async read({ limit = 50, before } = {}) {
      if (!Number.isInteger(limit) || limit < 1)
        throw new TypeError('audit read limit must be a positive integer');
      // One extra entry tells whether an older page exists without a second round trip.
      const end = before === undefined ? '+' : `(${before}`;
      const reply = await redis.xrevrange(keys.audit(), end, '-', 'COUNT', limit + 1);
      const entries = asArray(reply).map(decodeEntry);
      if (entries.length <= limit) return { entries };
      entries.length = limit;
      return { entries, next: entries[limit - 1]?.id };
    },
  };
}

function decodeEntry(raw: unknown): AuditEntry {
  const [id, flat] = asArray(raw);
  const fields = pairsToRecord(asStrings(flat));
  const entry: AuditEntry = {
    id: String(id),
    who: fields.who ?? '',
    what: fields.what ?? '',
    at: fields.at ?? '',
  };
  for (const name of OPTIONAL_TEXT) {
    const value = fields[name];
    if (value !== undefined) entry[name] = value;
  }
  if (fields.before !== undefined) entry.before = JSON.parse(fields.before);
  if (fields.after !== undefined) entry.after = JSON.parse(fields.after);
  return entry;
}
