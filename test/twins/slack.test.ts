import { createHmac } from 'node:crypto';
import { isValidSlackRequest } from '@slack/bolt';
import { ErrorCode, LogLevel, WebClient, WebClientEvent } from '@slack/web-api';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createSlackTwin } from '../../sandbox/twins/slack/index.ts';
import {
  blockActionsBody,
  eventCallbackBody,
  signRequest,
  slashCommandBody,
} from '../../sandbox/twins/slack/sign.ts';
import { useTwins } from '../helpers/msw.ts';

const twin = createSlackTwin({
  usergroups: { S0APPROVERS: { handle: 'release-approvers', users: ['U0ALICE', 'U0BOB'] } },
});
useTwins(...twin.handlers);
beforeEach(() => twin.reset());

// Quiet: the WebClient logs the [ERROR] lines of response_metadata.messages that the twin sends like Slack.
const logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  setLevel() {},
  getLevel: () => LogLevel.ERROR,
  setName() {},
};
const options = { slackApiUrl: twin.apiUrl, retryConfig: { retries: 1 }, logger };
// Built once msw listens: a WebClient keeps the globalThis.fetch it saw when it was constructed.
let client: WebClient;
beforeAll(() => {
  client = new WebClient(twin.botToken, options);
});

/** The Slack error code a WebClient call failed with. */
async function slackError(call: Promise<unknown>): Promise<string | undefined> {
  const error = await call.then(
    () => undefined,
    (e: unknown) => e as { code?: string; data?: { error?: string } },
  );
  expect(error?.code).toBe(ErrorCode.PlatformError);
  return error?.data?.error;
}

const section = (text: string) => ({ type: 'section', text: { type: 'mrkdwn', text } });
const button = (text: string, i = 0) => ({
  type: 'button',
  action_id: `a${i}`,
  text: { type: 'plain_text', text },
});

