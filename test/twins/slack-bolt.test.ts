import type { AddressInfo } from 'node:net';
import { App, LogLevel } from '@slack/bolt';
import { http, passthrough } from 'msw';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createSlackTwin } from '../../sandbox/twins/slack/index.ts';
import {
  blockActionsBody,
  eventCallbackBody,
  sendToBot,
  slashCommandBody,
} from '../../sandbox/twins/slack/sign.ts';
import { useTwins } from '../helpers/msw.ts';

// A real Bolt app on a real port, driven by signed requests as Slack sends them, talking back to the
// twin: the check that sign.ts and the twin fit Bolt, not only the WebClient.

const SECRET = 'twin-signing-secret-0123456789ab';
const twin = createSlackTwin();
// The bot's own port is real HTTP: let those requests through msw.
useTwins(
  ...twin.handlers,
  http.all(/^http:\/\/127\.0\.0\.1:\d+\//, () => passthrough()),
);
beforeEach(() => twin.reset());

const card = [
  { type: 'section', block_id: 'summary', text: { type: 'mrkdwn', text: '*api* canary at 10 %' } },
  {
    type: 'actions',
    block_id: 'gate',
    elements: [
      { type: 'button', action_id: 'approve', text: { type: 'plain_text', text: 'Approve' }, value: 'r1' },
    ],
  },
];
const notes: { text?: string; thread_ts?: string; retryNum?: number }[] = [];
let app: App;
let url: string;

beforeAll(async () => {
  // Built after msw listens (see slack.test.ts); processBeforeResponse so a request's effects are done
  // when its HTTP answer arrives, with no waiting in the tests.
  app = new App({
    token: twin.botToken,
    signingSecret: SECRET,
    processBeforeResponse: true,
    logLevel: LogLevel.ERROR,
    clientOptions: { slackApiUrl: twin.apiUrl, retryConfig: { retries: 0 } },
  });
  app.command('/shiftgate', async ({ ack, respond, client, command }) => {
    await ack();
    await respond({ text: `Starting ${command.text}` });
    await client.chat.postMessage({ channel: command.channel_id, text: 'Canary api', blocks: card });
  });
  app.action('approve', async ({ ack, respond, body }) => {
    await ack();
    await respond({ replace_original: true, text: `Approved by <@${body.user.id}>` });
  });
  app.message(async ({ message, context }) => {
    const m = message as { text?: string; thread_ts?: string };
    notes.push({ text: m.text, thread_ts: m.thread_ts, retryNum: context.retryNum });
  });
  const server = await app.start({ port: 0, host: '127.0.0.1' });
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/slack/events`;
});
afterAll(() => app.stop());

describe('a Bolt app against the Slack twin', () => {
  it('runs a slash command: respond() lands as an ephemeral, the card in the channel', async () => {
    const body = slashCommandBody({
      command: '/shiftgate',
      text: 'canary api',
      userId: 'U0ALICE',
      channelId: 'C0DEPLOYS',
      responseUrl: twin.responseUrl('U0ALICE', 'C0DEPLOYS'),
    });
    expect((await sendToBot(url, SECRET, body)).status).toBe(200);
    expect(twin.ephemerals('U0ALICE')).toMatchObject([
      { text: 'Starting canary api', source: 'response_url' },
    ]);
    expect(twin.channel('C0DEPLOYS')).toMatchObject([{ text: 'Canary api', blocks: card }]);
  });

  it('takes a button click and replaces the card through the response_url', async () => {
    const posted = await app.client.chat.postMessage({
      channel: 'C0DEPLOYS',
      text: 'Canary api',
      blocks: card,
    });
    const ts = posted.ts as string;
    const body = blockActionsBody({
      userId: 'U0BOB',
      channelId: 'C0DEPLOYS',
      messageTs: ts,
      actionId: 'approve',
      value: 'r1',
      message: twin.message('C0DEPLOYS', ts),
      responseUrl: twin.responseUrl('U0BOB', 'C0DEPLOYS', ts),
    });
    expect((await sendToBot(url, SECRET, body)).status).toBe(200);
    expect(twin.message('C0DEPLOYS', ts)).toMatchObject({ text: 'Approved by <@U0BOB>', edits: 1 });
  });

  it('delivers a thread message event, retries included', async () => {
    notes.length = 0;
    const event = {
      type: 'message',
      channel: 'C0DEPLOYS',
      user: 'U0ALICE',
      text: 'looks slow',
      ts: '1700000001.000200',
      thread_ts: '1700000000.000100',
    };
    expect((await sendToBot(url, SECRET, eventCallbackBody({ event, eventId: 'Ev01' }))).status).toBe(200);
    expect(
      (await sendToBot(url, SECRET, eventCallbackBody({ event, eventId: 'Ev01' }), { retryNum: 1 })).status,
    ).toBe(200);
    expect(notes).toEqual([
      { text: 'looks slow', thread_ts: '1700000000.000100', retryNum: undefined },
      { text: 'looks slow', thread_ts: '1700000000.000100', retryNum: 1 },
    ]);
  });

  it('is refused by Bolt when the signature is wrong or stale', async () => {
    const body = slashCommandBody({ command: '/shiftgate', text: 'x', userId: 'U0ALICE', channelId: 'C1' });
    expect((await sendToBot(url, 'another-secret', body)).status).toBe(401);
    const stale = Math.floor(Date.now() / 1000) - 6 * 60;
    expect((await sendToBot(url, SECRET, body, { timestamp: stale })).status).toBe(401);
    expect(twin.ephemerals('U0ALICE')).toEqual([]);
  });
});
