import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sendToBot } from '../../sandbox/twins/slack/sign.ts';
import {
  type BotProcess,
  freePort,
  minimalEnv,
  type SlackOverHttp,
  serveSlackTwin,
  spawnBot,
  TEST_SIGNING_SECRET,
} from '../helpers/bot-process.ts';
import { runNode } from '../helpers/run-node.ts';

// Signed bodies Slack would never send, and a failure nothing caught: the bot answers each request 4xx or
// 2xx and stays up. Before the receiver was guarded, `payload=null` (or a JSON `null`) threw inside
// Bolt's receiver as an unhandled rejection and the process exited.

const FORM = 'application/x-www-form-urlencoded';
const JSON_TYPE = 'application/json';

const HOSTILE: [string, string, string][] = [
  ['payload=null', 'payload=null', FORM],
  ['JSON null', 'null', JSON_TYPE],
  ['payload=1', 'payload=1', FORM],
  ['payload="text"', 'payload=%22text%22', FORM],
  ['payload=[]', 'payload=%5B%5D', FORM],
  ['JSON number', '42', JSON_TYPE],
  ['JSON array', '[null]', JSON_TYPE],
  ['JSON string', '"x"', JSON_TYPE],
  ['payload={}', 'payload=%7B%7D', FORM],
  ['JSON {}', '{}', JSON_TYPE],
  [
    'block_actions without user',
    `payload=${encodeURIComponent('{"type":"block_actions","actions":null}')}`,
    FORM,
  ],
  ['event_callback without event', '{"type":"event_callback","event_id":"Ev1"}', JSON_TYPE],
  ['broken JSON', '{"type":', JSON_TYPE],
  ['form without payload', 'command=%2Fcanary&text=', FORM],
  ['text of a repeated field', 'command=%2Fcanary&text=a&text=b&user_id=U1&channel_id=C1', FORM],
];

let twin: SlackOverHttp;
let dir: string;

beforeAll(async () => {
  twin = await serveSlackTwin();
  dir = await mkdtemp(join(tmpdir(), 'shiftgate-hostile-'));
});
afterAll(() => twin.served.close());

describe('hostile signed bodies against the bot process', () => {
  let bot: BotProcess | undefined;
  afterAll(() => bot?.child.kill('SIGKILL'));

  it('answers every one 4xx or 2xx and keeps serving', async () => {
    const port = await freePort();
    bot = spawnBot(['src/bot/main.ts'], { env: await minimalEnv(dir, twin, port) });
    await bot.healthy(port);
    const url = `http://127.0.0.1:${port}/slack/events`;
    for (const [name, body, contentType] of HOSTILE) {
      const response = await sendToBot(url, TEST_SIGNING_SECRET, body, { contentType, timeoutMs: 5000 });
      await response.text();
      expect(response.status, name).toBeGreaterThanOrEqual(200);
      expect(response.status, name).toBeLessThan(500);
      expect(bot.child.exitCode, `${name}: the process exited`).toBeNull();
      expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status, name).toBe(200);
    }
    expect(bot.stderr).toBe('');
    expect(await bot.stop()).toBe(0);
  }, 60_000);
});

describe('the process guard', () => {
  it('logs an unhandled rejection that is not fatal and keeps serving', async () => {
    const ran = await runNode(['test/bot/fixtures/rejection.ts', 'benign']);
    expect(ran.stdout).toContain('still serving');
    expect(ran.stdout).not.toContain('shutdown');
    expect(ran.code).toBe(0);
  });

  it('shuts down cleanly on a fatal one, with exit code 1', async () => {
    const ran = await runNode(['test/bot/fixtures/rejection.ts', 'fatal']);
    expect(ran.stdout).toContain('shutdown: fatal unhandled rejection');
    expect(ran.stdout).not.toContain('still serving');
    expect(ran.code).toBe(1);
  });
});
