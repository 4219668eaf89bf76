import { afterAll, beforeEach, expect, it } from 'vitest';
import { createCloudRunTwin } from '../../sandbox/twins/cloud-run/index.ts';
import { CloudRunAdapter } from '../../src/platform/cloud-run/index.ts';
import { PlatformError } from '../../src/runbooks/ports/errors.ts';
import { useTwins } from '../helpers/msw.ts';

// Seed 002's migration-drift lane: the runtime service's image against the migrate job's image and the
// image its latest successful execution ran.

const twin = createCloudRunTwin();
useTwins(...twin.handlers);
const cloudRun = new CloudRunAdapter({ google: { projectId: 'p', endpoint: twin.endpoint }, pollMs: 2 });
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
