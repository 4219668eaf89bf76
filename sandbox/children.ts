import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';

// The sandbox's child processes (the bot, the demo service's builds, Redis). Each runs in its own process
// group, so a Ctrl-C at the terminal reaches the sandbox alone, which then stops them in order (the bot
// before Redis). Node children also end when their stdin closes: if the sandbox itself dies, so do they.
// Whatever a child prints goes to its log file, except the one JSON line a Node child prints when ready.

export interface Child<T> {
  /** The JSON line the child printed once it served (for Node children). */
  line: T;
  pid: number;
  /** Asks it to end (stdin closed, then SIGTERM), then kills it if it lingers; resolves once it exited. */
  stop(): Promise<void>;
}

const live = new Set<ChildProcess>();
// Last resort when the sandbox exits without stopping them (an uncaught error): nothing outlives it.
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

function track(proc: ChildProcess, logFile: string): Promise<void> {
  const log = createWriteStream(logFile, { flags: 'a' });
  proc.stderr?.pipe(log, { end: false });
  live.add(proc);
  return new Promise<void>((resolve) => {
    proc.once('exit', () => {
      live.delete(proc);
      log.end();
      resolve();
    });
  });
}

async function stopProcess(proc: ChildProcess, exited: Promise<void>, graceMs: number): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const within = (ms: number) =>
    Promise.race([
      exited.then(() => true),
      new Promise<boolean>((r) => setTimeout(() => r(false), ms).unref()),
    ]);
  proc.stdin?.end();
  if (proc.stdin && (await within(graceMs))) return;
  proc.kill('SIGTERM');
  if (await within(graceMs)) return;
  proc.kill('SIGKILL');
  await exited;
}

/**
 * `node script ...args` with this Node and `env`; resolves once it prints a JSON line (its origin or URL).
 * Rejects with the end of its log when it exits first or stays silent for `readyTimeoutMs`.
 */
export function startNodeChild<T>(
  script: string,
  args: string[],
  options: { env: NodeJS.ProcessEnv; logFile: string; readyTimeoutMs?: number; graceMs?: number },
): Promise<Child<T>> {
  const proc = spawn(process.execPath, [script, ...args], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: options.env,
    detached: true,
  });
  const exited = track(proc, options.logFile);
  const log = createWriteStream(options.logFile, { flags: 'a' });
  return new Promise((resolve, reject) => {
    let out = '';
    let ready = false;
    const timer = setTimeout(
      () => fail(`did not start within ${(options.readyTimeoutMs ?? 60_000) / 1000} s`),
      options.readyTimeoutMs ?? 60_000,
    );
    const fail = (why: string) => {
      if (ready) return;
      ready = true;
      clearTimeout(timer);
      proc.kill('SIGKILL');
      reject(new Error(`${script} ${why}; its log: ${options.logFile}\n${out.slice(-2000)}`));
    };
    proc.stdout?.on('data', (chunk: Buffer) => {
      log.write(chunk);
      if (ready) return;
      out += chunk.toString();
      const line = out.split('\n').find((l, i, all) => l.startsWith('{') && i < all.length - 1);
      if (!line) return;
      let parsed: T;
      try {
        parsed = JSON.parse(line) as T;
      } catch {
        return;
      }
      ready = true;
      clearTimeout(timer);
      resolve({
        line: parsed,
        pid: proc.pid as number,
        stop: () => stopProcess(proc, exited, options.graceMs ?? 10_000),
      });
    });
    proc.once('exit', (code, signal) => {
      log.end();
      fail(`exited (${signal ?? code}) before it was ready`);
    });
    proc.once('error', (error) => fail(`could not start: ${error.message}`));
  });
}

/** Any other program (redis-server), its output to `logFile`; stopped with SIGTERM. */
export function startProgram(
  command: string,
  args: string[],
  options: { logFile: string; graceMs?: number },
): Omit<Child<undefined>, 'line'> & { exited: Promise<void> } {
  const proc = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const exited = track(proc, options.logFile);
  proc.stdout?.pipe(createWriteStream(options.logFile, { flags: 'a' }));
  proc.once('error', () => {}); // reported by the caller's readiness check
  return {
    pid: proc.pid ?? -1,
    exited,
    stop: () => stopProcess(proc, exited, options.graceMs ?? 5_000),
  };
}
