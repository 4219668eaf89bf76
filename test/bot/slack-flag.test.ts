import { describe, expect, it, vi } from 'vitest';
import { createFlagsTwin, FLAGS_TWIN_TOKEN, FLAGS_TWIN_URL } from '../../sandbox/twins/flags/index.ts';
import { ACTIONS } from '../../src/blocks/actions.ts';
import type { EngineOptions } from '../../src/bot/engine.ts';
import { flagCanaryRunbook } from '../../src/config/flags.ts';
import { gate } from '../../src/config/gates.ts';
import type { ShiftgateConfig } from '../../src/config/schema.ts';
import { createGateRegistry } from '../../src/gates/registry.ts';
import { createPrometheus } from '../../src/platform/prometheus/index.ts';
import type { FlagSummary } from '../../src/reports/flag-summary.ts';
import type { FlagBackend } from '../../src/runbooks/ports/flags.ts';
import type { FlagCanaryState } from '../../src/runbooks/types.ts';
import { APPROVERS, ENV, OUTSIDER, REF, REQUESTER, testConfig } from '../helpers/engine-world.ts';
import { type TestMetricsApp, usePrometheus, useTestMetricsApp } from '../helpers/prometheus-server.ts';
import { buttonsOf, textsOf, useSlackWorld } from '../helpers/slack-world.ts';

// /flag through Slack alone (signed commands and clicks to the real Bolt receiver), the flags in the
// http-json twin, and the watch judged by a REAL Prometheus (Debian's package, scripts/env.sh) scraping a
// small app whose counters and histograms each test drives: pass, each of the seed's triggers, sign-off
// missing and expired, dry-run, a replica dying after the flags went on, and Prometheus stopped mid-watch.

const flagsTwin = createFlagsTwin();
const s = useSlackWorld('slack-flag', flagsTwin.handlers);
const { world } = s;
// One app per test: counters only grow, so each test reads its own `instance`.
const apps: TestMetricsApp[] = Array.from({ length: 13 }, () => useTestMetricsApp());
const prometheus = usePrometheus(() => ({ targets: apps.map((a) => a.target), scrapeIntervalMs: 500 }));
let next = 0;

const CONFIG = 'm4-canary';
const CATALOG = 'failure_catalog_runtime_integration';
const COST = 'cost_simulator_runtime_integration';
const secrets = { resolve: async () => FLAGS_TWIN_TOKEN };

function flagConfig(
  app: TestMetricsApp,
  options: { signoffFor?: string; watch?: string } = {},
): ShiftgateConfig {
  const config = testConfig();
  const instance = `instance="${app.target}"`;
  const promGate = (query: string, rule: string, extra: Record<string, unknown> = {}) =>
    gate.parse({ kind: 'prometheus', url: prometheus.url, query, rule, ...extra });
  config.gates['golden-mismatch'] = promGate(`sum(golden_mismatch_total{${instance}})`, 'any-increase');
  config.gates['shadow-run'] = promGate(`sum(golden_mismatch_total{${instance}})`, 'max', { limit: 0 });
  config.gates['error-rate-delta'] = promGate(
    `sum(rate(requests_total{${instance},status=~"5.."}[30s])) / sum(rate(requests_total{${instance}}[30s]))`,
    'delta-percent',
    { profile: 'moderate' },
  );
  config.gates['latency-p95-delta'] = promGate(
    `1000 * histogram_quantile(0.95, sum by (le) (rate(request_duration_seconds_bucket{${instance}}[30s])))`,
    'delta',
    { profile: 'moderate' },
  );
  config.runbooks[CONFIG] = flagCanaryRunbook.parse({
    kind: 'flag-canary',
    service: 'web',
    flags: [{ name: CATALOG, signoff: true }, { name: COST }],
    backend: { kind: 'http-json', url: FLAGS_TWIN_URL, token: 'env:FLAGS_TOKEN' },
    signoff: { by: { users: [options.signoffFor ?? APPROVERS[1]] }, expiresAfter: '1h' },
    prerequisites: { shadowRun: ['shadow-run'], health: ['healthz'] },
    smoke: { gate: 'healthz' },
    watch: options.watch ?? '4s',
    interval: '1s',
    triggers: ['golden-mismatch', 'error-rate-delta', 'latency-p95-delta'],
  });
  return config;
}

/** A fresh app with a healthy baseline (1 % errors at 40 ms), scraped. */
async function healthyApp(): Promise<TestMetricsApp> {
  const app = apps[next++] as TestMetricsApp;
  app.requests(400);
  app.errors(4);
  await prometheus.waitForScrape();
  return app;
}

