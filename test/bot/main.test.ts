import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type BotProcess,
  freePort,
  minimalEnv,
  type SlackOverHttp,
  serveSlackTwin,
  spawnBot,
  TEST_SIGNING_SECRET,
} from '../helpers/bot-process.ts';

// `npm start` as a process: it starts on the HTTP receiver, answers /healthz and /readyz, and on SIGTERM
// stops taking work, closes Redis and exits 0. Slack is the twin served over HTTP; no Google call is
// made at start (the clients connect on first use).

let twin: SlackOverHttp;
let dir: string;

beforeAll(async () => {
  twin = await serveSlackTwin();
  dir = await mkdtemp(join(tmpdir(), 'shiftgate-main-'));
});
afterAll(() => twin.served.close());

describe('npm start', () => {
  let bot: BotProcess | undefined;
  afterAll(() => bot?.child.kill('SIGKILL'));

  it('serves /healthz and /readyz, and stops cleanly on SIGTERM', async () => {
    const port = await freePort();
    bot = spawnBot(['src/bot/main.ts'], { env: await minimalEnv(dir, twin, port) });

    await bot.healthy(port);
    const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ ok: true });
    // Its own metrics, in Prometheus' text format.
    const scraped = await fetch(`http://127.0.0.1:${port}/metrics`);
    expect(scraped.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const metrics = await scraped.text();
    expect(metrics).toContain('# TYPE shiftgate_rollouts gauge');
    expect(metrics).toContain('# TYPE shiftgate_api_request_duration_seconds histogram');
    expect(metrics).toMatch(/^process_cpu_user_seconds_total \d/m);
    const up = bot.stdout.split('\n').find((l) => l.includes('shiftgate is up'));
    expect(JSON.parse(up as string)).toMatchObject({
      severity: 'INFO',
      message: 'shiftgate is up',
      mode: 'http',
    });
    expect(bot.stdout).not.toContain(TEST_SIGNING_SECRET);

    expect(await bot.stop()).toBe(0);
    expect(bot.stdout).toContain('"message":"stopped"');
    expect(bot.stderr).toBe('');
  });

  it('SHIFTGATE_ROLE=worker runs the timers behind /healthz alone: no Slack endpoint, no Slack call at start', async () => {
    const port = await freePort();
    const calls = twin.slack.recorder.requests.length;
    const worker = spawnBot(['src/bot/main.ts'], {
      env: { ...(await minimalEnv(dir, twin, port)), SHIFTGATE_ROLE: 'worker' },
    });
    try {
      await worker.healthy(port);
      expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).toBe(200);
      expect(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text()).toContain('shiftgate_rollouts');
      expect((await fetch(`http://127.0.0.1:${port}/slack/events`, { method: 'POST' })).status).toBe(404);
      const up = worker.stdout.split('\n').find((l) => l.includes('shiftgate is up'));
      expect(JSON.parse(up as string)).toMatchObject({ role: 'worker', mode: 'worker' });
      expect(twin.slack.recorder.requests.length).toBe(calls);
      expect(await worker.stop()).toBe(0);
      expect(worker.stderr).toBe('');
    } finally {
      worker.child.kill('SIGKILL');
    }
  });

  it('refuses an unknown SHIFTGATE_ROLE with one line naming it', async () => {
    const port = await freePort();
    const wrong = spawnBot(['src/bot/main.ts'], {
      env: { ...(await minimalEnv(dir, twin, port)), SHIFTGATE_ROLE: 'web' },
    });
    expect(await wrong.exited).toBe(1);
    expect(wrong.stderr).toMatch(/SHIFTGATE_ROLE.*all .*slack .*worker/);
  });
});
