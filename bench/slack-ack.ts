// Slack ack benchmark: how long the bot takes to acknowledge slash commands and button clicks under
// concurrent load, against a bare Bolt app on the same receiver. Slack gives an app 3 s to ack; the bot acks
// before its work (parse, ack, then engine reads and a reply through response_url), and that work runs in
// the same process as later acks, so it is measured as it comes.
// Run: node bench/slack-ack.ts (docs/benchmarks.md, "Slack ack").
//
// Three processes, so that the measured one holds what a bot replica holds:
//   - twins (this file with --twins): the Slack twin (Web API and response_urls) and the Cloud Run twin,
//     served over loopback HTTP (serveHandlers), with bench-only admin routes;
//   - bots (this file with --bots ORIGIN): shiftgate's real bot (createBot over the real surface, a real
//     engine over local Redis under a random prefix, the Slack side's WebClient on the Slack twin, the Cloud
//     Run adapter on the Cloud Run twin) and a bare Bolt app whose listeners only `await ack()`, each on its
//     own port;
//   - the parent: the load generator (global fetch, whose default dispatcher keeps connections alive), which
//     signs requests as Slack does and times each from sending to the end of the HTTP response.
//
// Kinds: `/canary status web` (acked empty, then answered through response_url after engine reads),
// `/canary start` with a bad tag (answered in the ack) and a click of an approval button of an unknown
// rollout (acked empty, then the engine refuses and the refusal goes through response_url). For each
// concurrency (50, 200) and kind, each target gets a warm-up then the measured requests, C in flight.
//
// Environment: REDIS_URL (redis://127.0.0.1:6379), BENCH_REQUESTS (2000 per target, kind and
// concurrency, measured in BENCH_ROUNDS rounds (4) that alternate the targets), BENCH_WARMUP (200),
// BENCH_CONCURRENCY (50,200).

