import { type ChildProcess, spawn } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { REDIS_PID_FILE, RUN_DIR_PREFIX, running, sweepLeftRedis } from '../../sandbox/redis.ts';

// `npm run sandbox` as a process (sandbox/main.ts), each run with a temp dir of its own (TMPDIR) so that
// its run folder can be found: it says the load it puts on the demo service, says which child ended by
// itself and where its log is (and stops the rest), stops what it started on a signal during start-up,
// and stops a redis-server left running by a sandbox killed outright.

const MAIN = fileURLToPath(new URL('../../sandbox/main.ts', import.meta.url));

interface Run {
  proc: ChildProcess;
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

let root: string;
/** This test's temp dir. */
let tmp: string;
const runs: Run[] = [];

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'shiftgate-npm-sandbox-'));
});
beforeEach(async () => {
  tmp = await mkdtemp(join(root, 'test-'));
});
afterEach(async () => {
  // A test that failed half-way: nothing it started stays.
  for (const run of runs.splice(0)) {
    if (run.proc.exitCode === null && run.proc.signalCode === null) run.proc.kill('SIGKILL');
    await run.exited;
  }
  await sweepLeftRedis([], tmp);
});
afterAll(() => rm(root, { recursive: true, force: true }));

function runMain(env: Record<string, string> = {}): Run {
  const proc = spawn(process.execPath, [MAIN], {
    env: { ...process.env, TMPDIR: tmp, LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  proc.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  proc.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    proc.once('close', (code, signal) => resolve({ code, signal })),
  );
  const run = { proc, output: () => output, exited };
  runs.push(run);
  return run;
}

const until = <T>(what: () => T | Promise<T>, timeout = 60_000) =>
  vi.waitFor(what, { timeout, interval: 50 });

async function started(run: Run): Promise<void> {
  await until(() => {
    if (run.proc.exitCode !== null) throw new Error(`the sandbox exited:\n${run.output()}`);
    expect(run.output()).toContain('Open http://127.0.0.1:');
  });
}

/** The pid file of the run folders under `tmp` not in `known`, once written. */
async function newRedisPid(known: Set<string> = new Set()): Promise<{ runDir: string; pid: number }> {
  return until(async () => {
    const runDir = (await readdir(tmp)).find((name) => name.startsWith(RUN_DIR_PREFIX) && !known.has(name));
    expect(runDir).toBeDefined();
    const { pid } = JSON.parse(await readFile(join(tmp, runDir as string, REDIS_PID_FILE), 'utf8'));
    return { runDir: runDir as string, pid: pid as number };
  }, 30_000);
}

/** The processes whose parent is `pid`, with their command lines (Linux /proc). */
async function childrenOf(pid: number): Promise<{ pid: number; args: string }[]> {
  const found: { pid: number; args: string }[] = [];
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = await readFile(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid !== pid) continue;
      const args = (await readFile(`/proc/${name}/cmdline`, 'utf8')).split('\0').join(' ');
      found.push({ pid: Number(name), args });
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

describe('npm run sandbox', () => {
  it('says the load it puts on the demo service, and which child ended by itself', async () => {
    const run = runMain({ SANDBOX_RPS: '7' });
    await started(run);
    expect(run.output()).toContain('(about 7 requests a second of steady load)');
    const { runDir, pid: redis } = await newRedisPid();
    const children = await childrenOf(run.proc.pid as number);
    const bot = children.find((c) => c.args.includes('sandbox/bot.ts'));
    expect(bot).toBeDefined();

    process.kill(bot?.pid as number, 'SIGKILL');
    expect(await run.exited).toEqual({ code: 1, signal: null });
    expect(run.output()).toContain(`the bot was killed (SIGKILL); its log: ${join(tmp, runDir, 'bot.log')}`);
    // It stopped the rest, Redis included.
    expect(run.output()).toContain('shiftgate sandbox: stopped');
    for (const child of children) expect(running(child.pid), child.args).toBe(false);
    expect(running(redis)).toBe(false);
  }, 120_000);

  it('stops what it started on a signal during start-up', async () => {
    // A redis-server that never answers holds the start-up in its readiness wait (10 s): the SIGTERM comes
    // in the middle of it, and must not wait for it to time out.
    const bin = join(tmp, 'fake-bin');
    await mkdir(bin, { recursive: true });
    await writeFile(join(bin, 'redis-server'), '#!/bin/sh\necho $$ > "$FAKE_REDIS_PID"\nexec sleep 600\n');
    await chmod(join(bin, 'redis-server'), 0o755);
    const pidFile = join(tmp, 'fake-redis.pid');
    const run = runMain({ PATH: `${bin}:${process.env.PATH}`, FAKE_REDIS_PID: pidFile });
    const fake = await until(async () => Number(await readFile(pidFile, 'utf8')), 30_000);
    expect(fake).toBeGreaterThan(1);
    try {
      run.proc.kill('SIGTERM');
      expect(await run.exited).toEqual({ code: 0, signal: null });
      expect(run.output()).toContain('SIGTERM: stopping');
      expect(run.output()).toContain('shiftgate sandbox: stopped');
      expect(run.output()).not.toContain('could not start');
      expect(run.output()).not.toContain('Open http');
      expect(running(fake)).toBe(false);
    } finally {
      if (running(fake)) process.kill(fake, 'SIGKILL');
    }
  }, 120_000);

  it('stops a redis-server a sandbox killed outright left running, and its own on SIGHUP', async () => {
    const first = runMain();
    await started(first);
    const left = await newRedisPid();
    first.proc.kill('SIGKILL');
    await first.exited;
    // Killed outright, the sandbox could not stop it (its Node children end with their stdin).
    expect(running(left.pid)).toBe(true);

    const second = runMain();
    await until(() => expect(running(left.pid)).toBe(false), 60_000);
    await started(second);
    expect(second.output()).toContain(
      `stopped a redis-server (pid ${left.pid}) left running by an earlier sandbox`,
    );
    const own = await newRedisPid(new Set([left.runDir]));
    expect(own.pid).not.toBe(left.pid);

    second.proc.kill('SIGHUP');
    expect(await second.exited).toEqual({ code: 0, signal: null });
    expect(second.output()).toContain('SIGHUP: stopping');
    expect(running(own.pid)).toBe(false);
  }, 180_000);
});
