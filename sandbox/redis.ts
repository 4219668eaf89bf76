import { randomBytes } from 'node:crypto';
import { accessSync, constants, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, readdir, readFile, readlink, realpath, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { closeRedis, createRedis, deleteByPrefix } from '../src/store/index.ts';
import { type ChildExit, startProgram } from './children.ts';
import { freePort, waitFor } from './wait.ts';

// The sandbox's Redis: a private redis-server of its own (fresh each run, no persistence, gone when the
// sandbox stops), as the test set-up starts one, so a sandbox never shares keys or timer jobs with the
// tests or another bot. Without a redis-server binary it falls back to REDIS_URL under a key prefix of
// its own, deleted at the end (scripts/sandbox.sh checks that one answers, or installs redis-server).
//
// redis-server does not end with the sandbox by itself (it does not read its stdin): the sandbox stops it
// on every way out it sees (children.ts kills it on exit), and a sandbox killed outright (SIGKILL) leaves
// `redis.pid` in its run folder. The next start stops such a leftover when it is sure it is one: the
// sandbox that wrote the file is gone, and the process is a redis-server whose working directory is the
// Redis folder the file names (redis-server changes into its --dir). Anything else is left alone.

export interface SandboxRedis {
  url: string;
  /** Key prefix for the bot's store and timers; undefined on a private server (the default one is used). */
  prefix?: string;
  /** The private redis-server, when one was started. */
  server?: { pid: number; logFile: string; exited: Promise<ChildExit> };
  stop(): Promise<void>;
}

/** In the run folder while its redis-server runs: {pid, owner (the sandbox's pid), dir (its --dir)}. */
export const REDIS_PID_FILE = 'redis.pid';
/** Run folders under the temp dir start so (sandbox.ts). */
export const RUN_DIR_PREFIX = 'shiftgate-sandbox-';

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

/** Whether a Redis answers PING at `url` (a probe: it logs nothing). */
export async function answers(url: string): Promise<boolean> {
  // A probe: no answer is an answer, not a line in the log.
  const redis = createRedis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    log: { warn: () => {} },
  });
  try {
    await redis.connect();
    return (await redis.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    await closeRedis(redis).catch(() => {});
  }
}

export async function startRedis(
  runDir: string,
  options: { readyTimeoutMs?: number; signal?: AbortSignal } = {},
): Promise<SandboxRedis> {
  if (!hasRedisServer()) return sharedRedis();
  await sweepLeftRedis([runDir]);
  const port = await freePort();
  const dir = await mkdtemp(join(runDir, 'redis-'));
  const logFile = join(runDir, 'redis.log');
  const pidFile = join(runDir, REDIS_PID_FILE);
  const server = startProgram(
    'redis-server',
    ['--bind', '127.0.0.1', '--port', String(port), '--save', '', '--appendonly', 'no', '--dir', dir],
    { logFile },
  );
  // At once, before anything else can happen to this process.
  if (server.pid > 0) writeFileSync(pidFile, JSON.stringify({ pid: server.pid, owner: process.pid, dir }));
  const stop = async () => {
    await server.stop();
    await rm(pidFile, { force: true });
    await rm(dir, { recursive: true, force: true });
  };
  const url = `redis://127.0.0.1:${port}`;
  let ended = false;
  void server.exited.then(() => {
    ended = true;
  });
  try {
    await waitFor(
      `redis-server on port ${port} (log: ${logFile})`,
      options.readyTimeoutMs ?? 10_000,
      async () => {
        if (ended) throw new Error(`redis-server exited; see ${logFile}`);
        return answers(url);
      },
      options.signal,
    );
  } catch (error) {
    await stop();
    throw error;
  }
  return { url, server: { pid: server.pid, logFile, exited: server.exited }, stop };
}

/** Whether `pid` is a running process (a zombie, dead but not yet reaped, is not). */
export function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return true; // no /proc: as kill(0) said
  }
}

/**
 * Stops the redis-servers that sandboxes killed outright left running: those of the run folders under the
 * temp dir (and of `runDirs`) whose pid file names a sandbox that is gone and a process that is, beyond
 * doubt, that redis-server (Linux: /proc tells its name and working directory; elsewhere nothing is done).
 * Returns the pids it stopped.
 */
export async function sweepLeftRedis(runDirs: string[] = [], root = tmpdir()): Promise<number[]> {
  const found = await readdir(root).catch(() => [] as string[]);
  const folders = new Set([
    ...found.filter((name) => name.startsWith(RUN_DIR_PREFIX)).map((name) => join(root, name)),
    ...runDirs,
  ]);
  const stopped: number[] = [];
  for (const folder of folders) {
    const pidFile = join(folder, REDIS_PID_FILE);
    let left: { pid?: unknown; owner?: unknown; dir?: unknown };
    try {
      left = JSON.parse(await readFile(pidFile, 'utf8'));
    } catch {
      continue;
    }
    const { pid, owner, dir } = left;
    if (typeof pid !== 'number' || typeof owner !== 'number' || typeof dir !== 'string') continue;
    if (!Number.isInteger(pid) || pid <= 1 || running(owner)) continue; // its sandbox still runs (or may)
    if (!running(pid)) {
      await rm(pidFile, { force: true });
      continue;
    }
    const name = await readFile(`/proc/${pid}/comm`, 'utf8').catch(() => '');
    const cwd = await readlink(`/proc/${pid}/cwd`).catch(() => '');
    const expected = await realpath(dir).catch(() => undefined);
    if (!name.startsWith('redis-server') || expected === undefined || cwd !== expected) continue;
    const kill = (signal: NodeJS.Signals) => {
      try {
        process.kill(pid, signal);
      } catch {
        // gone already
      }
    };
    kill('SIGTERM');
    await waitFor(
      `the redis-server left running (pid ${pid}) to stop`,
      5_000,
      async () => !running(pid),
    ).catch(() => kill('SIGKILL'));
    console.error(
      `sandbox: stopped a redis-server (pid ${pid}) left running by an earlier sandbox in ${folder}`,
    );
    stopped.push(pid);
    await rm(pidFile, { force: true });
    await rm(dir, { recursive: true, force: true });
  }
  return stopped;
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
