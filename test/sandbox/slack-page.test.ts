import { createHmac } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import {
  afterAll,
  afterEach,
  beforeAll,
  beforeEach,
  describe,
  expect,
  it,
  type MockInstance,
  vi,
} from 'vitest';
import { type PageServer, SLACK_TIMEOUT_MS, startPageServer } from '../../sandbox/slack-page/server.ts';
import { createSlackTwin } from '../../sandbox/twins/slack/index.ts';
import { sendToBot } from '../../sandbox/twins/slack/sign.ts';

// The sandbox's Slack page against a stand-in bot that records what it gets and answers 200, 500 or
// never: what the page server sends is what Slack would (command text as typed, `&`, `<`, `>` escaped,
// signed), a bot that does not answer within 3 s fails the command with operation_timeout, a send the bot
// did not take is logged and shown; and in Chromium, switching person is not undone by a poll that was
// under way.

const CHROMIUM = process.env.SHIFTGATE_CHROMIUM ?? '/usr/bin/chromium';
const SECRET = 'page-test-signing-secret-0123456789';
const RILEY = { id: 'URILEY0001', name: 'Riley', role: 'requester' };
const AVERY = { id: 'UAVERY0001', name: 'Avery', role: 'approver' };

type Mode = 'ok' | 'fail' | 'hang';
let mode: Mode = 'ok';
const received: { headers: IncomingMessage['headers']; body: string }[] = [];
const hanging: ServerResponse[] = [];
let bot: Server;
let botUrl: string;
let slack: ReturnType<typeof createSlackTwin>;
let pageServer: PageServer;
let channelId: string;
let logged: MockInstance<typeof console.error>;

beforeAll(async () => {
  bot = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    received.push({ headers: req.headers, body: Buffer.concat(chunks).toString() });
    if (mode === 'hang') hanging.push(res);
    else if (mode === 'fail') res.writeHead(500).end('boom');
    else res.writeHead(200).end();
  });
  await new Promise<void>((resolve) => bot.listen(0, '127.0.0.1', resolve));
  botUrl = `http://127.0.0.1:${(bot.address() as { port: number }).port}/slack/events`;
  slack = createSlackTwin({ wallClock: true });
  channelId = slack.channelId('#deploys');
  pageServer = await startPageServer({
    slack,
    botUrl,
    signingSecret: SECRET,
    channel: '#deploys',
    people: [RILEY, AVERY],
    service: () => ({ name: 'demo', url: 'http://127.0.0.1:1', revisions: [] }),
  });
});

afterAll(async () => {
  await pageServer?.stop();
  bot?.closeAllConnections();
  await new Promise((resolve) => bot?.close(resolve));
});

beforeEach(() => {
  mode = 'ok';
  received.splice(0);
  logged = vi.spyOn(console, 'error').mockImplementation(() => {});
});
afterEach(() => {
  logged.mockRestore();
  for (const res of hanging.splice(0)) res.destroy();
});

