import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RequestHandler } from 'msw';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type Served, serveHandlers } from '../../sandbox/twins/serve.ts';
import { createSlackTwin } from '../../sandbox/twins/slack/index.ts';
import { REDIS_URL } from '../helpers/redis.ts';

// `npm start` as a process: it starts on the HTTP receiver, answers /healthz and /readyz, and on SIGTERM
// stops taking work, closes Redis and exits 0. Slack is the twin served over HTTP; no Google call is
// made at start (the clients connect on first use).

let served: Served;
let slack: ReturnType<typeof createSlackTwin>;
let dir: string;

beforeAll(async () => {
  // The twin's URLs need the server's origin: serve first, then fill the handler list.
  const handlers: RequestHandler[] = [];
  served = await serveHandlers(handlers);
  slack = createSlackTwin({ apiUrl: `${served.origin}/api/` });
  handlers.push(...slack.handlers);
  dir = await mkdtemp(join(tmpdir(), 'shiftgate-main-'));
});
afterAll(() => served.close());

const freePort = () =>
  new Promise<number>((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });

const CONFIG = {
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

describe('npm start', () => {
  let child: ChildProcess | undefined;
  afterAll(() => child?.kill('SIGKILL'));

  it('serves /healthz and /readyz, and stops cleanly on SIGTERM', async () => {
    const configFile = join(dir, 'shiftgate.yaml');
    await writeFile(configFile, JSON.stringify(CONFIG)); // YAML is a superset of JSON
    const port = await freePort();
    child = spawn(process.execPath, ['src/bot/main.ts'], {
      env: {
        PATH: process.env.PATH,
        SLACK_BOT_TOKEN: slack.botToken,
        SLACK_SIGNING_SECRET: '0123456789abcdef0123456789abcdef',
        SLACK_API_URL: `${served.origin}/api/`,
        REDIS_URL,
        GOOGLE_CLOUD_PROJECT: 'shiftgate-test',
        GOOGLE_API_ENDPOINT: 'http://127.0.0.1:1',
        SHIFTGATE_CONFIG: configFile,
        PORT: String(port),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child?.on('exit', resolve));

    await vi.waitFor(
      async () => {
        const health = await fetch(`http://127.0.0.1:${port}/healthz`);
        expect(health.status).toBe(200);
      },
      { timeout: 20_000, interval: 100 },
    );
    const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ ok: true });
    const up = stdout.split('\n').find((l) => l.includes('shiftgate is up'));
    expect(JSON.parse(up as string)).toMatchObject({
      severity: 'INFO',
      message: 'shiftgate is up',
      mode: 'http',
    });
    expect(stdout).not.toContain('0123456789abcdef0123456789abcdef');

    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(stdout).toContain('"message":"stopped"');
    expect(stderr).toBe('');
  });
});
