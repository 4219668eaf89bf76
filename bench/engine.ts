// Engine benchmark: N concurrent canary rollouts in one process, each watching its stage-B gate every
// interval, against local Redis and the twins. Prints ticks per second, tick latency (p50/p99), Redis
// commands per tick and memory, at 100, 250 and 500 rollouts, each size in a fresh child process so its
// memory is its own. The Cloud Run and Monitoring twins run in a third process (bench/twins-server.ts,
// started and stopped by each child), so the child holds the engine alone, as a bot replica does.
// Run: node bench/engine.ts (docs/benchmarks.md, "Engine").
//
// Environment: REDIS_URL (redis://127.0.0.1:6379), BENCH_SIZES (100,250,500), BENCH_INTERVAL_MS (10000,
// the gate interval; the seed's is 60000), BENCH_DURATION_MS (20000, measured), BENCH_WARMUP_MS (4000),
// BENCH_CONCURRENCY (100, timer jobs at once per worker), BENCH_GATE (http: a probe of a service that
// answers at once | monitoring: the error-rate gate through the real Cloud Monitoring adapter and twin),
// BENCH_NODE_FLAGS (V8 flags of the children; default a heap sized as in a 512 MiB container),
// BENCH_TRACE=1 (time per awaited call, commands per tick by name, live heap at each phase with the twin
// process's memory and request counts; needs --expose-gc, which the children get), BENCH_SNAPSHOT=1 (heap
// snapshots into /tmp/prof).
//
// A tick is one timer job of kind 'tick' end to end: the worker picks it up, the executor loads the record,
// steps the canary runbook, persists (compare-and-set with fencing), evaluates the stage's gate, persists
// gates-done and schedules the next tick. Its latency runs from pick-up to the end of that chain; "late"
// is pick-up minus due time. Redis commands are counted on the client (every command any ioredis
// connection of the process sends, BullMQ's included, idle polling included) and on the server (INFO
// commandstats: also the commands the Lua scripts run inside Redis). Rollouts are approved spread over
// one interval (over several if that means more than 50 approvals a second, each round offset), so their
// ticks arrive evenly, as rollouts started at different times would.

import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import v8 from 'node:v8';
import { Redis } from 'ioredis';
import { widened } from '../sandbox/twins/monitoring/widened.ts';
import { createEngine } from '../src/bot/engine.ts';
import { shiftgateConfig } from '../src/config/schema.ts';
import { createGateRegistry, type GateRegistry } from '../src/gates/registry.ts';
import { CloudRunAdapter } from '../src/platform/cloud-run/index.ts';
import { createCloudMonitoring } from '../src/platform/monitoring/index.ts';
import type { TimerObservation } from '../src/runbooks/engine.ts';
import { closeRedis, createRedis, createStore, deleteByPrefix, type Store } from '../src/store/index.ts';
import { startJsonChild } from './child.ts';
import { intFromEnv } from './env.ts';
import { percentile } from './percentile.ts';
import type { TwinsSpec } from './twins-server.ts';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const SIZES = (process.env.BENCH_SIZES ?? '100,250,500').split(',').map(Number);
const INTERVAL_MS = intFromEnv('BENCH_INTERVAL_MS', 10_000);
const DURATION_MS = intFromEnv('BENCH_DURATION_MS', 20_000);
const WARMUP_MS = intFromEnv('BENCH_WARMUP_MS', 4000);
const CONCURRENCY = intFromEnv('BENCH_CONCURRENCY', 100);
const GATE = process.env.BENCH_GATE === 'monitoring' ? 'monitoring' : 'http';
const TARGETS = { p99Ms: 50, commandsPerTick: 10, memoryMb500: 300 };
/** Approvals per second the set-up sends at most (it keeps up with 50 on 2 cores). */
const APPROVALS_PER_SECOND = 50;

interface Result {
  rollouts: number;
  intervalMs: number;
  gate: string;
  ticks: number;
  ticksPerSecond: number;
  offeredPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  lateP99Ms: number;
  clientCommandsPerTick: number;
  serverCallsPerTick: number;
  peakRssMb: number;
  peakHeapMb: number;
  retainedHeapMb: number;
  retainedRssMb: number;
  setupSeconds: number;
}

// ---------------------------------------------------------------------------------------------------------
// Child: one size.

