import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { createCloudRunTwin } from '../../sandbox/twins/cloud-run/index.ts';
import { CloudRunAdapter } from '../../src/platform/cloud-run/index.ts';
import { splitOf } from '../../src/runbooks/traffic.ts';
import { useTwins } from '../helpers/msw.ts';

// The canary of seed 000 end to end through the real @google-cloud/run client against the twin; every
// step is checked against the twin's own state, not against what the adapter says it did.

const twin = createCloudRunTwin();
useTwins(...twin.handlers);
const cloudRun = new CloudRunAdapter({
  google: { projectId: 'p', endpoint: twin.endpoint },
  pollMs: 2,
  maxPollMs: 10,
  operationTimeoutMs: 5_000,
});
afterAll(() => cloudRun.close());
beforeEach(() => twin.reset());

const ref = { project: 'openagentsgemini', region: 'us-central1', service: 'control' };
const STABLE_IMAGE = 'us-central1-docker.pkg.dev/openagentsgemini/control/control:v1.41.0';
const CANARY_IMAGE = 'us-central1-docker.pkg.dev/openagentsgemini/control/control:v1.42.0';

const patches = () => twin.recorder.requests.filter((r) => r.method === 'PATCH');

describe('canary rollout through the Cloud Run adapter', () => {
  it('deploys a no-traffic canary, walks 0 → 5 → 25 → 50 → 100 % and rolls back', async () => {
    const stable = twin.seedService({ ...ref, image: STABLE_IMAGE }).latestReadyRevision as string;

    // Stage A: the new revision exists, is tagged, and serves nothing.
    const deployed = await cloudRun.deployNoTraffic(ref, { image: CANARY_IMAGE });
    const canary = deployed.revision;
    let service = twin.service(ref);
    expect(canary).toMatch(/^control-\d{5}-[a-z]{3}$/);
    expect(service.split).toEqual({ [stable]: 100 });
    expect(service.tags).toEqual({ canary });
    expect(service.latestCreatedRevision).toBe(canary);
    expect(service.latestReadyRevision).toBe(canary);
    expect(service.revisions.find((r) => r.name === canary)).toEqual({
      name: canary,
      image: CANARY_IMAGE,
      ready: true,
    });
    expect(deployed.tagUrl).toMatch(/^https:\/\/canary---control-[a-z0-9]{10}-uc\.a\.run\.app$/);
    expect(deployed.tagUrl).toBe(service.trafficStatuses.find((t) => t.tag === 'canary')?.uri);
    expect(deployed.state.images).toEqual({ [stable]: STABLE_IMAGE, [canary]: CANARY_IMAGE });

    // Stages B to E.
    for (const percent of [5, 25, 50, 100]) {
      const state = await cloudRun.setSplit(ref, { stable, canary, canaryPercent: percent });
      service = twin.service(ref);
      const expected = percent === 100 ? { [canary]: 100 } : { [stable]: 100 - percent, [canary]: percent };
      expect(service.split).toEqual(expected);
      expect(service.tags).toEqual({ canary });
      expect(splitOf(state.trafficStatuses)).toEqual(expected);
    }

    // Rollback: all traffic back on the stable revision; the canary keeps its tag URL at 0 %.
    const rolledBack = await cloudRun.rollbackTo(ref, stable);
    service = twin.service(ref);
    expect(service.split).toEqual({ [stable]: 100 });
    expect(service.tags).toEqual({ canary });
    expect(splitOf(rolledBack.trafficStatuses)).toEqual({ [stable]: 100 });
    expect(patches()).toHaveLength(6);
  });

  it('deploy pins the revision that serves now and names the new one at 0 % with its tag', async () => {
    const stable = twin.seedService({ ...ref, image: STABLE_IMAGE }).latestReadyRevision as string;
    const before = twin.service(ref);
    expect(before.traffic).toEqual([{ latest: true, percent: 100 }]);

    const deployed = await cloudRun.deployNoTraffic(ref, { image: CANARY_IMAGE, revisionSuffix: 'v1-42-0' });
    expect(deployed.revision).toBe('control-v1-42-0');

    const [patch] = patches();
    const body = patch?.body as {
      etag: string;
      template: { revision: string; containers: { image: string }[] };
      traffic: unknown[];
    };
    expect(body.etag).toBe(before.etag);
    expect(body.template.revision).toBe('control-v1-42-0');
    expect(body.template.containers[0]?.image).toBe(CANARY_IMAGE);
    // The client library sends enums as numbers: 2 is TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION.
    expect(body.traffic).toEqual([
      { type: 2, revision: stable, percent: 100, tag: '' },
      { type: 2, revision: 'control-v1-42-0', percent: 0, tag: 'canary' },
    ]);
    expect(twin.service(ref).traffic).toEqual([
      { latest: false, revision: stable, percent: 100 },
      { latest: false, revision: 'control-v1-42-0', percent: 0, tag: 'canary' },
    ]);
  });

  it('a deploy after a rollback pins the rolled-back-to revision, not the failed canary that is latest ready', async () => {
    const stable = twin.seedService({ ...ref, image: STABLE_IMAGE }).latestReadyRevision as string;
    const bad = (await cloudRun.deployNoTraffic(ref, { image: CANARY_IMAGE })).revision;
    await cloudRun.setSplit(ref, { stable, canary: bad, canaryPercent: 5 });
    await cloudRun.rollbackTo(ref, stable);
    expect(twin.service(ref).latestReadyRevision).toBe(bad);

    const next = await cloudRun.deployNoTraffic(ref, { image: `${CANARY_IMAGE}-fix1` });
    const service = twin.service(ref);
    expect(service.split).toEqual({ [stable]: 100 });
    expect(service.tags).toEqual({ canary: next.revision }); // the tag moved to the new canary
  });

  it('setting the same split again writes nothing and changes nothing', async () => {
    const stable = twin.seedService({ ...ref, image: STABLE_IMAGE }).latestReadyRevision as string;
    const canary = (await cloudRun.deployNoTraffic(ref, { image: CANARY_IMAGE })).revision;
    await cloudRun.setSplit(ref, { stable, canary, canaryPercent: 25 });
    const after = twin.service(ref);

    const again = await cloudRun.setSplit(ref, { stable, canary, canaryPercent: 25 });
    expect(twin.service(ref).etag).toBe(after.etag);
    expect(splitOf(again.trafficStatuses)).toEqual({ [stable]: 75, [canary]: 25 });
    await cloudRun.rollbackTo(ref, stable);
    await cloudRun.rollbackTo(ref, stable);
    expect(patches()).toHaveLength(3); // deploy, 25 %, one rollback
    expect(twin.service(ref).split).toEqual({ [stable]: 100 });
  });

  it('a repeated deploy of the same named revision is harmless', async () => {
    twin.seedService({ ...ref, image: STABLE_IMAGE });
    const first = await cloudRun.deployNoTraffic(ref, { image: CANARY_IMAGE, revisionSuffix: 'v1-42-0' });
    const second = await cloudRun.deployNoTraffic(ref, { image: CANARY_IMAGE, revisionSuffix: 'v1-42-0' });
    expect(second.revision).toBe(first.revision);
    expect(second.tagUrl).toBe(first.tagUrl);
    expect(patches()).toHaveLength(1);
  });

  it('keeps tags on other revisions at 0 % through splits and rollbacks', async () => {
    const stable = twin.seedService({ ...ref, image: STABLE_IMAGE }).latestReadyRevision as string;
    const old = twin.seedRevision(ref, { image: 'control:v1.40.0', name: 'control-00000-old' });
    twin.setTraffic(ref, [
      { revision: stable, percent: 100, tag: 'stable' },
      { revision: old, percent: 0, tag: 'previous' },
    ]);
    const canary = (await cloudRun.deployNoTraffic(ref, { image: CANARY_IMAGE })).revision;
    await cloudRun.setSplit(ref, { stable, canary, canaryPercent: 50 });
    expect(twin.service(ref).tags).toEqual({ stable, previous: old, canary });
    await cloudRun.rollbackTo(ref, stable);
    const service = twin.service(ref);
    expect(service.split).toEqual({ [stable]: 100 });
    expect(service.tags).toEqual({ stable, previous: old, canary });
  });

  it('tags a revision at 0 % and removes the tag again, the split untouched; asking twice writes once', async () => {
    const stable = twin.seedService({ ...ref, image: STABLE_IMAGE }).latestReadyRevision as string;
    const canary = (await cloudRun.deployNoTraffic(ref, { image: CANARY_IMAGE })).revision;
    await cloudRun.setSplit(ref, { stable, canary, canaryPercent: 100 });
    const before = patches().length;

    // Kept warm after promotion: the previous revision is addressable at its own tag URL.
    const tagged = await cloudRun.setTag(ref, 'previous', stable);
    let service = twin.service(ref);
    expect(service.split).toEqual({ [canary]: 100 });
    expect(service.tags).toEqual({ canary, previous: stable });
    const status = tagged.trafficStatuses.find((t) => t.tag === 'previous');
    expect(status).toMatchObject({ revision: stable, percent: 0 });
    expect(status?.url).toMatch(/^https:\/\/previous---control-/);
    await cloudRun.setTag(ref, 'previous', stable);
    expect(patches()).toHaveLength(before + 1);

    // Moved: a tag names one revision at a time.
    await cloudRun.setTag(ref, 'previous', canary);
    expect(twin.service(ref).tags).toEqual({ canary, previous: canary });

    const released = await cloudRun.setTag(ref, 'previous');
    service = twin.service(ref);
    expect(service.tags).toEqual({ canary });
    expect(service.split).toEqual({ [canary]: 100 });
    expect(released.trafficStatuses.some((t) => t.tag === 'previous')).toBe(false);
    await cloudRun.setTag(ref, 'previous');
    expect(patches()).toHaveLength(before + 3);

    await expect(cloudRun.setTag(ref, 'Previous!', stable)).rejects.toMatchObject({ kind: 'invalid' });
    await expect(cloudRun.setTag(ref, 'previous', 'control-99999-zzz')).rejects.toMatchObject({
      kind: 'not-found',
    });
  });

  it('describes the service: traffic asked and served, tag URLs, latest revisions and their images', async () => {
    const stable = twin.seedService({ ...ref, image: STABLE_IMAGE }).latestReadyRevision as string;
    const canary = (await cloudRun.deployNoTraffic(ref, { image: CANARY_IMAGE })).revision;
    await cloudRun.setSplit(ref, { stable, canary, canaryPercent: 5 });

    const state = await cloudRun.describe(ref);
    const service = twin.service(ref);
    expect(service.trafficStatuses[1]?.uri).toMatch(/^https:\/\/canary---control-/);
    expect(state).toEqual({
      ref,
      url: service.url,
      etag: service.etag,
      image: CANARY_IMAGE,
      latestReadyRevision: canary,
      latestCreatedRevision: canary,
      traffic: [
        { revision: stable, percent: 95 },
        { revision: canary, percent: 5, tag: 'canary' },
      ],
      trafficStatuses: [
        { revision: stable, percent: 95 },
        { revision: canary, percent: 5, tag: 'canary', url: service.trafficStatuses[1]?.uri },
      ],
      images: { [stable]: STABLE_IMAGE, [canary]: CANARY_IMAGE },
    });
  });

  it('describes a service still on its LATEST target, resolved to the latest ready revision', async () => {
    const stable = twin.seedService({ ...ref, image: STABLE_IMAGE }).latestReadyRevision as string;
    const state = await cloudRun.describe(ref);
    expect(state.traffic).toEqual([{ revision: stable, percent: 100, latest: true }]);
    expect(splitOf(state.trafficStatuses)).toEqual({ [stable]: 100 });
  });

  it('lists revisions newest first with their images and readiness', async () => {
    const stable = twin.seedService({ ...ref, image: STABLE_IMAGE }).latestReadyRevision as string;
    const canary = (await cloudRun.deployNoTraffic(ref, { image: CANARY_IMAGE })).revision;
    const revisions = await cloudRun.listRevisions(ref);
    expect(revisions.map(({ name, image, ready }) => ({ name, image, ready }))).toEqual([
      { name: canary, image: CANARY_IMAGE, ready: true },
      { name: stable, image: STABLE_IMAGE, ready: true },
    ]);
    expect(revisions[0]?.createdAt).toMatch(/^\d{4}-\d\d-\d\dT/);
  });
});
