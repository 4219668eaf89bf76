import { createHmac, randomBytes, randomInt } from 'node:crypto';
import {
  TWIN_APP_ID,
  TWIN_BOT_ID,
  TWIN_BOT_USER_ID,
  TWIN_TEAM_DOMAIN,
  TWIN_TEAM_ID,
  TWIN_VERIFICATION_TOKEN,
} from './ids.ts';

// Requests to the bot as Slack sends them, for tests and the sandbox's page server: signed bodies of
// slash commands (form-encoded), block_actions interactions (form-encoded `payload` JSON) and Events
// API callbacks (JSON). Signature: 'v0=' + hex HMAC-SHA256(secret, `v0:{timestamp}:{raw body}`).

const FORM = 'application/x-www-form-urlencoded';
const JSON_TYPE = 'application/json';

export interface SlackRequestHeaders {
  'X-Slack-Signature': string;
  'X-Slack-Request-Timestamp': string;
  'Content-Type': string;
}

/** Headers signing `body` like Slack; the content type follows the body (JSON or form) unless given. */
export function signRequest(
  signingSecret: string,
  body: string,
  timestampSeconds: number = Math.floor(Date.now() / 1000),
  contentType: string = body.trimStart().startsWith('{') ? JSON_TYPE : FORM,
): SlackRequestHeaders {
  const ts = String(timestampSeconds);
  const digest = createHmac('sha256', signingSecret).update(`v0:${ts}:${body}`).digest('hex');
  return {
    'X-Slack-Signature': `v0=${digest}`,
    'X-Slack-Request-Timestamp': ts,
    'Content-Type': contentType,
  };
}

/** A trigger_id in Slack's shape; the twin does not check them. */
export const triggerId = () =>
  `${randomInt(1e10, 1e11)}.${randomInt(1e8, 1e9)}.${randomBytes(16).toString('hex')}`;

const DEFAULT_RESPONSE_URL = 'https://hooks.slack.com/commands/T0TWIN0001/0/twin';

export interface SlashCommandInput {
  command: string;
  text: string;
  userId: string;
  userName?: string;
  channelId: string;
  channelName?: string;
  teamId?: string;
  responseUrl?: string;
  triggerId?: string;
}

/** The form body of a slash command, fields in Slack's order. */
export function slashCommandBody(input: SlashCommandInput): string {
  return new URLSearchParams({
    token: TWIN_VERIFICATION_TOKEN,
    team_id: input.teamId ?? TWIN_TEAM_ID,
    team_domain: TWIN_TEAM_DOMAIN,
    channel_id: input.channelId,
    channel_name: input.channelName ?? 'deploys',
    user_id: input.userId,
    user_name: input.userName ?? input.userId.toLowerCase(),
    command: input.command,
    text: input.text,
    api_app_id: TWIN_APP_ID,
    is_enterprise_install: 'false',
    response_url: input.responseUrl ?? DEFAULT_RESPONSE_URL,
    trigger_id: input.triggerId ?? triggerId(),
  }).toString();
}

export interface BlockActionsInput {
  userId: string;
  userName?: string;
  channelId: string;
  channelName?: string;
  messageTs: string;
  actionId: string;
  value: string;
  blockId?: string;
  responseUrl?: string;
  triggerId?: string;
  threadTs?: string;
  teamId?: string;
  /** The message the button sits on (e.g. twin.message(channel, ts)); its blocks give block_id and text. */
  message?: { text?: string; blocks?: unknown[]; thread_ts?: string };
  isEphemeral?: boolean;
}

type Block = { block_id?: string; elements?: unknown[]; accessory?: unknown };
type Button = { action_id?: string; text?: unknown };

/** The block and button carrying `actionId` in the message's blocks, if present. */
function locate(blocks: unknown[] | undefined, actionId: string): { block?: Block; button?: Button } {
  for (const block of (blocks ?? []) as Block[]) {
    const elements = [...(block.elements ?? []), ...(block.accessory ? [block.accessory] : [])] as Button[];
    const button = elements.find((e) => e?.action_id === actionId);
    if (button) return { block, button };
  }
  return {};
}

