// Cloud Run as the runbooks use it (seed 000: deploy a no-traffic canary, shift traffic in stages, roll
// back; seed 002: compare a migration job's image and latest execution with the service; seed 003: run a
// job as the smoke test, its exit code the smoke return code). Revision names
// are short (`svc-00002-abc`), as `gcloud run services update-traffic --to-revisions` takes them.

export interface ServiceRef {
  project: string;
  region: string;
  service: string;
}

export interface JobRef {
  project: string;
  region: string;
  job: string;
}

export interface TrafficTarget {
  /** Short revision name. For a `latest` target: the latest ready revision it resolves to ('' if none). */
  revision: string;
  percent: number;
  /** The target follows the latest ready revision instead of naming one. */
  latest?: boolean;
  tag?: string;
  /** The tag's own URL, e.g. https://canary---svc-hash-uc.a.run.app (reported targets only). */
  url?: string;
}

export interface ServiceState {
  ref: ServiceRef;
  url: string;
  etag: string;
  /** The image in the service template: what the latest created revision runs. */
  image: string;
  latestReadyRevision?: string;
  latestCreatedRevision?: string;
  /** The split asked for (Service.traffic). */
  traffic: TrafficTarget[];
  /** The split Cloud Run reports serving (Service.trafficStatuses), with tag URLs. Checks use this. */
  trafficStatuses: TrafficTarget[];
  /** Image of every revision named above, by short name. */
  images: Record<string, string>;
}

export interface Revision {
  name: string;
  image: string;
  ready: boolean;
  /** RFC 3339. */
  createdAt?: string;
  /**
   * The first container's environment variables that have a literal value (ones read from Secret
   * Manager are left out). Set by describeRevision; listRevisions fills it too.
   */
  env?: Record<string, string>;
}

export interface DeployRequest {
  image: string;
  /** Tag whose URL reaches the new revision without traffic; default 'canary'. */
  tag?: string;
  /** The revision is named `<service>-<suffix>`; default `<service>-<NNNNN>-<abc>` like Cloud Run's own. */
  revisionSuffix?: string;
  /**
   * Environment variables to set on the new revision's container, over the template's: the template's
   * other variables (secret references included) are kept. The cloud-run-env flag backend sets flags so.
   */
  env?: Record<string, string>;
}

export interface Deployment {
  revision: string;
  /** Absent only when the service has no URLs (default URI disabled). */
  tagUrl?: string;
  state: ServiceState;
}

export interface SplitRequest {
  stable: string;
  canary: string;
  /** Whole percent, 0 to 100; the stable revision gets the rest. */
  canaryPercent: number;
  /** Kept on the canary revision; default 'canary'. */
  tag?: string;
}

export type ExecutionStatus = 'succeeded' | 'failed' | 'cancelled' | 'running' | 'pending';

export interface JobExecution {
  name: string;
  status: ExecutionStatus;
  succeeded: boolean;
  /** The image the execution ran. */
  image?: string;
  createdAt?: string;
  completedAt?: string;
  /** Cloud Run's words when it failed or was cancelled. */
  message?: string;
}

/** One execution of a job, run to its end by runJob. */
export interface JobRun {
  /** Short execution name, e.g. `smoke-x7k2q`. */
  execution: string;
  status: ExecutionStatus;
  succeeded: boolean;
  /**
   * The exit code of the first task's (index 0) last attempt; null when Cloud Run gives none (the
   * container was killed, timed out or never started).
   */
  exitCode: number | null;
  /** Cloud Run's words when it failed or was cancelled. */
  message?: string;
  /** RFC 3339. */
  completedAt?: string;
}

export interface RunJobOptions {
  /** How long to wait for the execution to finish; default 3 minutes. */
  timeoutMs?: number;
}

export interface JobState {
  ref: JobRef;
  /** The image the next execution will run. */
  image: string;
  latestExecution?: JobExecution;
  latestSucceededExecution?: JobExecution;
}

/**
 * Every method throws a PlatformError (system 'cloud-run') naming what failed. Traffic changes are
 * idempotent (asking again for the split that is already set changes nothing) and are read back: a
 * reported split other than the one asked for is a 'verify-failed' error.
 */
export interface CloudRun {
  describe(ref: ServiceRef): Promise<ServiceState>;
  /** `gcloud run deploy --no-traffic --tag canary`: current traffic pinned, the new revision at 0 %. */
  deployNoTraffic(ref: ServiceRef, request: DeployRequest): Promise<Deployment>;
  /** `gcloud run services update-traffic --to-revisions stable=100-p,canary=p`. */
  setSplit(ref: ServiceRef, request: SplitRequest): Promise<ServiceState>;
  /** All traffic to one revision; tags on other revisions stay, at 0 %. */
  rollbackTo(ref: ServiceRef, revision: string): Promise<ServiceState>;
  /** Exactly this split (percent by short revision name; they sum to 100): a drill puts back what it found. */
  setTraffic(ref: ServiceRef, split: Record<string, number>): Promise<ServiceState>;
  /**
   * `gcloud run services update-traffic --set-tags tag=revision` (or `--remove-tags tag` without a
   * revision): the tag moves to the revision, or goes; the split stays as it is. A tagged revision is
   * addressable at its tag URL, and Cloud Run starts it (its min instances run) even at 0 %.
   */
  setTag(ref: ServiceRef, tag: string, revision?: string): Promise<ServiceState>;
  /** Newest first. */
  listRevisions(ref: ServiceRef): Promise<Revision[]>;
  /** One revision with its environment (`env` always set): what a cloud-run-env flag reads. */
  describeRevision(ref: ServiceRef, revision: string): Promise<Revision>;
  describeJob(ref: JobRef): Promise<JobState>;
  /**
   * `gcloud run jobs execute --wait`: a new execution of the job, waited for. An execution that runs and
   * fails is a result (succeeded false, with its exit code), not an error; 'timeout' when it has not
   * finished within timeoutMs (it keeps running in Cloud Run), 'not-found' for a missing job.
   */
  runJob(ref: JobRef, options?: RunJobOptions): Promise<JobRun>;
}
