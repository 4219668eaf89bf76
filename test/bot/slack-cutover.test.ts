import { describe, expect, it, vi } from 'vitest';
import { ACTIONS } from '../../src/blocks/actions.ts';
import type { EngineOptions } from '../../src/bot/engine.ts';
import { gate } from '../../src/config/gates.ts';
import { streamCutoverRunbook } from '../../src/config/runbooks.ts';
import type { ShiftgateConfig } from '../../src/config/schema.ts';
import { secretRef } from '../../src/config/secret-ref.ts';
import type { CutoverSummary } from '../../src/reports/cutover-summary.ts';
import type { RouteSplitControl } from '../../src/runbooks/ports/route-split.ts';
import type { StreamCutoverState } from '../../src/runbooks/types.ts';
import {
  APPROVERS,
  ENV,
  OUTSIDER,
  PROJECT,
  REF,
  REQUESTER,
  SERVICE,
  STABLE_REVISION,
  testConfig,
} from '../helpers/engine-world.ts';
import { buttonsOf, textsOf, useSlackWorld } from '../helpers/slack-world.ts';
import { createStreamService, type StreamBreak } from '../helpers/stream-service.ts';

// /cutover stream through Slack alone (signed commands and clicks to the real Bolt receiver), down to the
// twins: the stream aliases of the service, the route-split API, Cloud Run and the SLO of Cloud
// Monitoring. The train's happy path dry and live, each hard gate breaching alone, a stream broken at
// each point of the contract, the flip refused without approval, and a replica dying mid-flip.

const web = createStreamService('https://web.example.test');
// The legacy stack streams the same answer in other chunks: not a difference.
const legacy = createStreamService('https://legacy.example.test', ['Hel', 'lo, wor', 'ld']);
const LEGACY_URL = 'https://legacy.example.test';
const s = useSlackWorld('slack-cutover', [...web.handlers, ...legacy.handlers]);
const { world, slack } = s;
const CANARY_REVISION = 'web-prod-00002-can';
const USER_TOKEN = 'user-token-ai-stream-42';
const SLO = `projects/${PROJECT}/services/web/serviceLevelObjectives/availability`;
const secrets = { resolve: async () => USER_TOKEN };

function cutoverConfig(options: { slo?: boolean; maxSmokeFailures?: number } = {}): ShiftgateConfig {
  const config = testConfig();
  const stream = (path: string) =>
    gate.parse({
      kind: 'sse-contract',
      target: 'public',
      path,
      auth: 'access-token',
      body: { text: 'ping' },
    });
  config.gates['chat-stream'] = stream('/api/chat/stream');
  config.gates['chats-stream'] = stream('/api/chats/thread-smoke/stream');
  config.gates['route-login'] = gate.parse({ kind: 'route-split', path: '/login', expect: 'rust_shell' });
  config.runbooks['stream-cutover'] = streamCutoverRunbook.parse({
    kind: 'stream-cutover',
    smokes: ['chat-stream', 'chats-stream'],
    route: { target: 'rust', verify: ['route-login'] },
    dualRun: { legacyUrls: [LEGACY_URL] },
    ...(options.slo ? { errorBudget: { slo: SLO } } : {}),
    ...(options.maxSmokeFailures === undefined
      ? {}
      : { hardGates: { maxStreamSmokeFailures: options.maxSmokeFailures } }),
  });
  const target = config.services[SERVICE]?.environments[ENV];
  if (!target) throw new Error('no web prod');
  target.cutover = 'stream-cutover';
  target.accessToken = secretRef.parse('env:AUTH_TOKEN');
  return config;
}

/** The service with a stable and a canary revision, the canary at 10 %. */
function seedRevisions(): void {
  world.seed();
  world.cloudRun.seedRevision(REF, {
    image: 'europe-docker.pkg.dev/proj-test/web/web:v2.0.0',
    name: CANARY_REVISION,
  });
  world.cloudRun.setTraffic(REF, [
    { revision: STABLE_REVISION, percent: 90 },
    { revision: CANARY_REVISION, percent: 10 },
  ]);
}

async function startBot(config = cutoverConfig(), engine: Partial<EngineOptions> = {}) {
  web.reset();
  legacy.reset();
  seedRevisions();
  return s.start(config, { engine: { secrets, ...engine } });
}

