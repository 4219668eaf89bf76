import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { createCloudRunTwin } from '../../sandbox/twins/cloud-run/index.ts';
import { CloudRunAdapter } from '../../src/platform/cloud-run/index.ts';
import { PlatformError } from '../../src/runbooks/ports/errors.ts';
import { useTwins } from '../helpers/msw.ts';

// Seed 002's migration-drift lane: the runtime service's image against the migrate job's image and the
// image its latest successful execution ran. Seed 003's smoke job: run an execution, wait for it, and
// take its exit code as the smoke return code.

const twin = createCloudRunTwin();
useTwins(...twin.handlers);
const cloudRun = new CloudRunAdapter({
  google: { projectId: 'p', endpoint: twin.endpoint },
  pollMs: 2,
  maxPollMs: 5,
  backoffMs: () => 1,
});
afterAll(() => cloudRun.close());
beforeEach(() => twin.reset());

const job = { project: 'openagentsgemini', region: 'us-central1', job: 'runtime-migrate' };
const service = { project: 'openagentsgemini', region: 'us-central1', service: 'runtime' };
const V1 = 'us-central1-docker.pkg.dev/openagentsgemini/runtime/runtime:v1';
const V2 = 'us-central1-docker.pkg.dev/openagentsgemini/runtime/runtime:v2';
const at = (minutes: number) => new Date(Date.UTC(2026, 1, 21, 12, minutes));

it('reads the job image, its latest execution and its latest successful one', async () => {
  twin.seedJob({
    ...job,
    image: V2,
    executions: [
      { outcome: 'succeeded', image: V1, createTime: at(0), completionTime: at(2) },
      {
        outcome: 'failed',
        image: V2,
        createTime: at(10),
        completionTime: at(11),
        message: 'Task failed: exit code 1',
      },
    ],
  });
  const state = await cloudRun.describeJob(job);
  expect(state).toEqual({
    ref: job,
    image: V2,
    latestExecution: {
      name: expect.stringMatching(/^runtime-migrate-/),
      status: 'failed',
      succeeded: false,
      image: V2,
      createdAt: at(10).toISOString(),
      completedAt: at(11).toISOString(),
      message: 'Task failed: exit code 1',
    },
    latestSucceededExecution: {
      name: expect.stringMatching(/^runtime-migrate-/),
      status: 'succeeded',
      succeeded: true,
      image: V1,
      createdAt: at(0).toISOString(),
      completedAt: at(2).toISOString(),
    },
  });
});

it('shows drift: the service runs an image the migration has not succeeded with', async () => {
  twin.seedService({ ...service, image: V2 });
  twin.seedJob({ ...job, image: V2, executions: [{ outcome: 'succeeded', image: V1, createTime: at(0) }] });
  const [runtime, migrate] = await Promise.all([cloudRun.describe(service), cloudRun.describeJob(job)]);
  expect(runtime.image).toBe(migrate.image);
  expect(migrate.latestSucceededExecution?.image).not.toBe(runtime.image);

  twin.addExecution(job, { outcome: 'succeeded' }); // the job's current image, newer than the rest
  const aligned = await cloudRun.describeJob(job);
  expect(aligned.latestExecution?.image).toBe(V2);
  expect(aligned.latestSucceededExecution?.image).toBe(runtime.image);
});

it('reports running and cancelled executions, and a job never run', async () => {
  twin.seedJob({ ...job, image: V1 });
  expect(await cloudRun.describeJob(job)).toEqual({ ref: job, image: V1 });

  twin.addExecution(job, {
    outcome: 'cancelled',
    message: 'Execution was cancelled by deployer@example.com',
  });
  expect((await cloudRun.describeJob(job)).latestExecution).toMatchObject({
    status: 'cancelled',
    succeeded: false,
  });

  twin.addExecution(job, { outcome: 'running' });
  const running = await cloudRun.describeJob(job);
  expect(running.latestExecution).toMatchObject({ status: 'running', succeeded: false });
  expect(running.latestExecution?.completedAt).toBeUndefined();
  expect(running.latestSucceededExecution).toBeUndefined();
});

it('names a missing job', async () => {
  const error = await cloudRun.describeJob({ ...job, job: 'ghost-migrate' }).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(PlatformError);
  expect(error).toMatchObject({ kind: 'not-found', system: 'cloud-run' });
  expect((error as Error).message).toContain("Cloud Run job 'ghost-migrate' (project openagentsgemini");
});

it('maps permission denied on the executions list', async () => {
  twin.seedJob({ ...job, image: V1 });
  twin.recorder.inject({ match: twin.routes.listExecutions(job), status: 403 });
  const error = await cloudRun.describeJob(job).catch((e: unknown) => e);
  expect(error).toMatchObject({ kind: 'permission-denied' });
  expect((error as Error).message).toContain("Permission 'run.executions.list' denied");
});

