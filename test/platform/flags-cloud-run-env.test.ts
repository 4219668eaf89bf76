import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { createCloudRunTwin } from '../../sandbox/twins/cloud-run/index.ts';
import { CloudRunAdapter } from '../../src/platform/cloud-run/index.ts';
import { envOf, withEnv } from '../../src/platform/cloud-run/mapping.ts';
import {
  createCloudRunEnvFlags,
  defaultFlagVariable,
  FLAGS_TAG,
  flagBackendOf,
} from '../../src/platform/flags/index.ts';
import type { CloudRun } from '../../src/runbooks/ports/cloud-run.ts';
import { PlatformError } from '../../src/runbooks/ports/errors.ts';
import { useTwins } from '../helpers/msw.ts';

// The cloud-run-env flag backend through the real @google-cloud/run client against the Cloud Run twin:
// a flag is an environment variable; enabling deploys a revision with it set and gives it all traffic,
// disabling gives the traffic back to the revision that served before. Every step is checked against the
// twin's own state.

const twin = createCloudRunTwin();
useTwins(...twin.handlers);
const cloudRun = new CloudRunAdapter({
  google: { projectId: 'p', endpoint: twin.endpoint },
  pollMs: 2,
  maxPollMs: 10,
  operationTimeoutMs: 5_000,
  backoffMs: () => 1,
  sleep: () => new Promise((resolve) => setImmediate(resolve)),
});
afterAll(() => cloudRun.close());

const ref = { project: 'p', region: 'us-central1', service: 'control' };
const IMAGE = 'us-central1-docker.pkg.dev/p/control/control:v1.41.0';
const CATALOG = 'failure_catalog_runtime_integration';
const COST = 'cost_simulator_runtime_integration';
const CATALOG_VAR = 'FF_FAILURE_CATALOG';
const COST_VAR = 'COST_SIMULATOR_RUNTIME_INTEGRATION'; // the default for COST

let stable = '';
beforeEach(() => {
  twin.reset();
  stable = twin.seedService({
    ...ref,
    image: IMAGE,
    env: { DATABASE_URL: 'postgres://db/control', [CATALOG_VAR]: 'false' },
  }).latestReadyRevision as string;
});

const flagsOf = (over: Partial<CloudRun> = {}) =>
  createCloudRunEnvFlags({
    cloudRun: { ...bound(cloudRun), ...over },
    ref,
    variables: { [CATALOG]: CATALOG_VAR },
    flags: [CATALOG, COST],
  });

/** The adapter's methods as plain functions, so a test can replace one. */
function bound(adapter: CloudRunAdapter): CloudRun {
  return {
    describe: (r) => adapter.describe(r),
    deployNoTraffic: (r, q) => adapter.deployNoTraffic(r, q),
    setSplit: (r, q) => adapter.setSplit(r, q),
    rollbackTo: (r, v) => adapter.rollbackTo(r, v),
    setTraffic: (r, s) => adapter.setTraffic(r, s),
    setTag: (r, t, v) => adapter.setTag(r, t, v),
    listRevisions: (r) => adapter.listRevisions(r),
    describeRevision: (r, v) => adapter.describeRevision(r, v),
    describeJob: (j) => adapter.describeJob(j),
    runJob: (j, o) => adapter.runJob(j, o),
  };
}

const patches = () => twin.recorder.requests.filter((r) => r.method === 'PATCH');

async function failureOf(promise: Promise<unknown>): Promise<PlatformError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof PlatformError)) throw new Error(`expected a PlatformError, got ${String(error)}`);
  expect(error.system).toBe('flags');
  return error;
}

