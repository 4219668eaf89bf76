import { randomUUID } from 'node:crypto';
import { TwinError } from './wire.ts';

// Cloud Run jobs and their executions, for seed 002's migration-drift check (the job's image, what each
// execution ran and how it ended) and seed 003's smoke job: `jobs/J:run` makes an execution of one task
// and answers an Operation whose metadata (and, once done, response) is that Execution. It finishes on
// the twin's usual operation poll as the outcome set for the job says: exit 0 succeeds; another exit
// code fails the execution and ends the operation with an error, as Cloud Run does. Its task's
// lastAttemptResult carries the exit code (left off when 0, as proto3 JSON leaves defaults off).

export const EXECUTION_TYPE = 'type.googleapis.com/google.cloud.run.v2.Execution';

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
  /** Its task's exit code; default 0 when it succeeded, 1 when it failed, none otherwise. */
  exitCode?: number | null;
}

/** How the next runs of a job end (setJobOutcome); default exit 0. */
export interface JobOutcome {
  /** The task's exit code: 0 succeeds; null fails without one (killed, timed out). Default 0. */
  exitCode?: number | null;
  /** The task attempt's words on a failure; default Cloud Run's "The container exited with an error." */
  message?: string;
  /** The execution never finishes (a hung smoke test): its operation is never done. */
  stuck?: boolean;
}

interface StoredExecution {
  name: string;
  image: string;
  outcome: ExecutionOutcome;
  createTime: string;
  completionTime?: string;
  message?: string;
  exitCode?: number | null;
  /** The task attempt's status message (a failed attempt). */
  taskMessage?: string;
}

interface RunOperation {
  name: string;
  job: StoredJob;
  execution: StoredExecution;
  outcome: JobOutcome;
  pollsLeft: number;
  done: boolean;
  startedMs: number;
}

interface StoredJob {
  key: JobKey;
  name: string;
  uid: string;
  image: string;
  createTime: string;
  executions: StoredExecution[];
  outcome: JobOutcome;
}

export const jobName = (k: JobKey) => `projects/${k.project}/locations/${k.region}/jobs/${k.job}`;

const COMPLETION: Record<ExecutionOutcome, string> = {
  succeeded: 'EXECUTION_SUCCEEDED',
  failed: 'EXECUTION_FAILED',
  cancelled: 'EXECUTION_CANCELLED',
  running: 'EXECUTION_RUNNING',
};

const CONTAINER_ERROR = 'The container exited with an error.';

const taskId = (e: { name: string }) => `${e.name}-task0`;

export class JobStore {
  private readonly jobs = new Map<string, StoredJob>();
  private readonly operations = new Map<string, RunOperation>();
  private count = 0;
  private readonly now: () => Date;
  /** The services' settings, so a run's operation ends like an update's (see ServiceStore). */
  private readonly timing: { operationPolls: number; operationMs: number };

  constructor(now: () => Date, timing: { operationPolls: number; operationMs: number }) {
    this.now = now;
    this.timing = timing;
  }