describe('the Slack twin behind a real WebClient', () => {
  it('answers auth.test with the bot identity', async () => {
    const auth = await client.auth.test();
    expect(auth).toMatchObject({
      ok: true,
      user_id: twin.botUserId,
      team_id: twin.teamId,
      bot_id: 'B0TWINBOT1',
    });
    expect(auth.url).toMatch(/^https:\/\//);
  });

  it('refuses a wrong token and a missing one like Slack', async () => {
    const wrong = new WebClient('xoxb-wrong', options);
    expect(await slackError(wrong.chat.postMessage({ channel: 'C1', text: 'hi' }))).toBe('invalid_auth');
    const none = new WebClient(undefined, options);
    expect(await slackError(none.auth.test())).toBe('not_authed');
    expect(twin.channel('C1')).toEqual([]);
  });

  it('posts to a channel by name, threads replies and keeps timestamps increasing', async () => {
    const root = await client.chat.postMessage({
      channel: '#deploys',
      text: 'Canary started',
      blocks: [section('*api*')],
    });
    expect(root.channel).toMatch(/^C[0-9A-F]{10}$/);
    expect(root.channel).toBe(twin.channelId('#deploys'));
    expect(root.ts).toMatch(/^\d{10}\.\d{6}$/);
    expect(root.message).toMatchObject({
      text: 'Canary started',
      user: twin.botUserId,
      blocks: [section('*api*')],
    });

    const reply = await client.chat.postMessage({
      channel: root.channel as string,
      thread_ts: root.ts,
      text: 'step 1',
    });
    const shout = await client.chat.postMessage({
      channel: '#deploys',
      thread_ts: root.ts as string,
      text: 'rolled back',
      reply_broadcast: true,
    });
    expect(Number(reply.ts)).toBeGreaterThan(Number(root.ts));
    expect(Number(shout.ts)).toBeGreaterThan(Number(reply.ts));

    const top = twin.channel('#deploys');
    expect(top.map((m) => m.text)).toEqual(['Canary started', 'rolled back']);
    expect(top[0]).toMatchObject({ ts: root.ts, user: twin.botUserId, edits: 0, reply_count: 2 });
    expect(top[1]).toMatchObject({ subtype: 'thread_broadcast', thread_ts: root.ts });
    expect(twin.thread('#deploys', root.ts as string).map((m) => m.text)).toEqual(['step 1', 'rolled back']);

    const link = await client.chat.getPermalink({
      channel: root.channel as string,
      message_ts: reply.ts as string,
    });
    expect(link.permalink).toContain(`/archives/${root.channel}/p${(reply.ts as string).replace('.', '')}`);
    expect(link.permalink).toContain(`thread_ts=${root.ts}`);
  });

  it('updates a message in place and keeps its history', async () => {
    const posted = await client.chat.postMessage({
      channel: 'C0DEPLOYS',
      text: 'v1',
      blocks: [section('one')],
    });
    const updated = await client.chat.update({ channel: 'C0DEPLOYS', ts: posted.ts as string, text: 'v2' });
    expect(updated).toMatchObject({ ok: true, ts: posted.ts, text: 'v2' });
    await client.chat.update({ channel: 'C0DEPLOYS', ts: posted.ts as string, text: 'v3', blocks: [] });

    const message = twin.message('C0DEPLOYS', posted.ts as string);
    expect(message).toMatchObject({ text: 'v3', blocks: [], edits: 2 });
    expect(message?.history).toEqual([
      { text: 'v1', blocks: [section('one')] },
      { text: 'v2', blocks: [section('one')] },
    ]);
    expect(twin.channel('C0DEPLOYS')).toHaveLength(1);
    expect(await slackError(client.chat.update({ channel: 'C0DEPLOYS', ts: '1.000001', text: 'x' }))).toBe(
      'message_not_found',
    );
  });

  it('keeps ephemerals per user and the last Home view per user', async () => {
    const eph = await client.chat.postEphemeral({ channel: '#deploys', user: 'U0ALICE', text: 'only you' });
    expect(eph.message_ts).toMatch(/^\d{10}\.\d{6}$/);
    expect(twin.ephemerals('U0ALICE')).toMatchObject([
      { channel: twin.channelId('#deploys'), text: 'only you', source: 'chat.postEphemeral' },
    ]);
    expect(twin.ephemerals('U0BOB')).toEqual([]);
    expect(twin.channel('#deploys')).toEqual([]);

    const first = await client.views.publish({
      user_id: 'U0ALICE',
      view: { type: 'home', blocks: [section('a')] },
    });
    expect(first.view).toMatchObject({ type: 'home', blocks: [section('a')] });
    expect(first.view?.id).toMatch(/^V/);
    await client.views.publish({ user_id: 'U0ALICE', view: { type: 'home', blocks: [section('b')] } });
    expect(twin.home('U0ALICE')).toMatchObject({ id: first.view?.id, blocks: [section('b')] });
    expect(twin.home('U0BOB')).toBeUndefined();
    const stale = client.views.publish({
      user_id: 'U0ALICE',
      hash: first.view?.hash as string,
      view: { type: 'home', blocks: [] },
    });
    expect(await slackError(stale)).toBe('hash_conflict');
  });

  it('validates blocks and text like Slack', async () => {
    const post = (blocks: unknown[], text?: string) =>
      slackError(
        client.chat.postMessage({ channel: 'C1', blocks: blocks as never, ...(text ? { text } : {}) }),
      );
    expect(await post(Array.from({ length: 51 }, () => section('x')))).toBe('invalid_blocks');
    expect(await post([{ type: 'header', text: { type: 'plain_text', text: 'h'.repeat(151) } }])).toBe(
      'invalid_blocks',
    );
    expect(await post([section('s'.repeat(3001))])).toBe('invalid_blocks');
    expect(await post([{ type: 'actions', elements: [button('b'.repeat(76))] }])).toBe('invalid_blocks');
    expect(
      await post([{ type: 'actions', elements: Array.from({ length: 26 }, (_, i) => button('ok', i)) }]),
    ).toBe('invalid_blocks');
    expect(await post([])).toBe('no_text');

    const error = await client.chat
      .postMessage({ channel: 'C1', text: 'fallback', blocks: [section('ok'), section('s'.repeat(3001))] })
      .catch((e: { data: { errors: string[] } }) => e.data);
    expect(error).toMatchObject({
      errors: ['must be less than 3001 characters [json-pointer:/blocks/1/text/text]'],
    });

    // At the limits it is accepted.
    const limits = [
      { type: 'header', text: { type: 'plain_text', text: 'h'.repeat(150) } },
      section('s'.repeat(3000)),
      { type: 'actions', elements: Array.from({ length: 25 }, (_, i) => button('b'.repeat(75), i)) },
      ...Array.from({ length: 47 }, () => section('x')),
    ];
    await expect(
      client.chat.postMessage({ channel: 'C1', text: 'fallback', blocks: limits as never }),
    ).resolves.toMatchObject({
      ok: true,
    });
    expect(twin.channel('C1')).toHaveLength(1);
  });

  it('answers 429 with Retry-After once, and the WebClient waits it out and retries', async () => {
    twin.failNext('chat.postMessage', { status: 429, retryAfter: 1 });
    const limited: number[] = [];
    client.once(WebClientEvent.RATE_LIMITED, (seconds: number) => limited.push(seconds));

    const posted = await client.chat.postMessage({ channel: 'C1', text: 'after the limit' });

    expect(posted.ok).toBe(true);
    expect(limited).toEqual([1]);
    const attempts = twin.recorder.requests.filter((r) => r.path === '/api/chat.postMessage');
    expect(attempts).toHaveLength(2);
    expect((attempts[1]?.at ?? 0) - (attempts[0]?.at ?? 0)).toBeGreaterThanOrEqual(1000);
    expect(twin.channel('C1').map((m) => m.text)).toEqual(['after the limit']);
  });

  it('answers an injected error code once with HTTP 200', async () => {
    twin.failNext('chat.update', 'cant_update_message');
    const posted = await client.chat.postMessage({ channel: 'C1', text: 'a' });
    expect(await slackError(client.chat.update({ channel: 'C1', ts: posted.ts as string, text: 'b' }))).toBe(
      'cant_update_message',
    );
    await expect(
      client.chat.update({ channel: 'C1', ts: posted.ts as string, text: 'b' }),
    ).resolves.toBeTruthy();
  });

  it('takes filesUploadV2 into a thread: URL, bytes, completion and a file-share reply', async () => {
    const root = await client.chat.postMessage({ channel: '#deploys', text: 'Canary api' });
    const channel = root.channel as string;
    const log = 'p95 412ms > 300ms\nrolled back\n';
    const uploaded = await client.filesUploadV2({
      channel_id: channel,
      thread_ts: root.ts as string,
      file: Buffer.from(log),
      filename: 'canary.log',
      title: 'Canary log',
      initial_comment: 'Gate evidence',
    });

    const [completion] = uploaded.files as unknown as { files: { id: string; title: string }[] }[];
    const fileId = completion?.files[0]?.id as string;
    expect(completion?.files).toEqual([{ id: fileId, title: 'Canary log' }]);
    expect(twin.files()).toMatchObject([
      {
        id: fileId,
        name: 'canary.log',
        title: 'Canary log',
        content: log,
        length: log.length,
        completed: true,
      },
    ]);
    expect(twin.thread(channel, root.ts as string)).toMatchObject([
      {
        text: 'Gate evidence',
        thread_ts: root.ts,
        files: [{ id: fileId, name: 'canary.log', title: 'Canary log' }],
      },
    ]);
    expect(twin.channel(channel)).toHaveLength(1);

    const paths = twin.recorder.requests.map((r) => `${r.method} ${r.path}`);
    expect(paths.slice(1)).toEqual([
      'POST /api/files.getUploadURLExternal',
      `POST /upload/v1/${fileId}`,
      'POST /api/files.completeUploadExternal',
    ]);
    // The WebClient sends the bytes as multipart/form-data, and the `files` argument as a JSON string.
    expect(twin.recorder.requests[2]?.headers['content-type']).toMatch(/^multipart\/form-data; boundary=/);
    expect(twin.recorder.requests[3]?.body).toMatchObject({
      files: JSON.stringify([{ id: fileId, title: 'Canary log' }]),
    });
  });

  it('takes string content through filesUploadV2 as well', async () => {
    await client.filesUploadV2({ channel_id: 'C1', content: 'plain text', filename: 'notes.txt' });
    expect(twin.files()).toMatchObject([{ name: 'notes.txt', title: 'notes.txt', content: 'plain text' }]);
    expect(twin.channel('C1')).toMatchObject([{ text: '', files: [{ name: 'notes.txt' }] }]);
  });

  it('lists user groups to resolve a handle, then their members', async () => {
    const { usergroups } = await client.usergroups.list();
    const approvers = usergroups?.find((g) => g.handle === 'release-approvers');
    expect(approvers?.id).toBe('S0APPROVERS');
    const { users } = await client.usergroups.users.list({ usergroup: approvers?.id as string });
    expect(users).toEqual(['U0ALICE', 'U0BOB']);
    expect(await slackError(client.usergroups.users.list({ usergroup: 'S0NONE' }))).toBe('no_such_subteam');
  });

  it('answers plan_upgrade_required for user groups on a free workspace', async () => {
    twin.configure({ planUpgradeRequired: true });
    expect(await slackError(client.usergroups.users.list({ usergroup: 'S0APPROVERS' }))).toBe(
      'plan_upgrade_required',
    );
    expect(await slackError(client.usergroups.list())).toBe('plan_upgrade_required');
    twin.reset();
    await expect(client.usergroups.users.list({ usergroup: 'S0APPROVERS' })).resolves.toMatchObject({
      ok: true,
    });
  });

  it('accepts JSON bodies with the token in the Authorization header', async () => {
    const call = (token: string) =>
      fetch(`${twin.apiUrl}chat.postMessage`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json; charset=utf-8', Authorization: `Bearer ${token}` },
        body: JSON.stringify({ channel: 'C1', text: 'json', blocks: [section('b')] }),
      }).then((r) => r.json());
    expect(await call(twin.botToken)).toMatchObject({
      ok: true,
      channel: 'C1',
      message: { blocks: [section('b')] },
    });
    expect(await call('xoxb-nope')).toEqual({ ok: false, error: 'invalid_auth' });
    const unknown = await fetch(`${twin.apiUrl}chat.nothing`, { method: 'POST' }).then((r) => r.json());
    expect(unknown).toMatchObject({ ok: false, error: 'unknown_method' });
  });
});

