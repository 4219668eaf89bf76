import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Child, startNodeChild } from '../../sandbox/children.ts';
import { buildOf, type DemoProxy, pick, startProxy } from '../../sandbox/demo/proxy.ts';
import { createCloudRunTwin } from '../../sandbox/twins/cloud-run/index.ts';
import { createLoggingTwin, INSTANT_LOGS } from '../../sandbox/twins/logging/index.ts';
import { createMonitoringTwin, INSTANT_DATA } from '../../sandbox/twins/monitoring/index.ts';
import { sseContractGate } from '../../src/config/gates.ts';
import { createSseContractGate } from '../../src/gates/providers/sse-contract.ts';
import type { GateContext } from '../../src/gates/result.ts';

// The sandbox's traffic proxy in front of the demo service's two builds (real processes): it routes by the
// Cloud Run twin's split of the moment and by tag URL, runs the build a revision's image tag names, and
// reports every answer to the Monitoring twin (and each 5xx to Logging) under the revision that served it.

const key = { project: 'shiftgate-sandbox', region: 'us-central1', service: 'demo' };
const image = 'us-central1-docker.pkg.dev/shiftgate-sandbox/demo/demo';

let dir: string;
let builds: Child<{ origin: string }>[] = [];
let proxy: DemoProxy;
const cloudRun = createCloudRunTwin({ baseUrl: 'http://run.twin', operationPolls: 0 });
const monitoring = createMonitoringTwin({ ...key, location: key.region, ...INSTANT_DATA });
const logging = createLoggingTwin({ ...key, location: key.region, ...INSTANT_LOGS });
let stable: string;
let bad: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'shiftgate-proxy-'));
  const app = fileURLToPath(new URL('../../sandbox/demo/app.ts', import.meta.url));
  builds = await Promise.all(
    (['good', 'bad'] as const).map((build) =>
      startNodeChild<{ origin: string }>(app, [build], {
        env: { PATH: process.env.PATH },
        logFile: join(dir, `${build}.log`),
      }),
    ),
  );
  proxy = await startProxy({
    cloudRun,
    service: key,
    builds: { good: builds[0]?.line.origin as string, bad: builds[1]?.line.origin as string },
    monitoring,
    logging,
  });
  stable = cloudRun.seedService({ ...key, image: `${image}:v1`, urls: (tag) => proxy.url(tag) })
    .latestReadyRevision as string;
  bad = cloudRun.seedRevision(key, { image: `${image}:bad`, name: 'demo-bad-abc123' });
}, 30_000);

afterAll(async () => {
  await proxy?.stop();
  await Promise.all(builds.map((b) => b.stop()));
  await rm(dir, { recursive: true, force: true });
});

const servedBy = async (url: string, n: number) => {
  const by: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const response = await fetch(url);
    await response.arrayBuffer();
    const revision = response.headers.get('x-served-by') ?? `status ${response.status}`;
    by[revision] = (by[revision] ?? 0) + 1;
  }
  return by;
};

describe('pick', () => {
  it('draws revisions in proportion to their percent, never one at 0 %', () => {
    const split = { a: 90, b: 10, c: 0 };
    const counts: Record<string, number> = { a: 0, b: 0, c: 0 };
    for (let i = 0; i < 1000; i++) {
      const revision = pick(split, i / 1000) as string;
      counts[revision] = (counts[revision] ?? 0) + 1;
    }
    expect(counts).toEqual({ a: 900, b: 100, c: 0 });
    expect(pick({})).toBeUndefined();
  });

  it('runs the bad build for the image tag `bad` only', () => {
    expect(buildOf(`${image}:bad`)).toBe('bad');
    expect(buildOf(`${image}:good`)).toBe('good');
    expect(buildOf(`${image}:bad-fix`)).toBe('good');
  });
});

