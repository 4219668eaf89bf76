import { afterAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { createCloudRunTwin } from '../../sandbox/twins/cloud-run/index.ts';
import { CloudRunAdapter, type CloudRunOptions } from '../../src/platform/cloud-run/index.ts';
import { PlatformError } from '../../src/runbooks/ports/errors.ts';
import { useTwins } from '../helpers/msw.ts';

// Every failure the issue lists, each produced by the twin and read through the real client.

const twin = createCloudRunTwin();
useTwins(...twin.handlers);
const { routes } = twin;

/** Pauses the adapter asked for (retry backoff and operation polls), taken at once. */
const pauses: number[] = [];
const adapters: CloudRunAdapter[] = [];
function adapter(options: Partial<CloudRunOptions> = {}) {
  const made = new CloudRunAdapter({
    google: { projectId: 'p', endpoint: twin.endpoint },
    pollMs: 2,
    maxPollMs: 5,
    operationTimeoutMs: 2_000,
    backoffMs: (retry) => 100 * retry,
    sleep: async (ms) => {
      pauses.push(ms);
      await new Promise((resolve) => setImmediate(resolve));
    },
    ...options,
  });
  adapters.push(made);
  return made;
}
const cloudRun = adapter();
afterAll(() => Promise.all(adapters.map((a) => a.close())));

const ref = { project: 'p', region: 'us-central1', service: 'control' };
let stable = '';
let canary = '';
beforeEach(() => {
  twin.reset();
  pauses.length = 0;
  stable = twin.seedService({ ...ref, image: 'control:v1' }).latestReadyRevision as string;
  canary = twin.seedRevision(ref, { image: 'control:v2' });
});

/** The PlatformError a promise rejects with. */
async function failureOf(promise: Promise<unknown>): Promise<PlatformError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(PlatformError);
  expect((error as PlatformError).system).toBe('cloud-run');
  return error as PlatformError;
}

const count = (method: string, pattern: RegExp) =>
  twin.recorder.requests.filter((r) => r.method === method && pattern.test(r.path.split('?')[0] as string))
    .length;
const PATCHES = /\/services\/control$/;

describe('not found', () => {
  it('names a missing service', async () => {
    const error = await failureOf(cloudRun.describe({ ...ref, service: 'ghost' }));
    expect(error.kind).toBe('not-found');
    expect(error.message).toContain("Cloud Run service 'ghost' (project p, region us-central1) not found");
    expect(error.message).toContain("Resource 'ghost' of kind 'SERVICE'");
  });

  it('names a missing revision and changes nothing', async () => {
    const error = await failureOf(
      cloudRun.setSplit(ref, { stable, canary: 'control-09999-zzz', canaryPercent: 5 }),
    );
    expect(error.kind).toBe('not-found');
    expect(error.message).toContain("revision 'control-09999-zzz' of Cloud Run service 'control' not found");
    expect(count('PATCH', PATCHES)).toBe(0);

    const rollback = await failureOf(cloudRun.rollbackTo(ref, 'control-09999-zzz'));
    expect(rollback.kind).toBe('not-found');
    expect(twin.service(ref).split).toEqual({ [stable]: 100 });
  });

  it('names a missing service before its revisions', async () => {
    const error = await failureOf(cloudRun.rollbackTo({ ...ref, service: 'ghost' }, stable));
    expect(error.message).toContain("Cloud Run service 'ghost'");
  });
});

it('permission denied names the resource and the permission', async () => {
  twin.recorder.inject({ match: routes.updateService(ref), status: 403 });
  const error = await failureOf(cloudRun.setSplit(ref, { stable, canary, canaryPercent: 5 }));
  expect(error.kind).toBe('permission-denied');
  expect(error.message).toContain("Permission 'run.services.update' denied on resource");
  expect(count('PATCH', PATCHES)).toBe(1); // not retried
});

