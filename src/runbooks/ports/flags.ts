// Feature flags as the flag canary (seed 003) changes them: read their values, set them with optimistic
// concurrency, and say where they live. Two adapters (src/platform/flags): `http-json` (a JSON document
// behind an HTTP API: GET with an ETag, PUT with If-Match, each flag at a dotted JSON path) and
// `cloud-run-env` (each flag an environment variable of a Cloud Run service: enabling deploys a revision
// with the variables set and moves all traffic to it; disabling moves traffic back to the revision that
// served before, with no rebuild).

export interface FlagReading {
  /** Each flag's value; undefined when the document (or the revision) does not have it. */
  values: Record<string, boolean | undefined>;
  /** The version read: the document's ETag, or the serving revision. What `set` passes back as `ifVersion`. */
  version: string;
  /** Where the flags are, in words a person can check: a URL, or `service revision`. */
  where: string;
}

export interface FlagChange {
  /** The flags to set and their values; flags not named are left as they are. */
  values: Record<string, boolean>;
  /** Optimistic concurrency: write only if the version is still this one (else a 'conflict' error). */
  ifVersion?: string;
  /**
   * Undo of an earlier change (cloud-run-env: the revision that served before it, which gets all traffic
   * back). Absent: the change is made forward (a new document, a new revision).
   */
  restore?: string;
}

export interface FlagSetResult extends FlagReading {
  /** What undoes this change (cloud-run-env: the revision that served before); absent when nothing to undo. */
  restore?: string;
  /** False when the flags already read as asked: nothing was written (a redriven step). */
  written: boolean;
}

/**
 * Every method throws a PlatformError (system 'flags') naming what failed: 'conflict' when `ifVersion` no
 * longer matches (412), 'not-found', 'unauthorized', 'permission-denied', 'unavailable', 'invalid' (a
 * document without the flag's path, a value that is not a boolean). `set` reads first and writes only
 * what differs, then reads back: a value that does not read back as asked is 'verify-failed'.
 */
export interface FlagBackend {
  read(): Promise<FlagReading>;
  set(change: FlagChange): Promise<FlagSetResult>;
}
