import { type Job, Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { closeRedis } from '../store/index.ts';
import type { RunbookEvent, Timer } from './types.ts';

// The runbooks' timers (gate ticks, approval expiry, effect retries) as BullMQ delayed jobs on the same
// Redis as the store. A job id is deterministic, `${rolloutId}:${timer}:${key}`, so scheduling the same
// timer twice (a redriven effect, two replicas performing the same step) leaves one job. Any replica's
// worker may run a job; one whose replica died mid-run is picked up again after BullMQ's stalled check.
// Jobs are removed once they ran, so the id is free for the timer's next occurrence.

/** What a timer job carries: the event to feed back through the executor when it fires. */
export interface TimerJob {
  rolloutId: string;
  /** Unique per occurrence (the job id and the time it was due): the executor drops a second delivery. */
  eventId: string;
  event: RunbookEvent;
}

export type TimerHandler = (job: TimerJob, jobId: string) => Promise<void>;

export interface SchedulerOptions {
  /** For adding and removing jobs; created with `createRedis(url, { maxRetriesPerRequest: null })`. */
  connection: Redis;
  /** The worker's own connection (BullMQ duplicates it for its blocking reads). Default: a duplicate of `connection`. */
  workerConnection?: Redis;
  /** The store prefix (`shiftgate:`); BullMQ keys become `${prefix}${queueName}:...`. */
  prefix: string;
  queueName?: string;
  /** Timer jobs one replica runs at once; default 64 (a job mostly waits on gates and Cloud Run). */
  concurrency?: number;
  /** How long a running job's lock lasts before another replica may take it over; default 30 s (renewed while alive). */
  lockDurationMs?: number;
  /** How often stalled jobs (their replica died) are looked for; default 30 s. */
  stalledIntervalMs?: number;
  /** Attempts of a job whose handler threw (Redis unreachable); default 5, 1 s backoff doubling. */
  attempts?: number;
  now?: () => number;
}

export interface Scheduler {
  /**
   * Adds the timer as a delayed job due at `at` (ISO). Returns the job id. `avoid` is the id of the job
   * running now, if any: a timer rescheduled from its own job would otherwise collapse into itself.
   */
  schedule(
    rolloutId: string,
    timer: Timer,
    key: string,
    at: string,
    event: RunbookEvent,
    avoid?: string,
  ): Promise<string>;
  /** Removes the timer if it is pending (one running now, or already run, is left alone). */
  cancel(rolloutId: string, timer: Timer, key: string): Promise<void>;
  /** Starts this replica's worker; jobs due are handed to `handler`. */
  start(handler: TimerHandler): void;
  /** Stops the worker after its running jobs (or at once with force) and closes the queue. */
  close(force?: boolean): Promise<void>;
  /** For tests and the benchmark: the queue. */
  readonly queue: Queue;
}

export const DEFAULT_QUEUE_NAME = 'runbook-timers';

/** BullMQ accepts a custom id with ':' only as exactly three parts; ids and timers never hold one. */
export function timerJobId(rolloutId: string, timer: Timer, key: string): string {
  return `${rolloutId}:${timer}:${key.replace(/:/g, '.')}`;
}

export function createScheduler(options: SchedulerOptions): Scheduler {
  const queueName = options.queueName ?? DEFAULT_QUEUE_NAME;
  // BullMQ joins prefix and queue name with ':'; the store prefix already ends with one.
  const prefix = options.prefix.replace(/:$/, '');
  const now = options.now ?? Date.now;
  const attempts = options.attempts ?? 5;
  const queue = new Queue<TimerJob>(queueName, {
    connection: options.connection,
    prefix,
    streams: { events: { maxLen: 1000 } },
  });
  // BullMQ emits 'error' on connection trouble; without a listener Node would throw it. The commands that
  // failed reject on their own and are handled where they were made.
  queue.on('error', () => {});
  let worker: Worker<TimerJob> | undefined;
  let duplicated: Redis | undefined;

  return {
    queue,

    async schedule(rolloutId, timer, key, at, event, avoid) {
      let jobId = timerJobId(rolloutId, timer, key);
      const due = Date.parse(at);
      if (Number.isNaN(due)) throw new TypeError(`timer ${jobId}: invalid time ${JSON.stringify(at)}`);
      // The running job still holds its id until it finishes: a timer rescheduled under the same key from
      // inside it gets a distinct id rather than collapsing into the job that is about to end.
      if (jobId === avoid) jobId = `${jobId}.again`;
      await queue.add(
        timer,
        { rolloutId, eventId: `${jobId}@${at}`, event },
        {
          jobId,
          delay: Math.max(0, due - now()),
          removeOnComplete: true,
          removeOnFail: true,
          attempts,
          backoff: { type: 'exponential', delay: 1000 },
        },
      );
      return jobId;
    },

    async cancel(rolloutId, timer, key) {
      const jobId = timerJobId(rolloutId, timer, key);
      // remove() answers 0 for a locked (running) job, which is left to finish: the runbook refuses its event.
      await Promise.all([queue.remove(jobId), queue.remove(`${jobId}.again`)]);
    },

    start(handler) {
      if (worker) return;
      if (!options.workerConnection) duplicated = options.connection.duplicate();
      const connection = options.workerConnection ?? (duplicated as Redis);
      worker = new Worker<TimerJob>(
        queueName,
        async (job: Job<TimerJob>) => handler(job.data, job.id ?? ''),
        {
          connection,
          prefix,
          concurrency: options.concurrency ?? 64,
          lockDuration: options.lockDurationMs ?? 30_000,
          stalledInterval: options.stalledIntervalMs ?? 30_000,
          // A job whose replica died twice in a row is more likely a poison job than bad luck.
          maxStalledCount: 2,
        },
      );
      worker.on('error', () => {});
    },

    async close(force = false) {
      await worker?.close(force);
      await queue.close();
      if (duplicated) await closeRedis(duplicated);
    },
  };
}
