import { PNG } from 'pngjs';
import { describe, expect, it, vi } from 'vitest';
import { ACTIONS } from '../../src/blocks/actions.ts';
import { createStageChartPoster } from '../../src/platform/slack/stage-charts.ts';
import type { CanaryState } from '../../src/runbooks/types.ts';
import { APPROVERS, REQUESTER } from '../helpers/engine-world.ts';
import { buttonsOf, useSlackWorld } from '../helpers/slack-world.ts';

// At the end of each gated stage its chart (canary vs stable over the watch window) goes into the
// rollout's thread as a PNG through files v2, and the stage's gate message links it by its permalink;
// once, however the ending is notified again, and even when the replica that uploaded it died before
// recording the upload.

const s = useSlackWorld('stage-charts');
const { world, slack } = s;
const waitFor = <T>(read: () => T | Promise<T>) => vi.waitFor(read, { timeout: 15_000, interval: 25 });
const silent = { warn: () => {}, error: () => {} };

const completions = () =>
  slack.recorder.requests.filter((r) => r.path.endsWith('files.completeUploadExternal')).length;

/** A canary through stage B (5 %): approved, watched, passed; waiting for stage C's approval. */
async function throughStageB() {
  await s.start();
  world.seed();
  const started = await s.command(REQUESTER, '/canary', 'start v5.0.0');
  const id = /`([^`]+)`/.exec(started.text)?.[1] as string;
  world.feed(world.canaryRevision(id, 'v5.0.0'));
  const card = await s.waitForMessage((m) => m.thread_ts === undefined && m.text.includes('v5.0.0'));
  const request = await s.waitForMessage(
    (m) =>
      m.thread_ts === card.ts &&
      buttonsOf(m).some((b) => b.action_id === ACTIONS.approve && JSON.parse(b.value).s === 1),
  );
  await s.click(APPROVERS[0], request, ACTIONS.approve);
  await world.until(s.current.engine, id, (v) => expect((v.state as CanaryState).stage).toBe(2), 15_000);
  const state = (await s.current.engine.get(id))?.state as CanaryState;
  return { id, card, state };
}

describe('stage charts in the thread', () => {
  it('posts stage B’s chart as a PNG when the stage ends, and its gate message links it', async () => {
    const { card, state } = await throughStageB();
    const chart = await waitFor(() => {
      const file = slack.files().find((f) => f.name === 'chart-stage-B.png' && f.completed);
      expect(file).toBeDefined();
      return file as NonNullable<typeof file>;
    });
    expect(chart.thread_ts).toBe(card.ts);
    expect(chart.title).toBe(`${state.id} stage B chart, ${state.stages[1]?.ticks.length} ticks`);
    const image = PNG.sync.read(Buffer.from(chart.bytes as Uint8Array));
    expect(image.width).toBeGreaterThan(1000);
    expect(image.height).toBeGreaterThan(300);
    // Posted in the thread with a comment that says which stage and how it ended.
    const posted = slack.thread(card.channel, card.ts).find((m) => m.files?.some((f) => f.id === chart.id));
    expect(posted?.text).toMatch(
      /^:chart_with_upwards_trend: Stage B \(5 %\), canary vs stable .*: passed\.$/,
    );

    // The gate message of stage B links the chart by the permalink files.info gives.
    const gates = await waitFor(() => {
      const m = slack.thread(card.channel, card.ts).find((x) => x.text.includes('Gates of stage B'));
      expect(JSON.stringify(m?.blocks)).toContain('chart_with_upwards_trend');
      return m as NonNullable<typeof m>;
    });
    const permalink = `https://twin.slack.com/files/${slack.botUserId}/${chart.id}/chart-stage-B.png`;
    expect(JSON.stringify(gates.blocks)).toContain(
      `<${permalink}|chart of the stage: canary vs stable (chart-stage-B.png)>`,
    );
    // The gate lines are the short ones, with the figures in context lines under them.
    const blocks = JSON.stringify(gates.blocks);
    expect(blocks).toMatch(/\*error-rate\* (pass|inconclusive): 5xx rate [\d.]+ % against &lt; 1 %/);
  });

  it('posts each chart once: a redriven ending, or a replica that died before recording the upload', async () => {
    const { id, card, state } = await throughStageB();
    await waitFor(() => expect(slack.files().some((f) => f.name === 'chart-stage-B.png')).toBe(true));
    await s.current.engine.idle();
    const before = completions();
    const thread = { channel: card.channel, threadTs: card.ts };
    const post = createStageChartPoster({ store: world.store, poster: s.current.side.poster, log: silent });

    // Redriven: found recorded, nothing sent, the same link.
    const again = await post(state, 1, thread);
    expect(again?.url).toMatch(/\/chart-stage-B\.png$/);
    expect(completions()).toBe(before);

    // The replica died after Slack took the file and before it recorded the upload: the record is gone,
    // the note that an upload began is not. The next one finds the file in the thread by its title.
    const key = world.store.keys.slackMessages(id);
    const purposes = Object.keys(await world.store.redis.hgetall(key));
    const purpose = purposes.find((p) => p.startsWith('chart:1:') && !p.endsWith('#posting')) as string;
    expect(purposes).toContain(`${purpose}#posting`);
    await world.store.redis.hdel(key, purpose);
    // Its claim lapsed with it (8 s, within the 10 s worker lease after which another replica redrives).
    await world.store.idempotency.release(`chart-upload:${id}:${purpose}`);
    const adopted = await post(state, 1, thread);
    expect(adopted).toEqual(again);
    expect(completions()).toBe(before);
    expect(slack.files().filter((f) => f.name === 'chart-stage-B.png')).toHaveLength(1);
    expect(await s.current.side.poster.ref(id, purpose)).toBeDefined();
  });

  it('answers the chart without a link when Slack will not say its permalink (files:read missing)', async () => {
    const { card, state } = await throughStageB();
    await waitFor(() => expect(slack.files().some((f) => f.name === 'chart-stage-B.png')).toBe(true));
    await s.current.engine.idle();
    slack.failNext('files.info', 'missing_scope');
    const post = createStageChartPoster({ store: world.store, poster: s.current.side.poster, log: silent });
    const link = await post(state, 1, { channel: card.channel, threadTs: card.ts });
    expect(link).toEqual({ file: 'chart-stage-B.png' });
  });

  it('draws nothing for a stage whose gates compare nothing (stage A: smoke checks)', async () => {
    const { card, state } = await throughStageB();
    await s.current.engine.idle();
    const post = createStageChartPoster({ store: world.store, poster: s.current.side.poster, log: silent });
    expect(await post(state, 0, { channel: card.channel, threadTs: card.ts })).toBeUndefined();
    expect(slack.files().map((f) => f.name)).toEqual(['chart-stage-B.png']);
  });
});
