import { HttpResponse, http, type RequestHandler } from 'msw';
import {
  answerGoogleCall,
  InvalidArgument,
  pageToken,
  readPageToken,
  serviceDefaults,
  wantsIntEnums,
} from '../google-rest.ts';
import { Recorder } from '../recorder.ts';
import { parseLoggingFilter, SEVERITY } from './filter.ts';

// Cloud Logging's entries.list as @google-cloud/logging calls it with `fallback: true`:
// POST /v2/entries:list {resourceNames, filter, orderBy, pageSize, pageToken}
// answering {entries: [LogEntry], nextPageToken}. The filter is applied (subset in filter.ts), pages are
// real (at most 1,000 entries, tokens tied to their query), and enums follow `$alt=json;enum-encoding=int`.

export const LOGGING_TWIN_ORIGIN = 'http://logging.twin';

export type Severity = keyof typeof SEVERITY;

export interface HttpRequestInput {
  requestMethod?: string;
  requestUrl?: string;
  status?: number;
  /** Milliseconds; sent as a Duration ("0.123s"). */
  latencyMs?: number;
  userAgent?: string;
  remoteIp?: string;
  responseSize?: number;
}

export interface LogEntryInput {
  /** Default now. */
  timestamp?: Date | number | string;
  severity?: Severity;
  jsonPayload?: Record<string, unknown>;
  textPayload?: string;
  httpRequest?: HttpRequestInput;
  labels?: Record<string, string>;
  /** A log id (run.googleapis.com/stdout) or a full logName; default by payload, as Cloud Run writes. */
  logName?: string;
  trace?: string;
  insertId?: string;
  service?: string;
  project?: string;
  location?: string;
  /** Added to (or replacing) the cloud_run_revision resource labels. */
  resourceLabels?: Record<string, string>;
}

export interface RequestLogInput {
  method?: string;
  url?: string;
  status?: number;
  latencyMs?: number;
  at?: Date | number | string;
  service?: string;
}

export interface LoggingTwinOptions {
  /** Where the client is pointed: googleClientOptions({endpoint: {host, port, protocol}}). */
  origin?: string;
  project?: string;
  service?: string;
  location?: string;
  /** Clock for entries added without a timestamp, for what is visible yet and for the quota; default Date.now. */
  now?: () => number;
  /**
   * Seconds between an entry's timestamp and its being readable (its receiveTimestamp): request logs
   * "arrive within seconds" (platform-facts.md). Default 5 s; 0 for tests that need every entry at once.
   */
  ingestionLatencyMs?: number;
  /**
   * entries.list calls a project may make per minute before Logging answers 429 RESOURCE_EXHAUSTED
   * (Logging's read quota: 60 per minute per project). Default 60; Infinity for tests that do not count.
   */
  readsPerMinute?: number;
}

export const LOGGING_INGESTION_LATENCY_MS = 5_000;
export const LOGGING_READS_PER_MINUTE = 60;
/** For unit tests that need every entry readable at once and never count their reads. */
export const INSTANT_LOGS = { ingestionLatencyMs: 0, readsPerMinute: Number.POSITIVE_INFINITY } as const;

export type LogEntry = Record<string, unknown> & { timestamp: string; insertId: string; logName: string };

export interface LoggingTwin {
  handlers: RequestHandler[];
  /** Requests in order, and faults: {match: 'entries:list', status: 403} or {delayMs}. */
  recorder: Recorder;
  /** One entry written by a revision; returns it as stored (LogEntry JSON). */
  addEntry(revision: string, input?: LogEntryInput): LogEntry;
  /** `count` entries, each from the input or from a function of its index. */
  addEntries(
    revision: string,
    count: number,
    input?: LogEntryInput | ((index: number) => LogEntryInput),
  ): void;
  /** The request log line Cloud Run writes for one request (run.googleapis.com/requests). */
  recordRequest(revision: string, request?: RequestLogInput): LogEntry;
  /** An application log line {event, ...fields} on stdout, as the seed's audit events are. */
  auditEvent(
    revision: string,
    event: string,
    at?: Date | number | string,
    fields?: Record<string, unknown>,
  ): LogEntry;
  entries(): readonly LogEntry[];
  /** Forgets every entry, recorded call and pending fault. */
  reset(): void;
}