describe('response_urls', () => {
  // What Bolt's respond() sends: a JSON POST; it throws on a non-2xx answer.
  const respond = (url: string, message: Record<string, unknown>) =>
    fetch(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(message),
    });

  it('stores ephemeral and in_channel responses where Slack shows them', async () => {
    const url = twin.responseUrl('U0ALICE', '#deploys');
    expect((await respond(url, { text: 'Working on it' })).status).toBe(200);
    expect((await respond(url, { response_type: 'in_channel', text: 'Canary started' })).status).toBe(200);

    expect(twin.ephemerals('U0ALICE')).toMatchObject([{ text: 'Working on it', source: 'response_url' }]);
    expect(twin.channel('#deploys')).toMatchObject([{ text: 'Canary started', user: twin.botUserId }]);
    expect(twin.responses(url).map((r) => [r.response_type, r.text])).toEqual([
      ['ephemeral', 'Working on it'],
      ['in_channel', 'Canary started'],
    ]);
  });

  it('replaces or deletes the message an interaction came from', async () => {
    const card = await client.chat.postMessage({
      channel: 'C1',
      text: 'Approve?',
      blocks: [section('Approve?')],
    });
    const url = twin.responseUrl('U0ALICE', 'C1', card.ts as string);
    await respond(url, { replace_original: true, text: 'Approved by Alice' });
    expect(twin.message('C1', card.ts as string)).toMatchObject({
      text: 'Approved by Alice',
      blocks: [],
      edits: 1,
    });

    await respond(url, { delete_original: true });
    expect(twin.channel('C1')).toEqual([]);
    expect(twin.responses().map((r) => [r.replace_original, r.delete_original])).toEqual([
      [true, false],
      [false, true],
    ]);
  });

  it('allows five uses, and refuses unknown urls and empty messages', async () => {
    const url = twin.responseUrl('U0ALICE', 'C1');
    for (let i = 0; i < 5; i++) expect((await respond(url, { text: `#${i}` })).status).toBe(200);
    const sixth = await respond(url, { text: 'too many' });
    expect([sixth.status, await sixth.json()]).toEqual([404, { ok: false, error: 'used_url' }]);
    expect((await respond(`${new URL(twin.apiUrl).origin}/response/nope`, { text: 'x' })).status).toBe(404);
    expect((await respond(twin.responseUrl('U0ALICE', 'C1'), {})).status).toBe(400);
  });
});