async function startBot(config: ShiftgateConfig, engine: Partial<EngineOptions> = {}) {
  flagsTwin.reset();
  const gates = createGateRegistry({
    prometheus: (url) => createPrometheus({ baseUrl: url ?? prometheus.url }),
  });
  return s.start(config, {
    engine: {
      secrets,
      gates,
      prometheus: (url) => createPrometheus({ baseUrl: url ?? prometheus.url }),
      ...engine,
    },
  });
}

const flag = (name: string) => flagsTwin.flag(`flags.${name}.enabled`);
const idOf = (text: string) => /`([^`]+)`\. The card/.exec(text)?.[1] as string;

async function signoff() {
  const signed = await s.command(
    APPROVERS[1],
    '/flag',
    `signoff ${CONFIG} ${ENV} https://ci.example.test/shadow/42`,
  );
  expect(signed.text).toContain('Signed off');
}

/** Starts the canary, approves it, waits for the watch. */
async function toWatch(flags = ''): Promise<string> {
  await signoff();
  const started = await s.command(REQUESTER, '/flag', `canary ${CONFIG} ${ENV} ${flags}`);
  const id = idOf(started.text);
  expect(id, started.text).toBeDefined();
  const request = await s.waitForMessage(
    (m) => m.text.startsWith('Approval needed') && buttonsOf(m).length > 0,
    20_000,
  );
  await s.click(APPROVERS[0], request, ACTIONS.approve);
  await world.until(s.current.engine, id, (v) => expect(v.status).toBe('watching'), 15_000);
  return id;
}

async function ended(id: string, status: string): Promise<FlagCanaryState> {
  const view = await world.until(s.current.engine, id, (v) => expect(v.status).toBe(status), 20_000);
  return view.state as FlagCanaryState;
}

const report = () => s.reportFiles<FlagSummary>();

const threadText = () =>
  s
    .channelMessages()
    .flatMap((m) => [m, ...s.thread(m.ts)])
    .flatMap((m) => [m.text, ...textsOf(m.blocks)])
    .join('\n');