  clear() {
    this.jobs.clear();
    this.operations.clear();
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
      outcome: {},
    });
  }

  setOutcome(key: JobKey, outcome: JobOutcome): void {
    this.get(jobName(key)).outcome = { ...outcome };
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
      ...(seed.exitCode !== undefined
        ? { exitCode: seed.exitCode }
        : finished && seed.outcome !== 'cancelled'
          ? { exitCode: seed.outcome === 'succeeded' ? 0 : 1 }
          : {}),
    });
    return name;
  }

  /** POST jobs/J:run: a running execution, and the Operation that ends with it. */
  run(name: string): RunOperation {
    const job = this.get(name);
    const executionName = this.addExecution(job.key, { outcome: 'running' });
    const execution = job.executions.find((e) => e.name === executionName) as StoredExecution;
    const operation: RunOperation = {
      name: `projects/${job.key.project}/locations/${job.key.region}/operations/${randomUUID()}`,
      job,
      execution,
      outcome: { ...job.outcome },
      pollsLeft: job.outcome.stuck ? Number.POSITIVE_INFINITY : this.timing.operationPolls,
      done: false,
      startedMs: this.now().getTime(),
    };
    this.operations.set(operation.name, operation);
    if (operation.pollsLeft <= 0) this.finish(operation);
    return operation;
  }

  hasOperation(name: string): boolean {
    return this.operations.has(name);
  }

  /** GET operations/ID: one poll; the run finishes on its Nth poll. */
  poll(name: string): RunOperation {
    const operation = this.operations.get(name);
    if (!operation) throw new TwinError(404, `Operation '${name}' does not exist.`);
    if (!operation.done) {
      operation.pollsLeft -= 1;
      if (operation.pollsLeft <= 0) this.finish(operation);
    }
    return operation;
  }

  private finish(operation: RunOperation) {
    operation.done = true;
    const { execution, outcome } = operation;
    const exitCode = outcome.exitCode === undefined ? 0 : outcome.exitCode;
    execution.completionTime = this.now().toISOString();
    execution.exitCode = exitCode;
    if (exitCode === 0) {
      execution.outcome = 'succeeded';
      return;
    }
    execution.outcome = 'failed';
    execution.taskMessage = outcome.message ?? CONTAINER_ERROR;
    execution.message = `Task ${taskId(execution)} failed with message: ${execution.taskMessage}`;
  }

  /** Runs Cloud Run would have finished by now without anyone polling (read with the job). */
  private finishDue(job: StoredJob) {
    const due = this.now().getTime() - this.timing.operationMs;
    for (const operation of this.operations.values()) {
      const stuck = operation.pollsLeft === Number.POSITIVE_INFINITY;
      if (operation.job === job && !operation.done && !stuck && operation.startedMs <= due)
        this.finish(operation);
    }
  }

  operationJson(operation: RunOperation): Record<string, unknown> {
    const { job, execution } = operation;
    const body = { '@type': EXECUTION_TYPE, ...this.executionJson(job.name, execution) };
    if (!operation.done) return { name: operation.name, metadata: body, done: false };
    if (execution.outcome === 'failed') {
      // FAILED_PRECONDITION is our pick: the code Cloud Run gives here is not documented.
      return {
        name: operation.name,
        metadata: body,
        done: true,
        error: { code: 9, message: execution.message },
      };
    }
    return { name: operation.name, metadata: body, done: true, response: body };
  }

  get(name: string): StoredJob {
    const job = this.jobs.get(name);
    if (job) {
      this.finishDue(job);
      return job;
    }
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

  /** The execution's one task (index 0), as GET .../executions/E/tasks lists it. */
  taskJson(jobPath: string, e: StoredExecution): Record<string, unknown> {
    const job = this.get(jobPath);
    const path = `${job.name}/executions/${e.name}`;
    const finished = e.outcome !== 'running';
    const failed = e.outcome === 'failed';
    const attempted = finished && e.exitCode !== undefined;
    const status = failed ? { code: 2, message: e.taskMessage ?? e.message ?? CONTAINER_ERROR } : {};
    const exit = e.exitCode ? { exitCode: e.exitCode } : {}; // 0 and null are left off the wire
    return {
      name: `${path}/tasks/${taskId(e)}`,
      uid: randomUUID(),
      generation: '1',
      createTime: e.createTime,
      startTime: e.createTime,
      ...(e.completionTime ? { completionTime: e.completionTime } : {}),
      job: job.key.job,
      execution: e.name,
      containers: [{ image: e.image }],
      maxRetries: 3,
      timeout: '600s',
      reconciling: !finished,
      conditions: [
        {
          type: 'Completed',
          lastTransitionTime: e.completionTime ?? e.createTime,
          state: !finished
            ? 'CONDITION_RECONCILING'
            : e.outcome === 'succeeded'
              ? 'CONDITION_SUCCEEDED'
              : 'CONDITION_FAILED',
          ...(failed ? { message: status.message } : {}),
        },
      ],
      observedGeneration: '1',
      index: 0,
      retried: failed ? 3 : 0,
      ...(attempted ? { lastAttemptResult: { status, ...exit } } : {}),
      logUri: `https://console.cloud.google.com/logs/viewer?project=${job.key.project}&resource=cloud_run_job/job_name/${job.key.job}`,
      etag: `"${taskId(e)}"`,
    };
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
