import { randomUUID } from 'node:crypto';
import { TwinError } from './wire.ts';

// Cloud Run jobs and their executions, for seed 002's migration-drift check: the job's image, and
// what each execution ran and how it ended.

export interface JobKey {
  project: string;
  region: string;
  job: string;
}

export type ExecutionOutcome = 'succeeded' | 'failed' | 'cancelled' | 'running';

export interface ExecutionSeed {
  outcome: ExecutionOutcome;
  /** The image it ran; default the job's image. */
  image?: string;
  /** Short name; default `<job>-<5 letters>`. */
  name?: string;
  createTime?: Date;
  completionTime?: Date;
  /** Cloud Run's words on a failure or cancellation. */
  message?: string;
}

interface StoredExecution {
  name: string;
  image: string;
  outcome: ExecutionOutcome;
  createTime: string;
  completionTime?: string;
  message?: string;
}

interface StoredJob {
  key: JobKey;
  name: string;
  uid: string;
  image: string;
  createTime: string;
  executions: StoredExecution[];
}

export const jobName = (k: JobKey) => `projects/${k.project}/locations/${k.region}/jobs/${k.job}`;

const COMPLETION: Record<ExecutionOutcome, string> = {
  succeeded: 'EXECUTION_SUCCEEDED',
  failed: 'EXECUTION_FAILED',
  cancelled: 'EXECUTION_CANCELLED',
  running: 'EXECUTION_RUNNING',
};

export class JobStore {
  private readonly jobs = new Map<string, StoredJob>();
  private count = 0;
  private readonly now: () => Date;

  constructor(now: () => Date) {
    this.now = now;
  }

  clear() {
    this.jobs.clear();
    this.count = 0;
  }

  seed(key: JobKey, image: string): void {
    const name = jobName(key);
    this.jobs.set(name, {
      key,
      name,
      uid: randomUUID(),
      image,
      createTime: this.now().toISOString(),
      executions: [],
    });
  }

  setImage(key: JobKey, image: string): void {
    this.get(jobName(key)).image = image;
  }

  addExecution(key: JobKey, seed: ExecutionSeed): string {
    const job = this.get(jobName(key));
    this.count += 1;
    const created = seed.createTime ?? new Date(this.now().getTime() + this.count); // strictly newer
    const name = seed.name ?? `${key.job}-${(this.count * 7919).toString(36).padStart(5, 'x').slice(-5)}`;
    const finished = seed.outcome !== 'running';
    job.executions.push({
      name,
      image: seed.image ?? job.image,
      outcome: seed.outcome,
      createTime: created.toISOString(),
      ...(finished
        ? { completionTime: (seed.completionTime ?? new Date(created.getTime() + 30_000)).toISOString() }
        : {}),
      ...(seed.message ? { message: seed.message } : {}),
    });
    return name;
  }

  get(name: string): StoredJob {
    const job = this.jobs.get(name);
    if (job) return job;
    const [, project, region, id] = /^projects\/([^/]+)\/locations\/([^/]+)\/jobs\/(.+)$/.exec(name) ?? [];
    throw new TwinError(
      404,
      `Resource '${id ?? name}' of kind 'JOB' in region '${region}' in project '${project}' does not exist.`,
    );
  }

  /** Newest first, as the API lists them. */
  executions(name: string): StoredExecution[] {
    return [...this.get(name).executions].sort((a, b) => b.createTime.localeCompare(a.createTime));
  }

  execution(jobPath: string, execution: string): StoredExecution {
    const found = this.get(jobPath).executions.find((e) => e.name === execution);
    if (found) return found;
    throw new TwinError(404, `Resource '${execution}' of kind 'EXECUTION' does not exist.`);
  }

  jobJson(name: string): Record<string, unknown> {
    const job = this.get(name);
    const latest = this.executions(name)[0];
    return {
      name: job.name,
      uid: job.uid,
      generation: '1',
      createTime: job.createTime,
      updateTime: job.createTime,
      launchStage: 'GA',
      template: {
        taskCount: 1,
        template: { containers: [{ image: job.image }], maxRetries: 3, timeout: '600s' },
      },
      observedGeneration: '1',
      terminalCondition: { type: 'Ready', state: 'CONDITION_SUCCEEDED', lastTransitionTime: job.createTime },
      executionCount: job.executions.length,
      ...(latest
        ? {
            latestCreatedExecution: {
              name: `${job.name}/executions/${latest.name}`,
              createTime: latest.createTime,
              ...(latest.completionTime ? { completionTime: latest.completionTime } : {}),
              completionStatus: COMPLETION[latest.outcome],
            },
          }
        : {}),
      reconciling: false,
      etag: `"${job.uid.slice(0, 8)}"`,
    };
  }

  executionJson(jobPath: string, e: StoredExecution): Record<string, unknown> {
    const job = this.get(jobPath);
    const completed = {
      type: 'Completed',
      lastTransitionTime: e.completionTime ?? e.createTime,
      ...(e.outcome === 'succeeded' ? { state: 'CONDITION_SUCCEEDED' } : {}),
      ...(e.outcome === 'failed'
        ? { state: 'CONDITION_FAILED', executionReason: 'NON_ZERO_EXIT_CODE', severity: 'ERROR' }
        : {}),
      ...(e.outcome === 'cancelled' ? { state: 'CONDITION_FAILED', executionReason: 'CANCELLED' } : {}),
      ...(e.outcome === 'running' ? { state: 'CONDITION_RECONCILING' } : {}),
      ...(e.message ? { message: e.message } : {}),
    };
    return {
      name: `${job.name}/executions/${e.name}`,
      uid: randomUUID(),
      generation: '1',
      createTime: e.createTime,
      startTime: e.createTime,
      ...(e.completionTime ? { completionTime: e.completionTime } : {}),
      launchStage: 'GA',
      job: job.key.job,
      parallelism: 1,
      taskCount: 1,
      template: { containers: [{ image: e.image }], maxRetries: 3, timeout: '600s' },
      reconciling: e.outcome === 'running',
      conditions: [completed],
      observedGeneration: '1',
      runningCount: e.outcome === 'running' ? 1 : 0,
      succeededCount: e.outcome === 'succeeded' ? 1 : 0,
      failedCount: e.outcome === 'failed' ? 1 : 0,
      cancelledCount: e.outcome === 'cancelled' ? 1 : 0,
      logUri: `https://console.cloud.google.com/logs/viewer?project=${job.key.project}&resource=cloud_run_job/job_name/${job.key.job}`,
      etag: `"${e.name}"`,
    };
  }
}