import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { cpus, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { App, LogLevel } from '@slack/bolt';
import { WebClient } from '@slack/web-api';
import { HttpResponse, http, type RequestHandler } from 'msw';
import { pino } from 'pino';
import { createCloudRunTwin } from '../sandbox/twins/cloud-run/index.ts';
import { serveHandlers } from '../sandbox/twins/serve.ts';
import { channelIdOf } from '../sandbox/twins/slack/ids.ts';
import { createSlackTwin } from '../sandbox/twins/slack/index.ts';
import { blockActionsBody, signRequest, slashCommandBody } from '../sandbox/twins/slack/sign.ts';
import { createBot } from '../src/bot/app.ts';
import { createEngine } from '../src/bot/engine.ts';
import { buildSlackSide, surfaceOf } from '../src/bot/wiring.ts';
import { shiftgateConfig } from '../src/config/schema.ts';
import { createGateRegistry } from '../src/gates/registry.ts';
import { CloudRunAdapter } from '../src/platform/cloud-run/index.ts';
import { closeRedis, createRedis, createStore, deleteByPrefix } from '../src/store/index.ts';
import { startJsonChild } from './child.ts';
import { intFromEnv } from './env.ts';
import { percentile } from './percentile.ts';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const REQUESTS = intFromEnv('BENCH_REQUESTS', 2000);
const WARMUP = intFromEnv('BENCH_WARMUP', 200, 0);
const ROUNDS = intFromEnv('BENCH_ROUNDS', 4);
const LEVELS = (process.env.BENCH_CONCURRENCY ?? '50,200').split(',').map(Number);
const TARGETS = { p99Ms: 100, ratio: 1.5, atConcurrency: 200 };

const SIGNING_SECRET = 'bench-signing-secret-0123456789abcdef';
const BOT_TOKEN = 'xoxb-twin';
const PROJECT = 'proj-bench';
const REGION = 'us-central1';
const CHANNEL = '#deploys';
const USER = 'UDEPLOYER';

/** Ends this process when its stdin closes: the parent holds the other end, so children end with it. */
function endWithParent(onEnd: () => Promise<void>): void {
  process.stdin.on('end', () => {
    onEnd().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  });
  process.stdin.resume();
}

// ---------------------------------------------------------------------------------------------------------
// Twins: Slack and Cloud Run over loopback HTTP.

async function twins(): Promise<void> {
  const handlers: RequestHandler[] = [];
  const served = await serveHandlers(handlers);
  const { origin } = served;
  const slack = createSlackTwin({ apiUrl: `${origin}/api/`, botToken: BOT_TOKEN });
  const cloudRun = createCloudRunTwin({ operationPolls: 0, baseUrl: origin });
  cloudRun.seedService({
    project: PROJECT,
    region: REGION,
    service: 'web-bench',
    image: 'europe-docker.pkg.dev/proj-bench/web/web:v1',
  });
  handlers.push(
    // Fresh response_urls (each takes five uses, as Slack's), minted in bulk before a batch.
    http.post(`${origin}/__bench/urls`, async ({ request }) => {
      const { n, messageTs } = (await request.json()) as { n: number; messageTs?: string };
      const channel = slack.channelId(CHANNEL);
      return HttpResponse.json(Array.from({ length: n }, () => slack.responseUrl(USER, channel, messageTs)));
    }),
    http.get(`${origin}/__bench/stats`, () => HttpResponse.json({ responses: slack.responses().length })),
    ...slack.handlers,
    ...cloudRun.handlers,
  );
  endWithParent(() => served.close());
  console.log(JSON.stringify({ origin }));
}

// ---------------------------------------------------------------------------------------------------------
// Bots: shiftgate's replica and a bare Bolt app.

async function bots(twinsOrigin: string): Promise<void> {
  const slackApiUrl = `${twinsOrigin}/api/`;
  const endpoint = { host: '127.0.0.1', port: Number(new URL(twinsOrigin).port), protocol: 'http' as const };
  const config = shiftgateConfig.parse({
    environments: {
      prod: {
        deployers: { users: [USER] },
        approval: { approvers: { users: ['UAPPROVE1'] }, required: 1, expiresAfter: '1h' },
      },
    },
    services: {
      web: {
        project: PROJECT,
        region: REGION,
        image: 'europe-docker.pkg.dev/proj-bench/web/web',
        slackChannel: CHANNEL,
        environments: { prod: { cloudRunService: 'web-bench', publicUrl: 'https://web.bench.test' } },
      },
    },
    runbooks: {
      canary: {
        kind: 'canary',
        stages: [
          { name: 'A', traffic: 0, approval: false },
          { name: 'B', traffic: 5, watch: '1m', interval: '10s', gates: ['probe'] },
          { name: 'E', traffic: 100 },
        ],
      },
    },
    gates: { probe: { kind: 'http', target: 'public', path: '/healthz', timeout: '5s' } },
  });

  const log = pino({ level: 'silent' });
  const prefix = `sgbench:ack:${randomBytes(4).toString('hex')}:`;
  const store = createStore(createRedis(REDIS_URL), { prefix });
  const adapter = new CloudRunAdapter({ google: { projectId: PROJECT, endpoint }, pollMs: 1, maxPollMs: 5 });
  const client = new WebClient(BOT_TOKEN, { slackApiUrl, retryConfig: { retries: 0 } });
  const side = buildSlackSide({ config, store, client, log });
  const engine = createEngine({
    store,
    redisUrl: REDIS_URL,
    cloudRun: adapter,
    gates: createGateRegistry({ fetch: async () => new Response('ok', { status: 200 }) }),
    config,
    notify: side.notify,
    incidents: (incident) => side.incidents.fromRollback(incident),
    groupsOf: side.groupsOf,
    log: { warn: () => {}, error: (message, fields) => console.error(message, fields) },
  });
  const bot = createBot({
    signingSecret: SIGNING_SECRET,
    botToken: BOT_TOKEN,
    slackApiUrl,
    surface: surfaceOf(side, { config, store, engine, log }),
    notReady: async () => undefined,
    log,
  });
  const botServer = await bot.start(0, '127.0.0.1');
  if (!botServer) throw new Error('the bot started without an HTTP server');

  const bare = new App({
    token: BOT_TOKEN,
    signingSecret: SIGNING_SECRET,
    clientOptions: { slackApiUrl },
    logLevel: LogLevel.ERROR,
  });
  bare.command(/.*/, async ({ ack }) => {
    await ack();
  });
  bare.action(/.*/, async ({ ack }) => {
    await ack();
  });
  const bareServer = (await bare.start({ port: 0, host: '127.0.0.1' })) as unknown as {
    address(): AddressInfo;
  };

  endWithParent(async () => {
    await Promise.all([bot.stop().catch(() => {}), bare.stop().catch(() => {})]);
    await engine.close({ force: true });
    const cleaner = createRedis(REDIS_URL);
    await deleteByPrefix(cleaner, prefix);
    await Promise.all([closeRedis(cleaner), store.close(), adapter.close()]);
  });
  const url = (server: { address(): unknown }) =>
    `http://127.0.0.1:${(server.address() as AddressInfo).port}/slack/events`;
  console.log(JSON.stringify({ shiftgate: url(botServer), bare: url(bareServer) }));
}

// ---------------------------------------------------------------------------------------------------------
// Parent: the load generator.

/** This file in a child process (--twins or --bots); resolves to the JSON line it prints once it serves. */
const startChild = (args: string[]) =>
  startJsonChild<Record<string, string>>(new URL(import.meta.url).pathname, args);

type Kind = 'status' | 'bad-start' | 'click';
const KINDS: Kind[] = ['status', 'bad-start', 'click'];
const MESSAGE_TS = '1700000000.000100';

interface Batch {
  latencies: number[];
  failures: number;
  /** Requests whose ack carried a body (the bad start's error). */
  withBody: number;
}

const emptyBatch = (): Batch => ({ latencies: [], failures: 0, withBody: 0 });

async function run(url: string, kind: Kind, n: number, concurrency: number, urls: string[]): Promise<Batch> {
  const channelId = channelIdOf(CHANNEL);
  // Bodies and signatures are built before the clock starts: the timer covers the HTTP exchange only.
  const requests = urls.slice(0, n).map((responseUrl) => {
    const body =
      kind === 'click'
        ? blockActionsBody({
            userId: USER,
            channelId,
            messageTs: MESSAGE_TS,
            actionId: 'approval.approve',
            value: JSON.stringify({ r: 'nope', s: 1 }),
            responseUrl,
          })
        : slashCommandBody({
            command: '/canary',
            text: kind === 'status' ? 'status web' : 'start web bad:tag!',
            userId: USER,
            channelId,
            channelName: 'deploys',
            responseUrl,
          });
    return { body, headers: { ...signRequest(SIGNING_SECRET, body) } };
  });
  const batch: Batch = { latencies: [], failures: 0, withBody: 0 };
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = next++; i < requests.length; i = next++) {
        const { body, headers } = requests[i] as { body: string; headers: Record<string, string> };
        const t0 = performance.now();
        try {
          const response = await fetch(url, { method: 'POST', headers, body });
          const text = await response.text();
          batch.latencies.push(performance.now() - t0);
          if (response.status !== 200) batch.failures += 1;
          if (text) batch.withBody += 1;
        } catch {
          batch.failures += 1;
        }
      }
    }),
  );
  batch.latencies.sort((a, b) => a - b);
  return batch;
}

