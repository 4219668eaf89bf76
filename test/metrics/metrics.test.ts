import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createCloudRunTwin } from '../../sandbox/twins/cloud-run/index.ts';
import { createSlackTwin } from '../../sandbox/twins/slack/index.ts';
import type { Gate } from '../../src/config/gates.ts';
import { createGateRegistry } from '../../src/gates/registry.ts';
import { createMetrics, type Metrics } from '../../src/metrics/metrics.ts';
import { CloudRunAdapter } from '../../src/platform/cloud-run/index.ts';
import { testConfig } from '../helpers/engine-world.ts';
import { gateContext } from '../helpers/gate-context.ts';
import { useTwins } from '../helpers/msw.ts';
import { openTestStore } from '../helpers/redis.ts';

// The bot's /metrics, read the way Prometheus reads it (the text a scrape gets): gate results counted by
// kind and result, Cloud Run calls timed with their outcome and traffic changes counted, every Slack Web
// API call timed with Slack's error code, and active rollouts by status read from Redis at the scrape.

const cloudRunTwin = createCloudRunTwin();
const slackTwin = createSlackTwin();
useTwins(...cloudRunTwin.handlers, ...slackTwin.handlers);
const db = openTestStore('metrics');
let metrics: Metrics;
let adapter: CloudRunAdapter;
beforeAll(() => {
  adapter = new CloudRunAdapter({
    google: { projectId: 'p', endpoint: cloudRunTwin.endpoint },
    pollMs: 2,
    maxPollMs: 10,
  });
});
beforeEach(() => {
  metrics = createMetrics({ store: db.store });
  cloudRunTwin.reset();
  slackTwin.reset();
});
afterAll(async () => {
  await adapter.close();
  await db.cleanup();
});

/** The value of one sample line of the scrape, e.g. `name{a="b"} 3`. */
async function sample(name: string, labels: Record<string, string>): Promise<number | undefined> {
  const { body } = await metrics.scrape();
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  const line = body.split('\n').find((l) => l.startsWith(`${name}{`) && wanted.every((w) => l.includes(w)));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

describe('metrics', () => {
  it('counts gate evaluations by kind and result', async () => {
    const gates = metrics.gates(
      createGateRegistry({ fetch: async () => new Response('ok', { status: 200 }) }),
    );
    const config = testConfig();
    const healthz = config.gates.healthz as Gate;
    await gates.evaluate('healthz', healthz, gateContext());
    await gates.evaluate('healthz', healthz, gateContext());
    // No Monitoring client: an error, never a fail.
    await gates.evaluate('error-rate', config.gates['error-rate'] as Gate, gateContext());
    expect(await sample('shiftgate_gate_evaluations_total', { kind: 'http', status: 'pass' })).toBe(2);
    expect(
      await sample('shiftgate_gate_evaluations_total', { kind: 'cloud-monitoring', status: 'error' }),
    ).toBe(1);
  });

  it('times Cloud Run calls with their outcome and counts the traffic changes it accepted', async () => {
    const ref = { project: 'p', region: 'us-central1', service: 'web' };
    const stable = cloudRunTwin.seedService({ ...ref, image: 'repo/web:v1' }).latestReadyRevision as string;
    const cloudRun = metrics.port('cloud-run', adapter, ['setSplit', 'rollbackTo']);
    await cloudRun.rollbackTo(ref, stable);
    await expect(cloudRun.describe({ ...ref, service: 'nope' })).rejects.toThrow();
    expect(
      await sample('shiftgate_api_request_duration_seconds_count', {
        api: 'cloud-run',
        method: 'rollbackTo',
        outcome: 'ok',
      }),
    ).toBe(1);
    expect(
      await sample('shiftgate_api_request_duration_seconds_count', {
        api: 'cloud-run',
        method: 'describe',
        outcome: 'not-found',
      }),
    ).toBe(1);
    expect(await sample('shiftgate_traffic_changes_total', { service: 'web', change: 'rollback' })).toBe(1);
  });

  it("times every Slack Web API call, with Slack's error code when it fails", async () => {
    const client = metrics.slackClient(slackTwin.botToken, {
      slackApiUrl: slackTwin.apiUrl,
      retryConfig: { retries: 0 },
    });
    await client.chat.postMessage({ channel: '#deploys', text: 'hello' });
    slackTwin.failNext('chat.update', 'message_not_found');
    await expect(client.chat.update({ channel: '#deploys', ts: '1.2', text: 'x' })).rejects.toThrow();
    const count = (method: string, outcome: string) =>
      sample('shiftgate_api_request_duration_seconds_count', { api: 'slack', method, outcome });
    expect(await count('chat.postMessage', 'ok')).toBe(1);
    expect(await count('chat.update', 'message_not_found')).toBe(1);
  });

  it('reports active rollouts by status, read from Redis at each scrape', async () => {
    const started = async (id: string, service: string, status: string) => {
      const lock = await db.store.locks.acquire(service, 'prod', {
        rolloutId: id,
        author: 'U1',
        reason: 't',
        kind: 'rollout',
      });
      if (!lock.ok) throw new Error('no lock');
      const created = await db.store.rollouts.create({
        id,
        service,
        env: 'prod',
        fencingToken: lock.lock.token,
        status,
      });
      expect(created.ok).toBe(true);
    };
    await started('r1', 'web', 'watching');
    await started('r2', 'api', 'watching');
    await started('r3', 'db', 'rolling-back');
    expect(await sample('shiftgate_rollouts', { status: 'watching' })).toBe(2);
    expect(await sample('shiftgate_rollouts', { status: 'rolling-back' })).toBe(1);
    const { contentType, body } = await metrics.scrape();
    expect(contentType).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(body).toContain('process_cpu_user_seconds_total');
  });
});