async function api(path: string, body: Record<string, unknown>) {
  const response = await fetch(new URL(path, pageServer.url), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(response.status).toBe(200);
  return (await response.json()) as { ok: boolean; delivered?: boolean; error?: string };
}

const signatureOf = (request: (typeof received)[number]) =>
  `v0=${createHmac('sha256', SECRET)
    .update(`v0:${request.headers['x-slack-request-timestamp']}:${request.body}`)
    .digest('hex')}`;

const ephemeralTexts = (user: string) => slack.ephemerals(user).map((e) => e.text);

describe('the page server, as Slack', () => {
  it('sends the text after a slash command as typed, with & < > escaped, and signs what it sends', async () => {
    const answer = await api('/api/send', { user: RILEY.id, text: '/canary start  demo   good & <b> >c' });
    expect(answer).toEqual({ ok: true, delivered: true });
    const [request] = received;
    const form = new URLSearchParams(request?.body);
    expect(form.get('command')).toBe('/canary');
    expect(form.get('text')).toBe('start  demo   good &amp; &lt;b&gt; &gt;c');
    expect(request?.headers['x-slack-signature']).toBe(signatureOf(request as (typeof received)[number]));
  });

  it('escapes & < > in a message, in the channel and in the event the bot gets', async () => {
    await api('/api/send', { user: AVERY.id, text: 'rollback <now> & then  wait' });
    const event = JSON.parse(received[0]?.body ?? '{}').event as { text: string; user: string };
    expect(event).toMatchObject({ text: 'rollback &lt;now&gt; &amp; then  wait', user: AVERY.id });
    expect(slack.channel(channelId).at(-1)?.text).toBe('rollback &lt;now&gt; &amp; then  wait');
  });

  it('fails a command the bot does not answer within 3 s with operation_timeout, shown to the typist', async () => {
    expect(SLACK_TIMEOUT_MS).toBe(3_000);
    mode = 'hang';
    const started = Date.now();
    const answer = await api('/api/send', { user: RILEY.id, text: '/incident close' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(2_900);
    expect(answer).toMatchObject({
      ok: true,
      delivered: false,
      error: expect.stringContaining('within 3 s'),
    });
    expect(ephemeralTexts(RILEY.id)).toContain('/incident failed with the error "operation_timeout"');
    expect(String(logged.mock.calls.at(-1)?.[0])).toContain('did not answer /incident within 3 s');
  });

  it('fails a command the bot answers with an error with dispatch_failed', async () => {
    mode = 'fail';
    const answer = await api('/api/send', { user: AVERY.id, text: '/rollback demo' });
    expect(answer).toMatchObject({ delivered: false, error: expect.stringContaining('HTTP 500') });
    expect(ephemeralTexts(AVERY.id)).toContain('/rollback failed with the error "dispatch_failed"');
  });

  it('logs and answers a thread reply or a click the bot did not take', async () => {
    const { message } = slack.people.say(RILEY.id, channelId, 'a thread');
    mode = 'fail';
    const reply = await api('/api/send', { user: AVERY.id, text: 'a reply', thread_ts: message.ts });
    expect(reply).toEqual({
      ok: true,
      delivered: false,
      error: 'the bot answered the thread reply with HTTP 500: boom',
    });
    expect(String(logged.mock.calls.at(-1)?.[0])).toContain('the thread reply with HTTP 500');

    slack.ackReply(AVERY.id, channelId, {
      text: 'approve?',
      blocks: [
        {
          type: 'actions',
          elements: [
            {
              type: 'button',
              action_id: 'approval.approve',
              value: 'r1',
              text: { type: 'plain_text', text: 'Approve' },
            },
          ],
        },
      ],
    });
    const ts = slack.ephemerals(AVERY.id).at(-1)?.ts;
    const click = await api('/api/click', { user: AVERY.id, ts, action_id: 'approval.approve' });
    expect(click).toMatchObject({
      delivered: false,
      error: expect.stringContaining('approval.approve with HTTP 500'),
    });
    expect(String(logged.mock.calls.at(-1)?.[0])).toContain('the click on approval.approve with HTTP 500');
  });

  it('sends a click from the view the page showed, even when the message has lost that button since', async () => {
    const button = {
      type: 'button',
      action_id: 'approval.approve',
      value: '{"r":"r1","s":1}',
      text: { type: 'plain_text', text: 'Approve' },
    };
    // The message as it is now has no button (decided since); the page still shows the one it drew.
    const { message } = slack.people.say(RILEY.id, channelId, 'approved');
    const shown = { text: 'approve?', blocks: [{ type: 'actions', elements: [button] }] };
    const click = await api('/api/click', {
      user: AVERY.id,
      ts: message.ts,
      action_id: 'approval.approve',
      value: button.value,
      message: shown,
    });
    expect(click).toEqual({ ok: true, delivered: true });
    const payload = JSON.parse(new URLSearchParams(received.at(-1)?.body).get('payload') ?? '{}');
    expect(payload.actions[0]).toMatchObject({ action_id: 'approval.approve', value: button.value });
    expect(payload.message.blocks).toEqual(shown.blocks);
  });

  it("leaves sendToBot's default without a timeout, and gives up after the one given", async () => {
    mode = 'hang';
    const waiting = sendToBot(botUrl, SECRET, 'token=x');
    await vi.waitFor(() => expect(received).toHaveLength(1));
    expect(hanging).toHaveLength(1);
    // Answered late, it is still taken: no timeout by default.
    hanging[0]?.writeHead(200).end('late');
    expect(await (await waiting).text()).toBe('late');
    await expect(sendToBot(botUrl, SECRET, 'token=x', { timeoutMs: 200 })).rejects.toThrow(
      expect.objectContaining({ name: 'TimeoutError' }),
    );
  });
});

describe('the page, in Chromium', () => {
  let profile: string;
  let context: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    profile = await mkdtemp(join(tmpdir(), 'shiftgate-chromium-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
    });
    context.setDefaultTimeout(30_000);
    page = await context.newPage();
    await page.goto(pageServer.url);
    // A first visit: the server's choice, the first person, is taken.
    await page.locator('#who button[aria-pressed="true"]', { hasText: 'Riley' }).waitFor();
  }, 60_000);

  afterAll(async () => {
    await context?.close();
    if (profile) await rm(profile, { recursive: true, force: true });
  });

  const pressed = () => page.locator('#who button[aria-pressed="true"]');

  it('keeps the person switched to when a poll for the other one comes back after the switch', async () => {
    const asked: string[] = [];
    let release: () => void = () => {};
    let held = false;
    await page.route('**/api/state?*', async (route) => {
      const user = new URL(route.request().url()).searchParams.get('user') ?? '';
      asked.push(user);
      if (!held && user === RILEY.id) {
        // This poll is under way (held) while the person switches to Avery.
        held = true;
        await new Promise<void>((resolve) => {
          release = resolve;
        });
      }
      await route.continue();
    });
    try {
      await vi.waitFor(() => expect(held).toBe(true), { timeout: 15_000 });
      await page.getByRole('button', { name: /^Avery ·/ }).click();
      const after = asked.length;
      release();
      // The next poll, asked once the held one's answer (for Riley) is in, is for Avery: that answer was
      // dropped, not taken as a switch back.
      await vi.waitFor(() => expect(asked.length).toBeGreaterThan(after), { timeout: 15_000 });
      expect(asked[after]).toBe(AVERY.id);
      await pressed().filter({ hasText: 'Avery' }).waitFor();
      expect(await page.evaluate(() => localStorage.getItem('sandbox-user'))).toBe(AVERY.id);
      // And it stays so over the polls that follow.
      const later = asked.length;
      await vi.waitFor(() => expect(asked.length).toBeGreaterThan(later + 1), { timeout: 15_000 });
      expect(asked.slice(after)).not.toContain(RILEY.id);
      await expect(pressed().innerText()).resolves.toContain('Avery');
    } finally {
      await page.unroute('**/api/state?*');
    }
  });

  it('says so on the page when the bot did not take a message', async () => {
    mode = 'fail';
    await page.locator('#compose').fill('anyone there?');
    await page.locator('#compose').press('Enter');
    await page.locator('#error', { hasText: 'the bot answered the message with HTTP 500' }).waitFor();
    // Slack has the message all the same.
    await page.locator('#messages .msg', { hasText: 'anyone there?' }).waitFor();
  });

  it('shows a command the bot does not answer in time as failed with operation_timeout', async () => {
    mode = 'hang';
    await page.locator('#compose').fill('/canary start demo good');
    await page.locator('#compose').press('Enter');
    await page
      .locator('#messages .msg.ephemeral', { hasText: 'failed with the error "operation_timeout"' })
      .waitFor();
    await page.locator('#error', { hasText: 'did not answer /canary within 3 s' }).waitFor();
  });
});