let commandsSent = 0;
const commandsByName = new Map<string, number>();
function countCommands(): void {
  const proto = Redis.prototype as unknown as { sendCommand: (...args: unknown[]) => unknown };
  const original = proto.sendCommand;
  proto.sendCommand = function (this: unknown, ...args: unknown[]) {
    commandsSent += 1;
    const command = args[0] as { name?: string; args?: unknown[] } | undefined;
    // EVALSHA of a script: named by its SHA prefix, enough to tell BullMQ's scripts from the store's.
    const name =
      command?.name === 'evalsha'
        ? `evalsha ${String(command.args?.[0]).slice(0, 8)}`
        : (command?.name ?? '?');
    commandsByName.set(name, (commandsByName.get(name) ?? 0) + 1);
    return original.apply(this, args);
  };
}

async function serverCalls(redis: Redis): Promise<number> {
  const text = await redis.info('commandstats');
  let calls = 0;
  for (const match of text.matchAll(/calls=(\d+)/g)) calls += Number(match[1]);
  return calls;
}

/** BENCH_TRACE=1: where a tick's time goes, per awaited call (to stderr). */
function trace(store: Store, gates: GateRegistry) {
  const times: Record<string, number[]> = {};
  const wrap = <T extends object>(object: T, name: keyof T & string, label: string) => {
    const fn = object[name] as unknown as (...args: unknown[]) => Promise<unknown>;
    (object as Record<string, unknown>)[name] = async (...args: unknown[]) => {
      const t0 = performance.now();
      try {
        return await fn.apply(object, args);
      } finally {
        times[label] ??= [];
        times[label].push(performance.now() - t0);
      }
    };
  };
  wrap(store.rollouts, 'get', 'rollouts.get');
  wrap(store.rollouts, 'transition', 'rollouts.transition');
  wrap(store.audit, 'append', 'audit.append');
  wrap(gates, 'evaluate', 'gates.evaluate');
  return {
    wrap,
    print() {
      for (const [label, values] of Object.entries(times)) {
        values.sort((a, b) => a - b);
        console.error(
          `${label}: ${values.length} calls, p50 ${percentile(values, 50).toFixed(2)} ms, p99 ${percentile(values, 99).toFixed(2)} ms`,
        );
      }
    },
  };
}

interface TwinStats {
  cloudRunRequests: number;
  monitoringRequests: number;
  batches: number;
  rssMb: number;
  heapMb: number;
}

interface Twins {
  origin: string;
  /** A bench-only admin route of the twin process (bench/twins-server.ts). */
  admin<T>(path: string, body?: unknown): Promise<T>;
  stop(): Promise<void>;
}

/** The twin process, seeded; resolves once it serves. It also ends by itself when this process exits. */
async function startTwins(spec: TwinsSpec): Promise<Twins> {
  const script = new URL('./twins-server.ts', import.meta.url).pathname;
  const started = await startJsonChild<{ origin: string }>(script, [JSON.stringify(spec)]);
  const { origin } = started.line;
  return {
    origin,
    async admin<T>(path: string, body?: unknown): Promise<T> {
      const response = await fetch(`${origin}${path}`, {
        method: body === undefined ? 'GET' : 'POST',
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        headers: { 'content-type': 'application/json' },
      });
      if (!response.ok) throw new Error(`twins ${path}: ${response.status} ${await response.text()}`);
      return (await response.json()) as T;
    },
    stop: () => started.stop(),
  };
}