describe('cloud-run-env flags', () => {
  it("reads the serving revision's variables: the revision is the version, an absent variable undefined", async () => {
    const reading = await flagsOf().read();
    expect(reading).toEqual({
      values: { [CATALOG]: false, [COST]: undefined },
      version: stable,
      where: `control revision ${stable} (project p, region us-central1)`,
    });
  });

  it('reads true/1 as on and false/0 as off, in any case; anything else is refused', async () => {
    for (const [text, value] of [
      ['TRUE', true],
      ['1', true],
      ['False', false],
      ['0', false],
    ] as const) {
      const revision = twin.seedRevision(ref, { image: IMAGE, env: { [CATALOG_VAR]: text } });
      twin.setTraffic(ref, [{ revision, percent: 100 }]);
      expect((await flagsOf().read()).values[CATALOG]).toBe(value);
    }
    const odd = twin.seedRevision(ref, { image: IMAGE, env: { [CATALOG_VAR]: 'yes' } });
    twin.setTraffic(ref, [{ revision: odd, percent: 100 }]);
    const error = await failureOf(flagsOf().read());
    expect(error.kind).toBe('invalid');
    expect(error.message).toContain(`flag '${CATALOG}' is ${CATALOG_VAR}="yes" on revision ${odd}`);
  });

  it('with a split, the largest share is the version and says so', async () => {
    const other = twin.seedRevision(ref, { image: IMAGE, env: { [CATALOG_VAR]: 'true' } });
    twin.setTraffic(ref, [
      { revision: stable, percent: 10 },
      { revision: other, percent: 90 },
    ]);
    const reading = await flagsOf().read();
    expect(reading.version).toBe(other);
    expect(reading.values[CATALOG]).toBe(true);
    expect(reading.where).toContain('90 % of traffic');
  });

  it('enables: a revision of the serving image and variables plus the flags, then all traffic on it', async () => {
    const flags = flagsOf();
    const before = await flags.read();
    const result = await flags.set({ values: { [CATALOG]: true, [COST]: true }, ifVersion: before.version });

    const service = twin.service(ref);
    const flagged = result.version;
    expect(flagged).toMatch(/^control-ff-[0-9a-f]{10}$/);
    expect(service.split).toEqual({ [flagged]: 100 });
    expect(service.tags).toEqual({ [FLAGS_TAG]: flagged });
    expect(service.revisions.find((r) => r.name === flagged)).toEqual({
      name: flagged,
      image: IMAGE,
      ready: true,
    });
    expect(service.env[flagged]).toEqual({
      DATABASE_URL: 'postgres://db/control',
      [CATALOG_VAR]: 'true',
      [COST_VAR]: 'true',
    });
    expect(service.env[stable]).toEqual({ DATABASE_URL: 'postgres://db/control', [CATALOG_VAR]: 'false' });
    expect(result).toEqual({
      values: { [CATALOG]: true, [COST]: true },
      version: flagged,
      where: `control revision ${flagged} (project p, region us-central1)`,
      written: true,
      restore: stable,
    });
    expect(patches()).toHaveLength(2); // the no-traffic deploy, the traffic move
  });

  it('deploys the serving revision, not a rolled-back canary left in the template', async () => {
    await cloudRun.deployNoTraffic(ref, { image: `${IMAGE}-bad` }); // a canary that never got traffic
    const result = await flagsOf().set({ values: { [CATALOG]: true } });
    const service = twin.service(ref);
    expect(service.revisions.find((r) => r.name === result.version)?.image).toBe(IMAGE);
    expect(service.split).toEqual({ [result.version]: 100 });
  });

  it('a second identical set writes nothing; a redriven one still knows what to restore', async () => {
    const flags = flagsOf();
    const first = await flags.set({ values: { [CATALOG]: true }, ifVersion: stable });
    const etag = twin.service(ref).etag;

    const again = await flags.set({ values: { [CATALOG]: true }, ifVersion: stable });
    expect(again.written).toBe(false);
    expect(again.version).toBe(first.version);
    expect(again.restore).toBe(stable); // the flagged revision's name says which it was made from
    expect((await flags.set({ values: { [CATALOG]: true } })).restore).toBeUndefined();
    expect(twin.service(ref).etag).toBe(etag);
    expect(patches()).toHaveLength(2);
  });

  it('a replica that died after the deploy: the redriven call finds the revision and only moves traffic', async () => {
    const dying = flagsOf({
      rollbackTo: () => Promise.reject(new Error('replica died')),
    });
    await expect(dying.set({ values: { [CATALOG]: true }, ifVersion: stable })).rejects.toThrow(
      'replica died',
    );
    const deployed = twin.service(ref).tags[FLAGS_TAG] as string;
    expect(twin.service(ref).split).toEqual({ [stable]: 100 });

    const result = await flagsOf().set({ values: { [CATALOG]: true }, ifVersion: stable });
    expect(result.version).toBe(deployed);
    expect(twin.service(ref).split).toEqual({ [deployed]: 100 });
    expect(twin.service(ref).revisions).toHaveLength(2); // no second deploy
    expect(patches()).toHaveLength(2);
  });

  it('disables by restore: all traffic back to the revision that served before, nothing deployed', async () => {
    const flags = flagsOf();
    const on = await flags.set({ values: { [CATALOG]: true }, ifVersion: stable });
    const revisions = twin.service(ref).revisions.length;

    const off = await flags.set({ values: { [CATALOG]: false }, restore: on.restore, ifVersion: on.version });
    const service = twin.service(ref);
    expect(service.split).toEqual({ [stable]: 100 });
    expect(service.revisions).toHaveLength(revisions);
    expect(service.tags).toEqual({ [FLAGS_TAG]: on.version }); // its URL still reaches the flagged revision
    expect(off).toMatchObject({
      values: { [CATALOG]: false },
      version: stable,
      written: true,
      restore: on.version,
    });
    expect(patches()).toHaveLength(3);

    // Once more (a redriven disable): nothing to do.
    const again = await flags.set({ values: { [CATALOG]: false }, restore: stable, ifVersion: on.version });
    expect(again.written).toBe(false);
    expect(patches()).toHaveLength(3);

    // On again from the same revision: the flagged revision is reused, only traffic moves.
    const reenabled = await flags.set({ values: { [CATALOG]: true }, ifVersion: stable });
    expect(reenabled.version).toBe(on.version);
    expect(twin.service(ref).revisions).toHaveLength(revisions);
    expect(patches()).toHaveLength(4);
  });

  it('disables forward when there is no restore, or the restore revision does not read as asked', async () => {
    const flags = flagsOf();
    const on = await flags.set({ values: { [CATALOG]: true } });
    const off = await flags.set({ values: { [CATALOG]: false } });
    expect(off.version).not.toBe(stable);
    expect(off.restore).toBe(on.version);
    expect(twin.service(ref).env[off.version]?.[CATALOG_VAR]).toBe('false');

    const onAgain = await flags.set({ values: { [CATALOG]: true } });
    const wrongUndo = await flags.set({ values: { [CATALOG]: false }, restore: on.version }); // on.version has it on
    expect(wrongUndo.values[CATALOG]).toBe(false);
    expect(wrongUndo.version).not.toBe(on.version);
    expect(wrongUndo.restore).toBe(onAgain.version);
  });

  it('revision serving a share with the flags already set gets all the traffic, nothing deployed', async () => {
    const on = twin.seedRevision(ref, { image: IMAGE, env: { [CATALOG_VAR]: 'true' } });
    twin.setTraffic(ref, [
      { revision: stable, percent: 40 },
      { revision: on, percent: 60 },
    ]);
    const result = await flagsOf().set({ values: { [CATALOG]: true } });
    expect(result.written).toBe(true);
    expect(twin.service(ref).split).toEqual({ [on]: 100 });
    expect(twin.service(ref).revisions).toHaveLength(2);
  });

  it('a stale ifVersion is a conflict, and nothing changes', async () => {
    const flags = flagsOf();
    const before = await flags.read();
    const other = twin.seedRevision(ref, { image: `${IMAGE}-next` });
    twin.setTraffic(ref, [{ revision: other, percent: 100 }]); // someone else shipped in between
    const error = await failureOf(flags.set({ values: { [CATALOG]: true }, ifVersion: before.version }));
    expect(error.kind).toBe('conflict');
    expect(error.message).toContain(`serves revision ${other} now, not ${stable}`);
    expect(patches()).toHaveLength(0);
    expect(twin.service(ref).split).toEqual({ [other]: 100 });
  });

  it('another writer on every update attempt: conflict', async () => {
    twin.recorder.inject({ match: twin.routes.updateService(ref), kind: 'etag-conflict', times: 3 });
    const error = await failureOf(flagsOf().set({ values: { [CATALOG]: true } }));
    expect(error.kind).toBe('conflict');
    expect(twin.service(ref).split).toEqual({ [stable]: 100 });
  });

  it('a flagged revision that fails to start leaves traffic where it was, and says so when redriven', async () => {
    twin.recorder.inject({
      match: twin.routes.updateService(ref),
      kind: 'operation-failed',
      message: 'The user-provided container failed to start and listen on the port.',
    });
    const error = await failureOf(flagsOf().set({ values: { [CATALOG]: true } }));
    expect(error.kind).toBe('operation-failed');
    expect(error.message).toContain('failed to start');
    expect(twin.service(ref).split).toEqual({ [stable]: 100 });

    const again = await failureOf(flagsOf().set({ values: { [CATALOG]: true } }));
    expect(again.kind).toBe('operation-failed');
    expect(again.message).toContain('exists but is not ready');
    expect(twin.service(ref).split).toEqual({ [stable]: 100 });
  });

  it('traffic the service does not report as asked is verify-failed', async () => {
    twin.recorder.inject({ match: twin.routes.updateService(ref), times: 1 }); // the deploy goes through
    twin.recorder.inject({ match: twin.routes.updateService(ref), kind: 'stale-status' });
    const error = await failureOf(flagsOf().set({ values: { [CATALOG]: true } }));
    expect(error.kind).toBe('verify-failed');
  });

  it('a revision that does not read back with the flags is verify-failed', async () => {
    const flags = flagsOf({
      describeRevision: async (r, name) => {
        const revision = await cloudRun.describeRevision(r, name);
        return name === stable ? revision : { ...revision, env: {} }; // the variable got lost
      },
    });
    const error = await failureOf(flags.set({ values: { [CATALOG]: true } }));
    expect(error.kind).toBe('verify-failed');
    expect(error.message).toContain(`${CATALOG} reads absent, not true`);
  });

  it.each([
    [403, 'permission-denied'],
    [404, 'not-found'],
    [429, 'rate-limited'],
    [503, 'unavailable'],
  ] as const)('Cloud Run answering %i is %s, in the flags words', async (status, kind) => {
    twin.recorder.inject({ match: twin.routes.getService(ref), status, times: 5 });
    const error = await failureOf(flagsOf().read());
    expect(error.kind).toBe(kind);
    expect(error.message).toMatch(/^read flags: /);
    expect((error.cause as PlatformError).system).toBe('cloud-run');
  });
});

