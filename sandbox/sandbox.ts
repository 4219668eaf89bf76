import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RequestHandler } from 'msw';
import { type Child, type ChildExit, startAll, startNodeChild } from './children.ts';
import { loadSandboxConfig, SANDBOX_FLAGS_PATH, writeRunConfig } from './config.ts';
import { startLoad } from './demo/load.ts';
import { answerDemoMetrics } from './demo/metrics.ts';
import { type DemoProxy, startProxy } from './demo/proxy.ts';
import { RUN_DIR_PREFIX, startRedis } from './redis.ts';
import { startPageServer } from './slack-page/server.ts';
import { createArtifactRegistryTwin } from './twins/artifact-registry/index.ts';
import { createCloudRunTwin } from './twins/cloud-run/index.ts';
import { createFlagsTwin } from './twins/flags/index.ts';
import { createIamTwin } from './twins/iam/index.ts';
import { createLoggingTwin } from './twins/logging/index.ts';
import { createMonitoringTwin } from './twins/monitoring/index.ts';
import { createPrometheusTwin } from './twins/prometheus/index.ts';
import { createRouteSplitTwin } from './twins/route-split/index.ts';
import { serveHandlers } from './twins/serve.ts';
import { createSlackTwin } from './twins/slack/index.ts';

// The whole sandbox, on 127.0.0.1 only, with nothing configured:
//   - a private Redis (redis.ts);
//   - the twins of Slack's Web API, Cloud Run, Monitoring, Logging and the route-split control API, served
//     over real HTTP from the handlers the tests use (one loopback origin);
//   - the demo service: its `good` and `bad` builds as two processes behind the traffic proxy, which
//     follows the Cloud Run twin's split and feeds Monitoring and Logging with what it served, and a load
//     generator keeping steady traffic on it;
//   - the bot (bot.ts) in its own process, configured by examples/sandbox.yaml;
//   - the Slack page (slack-page/), the way in for a person.
// startSandbox() resolves once everything answers; stop() stops all of it, the bot before Redis. When it
// fails or its signal aborts, what had started is stopped before it rejects.
// `npm run sandbox` runs main.ts, which calls this; the browser test calls it too.

/** Requests a second on the demo service unless told otherwise (2 a second reach the canary at 5 %). */
export const DEFAULT_RPS = 40;

/** A child that ended without being asked to (see SandboxOptions.onExit). */
export interface UnexpectedExit extends ChildExit {
  /** 'the bot', 'the good demo build', 'Redis' */
  what: string;
  logFile: string;
}

export interface SandboxOptions {
  /** Logs, the run's config and Redis' folder go here; default a fresh folder under the temp dir. */
  runDir?: string;
  /** Requests a second on the demo service; default DEFAULT_RPS. */
  rps?: number;
  /** Aborting it stops the start-up: what had started is stopped, then startSandbox rejects. */
  signal?: AbortSignal;
  /** Called when Redis, a demo build or the bot ends without being stopped (it crashed, was killed). */
  onExit?: (exit: UnexpectedExit) => void;
}

export interface Sandbox {
  /** The Slack page. */
  pageUrl: string;
  botUrl: string;
  runDir: string;
  /** Requests a second of steady load on the demo service. */
  rps: number;
  /** The demo service's URL (the proxy), and its tag URLs. */
  proxy: DemoProxy;
  /** The legacy service a stream cutover's dual-run compares with. */
  legacyUrl: string;
  /** The tag of an image, by `:tag` or, deployed by digest, as it was pushed (good, bad, v1). */
  tagOf(image: string): string;
  twins: {
    slack: ReturnType<typeof createSlackTwin>;
    cloudRun: ReturnType<typeof createCloudRunTwin>;
    monitoring: ReturnType<typeof createMonitoringTwin>;
    logging: ReturnType<typeof createLoggingTwin>;
    routeSplit: ReturnType<typeof createRouteSplitTwin>;
    flags: ReturnType<typeof createFlagsTwin>;
    prometheus: ReturnType<typeof createPrometheusTwin>;
  };
  /** The Cloud Run service the demo is, as the twin knows it. */
  service: { project: string; region: string; service: string };
  /** #deploys, as the bot's config names it. */
  channel: string;
  people: { requester: string; approver: string };
  stop(): Promise<void>;
}

const here = (file: string) => fileURLToPath(new URL(file, import.meta.url));

