import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { createArtifactRegistryTwin } from '../../sandbox/twins/artifact-registry/index.ts';
import { createCloudRunTwin } from '../../sandbox/twins/cloud-run/index.ts';
import { createIamTwin } from '../../sandbox/twins/iam/index.ts';
import { ArtifactRegistryAdapter, parseImageRef } from '../../src/platform/artifact-registry/index.ts';
import { CloudRunAdapter } from '../../src/platform/cloud-run/index.ts';
import { createServiceAccounts } from '../../src/platform/iam/index.ts';
import { createPreconditions } from '../../src/platform/preconditions.ts';
import { PlatformError } from '../../src/runbooks/ports/errors.ts';
import { useTwins } from '../helpers/msw.ts';

// The preconditions of a canary (issue 18, seeds 000 and 001) through the real
// @google-cloud/artifact-registry and @google-cloud/run clients, answered by the twins over REST.

const registry = createArtifactRegistryTwin();
const run = createCloudRunTwin();
const iam = createIamTwin();
useTwins(...registry.handlers, ...run.handlers, ...iam.handlers);

const images = new ArtifactRegistryAdapter({
  google: { projectId: 'openagentsgemini', endpoint: registry.endpoint },
  retryDelayMs: 1,
});
const cloudRun = new CloudRunAdapter({
  google: { projectId: 'openagentsgemini', endpoint: run.endpoint },
  pollMs: 2,
  maxPollMs: 10,
});
const preconditions = createPreconditions({
  registry: images,
  cloudRun,
  iam: createServiceAccounts({ google: { projectId: 'openagentsgemini', endpoint: iam.endpoint } }),
});
afterAll(async () => {
  await images.close();
  await cloudRun.close();
});
beforeEach(() => {
  registry.reset();
  run.reset();
  iam.reset();
});

const REPO = 'us-central1-docker.pkg.dev/openagentsgemini/openagents-control-service';
const IMAGE = `${REPO}/control`;
const DIGEST = `sha256:${'4f'.repeat(32)}`;
const ref = { project: 'openagentsgemini', region: 'us-central1', service: 'control' };

async function failure(promise: Promise<unknown>): Promise<PlatformError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(PlatformError);
  return error as PlatformError;
}

const paths = () => registry.recorder.requests.map((r) => `${r.method} ${r.path.split('?')[0]}`);

describe('resolveImage, through @google-cloud/artifact-registry', () => {
  it('resolves a tag to the digest it points at, with tags.get', async () => {
    registry.seedImage(`${IMAGE}:v1.42.0`, DIGEST);
    expect(await preconditions.resolveImage(`${IMAGE}:v1.42.0`)).toEqual({
      requested: `${IMAGE}:v1.42.0`,
      digest: DIGEST,
      image: `${IMAGE}@${DIGEST}`,
      tag: 'v1.42.0',
    });
    expect(paths()).toEqual([
      'GET /v1/projects/openagentsgemini/locations/us-central1/repositories/openagents-control-service/packages/control/tags/v1.42.0',
    ]);
  });

  it('follows a tag that moved, and reads no tag as latest', async () => {
    registry.seedImage(`${IMAGE}:latest`, `sha256:${'11'.repeat(32)}`);
    registry.seedImage(`${IMAGE}:latest`, DIGEST);
    const resolved = await preconditions.resolveImage(IMAGE);
    expect(resolved).toMatchObject({ digest: DIGEST, tag: 'latest' });
  });

  it('escapes a nested image name as the API does (packages/a%2Fb)', async () => {
    registry.seedImage(`${REPO}/tools/migrate:v3`, DIGEST);
    const resolved = await preconditions.resolveImage(`${REPO}/tools/migrate:v3`);
    expect(resolved.image).toBe(`${REPO}/tools/migrate@${DIGEST}`);
    expect(paths()[0]).toContain('/packages/tools%252Fmigrate/tags/v3');
  });

  it('passes a digest through once versions.get shows it exists', async () => {
    registry.seedImage(`${IMAGE}:v1.42.0`, DIGEST);
    const resolved = await preconditions.resolveImage(`${IMAGE}@${DIGEST}`);
    expect(resolved).toEqual({
      requested: `${IMAGE}@${DIGEST}`,
      digest: DIGEST,
      image: `${IMAGE}@${DIGEST}`,
    });
    expect(paths()).toEqual([
      `GET /v1/projects/openagentsgemini/locations/us-central1/repositories/openagents-control-service/packages/control/versions/sha256%3A${'4f'.repeat(32)}`,
    ]);
  });

  it('refuses a missing tag as not-found, naming the tag and the repository', async () => {
    registry.seedImage(`${IMAGE}:v1.41.0`, DIGEST);
    const error = await failure(preconditions.resolveImage(`${IMAGE}:v1.42.0`));
    expect(error.system).toBe('artifact-registry');
    expect(error.kind).toBe('not-found');
    expect(error.message).toBe(
      `tag 'v1.42.0' of image 'control' not found in repository ${REPO} (project openagentsgemini, location us-central1)`,
    );
  });

  it('says when the digest, the image or the repository is what is missing', async () => {
    registry.seedImage(`${IMAGE}:v1.41.0`, DIGEST);
    const other = `sha256:${'ab'.repeat(32)}`;
    expect((await failure(preconditions.resolveImage(`${IMAGE}@${other}`))).message).toBe(
      `digest ${other} of image 'control' not found in repository ${REPO} (project openagentsgemini, location us-central1)`,
    );
    expect((await failure(preconditions.resolveImage(`${REPO}/contorl:v1.41.0`))).message).toBe(
      `image 'contorl' not found in repository ${REPO} (project openagentsgemini, location us-central1)`,
    );
    const typo = 'us-central1-docker.pkg.dev/openagentsgemini/openagents-control/control:v1.41.0';
    const error = await failure(preconditions.resolveImage(typo));
    expect(error.kind).toBe('not-found');
    expect(error.message).toBe(
      'repository us-central1-docker.pkg.dev/openagentsgemini/openagents-control (project openagentsgemini, location us-central1) not found in Artifact Registry',
    );
  });

  it('refuses images outside Artifact Registry as invalid, without calling it', async () => {
    for (const image of ['docker.io/library/nginx:1.27', 'nginx:1.27', 'ghcr.io/openagents/control:v1']) {
      const error = await failure(preconditions.resolveImage(image));
      expect(error.kind).toBe('invalid');
      expect(error.message).toContain('only Artifact Registry images');
      expect(error.message).toContain(`'${image}'`);
    }
    const malformed = await failure(preconditions.resolveImage(`${IMAGE}@sha256:nothex`));
    expect(malformed.kind).toBe('invalid');
    expect(malformed.message).toContain('is not a sha256 digest');
    expect(registry.recorder.requests).toEqual([]);
  });

  it('maps a denied repository to permission-denied and retries a 503', async () => {
    registry.seedImage(`${IMAGE}:v1.42.0`, DIGEST);
    registry.recorder.inject({ match: '/tags/v1.42.0', status: 503 });
    expect((await preconditions.resolveImage(`${IMAGE}:v1.42.0`)).digest).toBe(DIGEST);
    registry.deny(REPO);
    const error = await failure(preconditions.resolveImage(`${IMAGE}:v1.42.0`));
    expect(error.kind).toBe('permission-denied');
    expect(error.message).toContain('roles/artifactregistry.reader');
    expect(error.message).toContain("Permission 'artifactregistry.tags.get' denied");
  });
});

