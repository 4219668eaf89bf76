import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createScheduler, type Scheduler, type TimerJob, timerJobId } from '../../src/runbooks/scheduler.ts';
import { closeRedis } from '../../src/store/index.ts';
import { connect, openTestStore, type TestStore } from '../helpers/redis.ts';

// The executor's timers: BullMQ delayed jobs with deterministic ids, so scheduling the same timer twice
// leaves one job; any worker on the prefix runs it once it is due.

let t: TestStore;
let scheduler: Scheduler;
const extra: ReturnType<typeof connect>[] = [];

function open(): Scheduler {
  const connection = connect({ maxRetriesPerRequest: null });
  const workerConnection = connect({ maxRetriesPerRequest: null });
  extra.push(connection, workerConnection);
  return createScheduler({ connection, workerConnection, prefix: t.prefix, lockDurationMs: 1_000 });
}

beforeEach(() => {
  t = openTestStore('timers');
  scheduler = open();
});
afterEach(async () => {
  await scheduler.close(true);
  await Promise.all(extra.splice(0).map(closeRedis));
  await t.cleanup();
});

const tick = (at: string) => ({ type: 'tick' as const, at, stage: 1 });

describe('timers', () => {
  it('have ids BullMQ accepts: rollout, timer, key, with no other colon', () => {
    expect(timerJobId('r1', 'tick', '1:3')).toBe('r1:tick:1.3');
    expect(timerJobId('r1', 'retry', 'deploy:7')).toBe('r1:retry:deploy.7');
  });

  it('collapse when scheduled twice, and cancel', async () => {
    const at = new Date(Date.now() + 60_000).toISOString();
    await scheduler.schedule('r1', 'tick', '1:1', at, tick(at));
    await scheduler.schedule('r1', 'tick', '1:1', at, tick(at));
    await scheduler.schedule('r1', 'approval-expiry', '1:1', at, { type: 'approval-expired', at, stage: 1 });
    const ids = (await scheduler.queue.getDelayed()).map((j) => j.id).sort();
    expect(ids).toEqual(['r1:approval-expiry:1.1', 'r1:tick:1.1']);
    // Rescheduled from inside its own job, a timer gets a distinct id instead of collapsing into it.
    expect(await scheduler.schedule('r1', 'tick', '1:1', at, tick(at), 'r1:tick:1.1')).toBe(
      'r1:tick:1.1.again',
    );
    await scheduler.cancel('r1', 'tick', '1:1');
    await scheduler.cancel('r1', 'tick', '1:1'); // nothing left to cancel: fine
    expect((await scheduler.queue.getDelayed()).map((j) => j.id)).toEqual(['r1:approval-expiry:1.1']);
  });

  it('fire once when due, on whichever replica takes them, carrying an id unique to the occurrence', async () => {
    const other = open();
    const fired: { job: TimerJob; jobId: string; by: string }[] = [];
    scheduler.start(async (job, jobId) => {
      fired.push({ job, jobId, by: 'a' });
    });
    other.start(async (job, jobId) => {
      fired.push({ job, jobId, by: 'b' });
    });
    const due = Date.now() + 200;
    for (let i = 1; i <= 10; i++) {
      const at = new Date(due + i * 10).toISOString();
      await scheduler.schedule(`r${i}`, 'tick', '1:1', at, tick(at));
      await other.schedule(`r${i}`, 'tick', '1:1', at, tick(at)); // the same timer from the other replica
    }
    await vi.waitFor(() => expect(fired).toHaveLength(10), { timeout: 5_000, interval: 20 });
    expect(new Set(fired.map((f) => f.jobId)).size).toBe(10);
    for (const f of fired) {
      expect(f.job.eventId).toBe(`${f.jobId}@${f.job.event.at}`);
      expect(Date.now()).toBeGreaterThanOrEqual(Date.parse(f.job.event.at));
    }
    await other.close(true);
  });
});
