import { spawn } from 'node:child_process';

// A helper process of a benchmark (the twins, the bots): started with this Node, ready once it prints one
// JSON line (its origin or ports), stopped by closing its stdin (so it also ends when the parent dies).

export interface JsonChild<T> {
  /** The JSON line the child printed once it served. */
  line: T;
  stop(): Promise<void>;
}

export function startJsonChild<T>(script: string, args: string[]): Promise<JsonChild<T>> {
  const proc = spawn(process.execPath, [script, ...args], {
    stdio: ['pipe', 'pipe', 'inherit'],
    env: process.env,
  });
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    let out = '';
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (!line || !out.includes('\n', out.indexOf(line))) return;
      proc.stdout.off('data', onData);
      proc.stdout.resume(); // later output is not read; keep the pipe from filling
      proc.off('exit', onExit);
      resolve({
        line: JSON.parse(line) as T,
        async stop() {
          proc.stdin.end();
          await exited;
        },
      });
    };
    const onExit = (code: number | null) =>
      reject(new Error(`${script} ${args[0] ?? ''} exited with ${code}: ${out}`));
    proc.stdout.on('data', onData);
    proc.once('exit', onExit);
    proc.once('error', reject);
  });
}