// Each test waits on a real Prometheus' scrapes and several engine steps: on a loaded 2-core runner that
// can take longer than the default 20 s, never because of a fixed sleep.
describe('/flag canary through Slack, judged by a real Prometheus', { timeout: 60_000 }, () => {
  it('passes: sign-off, prerequisites, baseline, approval, flags on, smoke, a quiet watch; flags stay on', async () => {
    const app = await healthyApp();
    await startBot(flagConfig(app));
    const id = await toWatch();
    expect(flag(CATALOG)).toBe(true);
    expect(flag(COST)).toBe(true);
    const state = await ended(id, 'promoted');
    expect(state.ticks.length).toBeGreaterThanOrEqual(3);
    expect(state.before?.['golden-mismatch']).toBe(0);
    const { summary } = await report();
    expect(summary).toMatchObject({
      success: true,
      rollback_triggered: false,
      rollback_reason: null,
      smoke_returncode: 0,
    });
    expect(summary.metrics_delta['golden-mismatch']).toMatchObject({ before: 0, after: 0, delta: 0 });
    expect(summary.metrics_delta['error-rate-delta']?.threshold).toContain('50');
    expect(threadText()).toContain('CANARY PASSED');
    expect(flagsTwin.writes).toBe(1);
  });

  it('golden_mismatch increasing rolls back at once and says so in the seed words', async () => {
    const app = await healthyApp();
    await startBot(flagConfig(app, { watch: '20s' }));
    const id = await toWatch();
    app.mismatches(1);
    const state = await ended(id, 'rolled-back');
    expect(state.rollback?.reason).toBe('golden_mismatch increased: 0 -> 1');
    expect(flag(CATALOG)).toBe(false);
    expect(flag(COST)).toBe(false);
    const { summary } = await report();
    expect(summary).toMatchObject({
      success: false,
      rollback_triggered: true,
      rollback_reason: 'golden_mismatch increased: 0 -> 1',
    });
    expect(summary.metrics_delta['golden-mismatch']).toMatchObject({ before: 0, after: 1, delta: 1 });
    expect(summary.flags.afterRollback).toEqual({ [CATALOG]: false, [COST]: false });
    expect(threadText()).toContain('golden_mismatch increased: 0 -&gt; 1');
  });

  it('the error-rate delta over the moderate profile (50 %) rolls back', async () => {
    const app = await healthyApp();
    await startBot(flagConfig(app, { watch: '20s' }));
    const id = await toWatch();
    app.errors(60);
    const state = await ended(id, 'rolled-back');
    expect(state.rollback?.reason).toMatch(/^error_rate_delta breached/);
    expect(flag(CATALOG)).toBe(false);
  });

  it('the p95 delta over the moderate profile (500 ms) rolls back', async () => {
    const app = await healthyApp();
    await startBot(flagConfig(app, { watch: '20s' }));
    const id = await toWatch();
    app.requests(200, { latencyMs: 1_500 });
    const state = await ended(id, 'rolled-back');
    expect(state.rollback?.reason).toMatch(/^latency_p95_delta breached/);
  });

  it('a flag that needs a sign-off is refused without one, and once it expired', async () => {
    const app = await healthyApp();
    const config = flagConfig(app);
    await startBot(config);
    const refused = await s.command(REQUESTER, '/flag', `canary ${CONFIG} ${ENV}`);
    expect(refused.text).toContain(`flag ${CATALOG} needs a sign-off in ${ENV}`);
    expect(refused.text).toContain(`/flag signoff ${CONFIG} ${ENV}`);
    const outsider = await s.command(OUTSIDER, '/flag', `signoff ${CONFIG} ${ENV} https://ci.example.test/x`);
    expect(outsider.text).toContain('you may not sign off');
    // A sign-off that lapses: the key goes with it.
    const short = flagConfig(app);
    const runbook = short.runbooks[CONFIG];
    if (runbook?.kind === 'flag-canary' && runbook.signoff) runbook.signoff.expiresAfter = 300;
    await startBot(short);
    await signoff();
    await vi.waitFor(
      async () => expect(await world.store.signoffs.get(CONFIG, ENV, CATALOG)).toBeUndefined(),
      {
        timeout: 5_000,
        interval: 50,
      },
    );
    const expired = await s.command(REQUESTER, '/flag', `canary ${CONFIG} ${ENV}`);
    expect(expired.text).toContain('needs a sign-off');
    expect(flagsTwin.writes).toBe(0);
    const audit = await world.store.audit.read({ limit: 50 });
    expect(audit.entries.map((e) => e.what)).toEqual(
      expect.arrayContaining(['flag.signoff', 'flag.signoff.refused']),
    );
  });

  it('a dry run asks nobody and changes no flag', async () => {
    const app = await healthyApp();
    await startBot(flagConfig(app));
    await signoff();
    const started = await s.command(REQUESTER, '/flag', `canary ${CONFIG} ${ENV} --dry-run --watch 2s`);
    expect(started.text).toContain('dry run');
    await ended(idOf(started.text), 'promoted');
    expect(flagsTwin.writes).toBe(0);
    expect(flag(CATALOG)).toBe(false);
  });

  it('/flag off during the watch: the approver may; an outsider may not', async () => {
    const app = await healthyApp();
    await startBot(flagConfig(app, { watch: '30s' }));
    const id = await toWatch();
    const refused = await s.command(OUTSIDER, '/flag', `off ${CONFIG} ${ENV} --reason "looks wrong"`);
    expect(refused.text).toContain('Flags not turned off');
    const off = await s.command(APPROVERS[0], '/flag', `off ${CONFIG} ${ENV} --reason "errors in the logs"`);
    expect(off.text).toContain('setting the flags back');
    const state = await ended(id, 'rolled-back');
    expect(state.rollback).toMatchObject({
      trigger: 'manual',
      by: APPROVERS[0],
      reason: 'errors in the logs',
    });
    expect(flag(CATALOG)).toBe(false);
  });

  it('a replica dying right after the flags went on: another resumes the watch, the flags toggled once', async () => {
    const app = await healthyApp();
    const config = flagConfig(app, { watch: '3s' });
    const { flagBackends } = await import('../../src/bot/flags.ts');
    const real = flagBackends({ config, cloudRun: world.cloudRunAdapter, secrets });
    const a = await startBot(config, {
      store: world.testStore.openAnother(),
      sweep: { intervalMs: 0, workerLeaseMs: 300 },
      flags: async (input) => {
        const backend = await real(input);
        const dies: FlagBackend = {
          read: () => backend.read(),
          set: async (change) => {
            const result = await backend.set(change);
            // Replica A dies here, for good: B, with the real backend, takes over.
            await new Promise(() => {});
            return result;
          },
        };
        return dies;
      },
    });
    await signoff();
    const started = await s.command(REQUESTER, '/flag', `canary ${CONFIG} ${ENV}`);
    const id = idOf(started.text);
    const request = await s.waitForMessage(
      (m) => m.text.startsWith('Approval needed') && buttonsOf(m).length > 0,
      20_000,
    );
    await s.click(APPROVERS[0], request, ACTIONS.approve);
    await vi.waitFor(() => expect(flag(CATALOG)).toBe(true), { timeout: 15_000, interval: 20 });
    await a.engine.close({ force: true });
    await a.bot.stop();
    const gates = createGateRegistry({
      prometheus: (url) => createPrometheus({ baseUrl: url ?? prometheus.url }),
    });
    const b = await s.start(config, {
      engine: { secrets, gates, sweep: { intervalMs: 50, workerLeaseMs: 300 } },
    });
    await world.until(b.engine, id, (v) => expect(v.status).toBe('promoted'), 30_000);
    expect(flagsTwin.writes).toBe(1);
    const audit = await world.store.audit.read({ limit: 100 });
    expect(
      audit.entries.some((e) => e.what === 'flags.set' && e.reason === 'already as asked: nothing written'),
    ).toBe(true);
  });

  it('cloud-run-env: flags on deploy a revision with the variables; a breach moves traffic back, no rebuild', async () => {
    const app = await healthyApp();
    const config = flagConfig(app, { watch: '20s' });
    const runbook = config.runbooks[CONFIG];
    if (runbook?.kind !== 'flag-canary') throw new Error('no flag canary');
    runbook.backend = { kind: 'cloud-run-env', variables: {} };
    const stable = world.seed();
    await startBot(config);
    const id = await toWatch();
    const on = world.split();
    const [flagged] = Object.keys(on);
    expect(flagged).not.toBe(stable);
    expect(on).toEqual({ [flagged as string]: 100 });
    expect(world.cloudRun.service(REF).env[flagged as string]).toMatchObject({
      FAILURE_CATALOG_RUNTIME_INTEGRATION: 'true',
      COST_SIMULATOR_RUNTIME_INTEGRATION: 'true',
    });
    const revisions = world.cloudRun.service(REF).revisions.length;
    app.mismatches(2);
    const state = await ended(id, 'rolled-back');
    expect(state.restore).toBe(stable);
    expect(world.split()).toEqual({ [stable]: 100 });
    expect(world.cloudRun.service(REF).revisions).toHaveLength(revisions);
    const { summary } = await report();
    expect(summary.flags).toMatchObject({ restore: stable, before: { [CATALOG]: null, [COST]: null } });
  });

  it('a dry run on cloud-run-env deploys nothing and moves no traffic', async () => {
    const app = await healthyApp();
    const config = flagConfig(app);
    const runbook = config.runbooks[CONFIG];
    if (runbook?.kind !== 'flag-canary') throw new Error('no flag canary');
    runbook.backend = { kind: 'cloud-run-env', variables: {} };
    const stable = world.seed();
    await startBot(config);
    await signoff();
    const started = await s.command(REQUESTER, '/flag', `canary ${CONFIG} ${ENV} --dry-run --watch 2s`);
    const state = await ended(idOf(started.text), 'promoted');
    expect(state.flagsBefore?.where).toContain(stable);
    expect(world.patches()).toHaveLength(0);
    expect(world.split()).toEqual({ [stable]: 100 });
  });

  it("a smoke that is a Cloud Run job: its exit code is the smoke's return code; non-zero turns the flags off", async () => {
    const app = await healthyApp();
    const config = flagConfig(app, { watch: '20s' });
    const runbook = config.runbooks[CONFIG];
    if (runbook?.kind !== 'flag-canary') throw new Error('no flag canary');
    runbook.smoke = { job: 'web-smoke', timeout: 10_000 };
    const job = { project: REF.project, region: REF.region, job: 'web-smoke' };
    world.cloudRun.seedJob({ ...job, image: 'europe-docker.pkg.dev/proj-test/web/smoke:v1' });
    world.cloudRun.setJobOutcome(job, { exitCode: 3, message: 'stream alias answered 502' });
    await startBot(config);
    await signoff();
    const started = await s.command(REQUESTER, '/flag', `canary ${CONFIG} ${ENV}`);
    const id = idOf(started.text);
    const request = await s.waitForMessage(
      (m) => m.text.startsWith('Approval needed') && buttonsOf(m).length > 0,
      20_000,
    );
    await s.click(APPROVERS[0], request, ACTIONS.approve);
    const state = await ended(id, 'rolled-back');
    expect(state.rollback?.reason).toBe('smoke test failed: job web-smoke exited 3');
    expect(flag(CATALOG)).toBe(false);
    const { summary } = await report();
    expect(summary).toMatchObject({ smoke_returncode: 3, rollback_triggered: true });
  });

  it('Prometheus stopped mid-watch: a warning in the thread, the watch goes on (seed 003)', async () => {
    const app = await healthyApp();
    await startBot(flagConfig(app, { watch: '4s' }));
    const id = await toWatch();
    await prometheus.stop();
    const state = await ended(id, 'promoted');
    expect(state.warnings.some((w) => w.includes('the watch goes on'))).toBe(true);
    expect(threadText()).toContain('Prometheus could not be read');
    expect(flag(CATALOG)).toBe(true);
  });
});
