import type { AddressInfo } from 'node:net';
import { WebClient } from '@slack/web-api';
import { http, passthrough, type RequestHandler } from 'msw';
import { type Logger, pino } from 'pino';
import { afterEach, beforeAll, beforeEach, expect, vi } from 'vitest';
import { createSlackTwin, type SlackTwin } from '../../sandbox/twins/slack/index.ts';
import type { DeliveredEvent } from '../../sandbox/twins/slack/people.ts';
import {
  blockActionsBody,
  eventCallbackBody,
  type SendOptions,
  sendToBot,
  slashCommandBody,
} from '../../sandbox/twins/slack/sign.ts';
import type { TwinMessage } from '../../sandbox/twins/slack/state.ts';
import { type Bot, createBot } from '../../src/bot/app.ts';
import type { EngineOptions } from '../../src/bot/engine.ts';
import { buildSlackSide, type SlackSide, surfaceOf } from '../../src/bot/wiring.ts';
import type { ShiftgateConfig } from '../../src/config/schema.ts';
import type { Engine } from '../../src/runbooks/engine.ts';
import type { ReportSink } from '../../src/runbooks/ports/report-sink.ts';
import { testConfig, useEngineWorld } from './engine-world.ts';

type SurfaceDeps = Parameters<typeof surfaceOf>[1];

// The engine world plus Slack: the Slack twin answering the real WebClient, the real Bolt HTTP receiver on
// a loopback port, and helpers that act as Slack does (signed slash commands and button clicks). A test
// drives the bot through Slack alone and reads what it posted from the twin.

export const SIGNING_SECRET = 'test-signing-secret-0123456789abcdef';
export const CHANNEL = '#deploys';

/**
 * `extra`: more handlers for the same msw server (a service's stream endpoints); `options` go to the
 * engine world (how late the Monitoring twin's data is).
 */
