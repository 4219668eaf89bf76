import { type ChildProcess, spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import type { RequestHandler } from 'msw';
import { expect, vi } from 'vitest';
import { type Served, serveHandlers } from '../../sandbox/twins/serve.ts';
import { createSlackTwin } from '../../sandbox/twins/slack/index.ts';
import { REDIS_URL } from './redis.ts';

// The bot as a whole process (`npm start`, the container's CMD): the Slack twin served over real HTTP
// (Bolt calls auth.test at start), a minimal config and environment with no sm:// reference and no
// Google call at start (the clients connect on first use), and the child with its output collected.

export interface SlackOverHttp {
  served: Served;
  slack: ReturnType<typeof createSlackTwin>;
  /** SLACK_API_URL for the process. */
  apiUrl: string;
}

export async function serveSlackTwin(): Promise<SlackOverHttp> {
  // The twin's URLs need the server's origin: serve first, then fill the handler list.
  const handlers: RequestHandler[] = [];
  const served = await serveHandlers(handlers);
  const apiUrl = `${served.origin}/api/`;
  const slack = createSlackTwin({ apiUrl });
  handlers.push(...slack.handlers);
  return { served, slack, apiUrl };
}

export const freePort = () =>
  new Promise<number>((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });

/** One service, one environment, a two-stage canary: the least a valid config holds. */
export const MINIMAL_CONFIG = {
  environments: {
    prod: { deployers: { users: ['UDEPLOYER'] }, approval: { approvers: { users: ['UAPPROVE1'] } } },
  },
  services: {
    web: {
      project: 'shiftgate-test',
      region: 'us-central1',
      image: 'europe-docker.pkg.dev/shiftgate-test/web/web',
      slackChannel: '#deploys',
      environments: { prod: { cloudRunService: 'web-prod', publicUrl: 'https://web.example.test' } },
    },
  },
  runbooks: {
    canary: {
      kind: 'canary',
      stages: [
        { name: 'A', traffic: 0, approval: false },
        { name: 'E', traffic: 100 },
      ],
    },
  },
  gates: {},
};

export const TEST_SIGNING_SECRET = '0123456789abcdef0123456789abcdef';

/** Writes MINIMAL_CONFIG into `dir` and returns the environment of a start against the Slack twin. */
export async function minimalEnv(
  dir: string,
  twin: SlackOverHttp,
  port: number,
): Promise<Record<string, string>> {
  const configFile = join(dir, 'shiftgate.yaml');
  await writeFile(configFile, JSON.stringify(MINIMAL_CONFIG)); // YAML is a superset of JSON
  return {
    PATH: process.env.PATH ?? '',
    SLACK_BOT_TOKEN: twin.slack.botToken,
    SLACK_SIGNING_SECRET: TEST_SIGNING_SECRET,
    SLACK_API_URL: twin.apiUrl,
    REDIS_URL,
    GOOGLE_CLOUD_PROJECT: 'shiftgate-test',
    GOOGLE_API_ENDPOINT: 'http://127.0.0.1:1',
    SHIFTGATE_CONFIG: configFile,
    PORT: String(port),
  };
}

export interface BotProcess {
  child: ChildProcess;
  readonly stdout: string;
  readonly stderr: string;
  /** The exit code (null when killed by a signal), once the process ended and all its output is in. */
  exited: Promise<number | null>;
  /** Waits until GET /healthz answers 200 on `port`. */
  healthy(port: number, timeoutMs?: number): Promise<void>;
  /** SIGTERM, then the exit code. */
  stop(): Promise<number | null>;
}

/** Runs `node <args>` with exactly `env` (nothing inherited), in `cwd` when given. */
export function spawnBot(args: string[], options: { env: Record<string, string>; cwd?: string }): BotProcess {
  const child = spawn(process.execPath, args, {
    env: options.env,
    ...(options.cwd ? { cwd: options.cwd } : {}),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  // 'close', not 'exit': output can still arrive after the process exited, and `exited` promises all of it.
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return {
    child,
    get stdout() {
      return stdout;
    },
    get stderr() {
      return stderr;
    },
    exited,
    async healthy(port, timeoutMs = 20_000) {
      const dead = () => child.exitCode !== null || child.signalCode !== null;
      await vi.waitFor(
        async () => {
          if (dead()) return; // it will never answer: stop waiting and say why below
          const health = await fetch(`http://127.0.0.1:${port}/healthz`);
          expect(health.status).toBe(200);
        },
        { timeout: timeoutMs, interval: 100 },
      );
      if (dead()) {
        throw new Error(
          `exited (${child.exitCode ?? child.signalCode}) before /healthz answered:\n${stderr}`,
        );
      }
    },
    stop() {
      child.kill('SIGTERM');
      return exited;
    },
  };
}
