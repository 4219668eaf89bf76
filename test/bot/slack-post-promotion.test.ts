import { describe, expect, it, vi } from 'vitest';
import { ACTIONS } from '../../src/blocks/actions.ts';
import { gate } from '../../src/config/gates.ts';
import { postPromotion } from '../../src/config/post-promotion.ts';
import type { ShiftgateConfig } from '../../src/config/schema.ts';
import type { GateRegistry } from '../../src/gates/registry.ts';
import type { RolloutSummary } from '../../src/reports/rollout-summary.ts';
import type { CanaryState } from '../../src/runbooks/types.ts';
import {
  APPROVERS,
  CLOUD_RUN_SERVICE,
  ENV,
  OUTSIDER,
  REF,
  REQUESTER,
  SERVICE,
  STABLE_REVISION,
  testConfig,
} from '../helpers/engine-world.ts';
import { canaryOf } from '../helpers/runbooks.ts';
import { buttonsOf, textsOf, useSlackWorld } from '../helpers/slack-world.ts';

// The post-promotion watch through Slack alone, down to the twins: a rollout whose runbook has a
// `postPromotion` stage promotes to 100 %, tags the previous revision to keep it warm (Cloud Run twin),
// watches the promoted revision against the previous revision's metrics from before the promotion
// (Monitoring twin), and ends done with the tag removed, or rolls back to the previous revision with the
// incident an automatic rollback opens. The Monitoring twin holds its data back as Cloud Monitoring does
// (a sample period, then the ingestion latency), scaled with the test's seconds-long windows: 500 ms and
// 1.5 s here, 60 s and 180 s in production.

const SAMPLE = { ms: 500, text: '500ms' };
const LATENCY = { ms: 1_500, text: '1500ms' };
const s = useSlackWorld('slack-post-promotion', [], {
  visibility: { samplePeriodMs: SAMPLE.ms, ingestionLatencyMs: LATENCY.ms },
});
const { world } = s;
const SLOW = { timeout: 60_000 };

/** Stages A, B (5 %) and E (100 %), then a post-promotion watch of `watch` with its own latency gate. */
function postConfig(watch = '4s'): ShiftgateConfig {
  const config = testConfig({
    watch: '1s',
    interval: '250ms',
    samplePeriod: SAMPLE.text,
    ingestionLatency: LATENCY.text,
  });
  const book = canaryOf(config);
  if (!book) throw new Error('no canary runbook');
  book.stages = [0, 1, 4].flatMap((i) => (book.stages[i] ? [book.stages[i]] : []));
  book.postPromotion = postPromotion.parse({
    watch,
    interval: '500ms',
    gates: ['error-rate', 'latency-p95'],
    // Cloud Monitoring's shortest window; production would say 2h.
    baselineWindow: '1m',
  });
  config.gates['latency-p95'] = gate.parse({
    kind: 'cloud-monitoring',
    metric: 'latency',
    percentile: 95,
    maxIncreasePercent: 50,
    minRequests: 20,
  });
  return config;
}

const canaryState = (view: { state: unknown }) => view.state as CanaryState;

/** Starts `tag` through Slack and approves each stage on its request in the thread, up to the watch. */
async function toWatch(tag: string): Promise<{ id: string; stable: string; canary: string }> {
  const stable = world.seed();
  const id = await startApproved(tag);
  const canary = world.canaryRevision(id, tag);
  await world.until(
    s.current.engine,
    id,
    (v) => {
      expect(v.status).toBe('watching');
      expect(canaryState(v).stage).toBe(3);
    },
    30_000,
  );
  return { id, stable, canary };
}