describe('requests as Slack sends them', () => {
  const secret = '8f742231b10e8888abcd99yyyzzz85a5';

  it('signs with v0 HMAC-SHA256 over v0:timestamp:body', () => {
    const body = 'token=xyz&team_id=T1&command=%2Fshiftgate&text=canary+api';
    const expected = `v0=${createHmac('sha256', secret).update(`v0:1531420618:${body}`).digest('hex')}`;
    expect(signRequest(secret, body, 1531420618)).toEqual({
      'X-Slack-Signature': expected,
      'X-Slack-Request-Timestamp': '1531420618',
      'Content-Type': 'application/x-www-form-urlencoded',
    });
    expect(signRequest(secret, '{"type":"event_callback"}', 1)['Content-Type']).toBe('application/json');
    // Bolt's own verifier accepts it.
    const now = Math.floor(Date.now() / 1000);
    const headers = signRequest(secret, body, now);
    expect(
      isValidSlackRequest({
        signingSecret: secret,
        body,
        headers: { 'x-slack-signature': headers['X-Slack-Signature'], 'x-slack-request-timestamp': now },
      }),
    ).toBe(true);
  });

  it('builds slash command, block_actions and event_callback bodies in Slack shapes', () => {
    const command = new URLSearchParams(
      slashCommandBody({ command: '/shiftgate', text: 'canary api 10%', userId: 'U0ALICE', channelId: 'C1' }),
    );
    expect([...command.keys()]).toEqual([
      'token',
      'team_id',
      'team_domain',
      'channel_id',
      'channel_name',
      'user_id',
      'user_name',
      'command',
      'text',
      'api_app_id',
      'is_enterprise_install',
      'response_url',
      'trigger_id',
    ]);
    expect(command.get('text')).toBe('canary api 10%');
    expect(command.get('trigger_id')).toMatch(/^\d+\.\d+\.[0-9a-f]{32}$/);

    const blocks = [
      { type: 'actions', block_id: 'gate', elements: [{ ...button('Approve'), action_id: 'approve' }] },
    ];
    const form = new URLSearchParams(
      blockActionsBody({
        userId: 'U0ALICE',
        channelId: 'C1',
        messageTs: '1700000000.000100',
        actionId: 'approve',
        value: 'rollout-1',
        message: { text: 'Approve?', blocks },
      }),
    );
    expect([...form.keys()]).toEqual(['payload']);
    expect(JSON.parse(form.get('payload') as string)).toMatchObject({
      type: 'block_actions',
      user: { id: 'U0ALICE', team_id: 'T0TWIN0001' },
      container: { type: 'message', message_ts: '1700000000.000100', channel_id: 'C1', is_ephemeral: false },
      channel: { id: 'C1' },
      message: { ts: '1700000000.000100', text: 'Approve?', blocks },
      actions: [{ action_id: 'approve', block_id: 'gate', value: 'rollout-1', type: 'button' }],
    });

    const event = JSON.parse(
      eventCallbackBody({ event: { type: 'message', text: 'note', thread_ts: '1.1' }, eventId: 'Ev1' }),
    );
    expect(event).toMatchObject({
      type: 'event_callback',
      event_id: 'Ev1',
      team_id: 'T0TWIN0001',
      event: { text: 'note' },
    });
    expect(typeof event.event_time).toBe('number');
  });
});
