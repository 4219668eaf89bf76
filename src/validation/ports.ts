// What the external-ci and backup lanes read from the outside world: CI results (Cloud Build builds,
// GitHub check runs) and backup artifacts (Cloud Storage objects, Cloud SQL backup runs). The adapters
// are in src/platform/{cloud-build,github,storage,cloud-sql}; each throws a PlatformError naming what
// it asked and what the service said, never a token.

/** One Cloud Build build, as much of it as a lane shows. */
export interface CiBuild {
  id: string;
  /** Cloud Build's status name: PENDING, QUEUED, WORKING, SUCCESS, FAILURE, INTERNAL_ERROR, TIMEOUT, CANCELLED, EXPIRED. */
  status: string;
  statusDetail?: string;
  /** RFC 3339. */
  createTime?: string;
  finishTime?: string;
  /** The build's page in the Cloud console (its log). */
  logUrl?: string;
  tags: string[];
  images: string[];
  substitutions: Record<string, string>;
}

export interface BuildQuery {
  project: string;
  /** `global`, or the region of regional builds. */
  location: string;
  /** Cloud Build's list filter, on the fields its API evaluates, e.g. `tags="khala-contract"`. */
  filter: string;
  /** At most this many builds. */
  limit: number;
}

export interface CloudBuilds {
  /** Builds matching the filter, newest first. */
  listBuilds(query: BuildQuery): Promise<CiBuild[]>;
}

/** One GitHub check run. */
export interface CheckRun {
  id: number;
  name: string;
  headSha: string;
  /** queued, in_progress, completed, waiting, requested, pending. */
  status: string;
  /** success, failure, neutral, cancelled, skipped, timed_out, action_required, stale; absent until completed. */
  conclusion?: string;
  startedAt?: string;
  completedAt?: string;
  /** The run's page on GitHub. */
  url?: string;
  /** The output title the CI gave it. */
  title?: string;
}

export interface CheckRunQuery {
  /** 'owner/name'. */
  repo: string;
  /** A commit SHA (or a branch or tag name). */
  ref: string;
  /** The check run's name. */
  name: string;
  token: string;
  /** Where the token came from (its secret reference), for messages. */
  tokenSource: string;
  /** GitHub Enterprise Server's API; default https://api.github.com. */
  apiUrl?: string;
  signal?: AbortSignal;
}

export interface CheckRuns {
  /** The check runs of that name on the ref, newest first. */
  list(query: CheckRunQuery): Promise<CheckRun[]>;
}

/** A stored object: a backup file in Cloud Storage. */
export interface StoredObject {
  name: string;
  /** gs://bucket/name */
  uri: string;
  /** RFC 3339: when this generation of the object was written. */
  createdAt: string;
  size?: number;
}

export interface NewestObject {
  /** Undefined when nothing is stored under the prefix. */
  newest?: StoredObject;
  /** Objects listed. */
  seen: number;
  /** False when the listing stopped at its bound before the end (the newest is then of those seen). */
  complete: boolean;
}

export interface StorageObjects {
  /** The object under `prefix` created last. */
  newest(query: { bucket: string; prefix: string }): Promise<NewestObject>;
}

/** One Cloud SQL backup run. */
export interface BackupRun {
  id: string;
  /** SUCCESSFUL, FAILED, RUNNING, ENQUEUED, OVERDUE, SKIPPED, DELETION_PENDING, ... */
  status: string;
  /** AUTOMATED, ON_DEMAND, FINAL. */
  type?: string;
  enqueuedTime?: string;
  endTime?: string;
  /** Why it failed, in Cloud SQL's words. */
  error?: string;
}

export interface SqlBackups {
  /** The instance's backup runs, newest first (by when they were enqueued), at most `limit`. */
  backupRuns(query: { project: string; instance: string; limit: number }): Promise<BackupRun[]>;
}