export function useSlackWorld(
  label: string,
  extra: RequestHandler[] = [],
  options: Parameters<typeof useEngineWorld>[2] = {},
) {
  const slack = createSlackTwin();
  const world = useEngineWorld(
    label,
    [
      ...slack.handlers,
      ...extra,
      // The bot's own port is real HTTP: let those requests through.
      http.all(/^http:\/\/127\.0\.0\.1:\d+\//, () => passthrough()),
    ],
    options,
  );
  const log = pino({ level: 'silent' });
  let client: WebClient;
  let bots: Bot[] = [];
  let current: { url: string; engine: Engine; side: SlackSide; bot: Bot } | undefined;

  // The client keeps the fetch it sees when built: build it once msw listens.
  beforeAll(() => {
    client = new WebClient(slack.botToken, { slackApiUrl: slack.apiUrl, retryConfig: { retries: 0 } });
  });
  beforeEach(() => {
    slack.reset();
    current = undefined;
  });
  afterEach(async () => {
    await Promise.all(bots.map((bot) => bot.stop().catch(() => {})));
    bots = [];
  });

  const channelId = () => slack.channelId(CHANNEL);

  const api = {
    slack,
    world,
    /** Starts a replica (engine + Bolt app) over this test's store. */
    async start(
      config: ShiftgateConfig = testConfig(),
      more: {
        validation?: SurfaceDeps['validation'];
        engine?: Partial<EngineOptions>;
        /** Where environments keep reports beyond Redis. */
        reportSinks?: (env: string) => Promise<ReportSink | undefined>;
        /** The clock of the command surface (the freeze schedule); give the engine the same one. */
        now?: () => Date;
      } = {},
    ) {
      const side = buildSlackSide({
        config,
        store: world.store,
        client,
        log,
        ...(more.reportSinks ? { sinks: more.reportSinks } : {}),
      });
      const engine = world.engine({
        config,
        notify: side.notify,
        incidents: (incident) => side.incidents.fromRollback(incident),
        groupsOf: side.groupsOf,
        ...more.engine,
      });
      const { engine: _engine, ...surfaceMore } = more;
      const surface = surfaceOf(side, {
        config,
        store: world.store,
        engine,
        log,
        routeSplit: () => world.routeSplitClient,
        ...surfaceMore,
      });
      const { bot, url } = await startBolt(slack, surface, log, (created) => bots.push(created));
      current = { url, engine, side, bot };
      return current;
    },

    get url() {
      return (current as { url: string }).url;
    },

    /** The replica started last. */
    get current() {
      if (!current) throw new Error('start() the bot first');
      return current;
    },

    /** Types a slash command as `userId` in #deploys; resolves to the HTTP answer and the first reply. */
    async command(userId: string, command: string, text: string, channel = CHANNEL) {
      const { status, text: said } = await typeCommand(slack, api.url, { userId, command, text, channel });
      return { status, text: said };
    },

    /** Clicks the button `actionId` of a message the bot posted; resolves to the clicker's reply, if any. */
    async click(userId: string, message: TwinMessage, actionId: string) {
      const button = buttonsOf(message).find((b) => b.action_id === actionId);
      if (!button) throw new Error(`no ${actionId} button on: ${message.text}`);
      const responseUrl = slack.responseUrl(userId, message.channel, message.ts);
      const body = blockActionsBody({
        userId,
        channelId: message.channel,
        messageTs: message.ts,
        actionId,
        value: button.value,
        responseUrl,
        message,
        ...(message.thread_ts ? { threadTs: message.thread_ts } : {}),
      });
      const response = await sendToBot(api.url, SIGNING_SECRET, body);
      expect(response.status).toBe(200);
      return responseUrl;
    },

    /** Delivers an Events API event (from slack.people) as Slack does: signed, with its event id. */
    async deliver(delivered: DeliveredEvent, options: SendOptions = {}) {
      const body = eventCallbackBody({ event: delivered.event, eventId: delivered.eventId });
      const response = await sendToBot(api.url, SIGNING_SECRET, body, options);
      expect(response.status).toBe(200);
    },

    /** The report uploaded into a thread once it is complete: summary.json parsed, and SUMMARY.md. */
    async reportFiles<S>(): Promise<{ summary: S; md: string }> {
      return vi.waitFor(
        () => {
          // A canary's stage charts (PNG) come into the thread too, before the report.
          const done = slack.files().filter((f) => f.completed && !f.name.endsWith('.png'));
          expect(done.map((f) => f.name).sort()).toEqual(['SUMMARY.md', 'summary.json']);
          const byName = Object.fromEntries(done.map((f) => [f.name, f.content ?? '']));
          return { summary: JSON.parse(byName['summary.json'] ?? '') as S, md: byName['SUMMARY.md'] ?? '' };
        },
        { timeout: 10_000, interval: 20 },
      );
    },

    channelMessages: () => slack.channel(channelId()),
    thread: (ts: string) => slack.thread(channelId(), ts),

    /** Waits for a message in #deploys or its threads matching `test`. */
    async waitForMessage(test: (m: TwinMessage) => boolean, timeout = 10_000): Promise<TwinMessage> {
      return vi.waitFor(
        () => {
          const all = slack.channel(channelId()).flatMap((m) => [m, ...slack.thread(channelId(), m.ts)]);
          const found = all.find(test);
          expect(found, 'a matching message').toBeDefined();
          return found as TwinMessage;
        },
        { timeout, interval: 20 },
      );
    },
  };
  return api;
}

/**
 * Creates the real Bolt app over `surface` and starts its HTTP receiver on a loopback port. `created` sees
 * the app before it starts, so a test can stop it whatever happens next.
 */
export async function startBolt(
  slack: SlackTwin,
  surface: ReturnType<typeof surfaceOf>,
  log: Logger,
  created: (bot: Bot) => void = () => {},
): Promise<{ bot: Bot; url: string }> {
  const bot = createBot({
    signingSecret: SIGNING_SECRET,
    botToken: slack.botToken,
    slackApiUrl: slack.apiUrl,
    surface,
    notReady: async () => undefined,
    log,
  });
  created(bot);
  const server = await bot.start(0, '127.0.0.1');
  if (!server) throw new Error('the bot started without an HTTP server');
  return { bot, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/slack/events` };
}

/**
 * Types a slash command as `userId` in `channel` (default #deploys), signed as Slack signs it, to the bot
 * at `url`. A bad input is answered in the ack; good input later, through response_url: resolves to the
 * HTTP status and what the person reads (the fallback text and every text in the blocks).
 */
export async function typeCommand(
  slack: SlackTwin,
  url: string,
  input: { userId: string; command: string; text: string; channel?: string },
): Promise<{ status: number; ephemeral: boolean; text: string }> {
  const { userId, command, text, channel = CHANNEL } = input;
  const responseUrl = slack.responseUrl(userId, slack.channelId(channel));
  const body = slashCommandBody({
    command,
    text,
    userId,
    channelId: slack.channelId(channel),
    channelName: channel.replace(/^#/, ''),
    responseUrl,
  });
  const response = await sendToBot(url, SIGNING_SECRET, body);
  const ack = await response.text();
  if (ack) {
    const parsed = JSON.parse(ack) as { text: string; response_type?: string };
    return { status: response.status, ephemeral: parsed.response_type === 'ephemeral', text: parsed.text };
  }
  const reply = await vi.waitFor(
    () => {
      const [first] = slack.responses(responseUrl);
      expect(first).toBeDefined();
      return first as { text?: string; blocks?: unknown[]; response_type?: string };
    },
    { timeout: 10_000, interval: 20 },
  );
  return {
    status: response.status,
    ephemeral: reply.response_type === 'ephemeral',
    text: [reply.text ?? '', ...textsOf(reply.blocks)].join('\n'),
  };
}

/** The text of the first answer sent to a command's response_url, once it comes. */
export function firstReply(slack: { responses(url: string): unknown[] }, url: string): Promise<string> {
  return vi.waitFor(
    () => {
      const reply = slack.responses(url)[0] as { text?: string } | undefined;
      expect(reply?.text).toBeDefined();
      return reply?.text as string;
    },
    { timeout: 10_000, interval: 20 },
  );
}

/** Every text inside Block Kit blocks, in order. */
export function textsOf(blocks: unknown): string[] {
  const out: string[] = [];
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(walk);
    else if (node && typeof node === 'object') {
      for (const [key, value] of Object.entries(node)) {
        if (key === 'text' && typeof value === 'string') out.push(value);
        else walk(value);
      }
    }
  };
  walk(blocks);
  return out;
}

export function buttonsOf(message: TwinMessage): { action_id: string; value: string; text: string }[] {
  const blocks = (message.blocks ?? []) as {
    type: string;
    elements?: { type: string; action_id: string; value: string; text: { text: string } }[];
  }[];
  return blocks
    .filter((b) => b.type === 'actions')
    .flatMap((b) => b.elements ?? [])
    .filter((e) => e.type === 'button')
    .map((e) => ({ action_id: e.action_id, value: e.value, text: e.text.text }));
}