describe('etag conflicts', () => {
  it('re-reads and retries the read-modify-write, then succeeds', async () => {
    twin.recorder.inject({ match: routes.updateService(ref), kind: 'etag-conflict', times: 2 });
    await cloudRun.setSplit(ref, { stable, canary, canaryPercent: 5 });
    expect(twin.service(ref).split).toEqual({ [stable]: 95, [canary]: 5 });
    const patches = twin.recorder.requests.filter((r) => r.method === 'PATCH');
    expect(patches).toHaveLength(3);
    const etags = patches.map((p) => (p.body as { etag: string }).etag);
    expect(new Set(etags).size).toBe(3); // each attempt carried the etag it had just read
  });

  it('gives up after the bounded attempts with a conflict error', async () => {
    twin.recorder.inject({ match: routes.updateService(ref), kind: 'etag-conflict', times: 3 });
    const error = await failureOf(cloudRun.setSplit(ref, { stable, canary, canaryPercent: 5 }));
    expect(error.kind).toBe('conflict');
    expect(error.message).toMatch(/etag changed under each of 3 read-modify-write attempts/);
    expect(count('PATCH', PATCHES)).toBe(3);
    expect(twin.service(ref).split).toEqual({ [stable]: 100 });
  });
});

describe('long-running operations', () => {
  it('polls until the operation is done', async () => {
    twin.setOperationPolls(4);
    const deployed = await cloudRun.deployNoTraffic(ref, { image: 'control:v3' });
    expect(count('GET', /\/operations\//)).toBe(4);
    expect(twin.service(ref).tags).toEqual({ canary: deployed.revision });
  });

  it('carries the message of a failed operation, and the served traffic stays', async () => {
    const message =
      "Revision 'control-00002-abc' is not ready and cannot serve traffic. The container failed to start.";
    twin.recorder.inject({ match: routes.updateService(ref), kind: 'operation-failed', message });
    const error = await failureOf(cloudRun.deployNoTraffic(ref, { image: 'control:broken' }));
    expect(error.kind).toBe('operation-failed');
    expect(error.message).toContain(message);
    expect(twin.service(ref).split).toEqual({ [stable]: 100 });
  });

  it('times out when the operation is not done within the bound', async () => {
    const impatient = adapter({ operationTimeoutMs: 60, pollMs: 5, maxPollMs: 5, sleep: undefined });
    twin.recorder.inject({ match: routes.updateService(ref), kind: 'operation-stuck' });
    const error = await failureOf(impatient.setSplit(ref, { stable, canary, canaryPercent: 5 }));
    expect(error.kind).toBe('timeout');
    expect(error.message).toMatch(
      /operation projects\/p\/locations\/us-central1\/operations\/\S+ not done after 60 ms/,
    );
    expect(count('GET', /\/operations\//)).toBeGreaterThanOrEqual(1);
  });

  it('a caller that died after its update leaves Cloud Run to finish it; the next caller waits, writes nothing', async () => {
    twin.setOperationMs(150);
    // The first replica's update goes out, then it never polls again (killed while waiting).
    const dying = adapter({ sleep: () => new Promise(() => {}) });
    void dying.setSplit(ref, { stable, canary, canaryPercent: 5 });
    await vi.waitFor(() => expect(count('PATCH', PATCHES)).toBe(1));
    expect(twin.service(ref).split).toEqual({ [stable]: 100 }); // still reconciling
    // Another replica redrives the same step: the service already asks for that split.
    const next = adapter({ pollMs: 20, maxPollMs: 50, sleep: undefined });
    await next.setSplit(ref, { stable, canary, canaryPercent: 5 });
    expect(twin.service(ref).split).toEqual({ [stable]: 95, [canary]: 5 });
    expect(count('PATCH', PATCHES)).toBe(1);
  });

  it('retries a failed poll', async () => {
    twin.recorder.inject({ match: routes.getOperation(ref), status: 503 });
    await cloudRun.setSplit(ref, { stable, canary, canaryPercent: 5 });
    expect(twin.service(ref).split).toEqual({ [stable]: 95, [canary]: 5 });
  });
});

it('fails verification when Cloud Run reports a split other than the one asked for', async () => {
  twin.recorder.inject({ match: routes.updateService(ref), kind: 'stale-status' });
  const error = await failureOf(cloudRun.setSplit(ref, { stable, canary, canaryPercent: 5 }));
  expect(error.kind).toBe('verify-failed');
  expect(error.message).toContain(
    `expected ${stable}=95%, ${canary}=5%, tag canary->${canary}; Cloud Run reports ${stable}=100%, tag canary->(none)`,
  );
});

describe('rate limits, server errors and slow answers', () => {
  it('waits as long as a 429 asks, then succeeds', async () => {
    twin.recorder.inject({ match: routes.getService(ref), status: 429, retryAfter: 2 });
    const state = await cloudRun.describe(ref);
    expect(state.latestReadyRevision).toBe(stable);
    expect(pauses).toEqual([2_000]);
  });

  it('surfaces a 429 that does not stop as rate-limited', async () => {
    twin.recorder.inject({ match: routes.getService(ref), status: 429, times: 3 });
    const error = await failureOf(cloudRun.describe(ref));
    expect(error.kind).toBe('rate-limited');
    expect(error.message).toContain('after 3 attempts');
  });

  it('retries 5xx with backoff, then surfaces it as unavailable', async () => {
    twin.recorder.inject({ match: routes.getService(ref), status: 503, times: 2 });
    await cloudRun.describe(ref);
    expect(pauses).toEqual([100, 200]);

    pauses.length = 0;
    twin.recorder.inject({ match: routes.getService(ref), status: 500, times: 3 });
    const error = await failureOf(cloudRun.describe(ref));
    expect(error.kind).toBe('unavailable');
    expect(error.message).toContain('after 3 attempts');
    expect(pauses).toEqual([100, 200]);
  });

  it('retries a PATCH that met a 503; the etag keeps a repeat from applying twice', async () => {
    twin.recorder.inject({ match: routes.updateService(ref), status: 503 });
    await cloudRun.setSplit(ref, { stable, canary, canaryPercent: 5 });
    expect(twin.service(ref).split).toEqual({ [stable]: 95, [canary]: 5 });
  });

  it('abandons a slow answer at the call deadline and asks again', async () => {
    const quick = adapter({ callTimeoutMs: 250 }); // long enough for a normal answer on a busy machine
    twin.recorder.inject({ match: routes.getService(ref), delayMs: 1_000 });
    expect((await quick.describe(ref)).latestReadyRevision).toBe(stable);

    twin.recorder.inject({ match: routes.getService(ref), delayMs: 1_000, times: 3 });
    const error = await failureOf(quick.describe(ref));
    expect(error.kind).toBe('timeout');
    // gax names the time left of the 250 ms deadline when it sent the request: 250, or 249 when a
    // millisecond had passed before the send (seen once on a fresh-clone CI run).
    expect(error.message).toMatch(/did not respond within (249|250) milliseconds/);
  });
});

describe('refused before asking Cloud Run', () => {
  it.each([
    [{ canaryPercent: 101 }, 'canary percent must be a whole number from 0 to 100, got 101'],
    [{ canaryPercent: 2.5 }, 'got 2.5'],
    [{ canary: 'same', stable: 'same' }, "stable and canary are the same revision 'same'"],
    [{ tag: 'Not_A_Tag' }, "'Not_A_Tag' is not a valid traffic tag"],
  ])('%o', async (change, message) => {
    const error = await failureOf(cloudRun.setSplit(ref, { stable, canary, canaryPercent: 5, ...change }));
    expect(error.kind).toBe('invalid');
    expect(error.message).toContain(message);
    expect(twin.recorder.requests).toHaveLength(0);
  });

  it('a revision suffix Cloud Run would refuse', async () => {
    const error = await failureOf(cloudRun.deployNoTraffic(ref, { image: 'x', revisionSuffix: 'V1.42' }));
    expect(error.kind).toBe('invalid');
  });
});
