import { beforeEach, describe, expect, it } from 'vitest';
import { createCloudRunTwin } from '../../sandbox/twins/cloud-run/index.ts';
import { useTwins } from '../helpers/msw.ts';

// The twin on its own, in plain REST: it must refuse what Cloud Run refuses, in Cloud Run's words and
// shapes, or adapter tests against it prove nothing.

const twin = createCloudRunTwin({ operationPolls: 0 });
useTwins(...twin.handlers);
beforeEach(() => twin.reset());

const ref = { project: 'p', region: 'us-central1', service: 'control' };
const url = `${twin.baseUrl}/v2/projects/p/locations/us-central1/services/control`;
const LATEST = 'TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST';
const REVISION = 'TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION';

// biome-ignore lint/suspicious/noExplicitAny: raw REST bodies, walked freely by these tests
type Body = Record<string, any>;

async function get(path = url) {
  const response = await fetch(path);
  return { status: response.status, body: (await response.json()) as Body };
}

async function patch(body: Record<string, unknown>) {
  const response = await fetch(url, { method: 'PATCH', body: JSON.stringify(body) });
  return { status: response.status, body: (await response.json()) as Body };
}

/** The service as read, with the given changes: what a read-modify-write sends. */
async function changed(change: (service: Body) => void) {
  const { body } = await get();
  change(body);
  return body;
}

describe('services', () => {
  it('answers a seeded service in the v2 JSON shape', async () => {
    const seeded = twin.seedService({ ...ref, image: 'control:v1' });
    const { status, body } = await get();
    expect(status).toBe(200);
    const revision = `projects/p/locations/us-central1/services/control/revisions/${seeded.latestReadyRevision}`;
    expect(body).toMatchObject({
      name: 'projects/p/locations/us-central1/services/control',
      generation: '1',
      template: { containers: [{ image: 'control:v1' }] },
      traffic: [{ type: LATEST, percent: 100 }],
      trafficStatuses: [{ type: LATEST, revision: seeded.latestReadyRevision, percent: 100 }],
      latestReadyRevision: revision,
      latestCreatedRevision: revision,
      terminalCondition: { type: 'Ready', state: 'CONDITION_SUCCEEDED' },
      reconciling: false,
      etag: seeded.etag,
    });
    expect(body.uri).toMatch(/^https:\/\/control-[a-z0-9]{10}-uc\.a\.run\.app$/);
  });

  it('encodes enums as numbers when the client asks, as the library does', async () => {
    twin.seedService({ ...ref, image: 'control:v1' });
    const { body } = await get(`${url}?$alt=json%3Benum-encoding=int`);
    expect(body.traffic[0].type).toBe(1);
    expect(body.terminalCondition.state).toBe(4);
  });

  it('404s an unknown service in Cloud Run words', async () => {
    const { status, body } = await get();
    expect(status).toBe(404);
    expect(body).toEqual({
      error: {
        code: 404,
        status: 'NOT_FOUND',
        message:
          "Resource 'control' of kind 'SERVICE' in region 'us-central1' in project 'p' does not exist.",
      },
    });
  });

  it('answers an update with an Operation typed as a Service, and moves the etag', async () => {
    const before = twin.seedService({ ...ref, image: 'control:v1' });
    const { status, body } = await patch(
      await changed((s) => (s.template.containers[0].image = 'control:v2')),
    );
    expect(status).toBe(200);
    expect(body.name).toMatch(/^projects\/p\/locations\/us-central1\/operations\/[-0-9a-f]{36}$/);
    expect(body.done).toBe(true);
    expect(body.metadata['@type']).toBe('type.googleapis.com/google.cloud.run.v2.Service');
    expect(body.response['@type']).toBe('type.googleapis.com/google.cloud.run.v2.Service');
    const after = twin.service(ref);
    expect(after.etag).not.toBe(before.etag);
    expect(after.latestReadyRevision).toMatch(/^control-00002-[a-z]{3}$/);
    expect(after.split).toEqual({ [after.latestReadyRevision as string]: 100 }); // LATEST follows
  });

  it('keeps an operation running for the configured number of polls', async () => {
    twin.seedService({ ...ref, image: 'control:v1' });
    twin.setOperationPolls(2);
    const { body: operation } = await patch(
      await changed((s) => (s.template.containers[0].image = 'control:v2')),
    );
    expect(operation.done).toBe(false);
    expect(twin.service(ref).reconciling).toBe(true);
    const poll = () => get(`${twin.baseUrl}/v2/${operation.name}`);
    expect((await poll()).body.done).toBe(false);
    expect((await poll()).body).toMatchObject({ done: true, response: { reconciling: false } });
  });

  it('refuses a stale etag with 409 ABORTED and changes nothing', async () => {
    twin.seedService({ ...ref, image: 'control:v1' });
    const read = await changed((s) => (s.template.containers[0].image = 'control:v2'));
    expect((await patch(read)).status).toBe(200);
    const { status, body } = await patch({ ...read, template: { containers: [{ image: 'control:v3' }] } });
    expect(status).toBe(409);
    expect(body.error.status).toBe('ABORTED');
    expect(twin.service(ref).image).toBe('control:v2');
  });

  it.each([
    [
      'percents not adding to 100',
      [{ type: REVISION, revision: '$stable', percent: 90 }],
      400,
      /add up to 100, got 90/,
    ],
    [
      'an unknown revision',
      [{ type: REVISION, revision: 'control-09999-zzz', percent: 100 }],
      404,
      /control-09999-zzz/,
    ],
    [
      'a tag used twice',
      [
        { type: REVISION, revision: '$stable', percent: 100, tag: 'a' },
        { type: LATEST, percent: 0, tag: 'a' },
      ],
      400,
      /Tag 'a' is used by more than one/,
    ],
    [
      'a LATEST target naming a revision',
      [{ type: 1, revision: '$stable', percent: 100 }],
      400,
      /must not name/,
    ],
    ['a target without a type', [{ revision: '$stable', percent: 100 }], 400, /type must be/],
  ])('refuses %s', async (_, traffic, code, message) => {
    const stable = twin.seedService({ ...ref, image: 'control:v1' }).latestReadyRevision as string;
    const resolved = (traffic as Record<string, unknown>[]).map((t) =>
      t.revision === '$stable' ? { ...t, revision: stable } : t,
    );
    const { status, body } = await patch(await changed((s) => (s.traffic = resolved)));
    expect(status).toBe(code);
    expect(body.error.message).toMatch(message);
    expect(twin.service(ref).generation).toBe(1);
  });

  it('takes a named revision only with the service prefix, and only once per configuration', async () => {
    twin.seedService({ ...ref, image: 'control:v1' });
    const named = (revision: string, image: string) =>
      changed((s) => (s.template = { revision, containers: [{ image }] }));
    expect((await patch(await named('other-canary', 'control:v2'))).body.error.message).toMatch(
      /must start with 'control-'/,
    );
    expect((await patch(await named('control-canary', 'control:v2'))).status).toBe(200);
    const again = await patch(await named('control-canary', 'control:v3'));
    expect(again.status).toBe(409);
    expect(again.body.error).toMatchObject({ status: 'ALREADY_EXISTS' });
  });
});