describe('parseImageRef', () => {
  it('reads location, project, repository, image, tag and digest', () => {
    expect(parseImageRef(`${REPO}/a/b:v1@${DIGEST}`)).toEqual({
      ok: true,
      ref: {
        host: 'us-central1-docker.pkg.dev',
        location: 'us-central1',
        project: 'openagentsgemini',
        repository: 'openagents-control-service',
        image: 'a/b',
        tag: 'v1',
        digest: DIGEST,
      },
    });
    expect(parseImageRef('europe-docker.pkg.dev/p1/r/img')).toMatchObject({
      ok: true,
      ref: { location: 'europe', image: 'img' },
    });
    expect(parseImageRef(`${REPO}:v1`)).toMatchObject({ ok: false });
    expect(parseImageRef(`${REPO}/Control:v1`)).toMatchObject({ ok: false });
  });
});

describe('Cloud Run preconditions, through @google-cloud/run', () => {
  it('serviceExists: true for a service, false for one not in that region', async () => {
    run.seedService({ ...ref, image: `${IMAGE}:v1.41.0` });
    expect(await preconditions.serviceExists(ref)).toBe(true);
    expect(await preconditions.serviceExists({ ...ref, region: 'europe-west1' })).toBe(false);
    expect(await preconditions.serviceExists({ ...ref, service: 'contorl' })).toBe(false);
  });

  it('serviceExists: other failures are errors, not a missing service', async () => {
    run.seedService({ ...ref, image: `${IMAGE}:v1.41.0` });
    run.recorder.inject({ match: run.routes.getService(ref), status: 403 });
    expect((await failure(preconditions.serviceExists(ref))).kind).toBe('permission-denied');
  });

  it('mayDeploy: every permission granted by default', async () => {
    run.seedService({ ...ref, image: `${IMAGE}:v1.41.0` });
    expect(await preconditions.mayDeploy(ref)).toEqual({
      allowed: true,
      missing: [],
      checked: ['run.services.get', 'run.services.update'],
    });
    const [asked] = run.recorder.requests;
    expect(asked?.method).toBe('POST');
    expect(asked?.path.split('?')[0]).toBe(
      '/v2/projects/openagentsgemini/locations/us-central1/services/control:testIamPermissions',
    );
    expect(asked?.body).toEqual({ permissions: ['run.services.get', 'run.services.update'] });
  });

  it('mayDeploy: names what is missing (a viewer may read but not update; nothing granted at all)', async () => {
    run.seedService({ ...ref, image: `${IMAGE}:v1.41.0` });
    run.setPermissions(ref, ['run.services.get']);
    expect(await preconditions.mayDeploy(ref)).toEqual({
      allowed: false,
      missing: ['run.services.update'],
      checked: ['run.services.get', 'run.services.update'],
    });
    run.setPermissions(ref, []);
    expect((await preconditions.mayDeploy(ref)).missing).toEqual(['run.services.get', 'run.services.update']);
    run.setPermissions(ref, 'all');
    expect((await preconditions.mayDeploy(ref, ['run.services.delete'])).allowed).toBe(true);
  });

  it('mayDeploy: a permission Cloud Run cannot check on a service is refused as invalid', async () => {
    run.seedService({ ...ref, image: `${IMAGE}:v1.41.0` });
    const error = await failure(preconditions.mayDeploy(ref, ['iam.serviceAccounts.actAs']));
    expect(error.kind).toBe('invalid');
    expect((await failure(preconditions.mayDeploy({ ...ref, service: 'gone' }))).kind).toBe('not-found');
  });

  it('serviceEnv: names of literal variables and of secret references, never values', async () => {
    run.seedService({
      ...ref,
      image: `${IMAGE}:v1.41.0`,
      env: { OA_SYNC_TOKEN_ENABLED: 'true', OA_ROUTE_SPLIT_MODE: 'rust' },
      secrets: {
        WORKOS_API_KEY: { secret: 'workos-api-key' },
        OA_SYNC_TOKEN_SIGNING_KEY: { secret: 'projects/openagentsgemini/secrets/sync-signing', version: '3' },
      },
    });
    const names = await preconditions.serviceEnv(ref);
    expect(names).toEqual({
      env: ['OA_SYNC_TOKEN_ENABLED', 'OA_ROUTE_SPLIT_MODE'],
      secrets: ['WORKOS_API_KEY', 'OA_SYNC_TOKEN_SIGNING_KEY'],
    });
    expect(JSON.stringify(names)).not.toContain('rust');
  });

  it('serviceEnv reads the template: what the canary will get, kept by a deploy', async () => {
    const stable = run.seedService({
      ...ref,
      image: `${IMAGE}:v1.41.0`,
      env: { OA_ROUTE_SPLIT_ENABLED: 'true' },
      secrets: { WORKOS_CLIENT_ID: { secret: 'workos-client-id' } },
    }).latestReadyRevision as string;
    const deployed = await cloudRun.deployNoTraffic(ref, { image: `${IMAGE}@${DIGEST}` });
    const view = run.service(ref);
    expect(view.secretEnv[stable]).toEqual({ WORKOS_CLIENT_ID: 'workos-client-id:latest' });
    expect(view.secretEnv[deployed.revision]).toEqual({ WORKOS_CLIENT_ID: 'workos-client-id:latest' });
    expect(await preconditions.serviceEnv(ref)).toEqual({
      env: ['OA_ROUTE_SPLIT_ENABLED'],
      secrets: ['WORKOS_CLIENT_ID'],
    });
    await expect(preconditions.serviceEnv({ ...ref, service: 'gone' })).rejects.toMatchObject({
      kind: 'not-found',
    });
  });
});

