// Store benchmark: acquire + transition + release cycles at N concurrent callers, against the SET
// throughput redis-benchmark reaches on the same server. Run: npm run bench:store (node bench/store.ts).
//
// Environment: REDIS_URL (default redis://127.0.0.1:6379), BENCH_CONCURRENCY (50),
// BENCH_DURATION_MS (5000), BENCH_WARMUP_MS (1000), BENCH_SET_REQUESTS (200000).
// Each mode (auto-pipelining off, the default of createRedis, then on) uses one connection, as one
// bot replica does.

import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import type { Redis } from 'ioredis';
import type { Lock } from '../src/runbooks/locks.ts';
import { closeRedis, createRedis, createStore, deleteByPrefix, type Store } from '../src/store/index.ts';
import { intFromEnv } from './env.ts';
import { percentile } from './percentile.ts';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const CONCURRENCY = intFromEnv('BENCH_CONCURRENCY', 50);
const DURATION_MS = intFromEnv('BENCH_DURATION_MS', 5000);
const WARMUP_MS = intFromEnv('BENCH_WARMUP_MS', 1000);
const SET_REQUESTS = intFromEnv('BENCH_SET_REQUESTS', 200_000);
/** acquire, transition and release are one script call (one round trip) each. */
const ROUND_TRIPS_PER_CYCLE = 3;
const TARGET_RATIO = 0.33;

interface CycleStats {
  cycles: number;
  cyclesPerSecond: number;
  p50Ms: number;
  p99Ms: number;
}

/** Prepares one service lock and rollout per caller, then runs cycles for warm-up + duration. */
async function runCycles(redis: Redis, prefix: string): Promise<CycleStats> {
  const store: Store = createStore(redis, { prefix });
  const callers = await Promise.all(
    Array.from({ length: CONCURRENCY }, async (_, i) => {
      const service = `bench-${i}`;
      const id = `bench-r-${i}`;
      const lock = await mustAcquire(store, service, id);
      const created = await store.rollouts.create({
        id,
        service,
        env: 'prod',
        fencingToken: lock.token,
        status: 'running',
        stage: 0,
      });
      if (!created.ok) throw new Error(`create ${id}: ${JSON.stringify(created)}`);
      await store.locks.release(service, 'prod', lock.token);
      return { service, id, version: 1 };
    }),
  );

  const latencies: number[] = [];
  let measuring = false;
  let stopAt = performance.now() + WARMUP_MS;

  async function loop(caller: (typeof callers)[number]): Promise<void> {
    while (performance.now() < stopAt) {
      const started = performance.now();
      const lock = await mustAcquire(store, caller.service, caller.id);
      const moved = await store.rollouts.transition(caller.id, caller.version, lock, {
        stage: caller.version,
      });
      if (!moved.ok) throw new Error(`transition ${caller.id}: ${JSON.stringify(moved)}`);
      caller.version = moved.version;
      const released = await store.locks.release(caller.service, 'prod', lock.token);
      if (!released.ok) throw new Error(`release ${caller.id}: ${JSON.stringify(released)}`);
      if (measuring) latencies.push(performance.now() - started);
    }
  }

  await Promise.all(callers.map(loop));
  measuring = true;
  const begin = performance.now();
  stopAt = begin + DURATION_MS;
  await Promise.all(callers.map(loop));
  const elapsedS = (performance.now() - begin) / 1000;

  latencies.sort((a, b) => a - b);
  return {
    cycles: latencies.length,
    cyclesPerSecond: latencies.length / elapsedS,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
  };
}

async function mustAcquire(store: Store, service: string, rolloutId: string): Promise<Lock> {
  const result = await store.locks.acquire(service, 'prod', {
    rolloutId,
    author: 'bench',
    reason: 'bench',
    kind: 'rollout',
  });
  if (!result.ok) throw new Error(`acquire ${service}: ${JSON.stringify(result)}`);
  return result.lock;
}

