import { describe, expect, it } from 'vitest';
import { ACTIONS } from '../../src/blocks/actions.ts';
import { APPROVERS, ENV, REQUESTER, SERVICE } from '../helpers/engine-world.ts';
import { buttonsOf, useSlackWorld } from '../helpers/slack-world.ts';

// Slack refusing for a moment (429 with Retry-After, 5xx) while a rollout posts and edits its messages:
// the bot's client does not retry here (retries: 0), so the engine's effect retries are what recover it.
// Each message still exists once, the rollout goes on, and nothing is lost from the thread.

const s = useSlackWorld('faults-slack');
const { world } = s;

async function started(tag: string) {
  await s.start();
  world.seed();
  const run = await s.current.engine.startCanary({ service: SERVICE, env: ENV, tag, requestedBy: REQUESTER });
  if (!run.ok) throw new Error(JSON.stringify(run));
  world.feed(world.canaryRevision(run.rolloutId, tag));
  return run.rolloutId;
}

const cards = (tag: string) =>
  s.channelMessages().filter((m) => m.thread_ts === undefined && m.text.includes(tag));

describe('Slack failing under a rollout', () => {
  it('429 with Retry-After on the card: posted once it is allowed, once, and the rollout goes on', async () => {
    s.slack.failNext('chat.postMessage', { status: 429, retryAfter: 1 }, 2);
    const id = await started('v7.0.0');
    await world.until(s.current.engine, id, (v) => expect(v.status).toBe('awaiting-approval'));
    const card = await s.waitForMessage((m) => m.thread_ts === undefined && m.text.includes('v7.0.0'));
    const request = await s.waitForMessage(
      (m) => m.thread_ts === card.ts && buttonsOf(m).some((b) => b.action_id === ACTIONS.approve),
    );
    expect(cards('v7.0.0')).toHaveLength(1);
    await s.click(APPROVERS[0], request, ACTIONS.approve);
    await world.until(s.current.engine, id, (v) => expect(v.status).toBe('watching'));
  });

  it('5xx on edits of the card: the next edit carries the state, nothing posted twice', async () => {
    const id = await started('v7.1.0');
    const card = await s.waitForMessage((m) => m.thread_ts === undefined && m.text.includes('v7.1.0'));
    s.slack.failNext('chat.update', { status: 503 }, 3);
    await world.until(s.current.engine, id, (v) => expect(v.status).toBe('awaiting-approval'));
    const request = await s.waitForMessage(
      (m) => m.thread_ts === card.ts && buttonsOf(m).some((b) => b.action_id === ACTIONS.approve),
    );
    await s.click(APPROVERS[0], request, ACTIONS.approve);
    await world.until(s.current.engine, id, (v) => expect(v.status).toBe('watching'));
    // The card caught up with the rollout once Slack answered again.
    await s.waitForMessage((m) => m.ts === card.ts && /5 %/.test(JSON.stringify(m.blocks)));
    expect(cards('v7.1.0')).toHaveLength(1);
  });
});