describe('runJob', () => {
  const smoke = { project: 'openagentsgemini', region: 'us-central1', job: 'runtime-smoke' };
  const location = '/v2/projects/openagentsgemini/locations/us-central1';
  const calls = () => twin.recorder.requests.map((r) => `${r.method} ${r.path.split('?')[0]}`);

  beforeEach(() => twin.seedJob({ ...smoke, image: V2 }));

  it('runs an execution to its end: exit 0 succeeded, and describeJob shows it', async () => {
    twin.setOperationPolls(3);
    const run = await cloudRun.runJob(smoke);
    expect(run).toEqual({
      execution: expect.stringMatching(/^runtime-smoke-[a-z0-9]{5}$/),
      status: 'succeeded',
      succeeded: true,
      exitCode: 0,
      completedAt: expect.any(String),
    });
    const seen = calls();
    expect(seen[0]).toBe(`POST ${location}/jobs/runtime-smoke:run`);
    expect(seen.filter((c) => c.startsWith(`GET ${location}/operations/`))).toHaveLength(3);
    expect(seen.at(-1)).toBe(`GET ${location}/jobs/runtime-smoke/executions/${run.execution}/tasks`);

    const state = await cloudRun.describeJob(smoke);
    expect(state.latestExecution).toMatchObject({ name: run.execution, status: 'succeeded', image: V2 });
    expect(state.latestSucceededExecution?.name).toBe(run.execution);
  });

  it('an execution that exits 3 is a result, not an error: succeeded false with its code and words', async () => {
    twin.setJobOutcome(smoke, { exitCode: 3, message: 'golden_mismatch: 1 of 40 answers differ' });
    const run = await cloudRun.runJob(smoke);
    expect(run).toMatchObject({ status: 'failed', succeeded: false, exitCode: 3 });
    expect(run.message).toContain('golden_mismatch: 1 of 40 answers differ');
    expect(run.message).toContain(`Task ${run.execution}-task0 failed`);
    expect(run.completedAt).toEqual(expect.any(String));
    // Cloud Run ends a failed execution's operation with an error; the execution itself is read then.
    expect(calls()).toContain(`GET ${location}/jobs/runtime-smoke/executions/${run.execution}`);
    expect((await cloudRun.describeJob(smoke)).latestExecution).toMatchObject({
      name: run.execution,
      status: 'failed',
    });

    twin.setJobOutcome(smoke, {}); // fixed: the next run succeeds
    expect(await cloudRun.runJob(smoke)).toMatchObject({ succeeded: true, exitCode: 0 });
  });

  it('a container that ends without an exit code gives exitCode null', async () => {
    twin.setJobOutcome(smoke, { exitCode: null, message: 'The configured timeout was reached.' });
    const run = await cloudRun.runJob(smoke);
    expect(run).toMatchObject({ status: 'failed', succeeded: false, exitCode: null });
    expect(run.message).toContain('The configured timeout was reached.');
  });

  it('a missing job is not-found, naming it', async () => {
    const error = await cloudRun.runJob({ ...smoke, job: 'ghost-smoke' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PlatformError);
    expect(error).toMatchObject({ kind: 'not-found', system: 'cloud-run' });
    expect((error as Error).message).toContain("Cloud Run job 'ghost-smoke' (project openagentsgemini");
  });

  it('an execution that does not finish within timeoutMs is a timeout naming it; it keeps running', async () => {
    twin.setJobOutcome(smoke, { stuck: true });
    const error = await cloudRun.runJob(smoke, { timeoutMs: 40 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PlatformError);
    expect(error).toMatchObject({ kind: 'timeout', system: 'cloud-run' });
    const running = (await cloudRun.describeJob(smoke)).latestExecution;
    expect(running).toMatchObject({ status: 'running', succeeded: false });
    expect((error as Error).message).toContain(`execution '${running?.name}' not finished after 40 ms`);
  });

  it('retries a 503 on the run and creates one execution', async () => {
    twin.recorder.inject({ match: twin.routes.runJob(smoke), status: 503 });
    const run = await cloudRun.runJob(smoke);
    expect(run).toMatchObject({ succeeded: true, exitCode: 0 });
    expect(calls().filter((c) => c.endsWith(':run'))).toHaveLength(2);
    const listed = (await fetch(`${twin.baseUrl}${location}/jobs/runtime-smoke/executions`).then((r) =>
      r.json(),
    )) as { executions: { name: string }[] };
    expect(listed.executions.map((e) => e.name.split('/').pop())).toEqual([run.execution]);
  });

  it('a run refused for permission is permission-denied, naming the permission', async () => {
    twin.recorder.inject({ match: twin.routes.runJob(smoke), status: 403 });
    const error = await cloudRun.runJob(smoke).catch((e: unknown) => e);
    expect(error).toMatchObject({ kind: 'permission-denied' });
    expect((error as Error).message).toContain("Permission 'run.jobs.run' denied");
  });

  it('a 503 on every attempt to list the tasks is unavailable', async () => {
    twin.recorder.inject({ match: twin.routes.listTasks(smoke), status: 503, times: 3 });
    const error = await cloudRun.runJob(smoke).catch((e: unknown) => e);
    expect(error).toMatchObject({ kind: 'unavailable' });
    expect((error as Error).message).toContain('after 3 attempts');
  });
});
