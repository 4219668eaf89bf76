import { describe, expect, it } from 'vitest';
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
});
