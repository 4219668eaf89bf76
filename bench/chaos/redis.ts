import { writeFileSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { type ChildExit, startProgram } from '../../sandbox/children.ts';
import { answers, REDIS_PID_FILE, sweepLeftRedis } from '../../sandbox/redis.ts';
import { waitFor } from '../../sandbox/wait.ts';

// The chaos run's Redis: a private redis-server on a port of its own with persistence on (append-only
// file, fsync every second: a SIGKILL of the process loses nothing the kernel already has), which the run
// SIGKILLs once and restarts from that file on the same port, so the replicas reconnect to the same URL.
// Its pid is kept in the run folder in the sandbox's format (sandbox/redis.ts), so a run killed outright
// leaves a redis-server that the next run (or sandbox) stops; children.ts kills it on any other exit.

export interface ChaosRedis {
  url: string;
  /** SIGKILL, then a restart from the append-only file; resolves once it answers again. */
  killAndRestart(downMs: number): Promise<{ downAt: number; upAt: number }>;
  stop(): Promise<void>;
}

function portTaken(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export async function startChaosRedis(runDir: string, port: number): Promise<ChaosRedis> {
  await sweepLeftRedis([runDir]);
  if (await portTaken(port)) {
    throw new Error(`port ${port} is taken: give the chaos run's Redis another one (--redis-port)`);
  }
  const dir = join(runDir, 'redis');
  await mkdir(dir, { recursive: true });
  const url = `redis://127.0.0.1:${port}`;
  const args = ['--bind', '127.0.0.1', '--port', String(port), '--dir', dir, '--appendonly', 'yes'];
  args.push('--save', '', '--appendfsync', 'everysec');
  let server: ReturnType<typeof startProgram>;
  let ended = false;
  const launch = async () => {
    ended = false;
    server = startProgram('redis-server', args, { logFile: join(runDir, 'redis.log') });
    if (server.pid > 0) {
      writeFileSync(
        join(runDir, REDIS_PID_FILE),
        JSON.stringify({ pid: server.pid, owner: process.pid, dir }),
      );
    }
    void server.exited.then(() => {
      ended = true;
    });
    await waitFor(`redis-server on port ${port} (log: ${join(runDir, 'redis.log')})`, 15_000, async () => {
      if (ended) throw new Error('redis-server exited');
      return answers(url);
    });
  };
  await launch();
  return {
    url,
    async killAndRestart(downMs) {
      const exited: Promise<ChildExit> = server.exited;
      const downAt = Date.now();
      process.kill(server.pid, 'SIGKILL');
      await exited;
      await new Promise((r) => setTimeout(r, downMs));
      await launch();
      return { downAt, upAt: Date.now() };
    },
    async stop() {
      await server.stop();
      await rm(join(runDir, REDIS_PID_FILE), { force: true });
    },
  };
}
