import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RUN_DIR_PREFIX } from '../../sandbox/redis.ts';
import { createRedis, createStore } from '../../src/store/index.ts';
import { collect, dumpEvidence, printReport } from './checks.ts';
import { type Driven, drive, type Plan } from './driver.ts';
import { type Killers, startKillers } from './killers.ts';
import { readOptions } from './options.ts';
import { startChaosRedis } from './redis.ts';
import { Replicas } from './replicas.ts';
import { createRng, sleep } from './rng.ts';
import { PROJECT, startWorld } from './world.ts';

// `npm run chaos`: three bot replicas (real processes) on one private Redis with an append-only file, N
// canary rollouts driven through the Slack twin to their end, while a killer SIGKILLs a random replica
// every few seconds, replicas are restarted armed to die at named step boundaries (SHIFTGATE_CRASH_AT),
// and Redis is SIGKILLed once and restarted from its file. Then the checks (checks.ts) are printed as a
// table; the exit code is 1 when any fails. docs/reliability.md has the command and the recorded runs.
//
// Everything it starts is stopped however it ends: on return and on SIGINT/SIGTERM here, by
// sandbox/children.ts' exit hook otherwise (SIGKILL to every child left), by the replicas themselves when
// their stdin closes (this process died), and a Redis left by a run killed outright is stopped by the next.

const options = readOptions(process.argv.slice(2), process.env);
// Under the sandbox's prefix: a redis-server left by a run killed outright is found and stopped by the next.
const runDir = await mkdtemp(join(tmpdir(), `${RUN_DIR_PREFIX}chaos-`));
const cleanups: (() => Promise<unknown>)[] = [];
let cleaning: Promise<void> | undefined;
const cleanup = () => {
  cleaning ??= (async () => {
    for (const one of cleanups.splice(0).reverse()) await one().catch(() => {});
  })();
  return cleaning;
};
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.once(signal, () => {
    console.error(`chaos: ${signal}: stopping everything`);
    void cleanup().finally(() => process.exit(130));
  });
}

const log = (line: string) => console.log(`[${((Date.now() - t0) / 1000).toFixed(1).padStart(6)} s] ${line}`);
const t0 = Date.now();
console.log(
  `chaos: ${options.rollouts} rollouts, seed ${options.seed}, ${options.replicas} replicas, random kill every ~${options.killEveryMs / 1000} s, ` +
    `crash points ${options.points.join(', ')}, Redis kill ${options.redisKill ? 'on' : 'off'}; run folder ${runDir}`,
);

let exitCode = 1;
try {
  const redis = await startChaosRedis(runDir, options.redisPort);
  cleanups.push(() => redis.stop());
  const world = await startWorld(runDir, options.rollouts);
  cleanups.push(() => world.close());
  const replicas = new Replicas(
    options.replicas,
    {
      PATH: process.env.PATH,
      SLACK_BOT_TOKEN: world.slack.botToken,
      SLACK_SIGNING_SECRET: world.signingSecret,
      SLACK_API_URL: world.slack.apiUrl,
      REDIS_URL: redis.url,
      GOOGLE_CLOUD_PROJECT: PROJECT,
      GOOGLE_API_ENDPOINT: world.origin,
      SHIFTGATE_CONFIG: world.configFile,
      LOG_LEVEL: 'info',
    },
    runDir,
  );
  cleanups.push(() => replicas.stop());
  await replicas.startAll();
  log('replicas up');

  const connection = createRedis(redis.url, { maxRetriesPerRequest: 1 });
  connection.on('error', () => {}); // the outage is planned; reads are retried by their callers
  const store = createStore(connection);
  cleanups.push(() => store.close());

  const rng = createRng(options.seed);
  const runs: Driven[] = world.services.map((service, i) => {
    const r = rng.next();
    const plan: Plan =
      r < 0.15 ? { kind: 'bad' } : r < 0.3 ? { kind: 'abort', atStage: 1 + rng.int(4) } : { kind: 'promote' };
    const tag = plan.kind === 'bad' ? `bad-${i + 1}` : `v1.${i + 1}.0`;
    return { service, tag, plan, startAttempts: 0, clicks: 0 };
  });
  const deadline = t0 + options.deadlineMs;
  const deps = { slack: world.slack, store, replicas, signingSecret: world.signingSecret, deadline };

  const killers: Killers = startKillers({ options, replicas, redis, rng, log, runs });
  cleanups.push(() => killers.stop());

  // Staggered starts, at most `concurrency` under way.
  let next = 0;
  const lane = async () => {
    while (next < runs.length && Date.now() < deadline) {
      const run = runs[next++] as Driven;
      await drive(deps, run);
      log(
        `${run.service} ${run.tag} (${run.plan.kind}${run.plan.kind === 'abort' ? ` at stage ${run.plan.atStage}` : ''}): ` +
          `${run.gaveUp ?? run.status ?? 'no status'}${run.rolloutId ? ` [${run.rolloutId}]` : ''}`,
      );
    }
  };
  await Promise.all(
    Array.from({ length: Math.min(options.concurrency, runs.length) }, async (_, i) => {
      await sleep(i * 1000);
      await lane();
    }),
  );
  await killers.stop();
  log('all rollouts driven; killers stopped; letting the last effects land');

  const report = await collect({ world, store, replicas, runs, killers, settleMs: 30_000, t0 });
  await dumpEvidence(runDir, world);
  await cleanup();
  report.errors = await report.scanLogs();
  exitCode = printReport(report, { options, runDir, seconds: (Date.now() - t0) / 1000 });
  if (exitCode === 0 && !options.keep) await rm(runDir, { recursive: true, force: true });
  else console.log(`chaos: logs, config and the append-only file are in ${runDir}`);
} catch (error) {
  console.error(`chaos: ${(error as Error).stack ?? error}`);
  console.error(`chaos: logs in ${runDir}`);
} finally {
  await cleanup();
}
process.exit(exitCode);
