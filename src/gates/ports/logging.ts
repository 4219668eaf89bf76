import type { TimeWindow } from './monitoring.ts';

// What the cloud-logging gates need from Cloud Logging: how many entries match a filter per revision
// over a window (error spikes), and which named audit events appeared. Cloud Logging has no count
// call, so entries are listed and counted up to a page bound; a count stopped by the bound says so.

export interface LogScope {
  project: string;
  /** Cloud Run service name. */
  service: string;
  /** Cloud Run region, e.g. us-central1: a service name is unique per region only. */
  location?: string;
  /** Always explicit: entries with start <= timestamp < end. */
  window: TimeWindow;
  /** Pages of up to 1,000 entries read before stopping; the adapter's default otherwise. */
  maxPages?: number;
}

export interface LogCountQuery extends LogScope {
  /** Short revision names; each one is counted on its own, with its own page bound. */
  revisions: readonly string[];
  /** A Cloud Logging filter; shiftgate ANDs it with the service, the revision and the window. */
  filter: string;
}

export interface LogCount {
  /** Entries counted. A lower bound when `complete` is false. */
  count: number;
  /** False when the page bound stopped the listing before the last page. */
  complete: boolean;
  /** Pages read (each one an entries.list call). */
  pages: number;
  /** The exact filter sent: `gcloud logging read '<filter>' --project P` shows the same entries. */
  filter: string;
}

export interface LogCountResult {
  /** Keyed by short revision name; every revision asked for is present. */
  counts: Record<string, LogCount>;
}

export interface AuditEventQuery extends LogScope {
  /** Revisions whose entries count; empty means every revision of the service. */
  revisions: readonly string[];
  /** Event names, e.g. auth.verify.completed. Matched as Cloud Logging matches strings: case aside. */
  events: readonly string[];
  /** The field holding the event name; default jsonPayload.event. */
  field?: string;
  /** Stop listing once every event has this many entries: a presence check needs no full count. */
  enough?: number;
}

export interface AuditEventResult {
  /** Entries per event, keyed by the names asked for; 0 for an absent event. */
  counts: Record<string, number>;
  /** False when listing stopped early (the page bound, or `enough` reached): counts are lower bounds. */
  complete: boolean;
  pages: number;
  /** The exact filter sent. */
  filter: string;
}

export interface CloudLogging {
  /** Throws a PlatformError (system 'logging'); an unparseable filter is kind 'invalid' with Logging's words. */
  countEntries(query: LogCountQuery): Promise<LogCountResult>;
  auditEvents(query: AuditEventQuery): Promise<AuditEventResult>;
}
