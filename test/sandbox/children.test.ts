import { type ChildProcess, spawn } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, readlink, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { type Child, startAll, startNodeChild } from '../../sandbox/children.ts';
import { REDIS_PID_FILE, running, startRedis, sweepLeftRedis } from '../../sandbox/redis.ts';
import { freePort } from '../../sandbox/wait.ts';
import { spawnBot } from '../helpers/bot-process.ts';

// The sandbox's child processes and its Redis: output that comes after a child exited still reaches its
// log (and does not take the sandbox down), a start that fails or is cancelled leaves no process behind,
// and redis-servers left by a sandbox killed outright are stopped by the next one, only when they are
// beyond doubt such leftovers.

let dir: string;
const started: Child<unknown>[] = [];
const spawned: ChildProcess[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'shiftgate-children-'));
});
afterEach(async () => {
  await Promise.all(started.splice(0).map((c) => c.stop()));
  for (const proc of spawned.splice(0))
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** A Node script in the test folder. */
async function script(name: string, source: string): Promise<string> {
  const file = join(dir, name);
  await writeFile(file, source);
  return file;
}

// A child that prints its ready line, leaves a grandchild holding its stdout and stderr, and exits; the
// grandchild writes once its parent is gone (so after the child's 'exit'), then ends.
const LATE = `
const { spawn } = require('node:child_process');
const parent = process.pid;
spawn(process.execPath, ['-e', \`
  const gone = () => { try { process.kill(\${parent}, 0); return false; } catch { return true; } };
  const wait = () => gone() ? (process.stdout.write('late stdout\\\\n'), process.stderr.write('late stderr\\\\n')) : setTimeout(wait, 10);
  wait();
\`], { stdio: ['ignore', 'inherit', 'inherit'], detached: true }).unref();
console.log(JSON.stringify({ ready: true }));
setTimeout(() => process.exit(0), 50);
`;

describe('child processes', () => {
  it("keeps output that comes after a child's exit in its log", async () => {
    const file = await script('late.cjs', LATE);
    const logFile = join(dir, 'late.log');
    const child = await startNodeChild<{ ready: boolean }>(file, [], { env: {}, logFile });
    started.push(child);
    const exit = await child.exited;
    expect(exit).toMatchObject({ code: 0, stopped: false });
    // Once the grandchild wrote, the log has it (before: the log was ended at 'exit' and the write after
    // its end threw in the sandbox).
    await vi.waitFor(
      async () => {
        const log = await readFile(logFile, 'utf8');
        expect(log).toContain('late stdout');
        expect(log).toContain('late stderr');
      },
      { timeout: 15_000, interval: 50 },
    );
  });

  it("waits for a bot process's last output before saying it exited (test helper)", async () => {
    const file = await script('late-bot.cjs', LATE);
    const bot = spawnBot([file], { env: {} });
    spawned.push(bot.child);
    expect(await bot.exited).toBe(0);
    expect(bot.stdout).toContain('late stdout');
    expect(bot.stderr).toContain('late stderr');
  });

  it('stops a child that started when another one of the same start fails', async () => {
    const ok = await script(
      'ok.cjs',
      "console.log('{}'); process.stdin.resume(); process.stdin.on('end', () => process.exit(0));",
    );
    const broken = await script('broken.cjs', "console.error('no good'); process.exit(3);");
    const registered: Child<unknown>[] = [];
    const start = (file: string, name: string) =>
      startNodeChild<unknown>(file, [], { env: {}, logFile: join(dir, `${name}.log`) });
    await expect(
      startAll([start(ok, 'ok'), start(broken, 'broken')], (child) => registered.push(child)),
    ).rejects.toThrow(/broken\.cjs exited \(3\) before it was ready/);
    // The one that started is handed over to be stopped: with Promise.all it was lost, still running.
    expect(registered).toHaveLength(1);
    const [survivor] = registered as [Child<unknown>];
    expect(running(survivor.pid)).toBe(true);
    await survivor.stop();
    expect(running(survivor.pid)).toBe(false);
    expect(await survivor.exited).toMatchObject({ stopped: true });
  });

  it('ends a child that is still starting when the start is cancelled', async () => {
    const silent = await script(
      'silent.cjs',
      "require('node:fs').writeFileSync(process.argv[2], String(process.pid)); setInterval(() => {}, 1000);",
    );
    const pidFile = join(dir, 'silent.pid');
    const cancel = new AbortController();
    const starting = startNodeChild<unknown>(silent, [pidFile], {
      env: {},
      logFile: join(dir, 'silent.log'),
      signal: cancel.signal,
    });
    const pid = await vi.waitFor(async () => Number(await readFile(pidFile, 'utf8')), {
      timeout: 15_000,
      interval: 50,
    });
    expect(running(pid)).toBe(true);
    cancel.abort();
    await expect(starting).rejects.toThrow(/the sandbox is stopping/);
    expect(running(pid)).toBe(false);
  });
});

describe("the sandbox's redis-server", () => {
  it('is stopped when it does not answer in time', async () => {
    // A redis-server that never listens: the readiness wait times out, and it must not be left running.
    const bin = join(dir, 'fake-bin');
    await mkdir(bin, { recursive: true });
    const fake = join(bin, 'redis-server');
    await writeFile(fake, '#!/bin/sh\necho $$ > "$FAKE_REDIS_PID"\nexec sleep 600\n');
    await chmod(fake, 0o755);
    const runDir = await mkdtemp(join(dir, 'run-'));
    const path = process.env.PATH;
    process.env.PATH = `${bin}:${path}`;
    process.env.FAKE_REDIS_PID = join(dir, 'fake-redis.pid');
    try {
      await expect(startRedis(runDir, { readyTimeoutMs: 1_000 })).rejects.toThrow(/timed out after 1 s/);
    } finally {
      process.env.PATH = path;
      delete process.env.FAKE_REDIS_PID;
    }
    const pid = Number(await readFile(join(dir, 'fake-redis.pid'), 'utf8'));
    expect(pid).toBeGreaterThan(1);
    expect(running(pid)).toBe(false);
    await expect(readFile(join(runDir, REDIS_PID_FILE))).rejects.toThrow(/ENOENT/);
  });

  describe('left by a sandbox killed outright', () => {
    let root: string;
    let deadOwner: number;
    beforeAll(async () => {
      root = await mkdtemp(join(dir, 'tmp-'));
      const gone = spawn(process.execPath, ['-e', '']);
      deadOwner = await new Promise<number>((resolve) =>
        gone.once('exit', () => resolve(gone.pid as number)),
      );
    });

    /** A run folder under `root`, as the sandbox makes one, with its Redis folder. */
    async function runFolder() {
      const runDir = await mkdtemp(join(root, 'shiftgate-sandbox-'));
      const redisDir = join(runDir, 'redis-x');
      await mkdir(redisDir);
      return { runDir, redisDir };
    }
    const writePidFile = (runDir: string, left: { pid: number; owner: number; dir: string }) =>
      writeFile(join(runDir, REDIS_PID_FILE), JSON.stringify(left));

    /** A redis-server with its --dir, once it has changed into it (the sweep tells it by that). */
    async function startRedisServer(redisDir: string): Promise<number> {
      const proc = spawn(
        'redis-server',
        [
          '--bind',
          '127.0.0.1',
          '--port',
          String(await freePort()),
          '--save',
          '',
          '--appendonly',
          'no',
          '--dir',
          redisDir,
        ],
        { stdio: 'ignore', detached: true },
      );
      spawned.push(proc);
      const pid = proc.pid as number;
      const expected = await realpath(redisDir);
      await vi.waitFor(async () => expect(await readlink(`/proc/${pid}/cwd`)).toBe(expected), {
        timeout: 10_000,
        interval: 50,
      });
      return pid;
    }

    it('is stopped by the next start when its sandbox is gone and it is that redis-server', async () => {
      const { runDir, redisDir } = await runFolder();
      const pid = await startRedisServer(redisDir);
      await writePidFile(runDir, { pid, owner: deadOwner, dir: redisDir });
      expect(await sweepLeftRedis([], root)).toEqual([pid]);
      expect(running(pid)).toBe(false);
      await expect(readFile(join(runDir, REDIS_PID_FILE))).rejects.toThrow(/ENOENT/);
    });

    it('is left alone while the sandbox that wrote it may still run', async () => {
      const { runDir, redisDir } = await runFolder();
      const pid = await startRedisServer(redisDir);
      await writePidFile(runDir, { pid, owner: process.pid, dir: redisDir });
      expect(await sweepLeftRedis([], root)).toEqual([]);
      expect(running(pid)).toBe(true);
    });

    it('never stops a process that is not the redis-server the file names', async () => {
      // Not a redis-server at all, though its working directory is the one named.
      const first = await runFolder();
      const sleeper = spawn('sleep', ['600'], { cwd: first.redisDir, stdio: 'ignore', detached: true });
      spawned.push(sleeper);
      await writePidFile(first.runDir, { pid: sleeper.pid as number, owner: deadOwner, dir: first.redisDir });
      // A redis-server, but in another folder than the one named (a reused pid).
      const second = await runFolder();
      const other = await startRedisServer((await runFolder()).redisDir);
      await writePidFile(second.runDir, { pid: other, owner: deadOwner, dir: second.redisDir });
      expect(await sweepLeftRedis([], root)).toEqual([]);
      expect(running(sleeper.pid as number)).toBe(true);
      expect(running(other)).toBe(true);
    });
  });
});