const cutover = (flags = '') =>
  s.command(REQUESTER, '/cutover', `stream ${SERVICE} ${ENV} ${STABLE_REVISION} ${CANARY_REVISION} ${flags}`);

const idOf = (text: string) => /`([^`]+)`\. The card/.exec(text)?.[1] as string;

async function ended(id: string, status: string): Promise<StreamCutoverState> {
  const view = await world.until(s.current.engine, id, (v) => expect(v.status).toBe(status), 15_000);
  return view.state as StreamCutoverState;
}

/** The report files of the train, once uploaded into its thread. */
const report = () => s.reportFiles<CutoverSummary>();

const card = () => s.waitForMessage((m) => m.thread_ts === undefined && m.text.includes('stream cutover'));
const overrideUpdates = () =>
  world.routeSplit.audit.filter((e) => e.event === 'route.split.override.updated');

describe('/cutover stream through Slack', () => {
  it('a dry run walks every step, changes nothing, and leaves summary.json and SUMMARY.md', async () => {
    await startBot();
    const started = await cutover('--apply-route-flip');
    expect(started.text).toContain('as a dry run');
    const state = await ended(idOf(started.text), 'promoted');
    expect(state.steps.map((st) => st.name)).toEqual([
      'pre-smoke',
      'route-flip',
      'post-smoke',
      'canary-drill',
      'error-budget',
      'hard-gates',
    ]);
    // Nothing changed: no Cloud Run write, no override, no stream request sent.
    expect(world.patches()).toHaveLength(0);
    expect(overrideUpdates()).toHaveLength(0);
    expect(web.state.requests).toHaveLength(0);
    const { summary, md } = await report();
    expect(summary).toMatchObject({ schema: 'shiftgate/stream-cutover-summary@1', dryRun: true });
    expect(summary.drill.trafficFound).toEqual({ [STABLE_REVISION]: 90, [CANARY_REVISION]: 10 });
    expect(md).toContain('| error-budget-consumed | 0 % | 5 % | pass |');
    const root = await card();
    const thread = s.thread(root.ts).map((m) => m.text);
    expect(thread.some((t) => t.includes('Route flip'))).toBe(true);
  });

  it('live: pre-smokes, approval (not the requester), flip, post-smokes, drill, SLO budget; passes', async () => {
    await startBot(cutoverConfig({ slo: true }));
    world.metrics.defineSlo({ name: SLO, goal: 0.999, rollingPeriod: '2419200s' });
    world.metrics.setBudgetFraction(SLO, 0.98);
    const started = await cutover('--apply-route-flip --live');
    const id = idOf(started.text);
    const request = await s.waitForMessage(
      (m) => m.text.startsWith('Approval needed') && buttonsOf(m).length > 0,
    );
    // Both aliases were smoked with the user's token before anyone was asked.
    expect(web.state.requests.map((r) => [r.path, r.auth])).toEqual(
      expect.arrayContaining([
        ['/api/chat/stream', `Bearer ${USER_TOKEN}`],
        ['/api/chats/thread-smoke/stream', `Bearer ${USER_TOKEN}`],
      ]),
    );
    expect(overrideUpdates()).toHaveLength(0);
    // The requester's own click does not count; an outsider's neither.
    const self = await s.click(REQUESTER, request, ACTIONS.approve);
    await vi.waitFor(() => expect(JSON.stringify(slack.responses(self))).toContain('someone else'), {
      timeout: 10_000,
    });
    const outsider = await s.click(OUTSIDER, request, ACTIONS.approve);
    await vi.waitFor(() => expect(JSON.stringify(slack.responses(outsider))).toContain('not an approver'), {
      timeout: 10_000,
    });
    expect(overrideUpdates()).toHaveLength(0);
    await s.click(APPROVERS[0], request, ACTIONS.approve);
    const state = await ended(id, 'promoted');
    expect(overrideUpdates()).toHaveLength(1);
    expect(world.routeSplit.override).toBe('rust_shell');
    // The drill: 100 % to stable, then back to the 90/10 it found.
    expect(world.patchedSplits()).toEqual([
      { [STABLE_REVISION]: 100 },
      { [STABLE_REVISION]: 90, [CANARY_REVISION]: 10 },
    ]);
    expect(state.errorBudget).toMatchObject({ source: 'slo', consumedPercent: 2 });
    const { summary } = await report();
    expect(summary.hardGates.map((g) => [g.name, g.observed, g.status])).toEqual([
      ['route-flip-failures', 0, 'pass'],
      ['stream-smoke-failures', 0, 'pass'],
      ['canary-drill-failures', 0, 'pass'],
      ['dual-run-failures', 0, 'pass'],
      ['error-budget-consumed', 2, 'pass'],
    ]);
    expect(summary.approvals.map((a) => a.userId)).toEqual([APPROVERS[0]]);
    const steps = summary.steps.find((st) => st.name === 'post-smoke');
    expect(steps?.results.map((r) => [r.gate, r.status])).toEqual([
      ['chat-stream', 'pass'],
      ['chats-stream', 'pass'],
    ]);
    // The user token never reaches Slack.
    expect(JSON.stringify(slack.recorder.requests.map((r) => r.body))).not.toContain(USER_TOKEN);
  });

  it('a dual-run compares the same streams from Rust and legacy; another chunking is no difference', async () => {
    await startBot();
    const state = await ended(
      await liveApproved(`--dual-run ${LEGACY_URL} --error-budget-consumed 0.5`),
      'promoted',
    );
    const dual = state.steps.find((st) => st.name === 'dual-run');
    expect(dual?.results.map((r) => [r.gate, r.status, r.metric])).toEqual([
      ['chat-stream', 'pass', 'dual-run POST /api/chat/stream'],
      ['chats-stream', 'pass', 'dual-run POST /api/chats/thread-smoke/stream'],
    ]);
    expect(legacy.state.requests.map((r) => r.auth)).toEqual([
      `Bearer ${USER_TOKEN}`,
      `Bearer ${USER_TOKEN}`,
    ]);
  });

  it('a dual-run URL the runbook does not list is refused: the user token goes nowhere else', async () => {
    await startBot();
    const refused = await cutover('--dual-run https://evil.example.test --error-budget-consumed 1 --live');
    expect(refused.text).toContain('not a legacy URL of this runbook');
    expect(await world.store.locks.get(SERVICE, ENV)).toBeUndefined();
  });

  it('a revision the service does not have is refused, naming the revisions it has', async () => {
    await startBot();
    const refused = await s.command(
      REQUESTER,
      '/cutover',
      `stream ${SERVICE} ${ENV} ${STABLE_REVISION} web-prod-00009-typo --error-budget-consumed 1 --live`,
    );
    expect(refused.text).toContain('no revision web-prod-00009-typo (the canary one)');
    expect(refused.text).toContain(CANARY_REVISION);
    expect(await world.store.locks.get(SERVICE, ENV)).toBeUndefined();
  });

  it('bad input is answered with what was wrong and the right form', async () => {
    await startBot();
    const one = await s.command(REQUESTER, '/cutover', `stream ${SERVICE} ${ENV} ${STABLE_REVISION}`);
    expect(one.text).toContain('Name both revisions');
    expect(one.text).toContain('/cutover stream &lt;service&gt; [env] &lt;stable-revision&gt;');
    const same = await s.command(
      REQUESTER,
      '/cutover',
      `stream ${SERVICE} ${STABLE_REVISION} ${STABLE_REVISION}`,
    );
    expect(same.text).toContain('are the same');
    const budget = await s.command(
      REQUESTER,
      '/cutover',
      `stream ${SERVICE} a-1 b-2 --error-budget-consumed lots`,
    );
    expect(budget.text).toContain('--error-budget-consumed');
    const url = await s.command(
      REQUESTER,
      '/cutover',
      `stream ${SERVICE} a-1 b-2 --dual-run javascript:alert(1)`,
    );
    expect(url.text).toContain('http(s) base URL');
    const flag = await s.command(REQUESTER, '/cutover', `stream ${SERVICE} a-1 b-2 --force`);
    expect(flag.text).toContain('Unknown flag `--force`');
    expect(web.state.requests).toHaveLength(0);
  });

  it('a live train without an SLO or --error-budget-consumed is refused before anything is locked', async () => {
    await startBot();
    const refused = await cutover('--live');
    expect(refused.text).toContain('--error-budget-consumed');
    expect(await world.store.locks.get(SERVICE, ENV)).toBeUndefined();
  });
});

/** A live train approved by the first approver; resolves to its id. */
async function liveApproved(flags: string): Promise<string> {
  const started = await cutover(`--live ${flags}`);
  const id = idOf(started.text);
  expect(id, started.text).toBeDefined();
  const request = await s.waitForMessage(
    (m) => m.text.startsWith('Approval needed') && buttonsOf(m).length > 0,
  );
  await s.click(APPROVERS[0], request, ACTIONS.approve);
  return id;
}

describe('each hard gate breaching alone fails the train, and a flipped route is flipped back', () => {
  it('error budget: an SLO that consumed 8 % of its budget (most 5 %)', async () => {
    await startBot(cutoverConfig({ slo: true }));
    world.metrics.defineSlo({ name: SLO, goal: 0.999, rollingPeriod: '2419200s' });
    world.metrics.setBudgetFraction(SLO, 0.92);
    const state = await ended(await liveApproved('--apply-route-flip'), 'failed');
    expect(state.hardGates?.filter((g) => g.status !== 'pass').map((g) => g.name)).toEqual([
      'error-budget-consumed',
    ]);
    expect(state.route).toMatchObject({ flipped: true, flippedBack: true });
    expect(world.routeSplit.override).toBeNull();
    expect(overrideUpdates()).toHaveLength(2);
    const audit = await world.store.audit.read({ limit: 50 });
    expect(audit.entries.filter((e) => e.what === 'route-split.cutover').length).toBeGreaterThanOrEqual(2);
    const { md } = await report();
    expect(md).toContain('| error-budget-consumed | 8 % | 5 % | **FAIL** |');
  });

  it('error budget given by the operator over its most', async () => {
    await startBot();
    const state = await ended(await liveApproved('--error-budget-consumed 6.5'), 'failed');
    expect(state.hardGates?.find((g) => g.name === 'error-budget-consumed')).toMatchObject({
      observed: 6.5,
      status: 'fail',
    });
    expect(state.route?.flipped).toBeFalsy();
    expect(overrideUpdates()).toHaveLength(0);
  });

  it('route flip: the route reads legacy after the flip (forced by the service)', async () => {
    await startBot();
    world.routeSplit.configure({ forceLegacy: true });
    const state = await ended(await liveApproved('--apply-route-flip --error-budget-consumed 1'), 'failed');
    expect(state.hardGates?.filter((g) => g.status !== 'pass').map((g) => g.name)).toEqual([
      'route-flip-failures',
    ]);
    // Stopped at the flip: no post-smoke, no drill; the route put back.
    expect(state.steps.find((st) => st.name === 'canary-drill')?.status).toBe('skipped');
    expect(world.patches()).toHaveLength(0);
    expect(state.route?.flippedBack).toBe(true);
  });

  it('canary drill: Cloud Run refuses the traffic change', async () => {
    await startBot();
    world.cloudRun.recorder.inject({ match: 'PATCH', status: 403, times: 20 });
    const state = await ended(await liveApproved('--apply-route-flip --error-budget-consumed 1'), 'failed');
    expect(state.hardGates?.filter((g) => g.status !== 'pass').map((g) => g.name)).toEqual([
      'canary-drill-failures',
    ]);
    expect(world.split()).toEqual({ [STABLE_REVISION]: 90, [CANARY_REVISION]: 10 });
    expect(state.route?.flippedBack).toBe(true);
  });

  it('dual-run: legacy answers another event sequence', async () => {
    await startBot();
    legacy.state.break = 'no-finish-step';
    const state = await ended(
      await liveApproved(`--dual-run ${LEGACY_URL} --error-budget-consumed 1`),
      'failed',
    );
    expect(state.hardGates?.filter((g) => g.status !== 'pass').map((g) => [g.name, g.observed])).toEqual([
      ['dual-run-failures', 2],
    ]);
    const dual = state.steps.find((st) => st.name === 'dual-run');
    expect(dual?.results[0]?.reason).toContain('finish-step');
  });

  it('stream smokes: one failure within a most of 1 goes on; the second one fails the train', async () => {
    await startBot(cutoverConfig({ maxSmokeFailures: 1 }));
    web.state.break = 'double-done';
    web.state.breakPath = '/api/chats/thread-smoke/stream';
    const state = await ended(await liveApproved('--apply-route-flip --error-budget-consumed 1'), 'failed');
    expect(state.steps.find((st) => st.name === 'pre-smoke')).toMatchObject({
      status: 'failed',
      failures: 1,
    });
    expect(state.hardGates?.filter((g) => g.status !== 'pass').map((g) => [g.name, g.observed])).toEqual([
      ['stream-smoke-failures', 2],
    ]);
    expect(state.route?.flippedBack).toBe(true);
  });
});

describe('a stream that breaks the contract', () => {
  const breaks: StreamBreak[] = [
    'status-502',
    'wrong-content-type',
    'no-version-header',
    'no-finish-step',
    'double-done',
    'truncated',
  ];
  it.each(breaks)('%s after the flip: post-smokes fail, the route is flipped back', async (broken) => {
    await startBot();
    web.state.break = broken;
    web.state.breakFrom = 2; // the pre-cutover smokes (one request per alias) stay whole
    const state = await ended(await liveApproved('--apply-route-flip --error-budget-consumed 1'), 'failed');
    const post = state.steps.find((st) => st.name === 'post-smoke');
    expect(state.steps.find((st) => st.name === 'pre-smoke')?.status).toBe('passed');
    expect(post?.results.every((r) => r.status === 'fail')).toBe(true);
    expect(state.hardGates?.find((g) => g.name === 'stream-smoke-failures')).toMatchObject({
      observed: 2,
      status: 'fail',
    });
    expect(world.routeSplit.override).toBeNull();
    const root = await card();
    const texts = s
      .thread(root.ts)
      .flatMap((m) => [m.text, ...textsOf(m.blocks)])
      .join('\n');
    expect(texts).toContain('Post-cutover stream smokes');
  });
});

describe('what a service under test returns', () => {
  it('never reaches Slack as markup: a stream event that is a broadcast and a link is shown as text', async () => {
    await startBot();
    web.state.break = 'hostile';
    const started = await cutover('--error-budget-consumed 1 --live');
    const state = await ended(idOf(started.text), 'failed');
    expect(state.steps[0]?.results[0]?.reason).toContain('<!channel>');
    // The step's message shows the failing event, as text.
    const posted = await vi.waitFor(
      () => {
        const all = JSON.stringify(slack.recorder.requests.map((r) => r.body));
        expect(all).toContain('&lt;!channel&gt;');
        return all;
      },
      { timeout: 10_000, interval: 20 },
    );
    expect(posted).not.toContain('<!channel>');
    expect(posted).not.toContain('<https://evil.example');
  });
});

describe('a replica dying mid-train', () => {
  it('right after the route flip was written: another replica resumes, and the route is flipped once', async () => {
    let dying = false;
    const real = world.routeSplitClient;
    // The flip reaches the route-split API, then the replica dies before it hears the answer.
    const control: RouteSplitControl = {
      status: () => real.status(),
      evaluate: (path, cohort) => real.evaluate(path, cohort),
      override: async (target, options) => {
        const status = await real.override(target, options);
        if (dying) await new Promise(() => {});
        return status;
      },
    };
    const lease = { intervalMs: 0, workerLeaseMs: 300 };
    const a = await startBot(cutoverConfig(), {
      store: world.testStore.openAnother(),
      routeSplit: () => control,
      sweep: lease,
    });
    dying = true;
    const id = await liveApproved('--apply-route-flip --error-budget-consumed 1');
    await vi.waitFor(() => expect(world.routeSplit.override).toBe('rust_shell'), {
      timeout: 10_000,
      interval: 10,
    });
    await a.engine.close({ force: true });
    await a.bot.stop();

    const b = await s.start(cutoverConfig(), {
      engine: { secrets, sweep: { intervalMs: 50, workerLeaseMs: 300 } },
    });
    const view = await world.until(b.engine, id, (v) => expect(v.status).toBe('promoted'), 20_000);
    expect((view.state as StreamCutoverState).steps.map((st) => st.status)).not.toContain('failed');
    // Flipped once: the redriven flip read the override back and wrote nothing.
    expect(overrideUpdates()).toHaveLength(1);
    const audit = await world.store.audit.read({ limit: 100 });
    expect(
      audit.entries.some(
        (e) => e.what === 'route-split.cutover' && e.reason === 'already as asked: nothing written',
      ),
    ).toBe(true);
  });
});