/** Requests per second of a plain SET (on a key under the bench prefix) at the same concurrency. */
function setFloor(key: string): Promise<number> {
  const url = new URL(REDIS_URL);
  const args = ['-h', url.hostname || '127.0.0.1', '-p', url.port || '6379'];
  if (url.password) args.push('-a', decodeURIComponent(url.password), '--no-auth-warning');
  if (url.username && url.username !== 'default') args.push('--user', decodeURIComponent(url.username));
  args.push('-n', String(SET_REQUESTS), '-c', String(CONCURRENCY), '--csv', 'SET', key, 'xxx');
  return new Promise((resolve, reject) => {
    const child = spawn('redis-benchmark', args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    child.on('error', (error) => reject(new Error(`redis-benchmark could not run: ${error.message}`)));
    child.on('close', (code) => {
      // CSV: a header line, then "test","rps",... for the command.
      const row = out
        .trim()
        .split('\n')
        .find((line) => !line.startsWith('"test"'));
      const rps = Number(row?.split(',')[1]?.replaceAll('"', ''));
      if (code !== 0 || !Number.isFinite(rps)) reject(new Error(`redis-benchmark exited ${code}: ${out}`));
      else resolve(rps);
    });
  });
}

const fmt = (n: number, digits = 0) =>
  n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

async function main(): Promise<void> {
  const prefix = `sgbench:${randomBytes(6).toString('hex')}:`;
  const admin = createRedis(REDIS_URL, { enableAutoPipelining: false });
  try {
    const redisVersion = /redis_version:(\S+)/.exec(await admin.info('server'))?.[1] ?? 'unknown';
    const modes: Array<{ name: string; autoPipelining: boolean; stats?: CycleStats }> = [
      { name: 'auto-pipelining off (default)', autoPipelining: false },
      { name: 'auto-pipelining on', autoPipelining: true },
    ];
    for (const mode of modes) {
      const redis = createRedis(REDIS_URL, { enableAutoPipelining: mode.autoPipelining });
      try {
        mode.stats = await runCycles(redis, `${prefix}${mode.autoPipelining ? 'on' : 'off'}:`);
      } finally {
        await closeRedis(redis);
      }
    }
    const floor = await setFloor(`${prefix}set-floor`);

    const cpu = cpus();
    const lines = [
      `### Store: acquire + transition + release, ${CONCURRENCY} concurrent callers`,
      '',
      `- ${new Date().toISOString()}, Node ${process.version}, Redis ${redisVersion}, ${cpu.length} CPUs (${cpu[0]?.model.trim() ?? 'unknown'})`,
      `- ${WARMUP_MS} ms warm-up, ${DURATION_MS} ms measured, one connection; ${ROUND_TRIPS_PER_CYCLE} round trips per cycle`,
      `- SET floor: redis-benchmark -n ${SET_REQUESTS} -c ${CONCURRENCY} SET: **${fmt(floor)} ops/s**`,
      '',
      '| mode | cycles/s | p50 ms | p99 ms | ratio (cycles/s × 3 / SET ops/s) |',
      '|---|---:|---:|---:|---:|',
      ...modes.map(({ name, stats }) => {
        if (!stats) return `| ${name} | - | - | - | - |`;
        const ratio = (stats.cyclesPerSecond * ROUND_TRIPS_PER_CYCLE) / floor;
        const verdict = ratio >= TARGET_RATIO ? 'meets' : 'below';
        return `| ${name} | ${fmt(stats.cyclesPerSecond)} | ${fmt(stats.p50Ms, 2)} | ${fmt(stats.p99Ms, 2)} | ${fmt(ratio, 2)} (${verdict} target ${TARGET_RATIO}) |`;
      }),
    ];
    console.log(lines.join('\n'));
  } finally {
    await deleteByPrefix(admin, prefix);
    await closeRedis(admin);
  }
}

await main();
