import type { Redis } from 'ioredis';
import type { TimelineEntry, TimelineSource } from '../incidents/types.ts';
import type { Keys } from './keys.ts';
import { asStrings, defineScript } from './scripts.ts';
import { type Clock, iso } from './time.ts';
import { addTimelineEntry, editTimelineEntry, listTimeline, removeTimelineEntry } from './timelines.lua.ts';

/**
 * Incident timelines: bot actions and human notes captured from the incident thread, in time order
 * (insertion order for equal times). Slack message ts identifies a note, so Events API retries do not
 * duplicate it and message_changed / message_deleted find it. State of record (the incident report is
 * built from it).
 */

export interface NewTimelineEntry {
  at?: string;
  author: string;
  text: string;
  source: TimelineSource;
  ts?: string;
}

export interface Timelines {
  /** Adds an entry; with a Slack ts it is added once only (also not again after a remove). */
  add(incidentId: string, entry: NewTimelineEntry): Promise<{ added: boolean; id?: string }>;
  edit(incidentId: string, ts: string, text: string, editedAt?: string): Promise<boolean>;
  remove(incidentId: string, ts: string): Promise<boolean>;
  list(incidentId: string): Promise<TimelineEntry[]>;
}

interface StoredEntry {
  at: string;
  author: string;
  text: string;
  source: TimelineSource;
  ts?: string;
}

export function createTimelines(redis: Redis, keys: Keys, clock: Clock): Timelines {
  const run = {
    add: defineScript(redis, addTimelineEntry),
    edit: defineScript(redis, editTimelineEntry),
    remove: defineScript(redis, removeTimelineEntry),
    list: defineScript(redis, listTimeline),
  };
  const keysOf = (incidentId: string) => [keys.timeline(incidentId), keys.timelineEntries(incidentId)];

  return {
    async add(incidentId, { at, author, text, source, ts }) {
      if (source !== 'human' && source !== 'bot') throw new TypeError(`invalid timeline source ${source}`);
      if (ts !== undefined) assertTs(ts);
      const ms = at === undefined ? clock() : Date.parse(at);
      if (Number.isNaN(ms)) throw new TypeError(`invalid timeline time ${JSON.stringify(at)}`);
      const stored: StoredEntry = { at: iso(ms), author, text, source, ...(ts === undefined ? {} : { ts }) };
      const [added, id] = asStrings(
        await run.add(keysOf(incidentId), [ts ?? '', ms, JSON.stringify(stored)]),
      );
      return added === '1' ? { added: true, id } : { added: false, ...(id ? { id } : {}) };
    },

    async edit(incidentId, ts, text, editedAt) {
      assertTs(ts);
      const edit = { text, editedAt: editedAt ?? iso(clock()) };
      return Number(await run.edit(keysOf(incidentId), [ts, JSON.stringify(edit)])) === 1;
    },

    async remove(incidentId, ts) {
      assertTs(ts);
      return Number(await run.remove(keysOf(incidentId), [ts])) === 1;
    },

    async list(incidentId) {
      const flat = asStrings(await run.list(keysOf(incidentId), []));
      const entries: TimelineEntry[] = [];
      for (let i = 0; i + 2 < flat.length; i += 3) {
        const [id, entryJson, editJson] = [flat[i] as string, flat[i + 1] as string, flat[i + 2] as string];
        if (entryJson === '') continue;
        const stored = JSON.parse(entryJson) as StoredEntry;
        const entry: TimelineEntry = { id, ...stored };
        if (editJson !== '') {
          const edit = JSON.parse(editJson) as { text: string; editedAt: string };
          entry.text = edit.text;
          entry.editedAt = edit.editedAt;
        }
        entries.push(entry);
      }
      return entries;
    },
  };
}

function assertTs(ts: string): void {
  if (ts.length === 0 || ts.length > 64) throw new TypeError('Slack ts must be 1-64 characters');
}
