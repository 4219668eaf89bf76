import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { createLoggingTwin } from '../../sandbox/twins/logging/index.ts';
import { gate as gateSchema } from '../../src/config/gates.ts';
import { createGateRegistry } from '../../src/gates/registry.ts';
import type { GateResult } from '../../src/gates/result.ts';
import {
  createCloudLogging,
  createRequestErrorSource,
  requestErrorFilter,
} from '../../src/platform/logging/index.ts';
import { PlatformError } from '../../src/runbooks/ports/errors.ts';
import { gateContext } from '../helpers/gate-context.ts';
import { useTwins } from '../helpers/msw.ts';

// 5xx per revision from Cloud Run's request logs, through the real @google-cloud/logging client against
// the Logging twin with its ingestion latency and its read quota (60 entries.list a minute per project),
// on a simulated clock: the twin and the source share it, and the source's waits advance it.

let clock = Date.parse('2026-11-20T10:00:00Z');
const T0 = clock;
const twin = createLoggingTwin({ project: 'p', service: 'svc', location: 'us-central1', now: () => clock });
useTwins(...twin.handlers);

const target = { projectId: 'p', endpoint: { host: 'logging.twin', port: 80, protocol: 'http' as const } };
const logging = createCloudLogging({ target, timeoutMs: 5_000, retryDelayMs: 1 });
afterAll(() => logging.close());

const sleep = async (ms: number) => {
  clock += Math.max(0, ms);
};
/** The simulated time of every entries.list call. */
const calls: number[] = [];
const source = (options: { maxPages?: number } = {}) =>
  createRequestErrorSource({
    list: (...args) => {
      calls.push(clock);
      return logging.listEntries(...args);
    },
    now: () => clock,
    sleep,
    ...options,
  });

const at = (seconds: number) => new Date(T0 + seconds * 1000);
const lists = () => twin.recorder.requests.filter((r) => r.path.includes('/v2/entries:list'));
const filterOf = (index: number) => (lists()[index]?.body as { filter?: string } | undefined)?.filter;
const window = (from: number, to: number) => ({ start: at(from), end: at(to) });

beforeEach(() => {
  twin.reset();
  clock = T0;
  calls.length = 0;
});

