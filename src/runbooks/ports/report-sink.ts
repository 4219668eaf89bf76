// Where evidence reports outlive Redis (issue 18, section 4; the seeds' "each run must produce a committed
// report reference"): a Cloud Storage bucket, a GitHub repository, or both, configured per environment
// (`reports` in config/environments.ts). The thread links what `put` returns; `/report <run-id>` reads it
// back with `list` and `get` long after Redis' 90 days. Adapters: src/platform/reports.

export interface ReportFile {
  /** The rollout, rollback, incident, validation or train run the file belongs to, e.g. `c-20261130T051500-3fa2`. */
  runId: string;
  /** The file's name inside the run, e.g. `summary.json`, `SUMMARY.md`, `results.tsv`. */
  name: string;
  /** Text (sent as UTF-8), or bytes: a stage chart's PNG. */
  content: string | Uint8Array;
  /** e.g. `application/json`, `text/markdown; charset=utf-8`, `image/png`. */
  contentType: string;
  /** When the report was made (ISO 8601); kept as metadata and in commit messages. */
  at: string;
}

export interface StoredReport {
  /** A link a person can open: a console or repository URL, or the pull request that carries the file. */
  url: string;
  /** Where it is, in words: `gs://bucket/object`, `github owner/repo main:docs/reports/...`, `pull request #12`. */
  where: string;
  /**
   * Set when the sink writes to several places (Cloud Storage and GitHub): each place that took the file,
   * in the configured order (`url`/`where` are the first), and each that failed, in words.
   */
  all?: { url: string; where: string }[];
  failed?: string[];
}

/**
 * Every method throws a PlatformError (system 'reports') naming what failed and never a token. `put` is
 * idempotent: putting the same file again (a redriven upload) leaves one copy with that content and
 * answers the same places. A sink over several places throws only when none took the file.
 */
export interface ReportSink {
  put(file: ReportFile): Promise<StoredReport>;
  /** The files kept for a run, by name; empty when there are none. */
  list(runId: string): Promise<{ name: string; url: string }[]>;
  /** The content of one file, or undefined when the sink does not have it. */
  get(runId: string, name: string): Promise<string | undefined>;
}
