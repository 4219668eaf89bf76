import { describe, expect, it } from 'vitest';
import { ACTIONS } from '../../src/blocks/actions.ts';
import type { CanaryState } from '../../src/runbooks/types.ts';
import { APPROVERS, ENV, REF, REQUESTER, SERVICE } from '../helpers/engine-world.ts';
import { buttonsOf, textsOf, useSlackWorld } from '../helpers/slack-world.ts';

// Cloud Run misbehaving under a rollout driven through Slack: the engine retries within its bound
// (policy.maxAttempts, 3 in the test world; the adapter's own transientAttempts is 1 there), never
// changes traffic without reading it back, tells the rollout's thread what happened in plain words, and
// the rollout ends where it should.

const s = useSlackWorld('faults-cloud-run');
const { world } = s;
const TAG = 'v4.0.0';

async function atB() {
  await s.start();
  const stable = world.seed();
  const started = await s.current.engine.startCanary({
    service: SERVICE,
    env: ENV,
    tag: TAG,
    requestedBy: REQUESTER,
  });
  if (!started.ok) throw new Error(JSON.stringify(started));
  const id = started.rolloutId;
  const revision = world.canaryRevision(id, TAG);
  world.feed(revision);
  await world.until(s.current.engine, id, (v) => expect(v.status).toBe('awaiting-approval'));
  const card = await s.waitForMessage((m) => m.thread_ts === undefined && m.text.includes(TAG));
  const request = await s.waitForMessage(
    (m) => m.thread_ts === card.ts && buttonsOf(m).some((b) => b.action_id === ACTIONS.approve),
  );
  return { id, stable, revision, card, request };
}

const threadText = (ts: string) =>
  s
    .thread(ts)
    .map((m) => m.text)
    .join('\n');
/** What a person reads of a message: its blocks (the fallback text is cut short). */
const read = (m: { blocks?: unknown }) => textsOf(m.blocks).join('\n');

const patches = () => world.patches().length;

describe('Cloud Run failing a traffic change', () => {
  it('500 on every try: three attempts, traffic untouched, the thread says so plainly; resume finishes it', async () => {
    const { id, stable, revision, card, request } = await atB();
    const before = patches();
    world.cloudRun.recorder.inject({
      match: world.cloudRun.routes.updateService(REF),
      status: 500,
      times: 3,
    });
    await s.click(APPROVERS[0], request, ACTIONS.approve);
    await world.until(s.current.engine, id, (v) => expect(v.status).toBe('needs-attention'));
    expect(patches() - before).toBe(3); // policy.maxAttempts
    expect(world.split()).toEqual({ [stable]: 100 });
    const toldMessage = await s.waitForMessage(
      (m) => m.thread_ts === card.ts && /needs attention/.test(m.text),
    );
    const told = read(toldMessage);
    expect(told).toContain(`moving 5 % of traffic to \`${revision}\` failed 3 times`);
    expect(told).toContain('Cloud Run unavailable');
    expect(told).toContain(`Traffic as Cloud Run last confirmed it: 100 % on \`${stable}\``);
    expect(told).not.toContain('set-traffic');

    expect((await s.command(REQUESTER, '/canary', 'resume')).text).toMatch(/Resum/);
    await world.until(s.current.engine, id, (v) => expect(v.status).toBe('watching'));
    expect(world.split()).toEqual({ [stable]: 95, [revision]: 5 });
  });

  it('429 with Retry-After once: tried again, shifted once, nobody bothered', async () => {
    const { id, stable, revision, card, request } = await atB();
    const before = patches();
    world.cloudRun.recorder.inject({
      match: world.cloudRun.routes.updateService(REF),
      status: 429,
      retryAfter: 1,
    });
    await s.click(APPROVERS[0], request, ACTIONS.approve);
    await world.until(s.current.engine, id, (v) => expect(v.status).toBe('watching'));
    expect(patches() - before).toBe(2);
    expect(world.split()).toEqual({ [stable]: 95, [revision]: 5 });
    expect(threadText(card.ts)).not.toMatch(/needs attention/);
  });

  it('an operation that fails: not retried, traffic as before, the thread says a person is needed', async () => {
    const { id, stable, revision, card, request } = await atB();
    const before = patches();
    world.cloudRun.recorder.inject({
      match: world.cloudRun.routes.updateService(REF),
      kind: 'operation-failed',
      message: 'Revision is not ready: container failed to start <!channel>',
    });
    await s.click(APPROVERS[0], request, ACTIONS.approve);
    await world.until(s.current.engine, id, (v) => expect(v.status).toBe('needs-attention'));
    expect(patches() - before).toBe(1);
    expect(world.split()).toEqual({ [stable]: 100 });
    const toldMessage = await s.waitForMessage(
      (m) => m.thread_ts === card.ts && /needs attention/.test(m.text),
    );
    const told = read(toldMessage);
    expect(told).toContain(`moving 5 % of traffic to \`${revision}\` failed and was not retried`);
    expect(told).toContain('container failed to start &lt;!channel&gt;');
    const state = (await s.current.engine.get(id))?.state as CanaryState;
    expect(state.pending).toMatchObject({ effect: 'set-traffic', attempts: 1 });
  });
});