/** The form body (`payload=<JSON>`) of a block_actions interaction: one button clicked on a message. */
export function blockActionsBody(input: BlockActionsInput): string {
  const teamId = input.teamId ?? TWIN_TEAM_ID;
  const threadTs = input.threadTs ?? input.message?.thread_ts;
  const { block, button } = locate(input.message?.blocks, input.actionId);
  const userName = input.userName ?? input.userId.toLowerCase();
  const actionTs = `${(Date.now() / 1000).toFixed(6)}`;
  const payload = {
    type: 'block_actions',
    user: { id: input.userId, username: userName, name: userName, team_id: teamId },
    api_app_id: TWIN_APP_ID,
    token: TWIN_VERIFICATION_TOKEN,
    container: {
      type: 'message',
      message_ts: input.messageTs,
      channel_id: input.channelId,
      is_ephemeral: input.isEphemeral ?? false,
      ...(threadTs ? { thread_ts: threadTs } : {}),
    },
    trigger_id: input.triggerId ?? triggerId(),
    team: { id: teamId, domain: TWIN_TEAM_DOMAIN },
    enterprise: null,
    is_enterprise_install: false,
    channel: { id: input.channelId, name: input.channelName ?? 'deploys' },
    message: {
      type: 'message',
      user: TWIN_BOT_USER_ID,
      bot_id: TWIN_BOT_ID,
      app_id: TWIN_APP_ID,
      team: teamId,
      ts: input.messageTs,
      text: input.message?.text ?? '',
      blocks: input.message?.blocks ?? [],
      ...(threadTs ? { thread_ts: threadTs } : {}),
    },
    state: { values: {} },
    response_url: input.responseUrl ?? DEFAULT_RESPONSE_URL,
    actions: [
      {
        action_id: input.actionId,
        block_id: input.blockId ?? block?.block_id ?? 'twin-block',
        text: button?.text ?? { type: 'plain_text', text: input.actionId, emoji: true },
        value: input.value,
        type: 'button',
        action_ts: actionTs,
      },
    ],
  };
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}

export interface EventCallbackInput {
  event: Record<string, unknown>;
  eventId: string;
  teamId?: string;
  eventTime?: number;
}

/** The JSON body of an Events API `event_callback`. */
export function eventCallbackBody(input: EventCallbackInput): string {
  const teamId = input.teamId ?? TWIN_TEAM_ID;
  return JSON.stringify({
    token: TWIN_VERIFICATION_TOKEN,
    team_id: teamId,
    context_team_id: teamId,
    api_app_id: TWIN_APP_ID,
    event: input.event,
    type: 'event_callback',
    event_id: input.eventId,
    event_time: input.eventTime ?? Math.floor(Date.now() / 1000),
    authorizations: [
      {
        enterprise_id: null,
        team_id: teamId,
        user_id: TWIN_BOT_USER_ID,
        is_bot: true,
        is_enterprise_install: false,
      },
    ],
    is_ext_shared_channel: false,
  });
}

export interface SendOptions {
  contentType?: string;
  /** An Events API redelivery: sets X-Slack-Retry-Num and X-Slack-Retry-Reason. */
  retryNum?: number;
  retryReason?: string;
  /** Seconds; default now (an old one tests the bot's replay check). */
  timestamp?: number;
  /**
   * Gives up after this many ms, as Slack does after 3 s: the promise rejects with a TimeoutError
   * (DOMException). Default: waits as long as the bot takes.
   */
  timeoutMs?: number;
}

/** POSTs a signed body to the bot as Slack would. */
export function sendToBot(
  url: string,
  signingSecret: string,
  body: string,
  options: SendOptions = {},
): Promise<Response> {
  const headers: Record<string, string> = {
    ...signRequest(signingSecret, body, options.timestamp, options.contentType),
  };
  if (options.retryNum !== undefined) {
    headers['X-Slack-Retry-Num'] = String(options.retryNum);
    headers['X-Slack-Retry-Reason'] = options.retryReason ?? 'http_timeout';
  }
  return fetch(url, {
    method: 'POST',
    headers,
    body,
    ...(options.timeoutMs !== undefined ? { signal: AbortSignal.timeout(options.timeoutMs) } : {}),
  });
}