async function child(rollouts: number): Promise<Result> {
  countCommands();
  const setupStarted = performance.now();
  const memory = { rss: 0, heap: 0 };
  const sample = () => {
    const m = process.memoryUsage();
    memory.rss = Math.max(memory.rss, m.rss);
    memory.heap = Math.max(memory.heap, m.heapUsed);
  };
  const sampler = setInterval(sample, 100);

  const project = 'proj-bench';
  const region = 'us-central1';
  const names = Array.from({ length: rollouts }, (_, i) => `svc-${i}`);
  // The twins run in a process of their own and answer over loopback HTTP (as the sandbox serves them):
  // their state (a service and its revisions per rollout, request batches, request logs) and their HTTP
  // server are not the engine's, and a bot replica holds none of them. (In this process, msw's
  // interception would also retain every request it sees: mswjs/msw#2735, mswjs/interceptors#783.)
  const twins = await startTwins({
    project,
    region,
    image: 'europe-docker.pkg.dev/proj-bench/svc/svc:v1',
    services: names,
  });
  try {
    const port = Number(new URL(twins.origin).port);
    const endpoint = { host: '127.0.0.1', port, protocol: 'http' as const };
    const config = shiftgateConfig.parse({
      environments: {
        bench: {
          deployers: { users: ['UBENCH1'] },
          approval: { approvers: { users: ['UBENCH2'] }, required: 1, expiresAfter: '1d' },
        },
      },
      services: Object.fromEntries(
        names.map((name) => [
          name,
          {
            project,
            region,
            image: 'europe-docker.pkg.dev/proj-bench/svc/svc',
            slackChannel: '#bench',
            environments: { bench: { cloudRunService: name, publicUrl: `https://${name}.bench.test` } },
          },
        ]),
      ),
      runbooks: {
        canary: {
          kind: 'canary',
          judge: { failureLimit: 3 },
          stages: [
            { name: 'A', traffic: 0, approval: false },
            { name: 'B', traffic: 5, watch: '1d', interval: `${INTERVAL_MS}ms`, gates: ['probe'] },
            { name: 'E', traffic: 100 },
          ],
        },
      },
      gates: {
        probe:
          GATE === 'http'
            ? {
                kind: 'http',
                target: 'public',
                path: '/healthz',
                timeout: process.env.BENCH_GATE_TIMEOUT ?? '10s',
              }
            : { kind: 'cloud-monitoring', metric: 'error-rate', belowPercent: 1, minRequests: 1 },
      },
    });

    const prefix = `sgbench:engine:${randomBytes(4).toString('hex')}:`;
    const storeRedis = createRedis(REDIS_URL);
    const store = createStore(storeRedis, { prefix });
    const adapter = new CloudRunAdapter({
      google: { projectId: project, endpoint },
      pollMs: 1,
      maxPollMs: 5,
    });
    const monitoring = createCloudMonitoring({
      target: { projectId: project, endpoint },
      retryDelayMs: 1,
      // The twin process answers with every request at once (bench/twins-server.ts).
      visibility: { samplePeriodMs: 0, ingestionLatencyMs: 0 },
    });
    const observations: TimerObservation[] = [];
    let measuring = false;
    // The http gate's service answers at once, in process: a tick then costs the engine and nothing else.
    const gates = createGateRegistry({
      monitoring: widened(monitoring),
      fetch: async () => new Response('ok', { status: 200 }),
    });
    const traced = process.env.BENCH_TRACE === '1' ? trace(store, gates) : undefined;
    const engine = createEngine({
      store,
      redisUrl: REDIS_URL,
      cloudRun: adapter,
      gates,
      config,
      notify: async () => {},
      sweep: { intervalMs: 0 },
      worker: { concurrency: CONCURRENCY },
      newId: (service) => `bench-${service}`,
      log: { warn: () => {}, error: (message, fields) => console.error(message, fields) },
      metrics: {
        timer: (o) => {
          if (measuring && o.timer === 'tick') observations.push(o);
        },
      },
    });
    traced?.wrap(engine.scheduler, 'schedule', 'scheduler.schedule');
    const live = async (label: string) => {
      const gc = (globalThis as { gc?: () => void }).gc;
      if (!traced || !gc) return;
      gc();
      const m = process.memoryUsage();
      if (process.env.BENCH_SNAPSHOT)
        console.error(v8.writeHeapSnapshot(`/tmp/prof/${label.replace(/ /g, '-')}.heapsnapshot`));
      const t = await twins.admin<TwinStats>('/__bench/stats');
      console.error(
        `${label}: live heap ${(m.heapUsed / 2 ** 20).toFixed(1)} MB, rss ${(m.rss / 2 ** 20).toFixed(1)} MB; ` +
          `twin process: rss ${t.rssMb.toFixed(1)} MB, heap ${t.heapMb.toFixed(1)} MB, ` +
          `cloud run requests ${t.cloudRunRequests}, monitoring requests ${t.monitoringRequests}, traffic batches ${t.batches}`,
      );
    };
    await live('engine created');

    // Start every rollout (deploy through the twin) until it awaits approval of stage B.
    const queue = [...names];
    const ids: string[] = [];
    await Promise.all(
      Array.from({ length: 25 }, async () => {
        for (let name = queue.shift(); name; name = queue.shift()) {
          const started = await engine.startCanary({
            service: name,
            env: 'bench',
            tag: 'v2',
            requestedBy: 'UBENCH1',
          });
          if (!started.ok) throw new Error(JSON.stringify(started));
          await started.settled;
          ids.push(started.rolloutId);
        }
      }),
    );
    await live('all deployed');
    // Approve them spread over one interval, as rollouts started at different times would be: their ticks
    // then arrive evenly rather than all at the same instant. Set-up approves about 50 a second; when one
    // interval is too short for that (500 at 2 s), they are approved over as many whole intervals as it
    // takes, each round offset so that every rollout still has a phase of the interval of its own. (Sent
    // faster, approvals pile up and complete in bursts, and so do the ticks for the rest of the run.)
    const rounds = Math.max(1, Math.ceil(ids.length / ((APPROVALS_PER_SECOND * INTERVAL_MS) / 1000)));
    const perRound = Math.ceil(ids.length / rounds);
    const approvedFrom = performance.now();
    await Promise.all(
      ids.map(async (id, i) => {
        const round = Math.floor(i / perRound);
        const phase = (i % perRound) * rounds + round;
        const at = round * INTERVAL_MS + (phase * INTERVAL_MS) / ids.length;
        const wait = approvedFrom + at - performance.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        const sent = await engine.send(id, { type: 'approve', userId: 'UBENCH2', stage: 1 });
        if (!sent.ok) throw new Error(sent.message);
        await sent.settled;
      }),
    );
    // Every rollout is watching: the twin process drops its request logs (the trace then counts the
    // measured phase's requests) and, for the monitoring gate, feeds healthy traffic on both revisions of
    // every service (the stable one and the canary), around the measured minute.
    const { fed } = await twins.admin<{ fed: number }>('/__bench/watching', { feed: GATE === 'monitoring' });
    if (GATE === 'monitoring' && fed !== 2 * rollouts)
      throw new Error(`the twins fed ${fed} revisions, not ${2 * rollouts}`);
    await live('all watching');
    const active = await store.rollouts.listActive();
    const watching = active.filter((r) => r.status === 'watching').length;
    if (watching !== rollouts) throw new Error(`only ${watching} of ${rollouts} rollouts are watching`);
    const setupSeconds = (performance.now() - setupStarted) / 1000;

    await new Promise((resolve) => setTimeout(resolve, WARMUP_MS));
    const stats = new Redis(REDIS_URL);
    const callsBefore = await serverCalls(stats);
    memory.rss = 0;
    memory.heap = 0;
    sample();
    const sentBefore = commandsSent;
    commandsByName.clear();
    measuring = true;
    const started = performance.now();
    await new Promise((resolve) => setTimeout(resolve, DURATION_MS));
    measuring = false;
    const elapsed = (performance.now() - started) / 1000;
    const sent = commandsSent - sentBefore;
    const callsAfter = await serverCalls(stats);
    sample();
    clearInterval(sampler);
    // What stays after a full collection (needs --expose-gc): the live set, beside the peaks with garbage.
    const gc = (globalThis as { gc?: () => void }).gc;
    gc?.();
    const retained = process.memoryUsage();

    if (traced) {
      traced.print();
      const perTick = [...commandsByName].sort((a, b) => b[1] - a[1]);
      const tickCount = observations.filter((o) => o.steps > 0).length;
      console.error(
        `commands per tick: ${perTick.map(([n, c]) => `${n} ${(c / tickCount).toFixed(2)}`).join(', ')}`,
      );
    }
    await live('measured');
    const ticks = observations.filter((o) => o.steps > 0);
    const durations = ticks.map((o) => o.durationMs).sort((a, b) => a - b);
    const late = ticks.map((o) => o.lateMs).sort((a, b) => a - b);
    const result: Result = {
      rollouts,
      intervalMs: INTERVAL_MS,
      gate: GATE,
      ticks: ticks.length,
      ticksPerSecond: ticks.length / elapsed,
      offeredPerSecond: rollouts / (INTERVAL_MS / 1000),
      p50Ms: percentile(durations, 50),
      p99Ms: percentile(durations, 99),
      lateP99Ms: percentile(late, 99),
      clientCommandsPerTick: sent / ticks.length,
      serverCallsPerTick: (callsAfter - callsBefore) / ticks.length,
      peakRssMb: memory.rss / 2 ** 20,
      peakHeapMb: memory.heap / 2 ** 20,
      retainedHeapMb: gc ? retained.heapUsed / 2 ** 20 : Number.NaN,
      retainedRssMb: gc ? retained.rss / 2 ** 20 : Number.NaN,
      setupSeconds,
    };

    await engine.close(); // after the jobs under way, so nothing writes under the prefix once it is cleaned
    await deleteByPrefix(stats, prefix);
    await Promise.all([closeRedis(stats), store.close(), adapter.close(), monitoring.close()]);
    return result;
  } finally {
    clearInterval(sampler);
    await twins.stop();
  }
}