/** `/canary start <tag> [flags]`, then a click on each stage's approval request as it comes. */
async function startApproved(tag: string, flags = ''): Promise<string> {
  const started = await s.command(REQUESTER, '/canary', `start ${tag} ${flags}`.trim());
  const id = /`([^`]+)`/.exec(started.text)?.[1] as string;
  world.feed(world.canaryRevision(id, tag));
  const card = await s.waitForMessage((m) => m.thread_ts === undefined && m.text.includes(tag));
  for (const stage of [1, 2]) {
    const request = await s.waitForMessage(
      (m) =>
        m.thread_ts === card.ts &&
        buttonsOf(m).some((b) => b.action_id === ACTIONS.approve && JSON.parse(b.value).s === stage),
      30_000,
    );
    await s.click(APPROVERS[0], request, ACTIONS.approve);
  }
  return id;
}

/** The promoted revision answers slowly from now on: p95 400 ms against the previous revision's 100 ms. */
function slowDown(revision: string): void {
  const now = Date.now();
  for (let t = 0; t <= 30; t++) {
    world.metrics.addTraffic(revision, {
      requests: 200,
      latencyMs: 400,
      at: now + t * 1000,
      service: CLOUD_RUN_SERVICE,
    });
  }
}

/** `perSecond` requests a second, `errors` of them 5xx, served by `revision` over [from, to] s from now. */
function serve(revision: string, errors: number, from: number, to: number, perSecond = 1_000): void {
  const now = Date.now();
  for (let t = from; t <= to; t++) {
    world.metrics.addTraffic(revision, {
      requests: perSecond,
      errors5xx: errors,
      at: now + t * 1000,
      service: CLOUD_RUN_SERVICE,
    });
  }
}

const card = (tag: string) =>
  s.channelMessages().find((m) => m.thread_ts === undefined && m.text.includes(tag));
const threadText = (tag: string) =>
  s
    .thread(card(tag)?.ts ?? '')
    .flatMap((m) => [m.text, ...textsOf(m.blocks)])
    .join('\n');

describe('the post-promotion watch through Slack', () => {
  it(
    'a healthy watch holds the lock, shows its time left, and ends done with the previous revision released',
    SLOW,
    async () => {
      await s.start(postConfig());
      const { id, stable, canary } = await toWatch('v5.0.0');
      // Promoted, and the previous revision kept warm under its tag at 0 %.
      expect(world.split()).toEqual({ [canary]: 100 });
      expect(world.cloudRun.service(REF).tags).toMatchObject({ previous: stable });

      // The lock is held: a second start is refused, as for any active rollout.
      const second = await s.command(REQUESTER, '/canary', 'start v6.0.0');
      expect(second.text).toContain('You hold the deploy lock of `web` in `prod`');
      // Status and the card say where it stands, with the time left.
      const status = await s.command(OUTSIDER, '/canary', `status ${SERVICE}`);
      expect(status.text).toContain('*Post-promotion watch*');
      expect(status.text).toContain(
        `a failing gate rolls back to \`${stable}\` (kept warm as tag \`previous\`)`,
      );
      expect(status.text).toMatch(/window ends <!date\^\d+\^/);
      expect(status.text).toContain('(stage 4 of 4)');
      await vi.waitFor(() => {
        const shown = JSON.stringify(card('v5.0.0')?.blocks);
        expect(shown).toContain('Post-promotion watch');
        expect(shown).toContain('post-promotion 100 % ●');
        expect(buttonsOf(card('v5.0.0') as never).map((b) => b.text)).toEqual([
          'Pause',
          'End watch',
          'Roll back',
        ]);
      });
      expect(threadText('v5.0.0')).toContain('Post-promotion watch for 4 s');
      // Promoted already: nothing to abort; the answer says what may be done.
      const abort = await s.command(REQUESTER, '/canary', 'abort');
      expect(abort.text).toContain('/canary done ends the watch');

      const done = await world.until(s.current.engine, id, (v) => expect(v.status).toBe('promoted'), 30_000);
      const state = canaryState(done);
      expect(state.stages[3]).toMatchObject({ name: 'post-promotion', verdict: 'pass' });
      // Judged against the previous revision's metrics before promotion, on data that covered the window.
      const latency = state.stages[3]?.ticks.at(-1)?.find((r) => r.gate === 'latency-p95');
      expect(latency).toMatchObject({ status: 'pass', baseline: { value: 100, unit: 'ms' } });
      expect(latency?.evidence).toContain(stable);
      expect(world.split()).toEqual({ [canary]: 100 });
      expect(world.cloudRun.service(REF).tags).not.toHaveProperty('previous');
      await vi.waitFor(async () => expect(await world.store.locks.get(SERVICE, ENV)).toBeUndefined());
      await vi.waitFor(() =>
        expect(threadText('v5.0.0')).toContain('Done: the post-promotion watch is over'),
      );

      const { summary, md } = await s.reportFiles<RolloutSummary>();
      expect(summary.stages.map((st) => [st.name, st.result])).toEqual([
        ['A', 'passed'],
        ['B', 'passed'],
        ['E', 'passed'],
        ['post-promotion', 'passed'],
      ]);
      expect(summary.postPromotion).toMatchObject({
        result: 'passed',
        previousRevision: stable,
        warm: { tag: 'previous' },
        endedEarly: null,
      });
      expect(summary.postPromotion?.releasedAt).not.toBeNull();
      expect(md).toContain('## Post-promotion watch (stage post-promotion)');
    },
  );

  it(
    'a regression in the watch rolls back to the previous revision and opens the incident, as at any stage',
    SLOW,
    async () => {
      await s.start(postConfig('6s'));
      const { id, stable, canary } = await toWatch('v5.1.0');
      slowDown(canary);

      const ended = await world.until(
        s.current.engine,
        id,
        (v) => expect(v.status).toBe('rolled-back'),
        30_000,
      );
      const state = canaryState(ended);
      expect(state.rollback).toMatchObject({
        trigger: 'gate',
        failedStage: 'post-promotion',
        fromRevision: canary,
        toRevision: stable,
        routeOverride: 'legacy',
        trafficBefore: { [canary]: 100 },
      });
      expect(state.rollback?.reason).toContain('latency-p95');
      const failing = state.stages[3]?.ticks.at(-1)?.find((r) => r.gate === 'latency-p95');
      expect(failing).toMatchObject({
        status: 'fail',
        observed: { value: 400, unit: 'ms' },
        baseline: { value: 100, unit: 'ms' },
      });
      expect(world.split()).toEqual({ [stable]: 100 });
      // Released: the previous revision serves everything again and needs no tag.
      expect(world.cloudRun.service(REF).tags).not.toHaveProperty('previous');

      // The incident thread, as an automatic rollback opens it.
      const incident = await s.waitForMessage((m) =>
        buttonsOf(m).some((b) => b.action_id === ACTIONS.resolve),
      );
      const fields = textsOf(incident.blocks).join('\n');
      expect(fields).toContain('post-promotion');
      expect(fields).toContain(`*Traffic before*\n\`${canary}\` 100 %`);
      expect(fields).toContain(`*Traffic after*\n\`${stable}\` 100 %`);
      const { summary } = await s.reportFiles<RolloutSummary>();
      expect(summary.outcome).toMatchObject({ status: 'rolled-back', stage: 'post-promotion' });
      expect(summary.postPromotion).toMatchObject({ result: 'failed', previousRevision: stable });
    },
  );

  it(
    "a 5xx rate five times the previous revision's before promotion, under the 1 % bound, rolls back",
    SLOW,
    async () => {
      await s.start(postConfig('6s'));
      const { id, stable, canary } = await toWatch('v5.1.1');
      // Before promotion the previous revision answered 0.1 % 5xx (its baseline window is the minute
      // before stage E); from now the promoted one answers 0.5 %: under the bound, five times worse.
      serve(stable, 1, -130, 0);
      serve(canary, 5, 0, 30);

      const ended = await world.until(
        s.current.engine,
        id,
        (v) => expect(v.status).toBe('rolled-back'),
        30_000,
      );
      const state = canaryState(ended);
      expect(state.rollback).toMatchObject({
        trigger: 'gate',
        failedStage: 'post-promotion',
        fromRevision: canary,
        toRevision: stable,
      });
      expect(state.rollback?.reason).toContain('error-rate');
      const failing = state.stages[3]?.ticks.at(-1)?.find((r) => r.gate === 'error-rate');
      expect(failing?.status).toBe('fail');
      expect(Number(failing?.observed?.value)).toBeLessThan(1);
      expect(failing?.reason).toMatch(
        new RegExp(
          `^regression vs previous revision ${stable} from [\\d:]+Z to [\\d:]+Z: \\d+ of \\d+ 5xx on the canary`,
        ),
      );
      expect(world.split()).toEqual({ [stable]: 100 });
    },
  );

  it(
    '/canary done ends the watch early (its requester or an admin): the new revision stays',
    SLOW,
    async () => {
      await s.start(postConfig('5m'));
      const { id, stable, canary } = await toWatch('v5.2.0');
      const refused = await s.command(OUTSIDER, '/canary', 'done');
      expect(refused.text).toContain('or an admin may end its post-promotion watch');
      const done = await s.command(REQUESTER, '/canary', 'done all green');
      expect(done.text).toContain('Ending the post-promotion watch of');
      const ended = await world.until(s.current.engine, id, (v) => expect(v.status).toBe('promoted'));
      expect(canaryState(ended).postPromotion?.endedEarly).toMatchObject({
        by: REQUESTER,
        reason: 'all green',
      });
      expect(world.split()).toEqual({ [canary]: 100 });
      expect(world.cloudRun.service(REF).tags).not.toHaveProperty('previous');
      await vi.waitFor(() => {
        expect(threadText('v5.2.0')).toContain(
          `<@${REQUESTER}> ended the post-promotion watch early: all green`,
        );
        expect(threadText('v5.2.0')).toContain(`\`${stable}\` is released`);
      });
    },
  );

  it(
    '/canary done while an advisory gate of the watch asks: the ask is closed as decided, its buttons gone',
    SLOW,
    async () => {
      const config = postConfig('5m');
      config.gates['latency-p95'] = gate.parse({ ...config.gates['latency-p95'], mode: 'advisory' });
      await s.start(config);
      const { id, canary } = await toWatch('v5.4.0');
      slowDown(canary);
      const ask = await s.waitForMessage(
        (m) => buttonsOf(m).some((b) => b.action_id === ACTIONS.advisoryContinue),
        30_000,
      );
      await world.until(s.current.engine, id, (v) => expect(v.status).toBe('needs-attention'));
      await s.command(REQUESTER, '/canary', 'done slow but fine');
      const ended = await world.until(s.current.engine, id, (v) => expect(v.status).toBe('promoted'));
      expect(canaryState(ended).stages[3]?.asks?.[0]?.decision).toMatchObject({
        choice: 'continue',
        by: REQUESTER,
      });
      await vi.waitFor(
        () => {
          const closed = s.slack.message(ask.channel, ask.ts);
          expect(closed && buttonsOf(closed)).toEqual([]);
          expect(JSON.stringify(closed?.blocks)).toContain('*Continued* past advisory');
        },
        { timeout: 10_000, interval: 20 },
      );
    },
  );

  it('a dry run walks the watch too and says what it would tag, changing nothing', SLOW, async () => {
    await s.start(postConfig());
    world.seed();
    const id = await startApproved('v5.4.0', '--dry-run');
    await world.until(s.current.engine, id, (v) => expect(v.status).toBe('promoted'), 30_000);
    expect(world.patches()).toHaveLength(0);
    const { summary } = await s.reportFiles<RolloutSummary>();
    const plan = summary.plan?.map((p) => p.what) ?? [];
    expect(plan).toContain(`tag ${STABLE_REVISION} as previous (kept warm, at 0 %)`);
    expect(plan).toContain('remove the revision tag previous');
    expect(summary.stages.at(-1)).toMatchObject({ name: 'post-promotion', result: 'passed' });
  });

  it('a replica killed during the watch: another resumes it from Redis and ends it done', SLOW, async () => {
    const config = postConfig();
    // Replica A's gates never answer once the watch begins: it dies in the middle of an evaluation.
    let reached!: () => void;
    const hung = new Promise<void>((resolve) => {
      reached = resolve;
    });
    const dying: GateRegistry = {
      evaluate: (name, g, ctx) => {
        if (!ctx.baseline) return world.gates.evaluate(name, g, ctx);
        reached();
        return new Promise(() => {});
      },
    };
    const a = await s.start(config, {
      engine: {
        store: world.testStore.openAnother(),
        gates: dying,
        sweep: { intervalMs: 0, workerLeaseMs: 300 },
      },
    });
    const { id, stable, canary } = await toWatch('v5.3.0');
    await hung;
    await a.engine.close({ force: true });
    await a.bot.stop();

    const b = await s.start(config, { engine: { sweep: { intervalMs: 50, workerLeaseMs: 300 } } });
    const done = await world.until(b.engine, id, (v) => expect(v.status).toBe('promoted'), 30_000);
    const post = canaryState(done).stages[3];
    expect(post?.verdict).toBe('pass');
    expect(post?.ticks.length).toBeGreaterThan(0);
    expect(world.split()).toEqual({ [canary]: 100 });
    expect(world.cloudRun.service(REF).tags).not.toHaveProperty('previous');
    expect(canaryState(done).postPromotion).toMatchObject({ previousRevision: stable, released: {} });
    await vi.waitFor(async () => expect(await world.store.locks.get(SERVICE, ENV)).toBeUndefined());
  });
});
