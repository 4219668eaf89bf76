import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';

// The sandbox's child processes (the bot, the demo service's builds, Redis). Each runs in its own process
// group, so a Ctrl-C at the terminal reaches the sandbox alone, which then stops them in order (the bot
// before Redis). Node children also end when their stdin closes: if the sandbox itself dies, so do they.
// Whatever a child prints goes to its log file, except the one JSON line a Node child prints when ready.
// The log is ended once the child's output is closed ('close', not 'exit': output can still arrive after
// the process exited).

/** How a child ended. */
export interface ChildExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** It was asked to stop (stop()): an expected end. */
  stopped: boolean;
}

export interface Child<T> {
  /** The JSON line the child printed once it served (for Node children). */
  line: T;
  pid: number;
  logFile: string;
  /** Resolves once the process ended, however it ended. */
  exited: Promise<ChildExit>;
  /** Asks it to end (stdin closed, then SIGTERM), then kills it if it lingers; resolves once it exited. */
  stop(): Promise<void>;
}

const live = new Set<ChildProcess>();
// Last resort when the sandbox exits without stopping them (an uncaught error, a second Ctrl-C): nothing
// it started outlives it, Redis included (it does not watch its stdin).
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

interface Tracked {
  log: WriteStream;
  exited: Promise<ChildExit>;
  /** Resolves once its output is closed and the log ended. */
  closed: Promise<void>;
  /** Marks the coming end as asked for. */
  stopping(): void;
}

function track(proc: ChildProcess, logFile: string): Tracked {
  const log = createWriteStream(logFile, { flags: 'a' });
  // A log that cannot be written is said once; it must not take the sandbox down.
  let logError = false;
  log.on('error', (error) => {
    if (logError) return;
    logError = true;
    console.error(`sandbox: writing ${logFile}: ${error.message}`);
  });
  proc.stderr?.pipe(log, { end: false });
  live.add(proc);
  let stopped = false;
  // 'exit' when it ran; only 'close' (after 'error') when it could not be started.
  const exited = new Promise<ChildExit>((resolve) => {
    const done = (code: number | null, signal: NodeJS.Signals | null) => {
      live.delete(proc);
      resolve({ code, signal, stopped });
    };
    proc.once('exit', done);
    proc.once('close', done);
  });
  const closed = new Promise<void>((resolve) => {
    proc.once('close', () => {
      log.end();
      resolve();
    });
  });
  const stopping = () => {
    stopped = true;
  };
  return { log, exited, closed, stopping };
}

async function stopProcess(proc: ChildProcess, tracked: Tracked, graceMs: number): Promise<void> {
  tracked.stopping();
  if (proc.exitCode !== null || proc.signalCode !== null || proc.pid === undefined) return;
  const within = (ms: number) =>
    Promise.race([
      tracked.exited.then(() => true),
      new Promise<boolean>((r) => setTimeout(() => r(false), ms).unref()),
    ]);
  proc.stdin?.end();
  if (proc.stdin && (await within(graceMs))) return;
  proc.kill('SIGTERM');
  if (await within(graceMs)) return;
  proc.kill('SIGKILL');
  await tracked.exited;
}

/**
 * `node script ...args` with this Node and `env`; resolves once it prints a JSON line (its origin or URL).
 * Rejects with the end of its log when it exits first, stays silent for `readyTimeoutMs` or `signal`
 * aborts; the child has exited by then.
 */
export function startNodeChild<T>(
  script: string,
  args: string[],
  options: {
    env: NodeJS.ProcessEnv;
    logFile: string;
    readyTimeoutMs?: number;
    graceMs?: number;
    signal?: AbortSignal;
  },
): Promise<Child<T>> {
  options.signal?.throwIfAborted();
  const proc = spawn(process.execPath, [script, ...args], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: options.env,
    detached: true,
  });
  const tracked = track(proc, options.logFile);
  // An early exit closes stdin under our feet (EPIPE): the exit says it better.
  proc.stdin?.on('error', () => {});
  return new Promise((resolve, reject) => {
    let out = '';
    let settled = false;
    const readyTimeoutMs = options.readyTimeoutMs ?? 60_000;
    const timer = setTimeout(() => fail(`did not start within ${readyTimeoutMs / 1000} s`), readyTimeoutMs);
    const onAbort = () => fail('was not waited for: the sandbox is stopping');
    options.signal?.addEventListener('abort', onAbort, { once: true });
    const fail = (why: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      proc.kill('SIGKILL');
      // Rejected once it is gone (and its last words are in, within a second), so nothing outlives a failed start.
      void tracked.exited
        .then(() => Promise.race([tracked.closed, new Promise((r) => setTimeout(r, 1000).unref())]))
        .then(() => reject(new Error(`${script} ${why}; its log: ${options.logFile}\n${out.slice(-2000)}`)));
    };
    proc.stdout?.on('data', (chunk: Buffer) => {
      tracked.log.write(chunk);
      if (settled) return;
      out += chunk.toString();
      const line = out.split('\n').find((l, i, all) => l.startsWith('{') && i < all.length - 1);
      if (!line) return;
      let parsed: T;
      try {
        parsed = JSON.parse(line) as T;
      } catch {
        return;
      }
      settled = true;
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      resolve({
        line: parsed,
        pid: proc.pid as number,
        logFile: options.logFile,
        exited: tracked.exited,
        stop: () => stopProcess(proc, tracked, options.graceMs ?? 10_000),
      });
    });
    void tracked.exited.then(({ code, signal }) => fail(`exited (${signal ?? code}) before it was ready`));
    proc.once('error', (error) => fail(`could not start: ${error.message}`));
  });
}

/**
 * Starts children side by side. Each one that starts is handed to `started` (to be stopped later) even
 * when another fails; then the first failure is thrown.
 */
export async function startAll<T>(
  starts: Promise<Child<T>>[],
  started: (child: Child<T>, index: number) => void,
): Promise<Child<T>[]> {
  const settled = await Promise.allSettled(starts);
  settled.forEach((one, i) => {
    if (one.status === 'fulfilled') started(one.value, i);
  });
  const failed = settled.find((one) => one.status === 'rejected');
  if (failed) throw failed.reason;
  return settled.map((one) => (one as PromiseFulfilledResult<Child<T>>).value);
}

/** Any other program (redis-server), its output to `logFile`; stopped with SIGTERM. */
export function startProgram(
  command: string,
  args: string[],
  options: { logFile: string; graceMs?: number },
): Omit<Child<undefined>, 'line'> {
  const proc = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const tracked = track(proc, options.logFile);
  proc.stdout?.pipe(tracked.log, { end: false });
  proc.once('error', () => {}); // reported by the caller's readiness check
  return {
    pid: proc.pid ?? -1,
    logFile: options.logFile,
    exited: tracked.exited,
    stop: () => stopProcess(proc, tracked, options.graceMs ?? 5_000),
  };
}
