import { describe, expect, it, vi } from 'vitest';
import type { CanaryState } from '../../src/runbooks/types.ts';
import { ENV, IMAGE_REPO, REF, REQUESTER, SERVICE, testConfig } from '../helpers/engine-world.ts';
import { textsOf, useSlackWorld } from '../helpers/slack-world.ts';

// The preconditions of seeds 000 and 001 through Slack: before anything is deployed, the image tag must
// exist in Artifact Registry (then it is deployed by its digest), and the service must declare the
// variables and secret references the config requires; each is a line in the thread.

const s = useSlackWorld('slack-preconditions');
const { world } = s;

function idOf(text: string): string {
  return /: `([^`]+)`\./.exec(text)?.[1] as string;
}

describe('preconditions before stage A', () => {
  it('a tag missing from Artifact Registry fails the rollout with nothing deployed, naming it', async () => {
    world.seed();
    world.registry.seedImage(`${IMAGE_REPO}:v2.0.0`);
    await s.start(testConfig({ imageCheck: 'required' }));
    const before = world.cloudRun.service(REF).revisions.length;
    const started = await s.command(REQUESTER, '/canary', `start ${SERVICE} v9.9.9 ${ENV}`);
    const view = await world.until(s.current.engine, idOf(started.text), (v) =>
      expect(v.status).toBe('failed'),
    );
    const state = view.state as CanaryState;
    expect(state.preconditions?.find((r) => r.gate === 'image')).toMatchObject({ status: 'fail' });
    expect(state.preconditions?.find((r) => r.gate === 'image')?.reason).toContain("tag 'v9.9.9'");
    expect(world.cloudRun.service(REF).revisions).toHaveLength(before);
    const line = await s.waitForMessage((m) => m.text.includes('preconditions'));
    expect(textsOf(line.blocks).join('\n')).toContain('Preconditions not met');
  });

  it('a tag that exists is deployed by its digest; a required variable the service lacks stops it', async () => {
    world.seed();
    const digest = world.registry.seedImage(`${IMAGE_REPO}:v2.0.0`);
    const config = testConfig({ imageCheck: 'required' });
    await s.start(config);
    const ok = await s.command(REQUESTER, '/canary', `start ${SERVICE} v2.0.0 ${ENV}`);
    const id = idOf(ok.text);
    world.feed(world.canaryRevision(id, 'v2.0.0'));
    const view = await world.until(s.current.engine, id, (v) => expect(v.status).toBe('awaiting-approval'));
    const state = view.state as CanaryState;
    expect(state.image).toBe(`${IMAGE_REPO}@${digest}`);
    expect(state.imageRequested).toBe(`${IMAGE_REPO}:v2.0.0`);
    const deployed = world.cloudRun.service(REF).revisions.find((r) => r.name === state.canaryRevision);
    expect(deployed?.image).toBe(`${IMAGE_REPO}@${digest}`);
  });

  it('the service must declare the required variables and secret references (names only)', async () => {
    world.seed();
    world.registry.seedImage(`${IMAGE_REPO}:v2.0.0`);
    const config = testConfig({ imageCheck: 'required' });
    const target = config.services[SERVICE]?.environments[ENV];
    if (!target) throw new Error('no target');
    target.requiredEnv = ['WORKOS_CLIENT_ID'];
    target.requiredSecrets = ['OA_SYNC_TOKEN_SIGNING_KEY'];
    await s.start(config);
    const started = await s.command(REQUESTER, '/canary', `start ${SERVICE} v2.0.0 ${ENV}`);
    const view = await world.until(s.current.engine, idOf(started.text), (v) =>
      expect(v.status).toBe('failed'),
    );
    const env = (view.state as CanaryState).preconditions?.find((r) => r.gate === 'env');
    expect(env?.reason).toContain('missing WORKOS_CLIENT_ID, OA_SYNC_TOKEN_SIGNING_KEY (secret)');
  });

  it('the bot must be allowed to act as the runtime service account (IAM), not only update the service', async () => {
    const account = `control-runtime@${REF.project}.iam.gserviceaccount.com`;
    world.seed({ serviceAccount: account });
    world.registry.seedImage(`${IMAGE_REPO}:v2.0.0`);
    world.iam.seedAccount(account, ['iam.serviceAccounts.get']);
    const config = testConfig({ imageCheck: 'required' });
    const environment = config.environments[ENV];
    if (!environment) throw new Error('no environment');
    environment.preconditions = { ...environment.preconditions, permissions: 'required' };
    await s.start(config);
    const before = world.cloudRun.service(REF).revisions.length;
    const started = await s.command(REQUESTER, '/canary', `start ${SERVICE} v2.0.0 ${ENV}`);
    const view = await world.until(s.current.engine, idOf(started.text), (v) =>
      expect(v.status).toBe('failed'),
    );
    const permissions = (view.state as CanaryState).preconditions?.find((r) => r.gate === 'permissions');
    expect(permissions).toMatchObject({ status: 'fail' });
    expect(permissions?.reason).toBe(`the bot lacks iam.serviceAccounts.actAs on ${account}`);
    expect(world.cloudRun.service(REF).revisions).toHaveLength(before);
    const asked = world.iam.recorder.requests.map((r) => r.path.split('?')[0]);
    expect(asked).toContain(`/v1/projects/${REF.project}/serviceAccounts/${account}:testIamPermissions`);
    const line = await s.waitForMessage((m) => m.text.includes('preconditions'));
    expect(textsOf(line.blocks).join('\n')).toContain('iam.serviceAccounts.actAs');

    // Granted: the same release goes ahead, and the line says which account it acts as.
    world.iam.setPermissions(account, 'all');
    // The failed rollout lets go of the deploy lock as its last step: start again once it has.
    const again = await vi.waitFor(
      async () => {
        const answer = await s.command(REQUESTER, '/canary', `start ${SERVICE} v2.0.0 ${ENV}`);
        expect(answer.text).not.toContain('deploy lock');
        return answer;
      },
      { timeout: 10_000, interval: 50 },
    );
    const id = idOf(again.text);
    world.feed(world.canaryRevision(id, 'v2.0.0'));
    const ok = await world.until(s.current.engine, id, (v) => expect(v.status).toBe('awaiting-approval'));
    const line2 = (ok.state as CanaryState).preconditions?.find((r) => r.gate === 'permissions');
    expect(line2?.observed?.value).toBe(`granted, acts as ${account}`);
  });
});