describe('flagBackendOf (cloud-run-env)', () => {
  it("defaults each flag's variable to its name upper-cased, with _ for . and -", async () => {
    expect(defaultFlagVariable('m4.cost-sim_v2')).toBe('M4_COST_SIM_V2');
    const other = twin.seedRevision(ref, { image: IMAGE, env: { M4_COST_SIM: '1' } });
    twin.setTraffic(ref, [{ revision: other, percent: 100 }]);
    const flags = flagBackendOf(
      { kind: 'cloud-run-env', variables: {} },
      { flags: ['m4.cost-sim'], publicUrl: 'https://x.example', ref, cloudRun },
    );
    expect((await flags.read()).values).toEqual({ 'm4.cost-sim': true });
  });
});

describe('Cloud Run adapter: environment variables', () => {
  it('describeRevision gives the env; a deploy with env keeps the template variables it does not set', async () => {
    const revision = await cloudRun.describeRevision(ref, stable);
    expect(revision).toMatchObject({ name: stable, image: IMAGE, ready: true });
    expect(revision.env).toEqual({ DATABASE_URL: 'postgres://db/control', [CATALOG_VAR]: 'false' });

    const deployed = await cloudRun.deployNoTraffic(ref, {
      image: IMAGE,
      revisionSuffix: 'with-env',
      env: { [CATALOG_VAR]: 'true', NEW: 'x' },
    });
    expect(twin.service(ref).env[deployed.revision]).toEqual({
      DATABASE_URL: 'postgres://db/control',
      [CATALOG_VAR]: 'true',
      NEW: 'x',
    });
    const [patch] = patches();
    const body = patch?.body as { template: { containers: { env: { name: string; value: string }[] }[] } };
    expect(body.template.containers[0]?.env.map((v) => v.name)).toEqual(['DATABASE_URL', CATALOG_VAR, 'NEW']);
    // Asked again: already deployed, nothing written.
    await cloudRun.deployNoTraffic(ref, {
      image: IMAGE,
      revisionSuffix: 'with-env',
      env: { [CATALOG_VAR]: 'true', NEW: 'x' },
    });
    expect(patches()).toHaveLength(1);
  });

  it('a named revision that exists with other variables is a conflict', async () => {
    await cloudRun.deployNoTraffic(ref, { image: IMAGE, revisionSuffix: 'named', env: { A: '1' } });
    await cloudRun.deployNoTraffic(ref, { image: `${IMAGE}-x` }); // the template moves on
    const error = await cloudRun
      .deployNoTraffic(ref, { image: IMAGE, revisionSuffix: 'named', env: { A: '2' } })
      .catch((e: unknown) => e as PlatformError);
    expect(error).toBeInstanceOf(PlatformError);
    expect((error as PlatformError).kind).toBe('conflict');
  });

  it('envOf leaves secret-backed variables out; withEnv replaces a secret by a value and keeps the rest', () => {
    const secret = { name: 'TOKEN', valueSource: { secretKeyRef: { secret: 's', version: 'latest' } } };
    const current = [{ name: 'A', value: '1' }, secret, { name: 'B', value: '2' }];
    expect(envOf([{ env: current }])).toEqual({ A: '1', B: '2' });
    expect(withEnv(current, { B: '3', C: '4' })).toEqual([
      { name: 'A', value: '1' },
      secret,
      { name: 'B', value: '3' },
      { name: 'C', value: '4' },
    ]);
    expect(withEnv(current, { TOKEN: 'plain' })[1]).toEqual({ name: 'TOKEN', value: 'plain' });
  });
});