describe('the request-log 5xx source', () => {
  it('asks with one query for every revision asked together, 5xx of the request log only, and splits the counts', async () => {
    twin.recordRequest('svc-a', { status: 500, at: at(1) });
    twin.recordRequest('svc-a', { status: 503, at: at(2) });
    twin.recordRequest('svc-a', { status: 200, at: at(2) });
    twin.recordRequest('svc-b', { status: 502, at: at(3) });
    twin.recordRequest('svc-c', { status: 500, at: at(4) });
    twin.recordRequest('svc-c', { status: 404, at: at(4) });
    // an application log line with a status field is not a request log line
    twin.addEntry('svc-a', { timestamp: at(2), jsonPayload: { status: 500 } });
    clock = T0 + 30_000;
    const errors = source();
    const [ab, c] = await Promise.all([
      errors.count5xx({ project: 'p', service: 'svc', revisions: ['svc-a', 'svc-b'], window: window(0, 20) }),
      errors.count5xx({ project: 'p', service: 'svc', revisions: ['svc-c'], window: window(0, 20) }),
    ]);
    expect(ab.counts).toEqual({ 'svc-a': 2, 'svc-b': 1 });
    expect(c.counts).toEqual({ 'svc-c': 1 });
    expect(lists()).toHaveLength(1);
    const filter = filterOf(0);
    expect(filter).toBe(
      'logName="projects/p/logs/run.googleapis.com%2Frequests" AND resource.type="cloud_run_revision"' +
        ' AND resource.labels.revision_name=("svc-a" OR "svc-b" OR "svc-c") AND httpRequest.status>=500' +
        ' AND timestamp>="2026-11-20T10:00:00.000Z" AND timestamp<"2026-11-20T10:00:20.000Z"',
    );
    expect(filter).toBe(requestErrorFilter('p', ['svc-a', 'svc-b', 'svc-c'], T0, T0 + 20_000));
    expect(ab.filter).toBe(filter);
    expect(ab.complete).toBe(true);
  });

  it('answers from the last read within the gap, then reads only what is new', async () => {
    const errors = source();
    twin.recordRequest('svc-a', { status: 500, at: at(1) });
    clock = T0 + 10_000;
    const first = await errors.count5xx({
      project: 'p',
      service: 'svc',
      revisions: ['svc-a'],
      window: window(0, 8),
    });
    expect(first.counts['svc-a']).toBe(1);
    twin.recordRequest('svc-a', { status: 500, at: at(9) });
    clock += 1_000;
    // within the gap: the same read answers, its count ending where that read did
    const cached = await errors.count5xx({
      project: 'p',
      service: 'svc',
      revisions: ['svc-a'],
      window: window(0, 9.5),
    });
    expect(cached.counts['svc-a']).toBe(1);
    expect(cached.through.toISOString()).toBe(at(8).toISOString());
    expect(lists()).toHaveLength(1);
    clock = T0 + 20_000;
    const later = await errors.count5xx({
      project: 'p',
      service: 'svc',
      revisions: ['svc-a'],
      window: window(0, 15),
    });
    expect(later.counts['svc-a']).toBe(2);
    expect(lists()).toHaveLength(2);
    expect(filterOf(1)).toContain(
      'timestamp>="2026-11-20T10:00:08.000Z" AND timestamp<"2026-11-20T10:00:15.000Z"',
    );
  });

  it('counts only what Logging has received: an ask ending the ingestion latency before now misses nothing', async () => {
    clock = T0 + 10_000;
    twin.recordRequest('svc-a', { status: 500, at: at(9) }); // readable from 14 s (5 s ingestion latency)
    const early = await source().count5xx({
      project: 'p',
      service: 'svc',
      revisions: ['svc-a'],
      window: window(0, 9.5),
    });
    expect(early.counts['svc-a']).toBe(0);
    // The gate asks up to now minus its lag (5 s): reads at 10 s and 16 s together count it once.
    const errors = source();
    const first = await errors.count5xx({
      project: 'p',
      service: 'svc',
      revisions: ['svc-a'],
      window: window(0, 5),
    });
    expect(first.counts['svc-a']).toBe(0);
    clock = T0 + 16_000;
    const second = await errors.count5xx({
      project: 'p',
      service: 'svc',
      revisions: ['svc-a'],
      window: window(0, 10),
    });
    expect(second.counts['svc-a']).toBe(1);
  });

  it('stops at the page bound where a whole timestamp ends, says so, and goes on from there', async () => {
    for (let i = 0; i < 2_500; i++) twin.recordRequest('svc-a', { status: 500, at: T0 + i * 10 });
    clock = T0 + 60_000;
    const errors = source({ maxPages: 1 });
    const first = await errors.count5xx({
      project: 'p',
      service: 'svc',
      revisions: ['svc-a'],
      window: window(0, 50),
    });
    expect(first.complete).toBe(false);
    expect(first.counts['svc-a']).toBe(999);
    expect(first.through.toISOString()).toBe(new Date(T0 + 9_990).toISOString());
    clock += 10_000;
    const second = await errors.count5xx({
      project: 'p',
      service: 'svc',
      revisions: ['svc-a'],
      window: window(0, 50),
    });
    expect(second.counts['svc-a']).toBe(1_998);
    clock += 10_000;
    const third = await errors.count5xx({
      project: 'p',
      service: 'svc',
      revisions: ['svc-a'],
      window: window(0, 50),
    });
    expect(third).toMatchObject({ complete: true, counts: { 'svc-a': 2_500 } });
  });

  it('says permission denied when the logs are not readable', async () => {
    twin.recorder.inject({ match: 'entries:list', status: 403 });
    clock = T0 + 10_000;
    const failed = source().count5xx({
      project: 'p',
      service: 'svc',
      revisions: ['svc-a'],
      window: window(0, 5),
    });
    await expect(failed).rejects.toBeInstanceOf(PlatformError);
    await expect(failed).rejects.toMatchObject({ kind: 'permission-denied' });
  });

  it('keeps 20 rollouts of one project reading every 10 s within the read quota', async () => {
    const errors = source();
    const gates = createGateRegistry({ errorCounts: errors });
    const gate = gateSchema.parse({
      kind: 'cloud-monitoring',
      metric: 'error-rate',
      belowPercent: 1,
      minRequests: 20,
    });
    // 20 services' rollouts at 5 %, each starting its stage 3 s after the one before, each reading its
    // fast signal every 10 s for three minutes, while both revisions of each serve some 5xx.
    const rollouts = Array.from({ length: 20 }, (_, i) => ({
      canary: `svc${i}-00002-new`,
      stable: `svc${i}-00001-old`,
      start: T0 + i * 3_000,
      next: T0 + i * 3_000 + 10_000,
    }));
    const results: GateResult[] = [];
    const end = T0 + 180_000;
    let written = T0;
    while (clock < end) {
      for (; written < clock; written += 1_000) {
        for (const r of rollouts) {
          if (written < r.start) continue;
          twin.recordRequest(r.stable, { status: 500, at: written, service: r.stable.split('-')[0] });
          if (written % 20_000 === 0)
            twin.recordRequest(r.canary, { status: 500, at: written, service: r.canary.split('-')[0] });
        }
      }
      const due = rollouts.filter((r) => r.next <= clock);
      const now = new Date(clock);
      const answers = await Promise.all(
        due.map((r) =>
          gates.evaluateFast(
            'error-rate',
            gate,
            gateContext({
              project: 'p',
              service: r.canary.split('-')[0] as string,
              canaryRevision: r.canary,
              stableRevision: r.stable,
              window: { start: new Date(r.start), end: now },
              now: () => now,
            }),
          ),
        ),
      );
      for (const r of due) r.next += 10_000;
      results.push(...answers.filter((a): a is GateResult => a !== undefined));
      clock += 1_000;
    }
    // 20 rollouts x 6 reads a minute = 120 asks a minute; within 60 entries.list calls in every minute
    expect(results.length).toBeGreaterThan(250);
    // every answer judged (no 429, no error), none a false alarm (each canary draws its share of 5xx)
    expect(results.filter((r) => !r.reason?.startsWith('no regression shown yet'))).toEqual([]);
    expect(results.at(-1)?.samples).toBeGreaterThan(50);
    expect(lists()).toHaveLength(calls.length);
    const perMinute = new Map<number, number>();
    for (const call of calls) {
      const minute = Math.floor(call / 60_000);
      perMinute.set(minute, (perMinute.get(minute) ?? 0) + 1);
    }
    // one read every 5 s at most: about 12 calls a minute where one call per revision per ask would be ~200
    expect(Math.max(...perMinute.values())).toBeLessThanOrEqual(13);
    expect(errors.stats().reads).toBeLessThanOrEqual(Math.ceil(180 / 5) + 20);
  });
});