// ---------------------------------------------------------------------------------------------------------
// Parent: every size in its own process, then the table.

/** V8 flags of each child: a heap sized as in a 512 MiB container (BENCH_NODE_FLAGS='' for V8's defaults). */
const NODE_FLAGS = (process.env.BENCH_NODE_FLAGS ?? '--max-old-space-size=256 --max-semi-space-size=4')
  .split(' ')
  .filter(Boolean);

function runChild(size: number): Promise<Result> {
  return new Promise((resolve, reject) => {
    const args = ['--expose-gc', ...NODE_FLAGS, new URL(import.meta.url).pathname, '--child', String(size)];
    const proc = spawn(process.execPath, args, {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: process.env,
    });
    let out = '';
    proc.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    proc.on('error', reject);
    proc.on('exit', (code) => {
      const line = out.trim().split('\n').at(-1) ?? '';
      if (code !== 0) return reject(new Error(`child ${size} exited with ${code}: ${out}`));
      resolve(JSON.parse(line) as Result);
    });
  });
}

const f = (n: number, digits = 1) => n.toFixed(digits);

async function parent(): Promise<void> {
  console.log(
    `engine benchmark: ${cpus().length} cores, Node ${process.version}, gate ${GATE}, interval ${INTERVAL_MS} ms, ` +
      `${DURATION_MS / 1000} s measured after ${WARMUP_MS / 1000} s warm-up, worker concurrency ${CONCURRENCY}, ` +
      `node flags: ${NODE_FLAGS.join(' ') || 'none'}`,
  );
  const results: Result[] = [];
  for (const size of SIZES) {
    const result = await runChild(size);
    results.push(result);
    console.log(
      `${size} rollouts: ${f(result.ticksPerSecond)} ticks/s (offered ${f(result.offeredPerSecond)}), ` +
        `tick p50 ${f(result.p50Ms)} ms p99 ${f(result.p99Ms)} ms (late p99 ${f(result.lateP99Ms)} ms), ` +
        `${f(result.clientCommandsPerTick, 2)} commands/tick sent (${f(result.serverCallsPerTick, 2)} server calls), ` +
        `peak rss ${f(result.peakRssMb)} MB heap ${f(result.peakHeapMb)} MB, live heap ${f(result.retainedHeapMb)} MB ` +
        `(setup ${f(result.setupSeconds)} s)`,
    );
  }
  console.log(
    '\n| rollouts | ticks/s (offered) | tick p50 ms | tick p99 ms | late p99 ms | commands/tick sent | server calls/tick | peak RSS MB | peak heap MB | live heap MB |',
  );
  console.log('|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of results) {
    console.log(
      `| ${r.rollouts} | ${f(r.ticksPerSecond)} (${f(r.offeredPerSecond)}) | ${f(r.p50Ms)} | ${f(r.p99Ms)} | ${f(r.lateP99Ms)} | ` +
        `${f(r.clientCommandsPerTick, 2)} | ${f(r.serverCallsPerTick, 2)} | ${f(r.peakRssMb)} | ${f(r.peakHeapMb)} | ${f(r.retainedHeapMb)} |`,
    );
  }
  const last = results.at(-1);
  if (last) {
    const ok = (b: boolean) => (b ? 'met' : 'MISSED');
    console.log(
      `\ntargets at ${last.rollouts}: p99 < ${TARGETS.p99Ms} ms ${ok(last.p99Ms < TARGETS.p99Ms)}, ` +
        `<= ${TARGETS.commandsPerTick} commands/tick ${ok(last.clientCommandsPerTick <= TARGETS.commandsPerTick)}, ` +
        `< ${TARGETS.memoryMb500} MB ${ok(last.peakRssMb < TARGETS.memoryMb500)}`,
    );
  }
}

if (process.argv[2] === '--child') {
  const result = await child(Number(process.argv[3]));
  console.log(JSON.stringify(result));
  process.exit(0);
} else {
  await parent();
}