describe('everything else', () => {
  it('lists revisions newest first and gets one by name', async () => {
    const stable = twin.seedService({ ...ref, image: 'control:v1' }).latestReadyRevision as string;
    const next = twin.seedRevision(ref, { image: 'control:v2' });
    const { body } = await get(`${url}/revisions`);
    expect(body.revisions.map((r: { name: string }) => r.name.split('/').pop())).toEqual([next, stable]);
    const one = await get(`${url}/revisions/${stable}`);
    expect(one.body).toMatchObject({
      containers: [{ image: 'control:v1' }],
      conditions: [{ type: 'Ready', state: 'CONDITION_SUCCEEDED' }],
    });
    expect((await get(`${url}/revisions/control-09999-zzz`)).status).toBe(404);
  });

  it('answers jobs and executions', async () => {
    const job = { project: 'p', region: 'us-central1', job: 'migrate' };
    twin.seedJob({ ...job, image: 'runtime:v2', executions: [{ outcome: 'failed', message: 'exit 1' }] });
    const base = `${twin.baseUrl}/v2/projects/p/locations/us-central1/jobs/migrate`;
    const { body } = await get(base);
    expect(body.template.template.containers[0].image).toBe('runtime:v2');
    expect(body.latestCreatedExecution.completionStatus).toBe('EXECUTION_FAILED');
    const { body: list } = await get(`${base}/executions`);
    expect(list.executions[0]).toMatchObject({
      failedCount: 1,
      conditions: [{ type: 'Completed', state: 'CONDITION_FAILED', message: 'exit 1' }],
    });
  });

  it('answers what it does not implement with 501 naming the method and path', async () => {
    const response = await fetch(`${url}:getIamPolicy`);
    expect(response.status).toBe(501);
    expect(((await response.json()) as { error: { message: string } }).error.message).toBe(
      'Cloud Run twin does not implement GET /v2/projects/p/locations/us-central1/services/control:getIamPolicy.',
    );
  });

  it('records requests in order with their bodies', async () => {
    twin.seedService({ ...ref, image: 'control:v1' });
    await patch(await changed((s) => (s.template.containers[0].image = 'control:v2')));
    expect(twin.recorder.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      'GET /v2/projects/p/locations/us-central1/services/control',
      'PATCH /v2/projects/p/locations/us-central1/services/control',
    ]);
    expect(twin.recorder.requests[1]?.body).toMatchObject({
      template: { containers: [{ image: 'control:v2' }] },
    });
  });
});