async function parent(): Promise<void> {
  const started = performance.now();
  console.log(
    `slack ack benchmark: ${cpus().length} cores, Node ${process.version}, load ${loadavg()
      .map((l) => l.toFixed(2))
      .join(
        ' ',
      )}, ${REQUESTS} requests per target/kind/concurrency after ${WARMUP} warm-up, concurrency ${LEVELS.join(', ')}`,
  );
  const twinsChild = await startChild(['--twins']);
  const origin = twinsChild.line.origin as string;
  const botsChild = await startChild(['--bots', origin]);
  const targets = { shiftgate: botsChild.line.shiftgate as string, bare: botsChild.line.bare as string };

  const admin = async <T>(path: string, body?: unknown): Promise<T> => {
    const response = await fetch(`${origin}${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      ...(body === undefined
        ? {}
        : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
    });
    if (!response.ok) throw new Error(`twins ${path}: ${response.status}`);
    return (await response.json()) as T;
  };
  const responses = async () => (await admin<{ responses: number }>('/__bench/stats')).responses;
  /** Waits until the bot has answered through response_url everything it acked (its work after the ack). */
  const drained = async (expected: number) => {
    const until = performance.now() + 60_000;
    for (let got = await responses(); got < expected; got = await responses()) {
      if (performance.now() > until)
        throw new Error(`the bot answered ${got} of ${expected} through response_url`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };

  interface Row {
    target: 'shiftgate' | 'bare';
    kind: Kind;
    concurrency: number;
    p50: number;
    p99: number;
    max: number;
    rps: number;
    failures: number;
  }
  const rows: Row[] = [];
  let expectedResponses = 0;
  const problems: string[] = [];
  try {
    for (const concurrency of LEVELS) {
      for (const kind of KINDS) {
        // Rounds alternate the targets (shiftgate first, then bare first, ...), so whatever else the machine
        // does during the run weighs on both alike; each round's batch is measured once the work after the
        // acks of the previous one has drained.
        const perRound = Math.ceil(REQUESTS / ROUNDS);
        const total = { shiftgate: emptyBatch(), bare: emptyBatch() };
        const seconds = { shiftgate: 0, bare: 0 };
        for (let round = 0; round < ROUNDS; round++) {
          const order = round % 2 === 0 ? (['shiftgate', 'bare'] as const) : (['bare', 'shiftgate'] as const);
          for (const target of order) {
            const url = targets[target];
            const warm = round === 0 ? WARMUP : 0;
            const urls = await admin<string[]>('/__bench/urls', {
              n: warm + perRound,
              ...(kind === 'click' ? { messageTs: MESSAGE_TS } : {}),
            });
            const answers = target === 'shiftgate' && kind !== 'bad-start';
            if (warm > 0) await run(url, kind, warm, concurrency, urls.slice(perRound));
            if (answers) expectedResponses += warm;
            await drained(expectedResponses);
            const t0 = performance.now();
            const batch = await run(url, kind, perRound, concurrency, urls);
            seconds[target] += (performance.now() - t0) / 1000;
            if (answers) expectedResponses += perRound;
            await drained(expectedResponses);
            total[target].latencies.push(...batch.latencies);
            total[target].failures += batch.failures;
            total[target].withBody += batch.withBody;
          }
        }
        for (const target of ['shiftgate', 'bare'] as const) {
          const batch = total[target];
          batch.latencies.sort((a, b) => a - b);
          const n = batch.latencies.length + batch.failures;
          const wantBody = target === 'shiftgate' && kind === 'bad-start' ? n : 0;
          if (batch.withBody !== wantBody)
            problems.push(
              `${target} ${kind} at ${concurrency}: ${batch.withBody} acks with a body, not ${wantBody}`,
            );
          const row: Row = {
            target,
            kind,
            concurrency,
            p50: percentile(batch.latencies, 50),
            p99: percentile(batch.latencies, 99),
            max: batch.latencies.at(-1) ?? Number.NaN,
            rps: n / seconds[target],
            failures: batch.failures,
          };
          rows.push(row);
          console.log(
            `${target} ${kind} c=${concurrency}: p50 ${row.p50.toFixed(1)} ms, p99 ${row.p99.toFixed(1)} ms, ` +
              `max ${row.max.toFixed(1)} ms, ${row.rps.toFixed(0)} req/s, ${row.failures} failed`,
          );
        }
      }
    }
  } finally {
    await botsChild.stop();
    await twinsChild.stop();
  }

  const f = (n: number) => n.toFixed(1);
  console.log(
    '\n| kind | concurrency | shiftgate p50 ms | shiftgate p99 ms | bare p50 ms | bare p99 ms | p99 ratio | shiftgate req/s | bare req/s |',
  );
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|');
  const verdicts: string[] = [];
  for (const concurrency of LEVELS) {
    for (const kind of KINDS) {
      const sg = rows.find(
        (r) => r.target === 'shiftgate' && r.kind === kind && r.concurrency === concurrency,
      );
      const bare = rows.find((r) => r.target === 'bare' && r.kind === kind && r.concurrency === concurrency);
      if (!sg || !bare) continue;
      const ratio = sg.p99 / bare.p99;
      console.log(
        `| ${kind} | ${concurrency} | ${f(sg.p50)} | ${f(sg.p99)} | ${f(bare.p50)} | ${f(bare.p99)} | ${ratio.toFixed(2)} | ` +
          `${sg.rps.toFixed(0)} | ${bare.rps.toFixed(0)} |`,
      );
      if (concurrency === TARGETS.atConcurrency) {
        const ok = (b: boolean) => (b ? 'met' : 'MISSED');
        verdicts.push(
          `${kind}: p99 ${f(sg.p99)} ms < ${TARGETS.p99Ms} ${ok(sg.p99 < TARGETS.p99Ms)}, ` +
            `ratio ${ratio.toFixed(2)} <= ${TARGETS.ratio} ${ok(ratio <= TARGETS.ratio)}`,
        );
      }
    }
  }
  const failed = rows.reduce((sum, r) => sum + r.failures, 0);
  if (verdicts.length > 0)
    console.log(`\ntargets at ${TARGETS.atConcurrency} concurrent: ${verdicts.join('; ')}`);
  console.log(
    `${failed} failed requests; ${expectedResponses} replies through response_url; ` +
      `load at end ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}; ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
  for (const problem of problems) console.log(`problem: ${problem}`);
}

if (process.argv[2] === '--twins') await twins();
else if (process.argv[2] === '--bots') await bots(process.argv[3] as string);
else {
  await parent();
  process.exit(0);
}