export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const { signal } = options;
  signal?.throwIfAborted();
  const rps = options.rps ?? DEFAULT_RPS;
  const runDir = options.runDir ?? (await mkdtemp(join(tmpdir(), RUN_DIR_PREFIX)));
  await mkdir(runDir, { recursive: true });
  const stops: { what: string; stop: () => Promise<unknown> }[] = [];
  /** Tells options.onExit when `child` ends without stop(). */
  const watch = (what: string, child: { exited: Promise<ChildExit>; logFile: string }) => {
    void child.exited.then((exit) => {
      if (!exit.stopped) options.onExit?.({ what, logFile: child.logFile, ...exit });
    });
  };
  const stop = async () => {
    // In reverse order of start: the load first, the bot before its Redis.
    for (const { what, stop: one } of stops.splice(0).reverse()) {
      await one().catch((error: unknown) =>
        console.error(`sandbox: stopping ${what}: ${(error as Error).message}`),
      );
    }
  };

  try {
    const redis = await startRedis(runDir, signal ? { signal } : {});
    stops.push({ what: 'Redis', stop: () => redis.stop() });
    if (redis.server) watch('Redis', redis.server);
    signal?.throwIfAborted();

    const handlers: RequestHandler[] = [];
    const twinsServer = await serveHandlers(handlers);
    stops.push({ what: 'the twins', stop: () => twinsServer.close() });
    const { origin } = twinsServer;
    const routeSplitToken = randomBytes(12).toString('hex');
    // The user token of the stream smokes: the demo service accepts any bearer token.
    const authToken = randomBytes(12).toString('hex');
    // The demo's feature flags (seed 003): faulty_pool switches the bad build's behaviour on.
    const flagsToken = randomBytes(12).toString('hex');
    const flags = createFlagsTwin({
      url: `${origin}${SANDBOX_FLAGS_PATH}`,
      tokens: { [flagsToken]: 'write' },
      document: { flags: { faulty_pool: { enabled: false }, friendly_greeting: { enabled: false } } },
    });
    const prometheus = createPrometheusTwin({ origin });
    // The demo's images, pushed: a canary checks its tag here and deploys it by digest (seeds 000, 001).
    const registry = createArtifactRegistryTwin({ origin });
    // The demo runs as its own service account, which the bot may act as (the permissions precondition).
    const iam = createIamTwin({ origin });
    // digest -> tag, for the proxy (which build a revision deployed by digest runs) and for the tests.
    const tags = new Map<string, string>();
    const tagOf = (image: string) =>
      image.includes('@') ? tags.get(image.slice(image.indexOf('@') + 1)) : undefined;
    const routeSplit = createRouteSplitTwin({
      baseUrl: `${origin}/api/v1/control/route-split`,
      tokens: { [routeSplitToken]: 'operator' },
    });

    // Side by side; one that started is stopped with the rest even when the other fails.
    const kinds = ['good', 'bad'] as const;
    const builds = await startAll(
      kinds.map((build) =>
        startNodeChild<{ origin: string }>(here('./demo/app.ts'), [build], {
          env: { PATH: process.env.PATH },
          logFile: join(runDir, `demo-${build}.log`),
          ...(signal ? { signal } : {}),
        }),
      ),
      (child, i) => {
        const what = `the ${kinds[i]} demo build`;
        stops.push({ what, stop: () => child.stop() });
        watch(what, child);
      },
    );
    const [good, bad] = builds as [Child<{ origin: string }>, Child<{ origin: string }>];
    signal?.throwIfAborted();
    // The legacy stack a stream cutover's dual-run compares with (seed 004): beside the proxy, not behind it.
    const legacy = await startNodeChild<{ origin: string }>(here('./demo/legacy.ts'), [], {
      env: { PATH: process.env.PATH },
      logFile: join(runDir, 'demo-legacy.log'),
      ...(signal ? { signal } : {}),
    });
    stops.push({ what: 'the legacy demo service', stop: () => legacy.stop() });
    watch('the legacy demo service', legacy);
    signal?.throwIfAborted();

    // The config names the service; its URLs are the proxy's, which needs the twins: proxy first.
    const cloudRun = createCloudRunTwin({ baseUrl: origin, operationPolls: 1 });
    const { target, config } = await loadSandboxConfig();
    signal?.throwIfAborted();
    const service = { project: target.project, region: target.region, service: target.cloudRunService };
    const defaults = { project: target.project, service: target.cloudRunService, location: target.region };
    // As late as the bot is told its data is (examples/sandbox.yaml `monitoring`).
    const monitoring = createMonitoringTwin({
      origin,
      ...defaults,
      samplePeriodMs: config.monitoring.samplePeriod,
      ingestionLatencyMs: config.monitoring.ingestionLatency,
    });
    const logging = createLoggingTwin({ origin, ...defaults, ingestionLatencyMs: 1_000 });
    const slack = createSlackTwin({ apiUrl: `${origin}/slack/api/`, wallClock: true });
    // Cloud Run's handlers answer any other /v2/ path with an error: Logging's /v2/entries:list goes first.
    handlers.push(
      ...slack.handlers,
      ...logging.handlers,
      ...monitoring.handlers,
      ...routeSplit.handlers,
      ...flags.handlers,
      ...prometheus.handlers,
      ...iam.handlers, // before the registry, which answers any other /v1/ path with an error
      ...registry.handlers,
      ...cloudRun.handlers,
    );

    const proxy = await startProxy({
      cloudRun,
      service,
      builds: { good: good.line.origin, bad: bad.line.origin },
      monitoring,
      logging,
      faulty: () => flags.flag('flags.faulty_pool.enabled') === true,
      tagOf,
    });
    stops.push({ what: 'the proxy', stop: () => proxy.stop() });
    answerDemoMetrics(prometheus, proxy);
    // The stable revision runs the good build (any tag but `bad` does).
    const runtimeAccount = `${target.cloudRunService}-runtime@${target.project}.iam.gserviceaccount.com`;
    iam.seedAccount(runtimeAccount);
    cloudRun.seedService({
      ...service,
      image: `${target.image}:v1`,
      urls: (tag) => proxy.url(tag),
      serviceAccount: runtimeAccount,
    });
    for (const tag of ['v1', 'good', 'bad']) tags.set(registry.seedImage(`${target.image}:${tag}`), tag);

    const run = await writeRunConfig(runDir, {
      publicUrl: proxy.url(),
      routeSplitBaseUrl: `${origin}/api/v1/control/route-split`,
      legacyUrl: legacy.line.origin,
      twinsOrigin: origin,
    });
    // The SLO of the stream cutover's error-budget gate: 2 % of its budget consumed (the most is 5 %).
    const cutover = run.config.runbooks['stream-cutover'];
    const slo = cutover?.kind === 'stream-cutover' ? cutover.errorBudget.slo : undefined;
    if (slo) {
      monitoring.defineSlo({
        name: slo,
        displayName: 'demo availability',
        goal: 0.999,
        rollingPeriod: '2419200s',
      });
      monitoring.setBudgetFraction(slo, 0.98);
    }

    const signingSecret = randomBytes(16).toString('hex');
    const bot = await startNodeChild<{ url: string }>(here('./bot.ts'), [], {
      env: {
        PATH: process.env.PATH,
        SLACK_BOT_TOKEN: slack.botToken,
        SLACK_SIGNING_SECRET: signingSecret,
        SLACK_API_URL: slack.apiUrl,
        REDIS_URL: redis.url,
        ...(redis.prefix ? { SANDBOX_REDIS_PREFIX: redis.prefix } : {}),
        GOOGLE_CLOUD_PROJECT: target.project,
        GOOGLE_API_ENDPOINT: origin,
        SHIFTGATE_CONFIG: run.file,
        SANDBOX_ROUTE_SPLIT_TOKEN: routeSplitToken,
        SANDBOX_AUTH_TOKEN: authToken,
        SANDBOX_FLAGS_TOKEN: flagsToken,
        LOG_LEVEL: process.env.LOG_LEVEL ?? 'info',
      },
      logFile: join(runDir, 'bot.log'),
      graceMs: 15_000,
      ...(signal ? { signal } : {}),
    });
    stops.push({ what: 'the bot', stop: () => bot.stop() });
    watch('the bot', bot);
    signal?.throwIfAborted();

    const people = [
      { id: run.requester, name: 'Riley', role: 'requester' },
      { id: run.approver, name: 'Avery', role: 'approver' },
    ];
    const page = await startPageServer({
      slack,
      botUrl: bot.line.url,
      signingSecret,
      channel: target.slackChannel,
      people,
      service: () => ({ name: target.cloudRunService, url: proxy.url(), revisions: proxy.traffic() }),
    });
    stops.push({ what: 'the page', stop: () => page.stop() });

    const load = startLoad(proxy.url(), rps);
    stops.push({ what: 'the load', stop: () => load.stop() });
    signal?.throwIfAborted();

    return {
      pageUrl: page.url,
      botUrl: bot.line.url,
      runDir,
      rps,
      proxy,
      legacyUrl: legacy.line.origin,
      tagOf: (image: string) => tagOf(image) ?? image.slice(image.lastIndexOf(':') + 1),
      twins: { slack, cloudRun, monitoring, logging, routeSplit, flags, prometheus },
      service,
      channel: target.slackChannel,
      people: { requester: run.requester, approver: run.approver },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
