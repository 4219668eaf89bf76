import { type Entry, Logging } from '@google-cloud/logging';
import type {
  AuditEventQuery,
  AuditEventResult,
  CloudLogging,
  LogCount,
  LogCountQuery,
  LogCountResult,
} from '../../gates/ports/logging.ts';
import { PlatformError } from '../../runbooks/ports/errors.ts';
import { type GoogleTarget, googleClientOptions } from '../google.ts';
import { type CallPolicy, callGoogle, callPolicyOf } from '../monitoring/google-call.ts';
import { entryField } from './entry-field.ts';
import { anyOf, checkField, scopeFilter, withScope } from './filters.ts';

// Entry counts and audit events through @google-cloud/logging (getEntries -> POST /v2/entries:list).
// Cloud Logging has no count call: entries are listed, up to 1,000 a page and `maxPages` pages per count,
// and a count the bound cut short is flagged incomplete (a lower bound). entries.list is rate-limited
// per project (60 a minute by default), so revisions are read one after another and pages are large.

const SYSTEM = 'logging';
const ROLE = 'roles/logging.viewer';
const DEFAULT_FIELD = 'jsonPayload.event';

export interface CloudLoggingOptions extends Partial<CallPolicy> {
  /** Production: {projectId}; tests and the sandbox add the twin's endpoint. */
  target: GoogleTarget;
  /** Entries a page, at most 1,000 (the API's limit). */
  pageSize?: number;
  /** Pages read per count unless the query says otherwise. */
  maxPages?: number;
}

export interface CloudLoggingAdapter extends CloudLogging {
  /** Lists entries matching `filter`, oldest first (request-errors.ts counts 5xx with it). */
  listEntries: EntryLister;
  close(): Promise<void>;
}

export interface Listing {
  pages: number;
  complete: boolean;
}

/**
 * Lists entries of `projects/<project>` matching `filter`, oldest first, handing each to `visit`; `visit`
 * returning true stops after the page. `attempts` overrides the call policy's (1: no retry).
 */
export type EntryLister = (
  project: string,
  filter: string,
  maxPages: number,
  visit: (entry: Entry) => boolean,
  options?: { attempts?: number },
) => Promise<Listing>;

export function createCloudLogging(options: CloudLoggingOptions): CloudLoggingAdapter {
  const policy = callPolicyOf(options);
  const pageSize = Math.min(options.pageSize ?? 1_000, 1_000);
  const defaultMaxPages = options.maxPages ?? 5;
  const logging = new Logging(googleClientOptions(options.target));

  const list: EntryLister = async (project, filter, maxPages, visit, options = {}) => {
    const called = options.attempts === undefined ? policy : { ...policy, attempts: options.attempts };
    const context = {
      system: SYSTEM,
      what: `Cloud Logging entries of projects/${project}`,
      role: ROLE,
    } as const;
    let pageToken: string | undefined;
    for (let pages = 1; ; pages++) {
      const request = {
        resourceNames: [`projects/${project}`],
        filter,
        orderBy: 'timestamp asc',
        pageSize,
        ...(pageToken ? { pageToken } : {}),
      };
      const [entries, next] = await callGoogle(context, called, (gaxOptions) =>
        logging.getEntries({ ...request, autoPaginate: false, gaxOptions }),
      );
      let stop = false;
      for (const entry of entries) stop = visit(entry) || stop;
      pageToken = next?.pageToken || undefined;
      if (!pageToken) return { pages, complete: true };
      if (stop || pages >= maxPages) return { pages, complete: false };
    }
  };

  async function countEntries(query: LogCountQuery): Promise<LogCountResult> {
    if (query.revisions.length === 0)
      throw new PlatformError(SYSTEM, 'invalid', 'no revision to count entries for');
    const maxPages = bound(query.maxPages ?? defaultMaxPages);
    const counts: Record<string, LogCount> = {};
    for (const revision of query.revisions) {
      const filter = withScope({ ...query, revisions: [revision] }, query.filter);
      let count = 0;
      const listing = await list(query.project, filter, maxPages, () => {
        count += 1;
        return false;
      });
      counts[revision] = { count, ...listing, filter };
    }
    return { counts };
  }

  async function auditEvents(query: AuditEventQuery): Promise<AuditEventResult> {
    const events = [...new Set(query.events)];
    if (events.length === 0) throw new PlatformError(SYSTEM, 'invalid', 'no audit event to look for');
    const field = checkField(query.field ?? DEFAULT_FIELD);
    const filter = `${scopeFilter(query)} AND ${anyOf(field, events)}`;
    // Logging matches strings regardless of case, so the tally does too.
    const byLowerName = new Map(events.map((event) => [event.toLowerCase(), event]));
    const counts: Record<string, number> = Object.fromEntries(events.map((event) => [event, 0]));
    const enough = query.enough;
    const listing = await list(query.project, filter, bound(query.maxPages ?? defaultMaxPages), (entry) => {
      const value = entryField(entry, field);
      const event = typeof value === 'string' ? byLowerName.get(value.toLowerCase()) : undefined;
      if (event !== undefined) counts[event] = (counts[event] ?? 0) + 1;
      return enough !== undefined && events.every((name) => (counts[name] ?? 0) >= enough);
    });
    return { counts, ...listing, filter };
  }

  async function close(): Promise<void> {
    await Promise.all([logging.loggingService.close(), logging.configService.close()]);
  }

  return { countEntries, auditEvents, listEntries: list, close };
}

function bound(maxPages: number): number {
  if (!Number.isInteger(maxPages) || maxPages < 1) {
    throw new PlatformError(
      SYSTEM,
      'invalid',
      `maxPages must be a whole number of at least 1, not ${maxPages}`,
    );
  }
  return maxPages;
}
