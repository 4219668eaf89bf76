import type { Entry } from '@google-cloud/logging';
import type {
  RequestErrorCounts,
  RequestErrorQuery,
  RequestErrorSource,
} from '../../gates/ports/error-counts.ts';
import { PlatformError } from '../../runbooks/ports/errors.ts';
import type { EntryLister } from './cloud-logging.ts';
import { anyOf, quote } from './filters.ts';

// 5xx per revision from Cloud Run's request logs, for the error-rate gate's fast signal, read so that
// entries.list's per-project quota (60 calls a minute) holds with any number of rollouts:
//
// - One read per project covers every revision any rollout of the project asked about recently: asks
//   that come while a read is due join it, and a read is made at most once every `minGapMs` per project.
//   Between reads, asks are answered from what the last read held (their count then ends where it did).
// - Reads are incremental: the entries read so far are kept (a timestamp per 5xx), and the next read
//   lists only the entries since the last one ended. A revision asked about from further back (a stage
//   starts) makes the next read list the whole span again, for every revision.
// - Only 5xx are listed (`httpRequest.status>=500`): a read costs pages of errors, not of requests. A
//   read stopped by the page bound ends where its last whole timestamp does; the next one goes on from
//   there, and answers say so meanwhile (`complete: false`).
//
// An entry that becomes readable after a read has passed its timestamp is not counted. Callers end
// their window a little before now (the gate's `lag`, Logging's ingestion latency). Whichever entries
// are missed that way are missed regardless of the revision that wrote them, so the canary's share of
// the errors counted is still what the sequential test assumes.

const SYSTEM = 'logging';
const REQUEST_LOG = 'run.googleapis.com%2Frequests';

export interface RequestErrorSourceOptions {
  list: EntryLister;
  /** Clock; default Date.now. */
  now?: () => number;
  /** Waits; default setTimeout. Tests with a simulated clock advance it here. */
  sleep?: (ms: number) => Promise<void>;
  /** At most one read per project this often, in ms; default 5,000 (12 reads a minute). */
  minGapMs?: number;
  /** Asks arriving this soon after the first one join its read, in ms; default 50. */
  collectMs?: number;
  /** A revision nobody asked about for this long leaves the reads, in ms; default 120,000. */
  activeMs?: number;
  /** Pages of up to 1,000 entries a read lists at most; default 3. */
  maxPages?: number;
}

interface Tracked {
  /** Counts are asked from here on (the window start of the latest ask). */
  since: number;
  askedAt: number;
}

interface Held {
  /** Entries of the revision from here on are held. */
  from: number;
  /** 5xx timestamps (ms) with their location. */
  errors: { at: number; location: string }[];
}

interface ProjectReads {
  tracked: Map<string, Tracked>;
  held: Map<string, Held>;
  /** Entries before this are held (for revisions held from before it). */
  heldTo: number;
  lastFilter: string;
  lastComplete: boolean;
  readAt?: number;
  /** The end the next read must reach: the latest end asked since the last read. */
  wantedTo: number;
  next?: Promise<void>;
  failure?: { at: number; error: unknown };
}

export interface RequestErrorSourceStats {
  /** Reads made (each one entries.list call or more) and asks answered, over the source's life. */
  reads: number;
  asks: number;
}