const MAX_PAGE_SIZE = 1_000;
const DEFAULT_PAGE_SIZE = 50;
const MAX_FILTER_LENGTH = 20_000;
const BODY_FIELDS = new Set(['resourceNames', 'filter', 'orderBy', 'pageSize', 'pageToken']);

export function createLoggingTwin(options: LoggingTwinOptions = {}): LoggingTwin {
  const origin = options.origin ?? LOGGING_TWIN_ORIGIN;
  const defaults = serviceDefaults(options);
  const now = options.now ?? Date.now;
  const entries: LogEntry[] = [];
  const recorder = new Recorder();
  const latency = options.ingestionLatencyMs ?? LOGGING_INGESTION_LATENCY_MS;
  const quota = options.readsPerMinute ?? LOGGING_READS_PER_MINUTE;
  /** Reads per project in the current minute: {minute, count}. */
  const reads = new Map<string, { minute: number; count: number }>();
  let sequence = 0;

  /** Counts a read against each project's quota; past it, Logging's 429 as the client library sees it. */
  function spendQuota(projects: readonly string[]): void {
    const minute = Math.floor(now() / 60_000);
    for (const project of projects) {
      const used = reads.get(project);
      const count = used?.minute === minute ? used.count + 1 : 1;
      reads.set(project, { minute, count });
      if (count > quota) {
        throw new InvalidArgument(
          `Quota exceeded for quota metric 'Read requests' and limit 'Read requests per minute' of service 'logging.googleapis.com' for consumer 'project_number:${project}'.`,
          429,
        );
      }
    }
  }

  // The path has a colon, which msw's string patterns read as a parameter: match it exactly instead.
  const path = new RegExp(`^${origin.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/v2/entries:list$`);
  const list = http.post(path, ({ request }) =>
    answerGoogleCall(recorder, request, async () => {
      const body = await request.json().catch(() => {
        throw new InvalidArgument('Invalid JSON payload received.');
      });
      const { page, next } = answer(body);
      const ints = wantsIntEnums(new URL(request.url));
      const out = ints
        ? page.map((entry) => ({ ...entry, severity: SEVERITY[entry.severity as string] ?? 0 }))
        : page;
      return HttpResponse.json({
        ...(out.length ? { entries: out } : {}),
        ...(next ? { nextPageToken: next } : {}),
      });
    }),
  );

  function answer(body: unknown): { page: LogEntry[]; next?: string } {
    if (body === null || typeof body !== 'object')
      throw new InvalidArgument('Invalid JSON payload received.');
    const request = body as Record<string, unknown>;
    for (const name of Object.keys(request)) {
      if (!BODY_FIELDS.has(name))
        throw new InvalidArgument(`Invalid JSON payload received. Unknown name "${name}".`);
    }
    const resourceNames = request.resourceNames;
    if (!Array.isArray(resourceNames) || resourceNames.length === 0) {
      throw new InvalidArgument('resourceNames: at least one resource name is required.');
    }
    const projects = resourceNames.map((name) => {
      const match = /^projects\/([^/]+)$/.exec(String(name));
      if (!match)
        throw new InvalidArgument(`resourceNames: "${name}" is not supported by the twin (projects/P only).`);
      return match[1] as string;
    });
    spendQuota(projects);
    const filter = typeof request.filter === 'string' ? request.filter : '';
    if (filter.length > MAX_FILTER_LENGTH)
      throw new InvalidArgument('The filter is longer than 20000 characters.');
    const orderBy = typeof request.orderBy === 'string' ? request.orderBy.trim().toLowerCase() : '';
    if (!['', 'timestamp asc', 'timestamp desc'].includes(orderBy)) {
      throw new InvalidArgument(
        `orderBy: only "timestamp asc" and "timestamp desc" are allowed, not "${request.orderBy}".`,
      );
    }
    const pageSize = request.pageSize === undefined ? DEFAULT_PAGE_SIZE : Number(request.pageSize);
    if (!Number.isInteger(pageSize) || pageSize < 0 || pageSize > MAX_PAGE_SIZE) {
      throw new InvalidArgument(`pageSize must be between 0 and ${MAX_PAGE_SIZE}, not ${request.pageSize}.`);
    }
    const size = pageSize === 0 ? DEFAULT_PAGE_SIZE : pageSize;
    const matches = parseLoggingFilter(filter);

    const prefixes = projects.map((project) => `projects/${project}/logs/`);
    const descending = orderBy === 'timestamp desc';
    const at = now();
    const found = entries
      .filter((entry) => Date.parse(entry.receiveTimestamp as string) <= at)
      .filter((entry) => prefixes.some((prefix) => entry.logName.startsWith(prefix)) && matches(entry))
      .sort((a, b) => {
        const order =
          Date.parse(a.timestamp) - Date.parse(b.timestamp) || a.insertId.localeCompare(b.insertId);
        return descending ? -order : order;
      });
    const fingerprint = JSON.stringify([resourceNames, filter, orderBy]);
    const token =
      typeof request.pageToken === 'string' && request.pageToken !== '' ? request.pageToken : undefined;
    const offset = token ? readPageToken(token, fingerprint) : 0;
    const page = found.slice(offset, offset + size);
    return offset + size < found.length ? { page, next: pageToken(offset + size, fingerprint) } : { page };
  }

  function addEntry(revision: string, input: LogEntryInput = {}): LogEntry {
    const project = input.project ?? defaults.project;
    const service = input.service ?? defaults.service;
    const logId =
      input.logName ??
      (input.httpRequest && !input.jsonPayload && !input.textPayload
        ? 'run.googleapis.com/requests'
        : 'run.googleapis.com/stdout');
    const logName = logId.startsWith('projects/')
      ? logId
      : `projects/${project}/logs/${encodeURIComponent(logId)}`;
    const timestamp = timeOf(input.timestamp ?? now());
    sequence += 1;
    const entry: LogEntry = {
      logName,
      resource: {
        type: 'cloud_run_revision',
        labels: {
          project_id: project,
          service_name: service,
          revision_name: revision,
          location: input.location ?? defaults.location,
          configuration_name: service,
          ...input.resourceLabels,
        },
      },
      timestamp,
      // Readable from then on (entries.list leaves out what has not been received yet).
      receiveTimestamp: new Date(Date.parse(timestamp) + latency).toISOString(),
      severity:
        input.severity ?? (input.httpRequest ? severityOfStatus(input.httpRequest.status) : 'DEFAULT'),
      insertId: input.insertId ?? `twin${String(sequence).padStart(8, '0')}`,
      ...(input.labels ? { labels: input.labels } : {}),
      ...(input.trace ? { trace: input.trace } : {}),
      ...(input.httpRequest ? { httpRequest: httpRequestJson(input.httpRequest) } : {}),
      ...(input.jsonPayload ? { jsonPayload: input.jsonPayload } : {}),
      ...(input.textPayload !== undefined ? { textPayload: input.textPayload } : {}),
    };
    entries.push(entry);
    return entry;
  }

  return {
    handlers: [list],
    recorder,
    addEntry,
    addEntries(revision, count, input = {}) {
      for (let index = 0; index < count; index++)
        addEntry(revision, typeof input === 'function' ? input(index) : input);
    },
    recordRequest(revision, request = {}) {
      return addEntry(revision, {
        ...(request.at === undefined ? {} : { timestamp: request.at }),
        ...(request.service ? { service: request.service } : {}),
        httpRequest: {
          requestMethod: request.method ?? 'GET',
          requestUrl: request.url ?? '/',
          status: request.status ?? 200,
          latencyMs: request.latencyMs ?? 100,
        },
      });
    },
    auditEvent(revision, event, at, fields = {}) {
      return addEntry(revision, {
        ...(at === undefined ? {} : { timestamp: at }),
        severity: 'INFO',
        jsonPayload: { event, ...fields },
      });
    },
    entries: () => entries,
    reset() {
      entries.length = 0;
      reads.clear();
      recorder.reset();
    },
  };
}

function timeOf(value: Date | number | string): string {
  const date = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(date.getTime())) throw new Error(`twin: bad timestamp ${String(value)}`);
  return date.toISOString();
}

function severityOfStatus(status = 200): Severity {
  return status >= 500 ? 'ERROR' : status >= 400 ? 'WARNING' : 'INFO';
}

function httpRequestJson(input: HttpRequestInput): Record<string, unknown> {
  const { latencyMs, responseSize, ...rest } = input;
  return {
    ...rest,
    ...(latencyMs === undefined
      ? {}
      : { latency: `${(latencyMs / 1000).toFixed(9).replace(/\.?0+$/, '')}s` }),
    ...(responseSize === undefined ? {} : { responseSize: String(responseSize) }),
  };
}
