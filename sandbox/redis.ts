import { randomBytes } from 'node:crypto';
import { accessSync, constants } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { closeRedis, createRedis, deleteByPrefix } from '../src/store/index.ts';
import { startProgram } from './children.ts';
import { freePort, waitFor } from './wait.ts';

// The sandbox's Redis: a private redis-server of its own (fresh each run, no persistence, gone when the
// sandbox stops), as the test set-up starts one, so a sandbox never shares keys or timer jobs with the
// tests or another bot. Without a redis-server binary it falls back to REDIS_URL under a key prefix of
// its own, deleted at the end (scripts/sandbox.sh checks that one answers, or installs redis-server).

export interface SandboxRedis {
  url: string;
  /** Key prefix for the bot's store and timers; undefined on a private server (the default one is used). */
  prefix?: string;
  stop(): Promise<void>;
}

/** Whether a redis-server executable is on PATH. */
function hasRedisServer(): boolean {
  return (process.env.PATH ?? '').split(':').some((dir) => {
    if (dir === '') return false;
    try {
      accessSync(join(dir, 'redis-server'), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

async function answers(url: string): Promise<boolean> {
  const redis = createRedis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  redis.on('error', () => {});
  try {
    await redis.connect();
    return (await redis.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    await closeRedis(redis).catch(() => {});
  }
}

export async function startRedis(runDir: string): Promise<SandboxRedis> {
  if (!hasRedisServer()) return sharedRedis();
  const port = await freePort();
  const dir = await mkdtemp(join(runDir, 'redis-'));
  const server = startProgram(
    'redis-server',
    ['--bind', '127.0.0.1', '--port', String(port), '--save', '', '--appendonly', 'no', '--dir', dir],
    { logFile: join(runDir, 'redis.log') },
  );
  const url = `redis://127.0.0.1:${port}`;
  let ended = false;
  void server.exited.then(() => {
    ended = true;
  });
  await waitFor(`redis-server on port ${port} (log: ${join(runDir, 'redis.log')})`, 10_000, async () => {
    if (ended) throw new Error(`redis-server exited; see ${join(runDir, 'redis.log')}`);
    return answers(url);
  });
  return {
    url,
    async stop() {
      await server.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

async function sharedRedis(): Promise<SandboxRedis> {
  const url = process.env.REDIS_URL || 'redis://127.0.0.1:6379';
  if (!(await answers(url))) {
    throw new Error(
      `no redis-server to start and no Redis answers at ${url}: install Redis 7 (Debian/Ubuntu: apt-get install redis-server) or set REDIS_URL`,
    );
  }
  const prefix = `sgsandbox:${randomBytes(4).toString('hex')}:`;
  return {
    url,
    prefix,
    async stop() {
      const redis = createRedis(url);
      await deleteByPrefix(redis, prefix);
      await closeRedis(redis);
    },
  };
}