export function createRequestErrorSource(
  options: RequestErrorSourceOptions,
): RequestErrorSource & { stats(): RequestErrorSourceStats } {
  const now = options.now ?? Date.now;
  const sleep =
    options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, Math.max(0, ms))));
  const minGapMs = options.minGapMs ?? 5_000;
  const collectMs = options.collectMs ?? 50;
  const activeMs = options.activeMs ?? 120_000;
  const maxPages = options.maxPages ?? 3;
  const projects = new Map<string, ProjectReads>();
  const stats: RequestErrorSourceStats = { reads: 0, asks: 0 };

  function projectOf(project: string): ProjectReads {
    let reads = projects.get(project);
    if (!reads) {
      reads = {
        tracked: new Map(),
        held: new Map(),
        heldTo: 0,
        lastFilter: '',
        lastComplete: true,
        wantedTo: 0,
      };
      projects.set(project, reads);
    }
    return reads;
  }

  async function count5xx(query: RequestErrorQuery): Promise<RequestErrorCounts> {
    if (query.revisions.length === 0)
      throw new PlatformError(SYSTEM, 'invalid', 'no revision to count 5xx for');
    const start = query.window.start.getTime();
    const end = Math.min(query.window.end.getTime(), now());
    if (!(start < end)) {
      return { counts: zeros(query.revisions), through: new Date(start), complete: true, filter: '' };
    }
    stats.asks += 1;
    const reads = projectOf(query.project);
    // A revision is asked about by one rollout at a time (its own service's), from its stage's start: a
    // later start (the next stage) lets the reads and what is held start later too.
    for (const revision of query.revisions) reads.tracked.set(revision, { since: start, askedAt: now() });
    // A read that ends before the revision joined it cannot answer: at most a few reads in a row.
    for (let attempt = 0; attempt < 3; attempt++) {
      const covered = query.revisions.every(
        (r) => (reads.held.get(r)?.from ?? Number.POSITIVE_INFINITY) <= start,
      );
      const fresh = reads.readAt !== undefined && now() - reads.readAt < minGapMs;
      if (covered && (end <= reads.heldTo || fresh)) return answer(reads, query, start, end);
      if (reads.failure && now() - reads.failure.at < minGapMs) throw reads.failure.error;
      reads.wantedTo = Math.max(reads.wantedTo, end);
      await readSoon(query.project, reads);
    }
    throw new PlatformError(SYSTEM, 'unavailable', 'the request logs could not be read in three reads');
  }

  function answer(
    reads: ProjectReads,
    query: RequestErrorQuery,
    start: number,
    end: number,
  ): RequestErrorCounts {
    const through = Math.min(end, reads.heldTo);
    const counts: Record<string, number> = {};
    for (const revision of query.revisions) {
      const held = reads.held.get(revision)?.errors ?? [];
      counts[revision] = held.filter(
        (e) =>
          e.at >= start && e.at < through && (query.location === undefined || e.location === query.location),
      ).length;
    }
    // Complete unless the page bound kept the held entries from reaching the end asked.
    const complete = through >= end || reads.lastComplete;
    return { counts, through: new Date(Math.max(through, start)), complete, filter: reads.lastFilter };
  }

  /** The project's next read: joined when one is due, otherwise made once the gap since the last has passed. */
  function readSoon(project: string, reads: ProjectReads): Promise<void> {
    if (reads.next) return reads.next;
    const wait = Math.max(collectMs, (reads.readAt ?? Number.NEGATIVE_INFINITY) + minGapMs - now());
    reads.next = sleep(wait)
      .then(() => read(project, reads))
      .finally(() => {
        reads.next = undefined;
      });
    return reads.next;
  }

  async function read(project: string, reads: ProjectReads): Promise<void> {
    const at = now();
    reads.readAt = at;
    for (const [revision, tracked] of reads.tracked) {
      if (at - tracked.askedAt > activeMs) {
        reads.tracked.delete(revision);
        reads.held.delete(revision);
      }
    }
    const revisions = [...reads.tracked.keys()];
    if (revisions.length === 0) return;
    const to = Math.min(Math.max(reads.wantedTo, reads.heldTo), at);
    // Whole span again when a revision is asked about from before what is held; otherwise from where the
    // last read ended.
    const backfill = revisions.some(
      (r) => (reads.held.get(r)?.from ?? Number.POSITIVE_INFINITY) > (reads.tracked.get(r) as Tracked).since,
    );
    const from = backfill
      ? Math.min(...revisions.map((r) => (reads.tracked.get(r) as Tracked).since))
      : reads.heldTo;
    if (!(from < to)) return;
    const filter = requestErrorFilter(project, revisions, from, to);
    const found: { revision: string; at: number; location: string }[] = [];
    stats.reads += 1;
    let listing: Awaited<ReturnType<EntryLister>>;
    try {
      listing = await options.list(
        project,
        filter,
        maxPages,
        (entry) => {
          const labels = resourceLabels(entry);
          const time = entryTime(entry);
          if (labels.revision_name && time !== undefined) {
            found.push({ revision: labels.revision_name, at: time, location: labels.location ?? '' });
          }
          return false;
        },
        // The next read is seconds away: a retry would only spend the quota sooner.
        { attempts: 1 },
      );
    } catch (error) {
      reads.failure = { at, error };
      return;
    }
    reads.failure = undefined;
    // Cut by the page bound: keep whole timestamps only (the next read lists from the last one again).
    let through = to;
    if (!listing.complete) {
      const last = found.at(-1)?.at ?? from;
      through = last > from ? last : last + 1;
    }
    const kept = found.filter((e) => e.at < through);
    if (backfill) {
      reads.held.clear();
      for (const revision of revisions) reads.held.set(revision, { from, errors: [] });
    }
    for (const e of kept) reads.held.get(e.revision)?.errors.push({ at: e.at, location: e.location });
    // Held entries older than every window still asked about are of no further use.
    const oldest = Math.min(...revisions.map((r) => (reads.tracked.get(r) as Tracked).since));
    for (const held of reads.held.values()) {
      if (held.errors.length > 0 && (held.errors[0] as { at: number }).at < oldest) {
        held.errors = held.errors.filter((e) => e.at >= oldest);
      }
    }
    reads.heldTo = through;
    reads.lastFilter = filter;
    reads.lastComplete = listing.complete;
  }

  return { count5xx, stats: () => ({ ...stats }) };
}

/** Cloud Run's request log lines with a 5xx status of these revisions over [from, to). */
export function requestErrorFilter(
  project: string,
  revisions: readonly string[],
  from: number,
  to: number,
): string {
  return [
    `logName=${quote(`projects/${project}/logs/${REQUEST_LOG}`)}`,
    'resource.type="cloud_run_revision"',
    anyOf('resource.labels.revision_name', revisions),
    'httpRequest.status>=500',
    `timestamp>=${quote(new Date(from).toISOString())}`,
    `timestamp<${quote(new Date(to).toISOString())}`,
  ].join(' AND ');
}

function zeros(revisions: readonly string[]): Record<string, number> {
  return Object.fromEntries(revisions.map((r) => [r, 0]));
}

function resourceLabels(entry: Entry): Record<string, string | undefined> {
  const resource = (entry.metadata as { resource?: { labels?: Record<string, string> } }).resource;
  return resource?.labels ?? {};
}

/** The entry's timestamp in ms: a Date, an ISO string, or {seconds, nanos} as the library may hand it. */
function entryTime(entry: Entry): number | undefined {
  const value = (entry.metadata as { timestamp?: unknown }).timestamp;
  if (value instanceof Date) return value.getTime();
  if (typeof value === 'string') return Date.parse(value);
  if (value && typeof value === 'object' && 'seconds' in value) {
    const { seconds, nanos } = value as { seconds: number | string; nanos?: number };
    return Number(seconds) * 1000 + Math.floor((nanos ?? 0) / 1e6);
  }
  return undefined;
}