describe('actAs on the runtime account, through IAM testIamPermissions', () => {
  const account = 'control-runtime@openagentsgemini.iam.gserviceaccount.com';

  it("serviceEnv: the template's runtime account, or none for the default compute account", async () => {
    run.seedService({ ...ref, image: `${IMAGE}:v1.41.0`, serviceAccount: account });
    expect((await preconditions.serviceEnv(ref)).serviceAccount).toBe(account);
    run.seedService({ ...ref, service: 'plain', image: `${IMAGE}:v1.41.0` });
    expect((await preconditions.serviceEnv({ ...ref, service: 'plain' })).serviceAccount).toBeUndefined();
  });

  it('mayActAs: asks IAM for iam.serviceAccounts.actAs on the account, and reads the subset granted', async () => {
    iam.seedAccount(account);
    expect(await preconditions.mayActAs('openagentsgemini', account)).toBe(true);
    const [asked] = iam.recorder.requests;
    expect(asked?.method).toBe('POST');
    expect(asked?.path.split('?')[0]).toBe(
      `/v1/projects/openagentsgemini/serviceAccounts/${account}:testIamPermissions`,
    );
    expect(asked?.body).toEqual({ permissions: ['iam.serviceAccounts.actAs'] });
    iam.setPermissions(account, ['iam.serviceAccounts.get']);
    expect(await preconditions.mayActAs('openagentsgemini', account)).toBe(false);
  });

  it('mayActAs: a missing account is not-found; a refused or late IAM is an error of its kind', async () => {
    const missing = await failure(
      preconditions.mayActAs('openagentsgemini', 'gone@x.iam.gserviceaccount.com'),
    );
    expect(missing.kind).toBe('not-found');
    expect(missing.message).toContain('gone@x.iam.gserviceaccount.com');
    iam.seedAccount(account);
    iam.recorder.inject({
      match: `POST /v1/projects/openagentsgemini/serviceAccounts/${account}:testIamPermissions`,
      status: 429,
    });
    expect((await failure(preconditions.mayActAs('openagentsgemini', account))).kind).toBe('rate-limited');
  });
});