describe('the demo proxy', () => {
  it('reports its own URLs through the twin, as Cloud Run reports the service and tag URLs', () => {
    cloudRun.setTraffic(key, [
      { revision: stable, percent: 100 },
      { revision: bad, percent: 0, tag: 'canary' },
    ]);
    const view = cloudRun.service(key);
    expect(view.url).toBe(proxy.origin);
    expect(view.trafficStatuses.find((t) => t.tag === 'canary')?.uri).toBe(`${proxy.origin}/_tag/canary`);
  });

  it('serves a tag URL from the tagged revision, and the service URL by the split of the moment', async () => {
    cloudRun.setTraffic(key, [
      { revision: stable, percent: 100 },
      { revision: bad, percent: 0, tag: 'canary' },
    ]);
    const health = await fetch(`${proxy.url('canary')}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ ok: true, build: 'bad', revision: bad });
    expect(await servedBy(proxy.url(), 20)).toEqual({ [stable]: 20 });

    cloudRun.setTraffic(key, [{ revision: bad, percent: 100, tag: 'canary' }]);
    const by = await servedBy(proxy.url(), 20);
    expect(Object.keys(by)).toEqual([bad]);
    expect((await fetch(`${proxy.url('nope')}/healthz`)).status).toBe(404);
  });

  it("feeds Monitoring each answer's status and latency under its revision, and Logging each 5xx", async () => {
    proxy.flush();
    monitoring.reset();
    logging.reset();
    cloudRun.setTraffic(key, [{ revision: bad, percent: 100, tag: 'canary' }]);
    const statuses = await Promise.all(
      Array.from({ length: 40 }, async () => {
        const response = await fetch(`${proxy.url()}/api/items`);
        await response.arrayBuffer();
        return response.status;
      }),
    );
    const errors = statuses.filter((status) => status >= 500).length;
    proxy.flush(); // batches reach the twin once a second; at once here
    const batches = monitoring.batches();
    expect(batches.reduce((sum, b) => sum + b.count, 0)).toBe(40);
    expect(new Set(batches.map((b) => b.revision))).toEqual(new Set([bad]));
    expect(batches.filter((b) => b.status >= 500).reduce((sum, b) => sum + b.count, 0)).toBe(errors);
    // The bad build answers 300 ms slower than the good one's 10-30 ms.
    const latencies = batches.flatMap((b) => b.latencies.map(([ms]) => ms));
    expect(Math.min(...latencies)).toBeGreaterThanOrEqual(300);
    expect(logging.entries()).toHaveLength(errors);
    // What the page's header shows: the last 10 s, so the requests of the test before may be in it too.
    const shown = proxy.traffic().find((r) => r.revision === bad);
    expect(shown).toMatchObject({ build: 'bad', percent: 100, tags: ['canary'] });
    expect(shown?.requests).toBeGreaterThanOrEqual(40);
    expect(shown?.errors5xx).toBeGreaterThanOrEqual(errors);
  }, 30_000);
});

describe('the chat stream through the proxy', () => {
  const gate = sseContractGate.parse({ kind: 'sse-contract', path: '/api/chats/t-1/stream', timeout: '10s' });
  const context = (canaryUrl: string): GateContext => ({
    ...key,
    publicUrl: proxy.url(),
    canaryUrl,
    stableRevision: stable,
    canaryRevision: bad,
    canaryShare: 0,
    window: { start: new Date(), end: new Date() },
    alpha: 0.01,
    now: () => new Date(),
  });

  it("passes on the revision's headers and stream: the contract holds on stable's URL, breaks on the bad tag", async () => {
    cloudRun.setTraffic(key, [
      { revision: stable, percent: 100 },
      { revision: bad, percent: 0, tag: 'canary' },
    ]);
    const contract = createSseContractGate();
    const good = await contract.evaluate(
      'chat-stream',
      { ...gate, target: 'public' },
      context(proxy.url('canary')),
    );
    expect({ status: good.status, reason: good.reason }).toMatchObject({ status: 'pass' });
    const broken = await contract.evaluate('chat-stream', gate, context(proxy.url('canary')));
    expect(broken).toMatchObject({
      status: 'fail',
      reason: expect.stringMatching(/^missing "finish-step" .*; 2 \[DONE\] markers/),
    });

    const response = await fetch(`${proxy.url()}/api/chat/stream`, { method: 'POST' });
    expect(response.headers.get('x-vercel-ai-ui-message-stream')).toBe('v1');
    expect(response.headers.get('x-served-by')).toBe(stable);
    expect(response.headers.get('connection')).not.toBe('close');
    await response.arrayBuffer();
  });
});
