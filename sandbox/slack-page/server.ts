import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { COMMANDS } from '../../src/commands/register.ts';
import type { RevisionTraffic } from '../demo/proxy.ts';
import type { SlackTwin, TwinMessage } from '../twins/slack/index.ts';
import { blockActionsBody, eventCallbackBody, sendToBot, slashCommandBody } from '../twins/slack/sign.ts';

// The server behind the sandbox's Slack page: it plays Slack between the page and the bot. The page shows
// the Slack twin's #deploys (GET /api/state, polled) and sends what a person does (POST /api/send,
// /api/click); this server turns each into the signed request Slack would send the bot:
//   - a slash command: form body with a fresh response_url of the twin; a body in the ack is shown to
//     that person alone (or in the channel with response_type in_channel), as Slack does;
//   - a button click: block_actions with the message it sits on and a response_url for that message;
//   - a message or a thread reply: it lands in the twin (people.say) and goes to the bot as an Events API
//     `message` event (with thread_ts for a reply), as Slack delivers it.
// GET /files/:id shows an uploaded file's content (the bot's reports in threads).

export interface Person {
  id: string;
  name: string;
  role: string;
}

export interface PageOptions {
  slack: SlackTwin;
  /** The bot's Slack endpoint: http://127.0.0.1:PORT/slack/events */
  botUrl: string;
  signingSecret: string;
  channel: string;
  people: Person[];
  /** The demo service as the page's side panel shows it. */
  service: () => { name: string; url: string; revisions: RevisionTraffic[] };
}

export interface PageServer {
  url: string;
  stop(): Promise<void>;
}

const STATIC: Record<string, { file: string; type: string }> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/page.js': { file: 'page.js', type: 'text/javascript; charset=utf-8' },
};

class BadRequest extends Error {}

export async function startPageServer(options: PageOptions): Promise<PageServer> {
  const { slack, people } = options;
  const channelId = slack.channelId(options.channel);
  const channelName = options.channel.replace(/^#/, '');
  const person = (id: unknown): Person => {
    const found = people.find((p) => p.id === id);
    if (!found)
      throw new BadRequest(
        `unknown user ${JSON.stringify(id)}: expected one of ${people.map((p) => p.id).join(', ')}`,
      );
    return found;
  };

  const fileView = (f: { id: string; name: string; title: string }) => ({ ...f, url: `/files/${f.id}` });
  const messageView = (m: TwinMessage) => ({
    ts: m.ts,
    user: m.user,
    text: m.text,
    ...(m.blocks ? { blocks: m.blocks } : {}),
    ...(m.thread_ts ? { thread_ts: m.thread_ts } : {}),
    edited: m.edits > 0,
    files: (m.files ?? []).map(fileView),
  });

  function state(user: string) {
    return {
      me: user,
      channel: { id: channelId, name: channelName },
      people,
      bot: { id: slack.botUserId, name: 'shiftgate' },
      messages: slack.channel(channelId).map((m) => ({
        ...messageView(m),
        replies: slack.thread(channelId, m.ts).map(messageView),
      })),
      ephemerals: slack
        .ephemerals(user)
        .filter((e) => e.channel === channelId)
        .map((e) => ({
          ts: e.ts,
          text: e.text,
          ...(e.blocks ? { blocks: e.blocks } : {}),
          ...(e.thread_ts ? { thread_ts: e.thread_ts } : {}),
        })),
      service: options.service(),
    };
  }

  /** Sends a signed request to the bot; undefined when it does not answer (logged, with why). */
  const toBot = (payload: string) =>
    sendToBot(options.botUrl, options.signingSecret, payload).catch((error: unknown) => {
      const cause = (error as { cause?: { message?: string } }).cause?.message;
      console.error(
        `sandbox page: the bot at ${options.botUrl} did not answer: ${(error as Error).message}${cause ? ` (${cause})` : ''}`,
      );
      return undefined;
    });

  /** What Slack shows when the bot's endpoint fails a command: an error only the typist sees. */
  const dispatchFailed = (user: string, command: string, status?: number) => {
    if (status !== undefined) console.error(`sandbox page: the bot answered ${command} with HTTP ${status}`);
    slack.ackReply(user, channelId, { text: `${command} failed with the error "dispatch_failed"` });
  };

  async function send(body: Record<string, unknown>) {
    const who = person(body.user);
    const text = typeof body.text === 'string' ? body.text.trim() : '';
    if (!text) throw new BadRequest('nothing to send: type a message or a slash command');
    const threadTs = typeof body.thread_ts === 'string' && body.thread_ts ? body.thread_ts : undefined;

    if (text.startsWith('/')) {
      const [command = '', ...rest] = text.split(/\s+/);
      if (!(COMMANDS as readonly string[]).includes(command)) {
        slack.ackReply(who.id, channelId, {
          text: `${command} is not a valid command. This workspace knows ${COMMANDS.join(', ')}.`,
        });
        return { ok: true };
      }
      // Slack sends no thread with a slash command: typed in a thread, it is about the channel.
      const payload = slashCommandBody({
        command,
        text: rest.join(' '),
        userId: who.id,
        userName: who.name.toLowerCase(),
        channelId,
        channelName,
        responseUrl: slack.responseUrl(who.id, channelId),
      });
      const response = await toBot(payload);
      if (response?.status !== 200) {
        dispatchFailed(who.id, command, response?.status);
        return { ok: true };
      }
      const ack = await response.text();
      if (ack.trim()) slack.ackReply(who.id, channelId, JSON.parse(ack) as Record<string, never>);
      return { ok: true };
    }

    if (threadTs && !slack.message(channelId, threadTs))
      throw new BadRequest(`no message ${threadTs} to reply to`);
    const { delivered } = slack.people.say(who.id, channelId, text, threadTs);
    const response = await toBot(eventCallbackBody({ event: delivered.event, eventId: delivered.eventId }));
    return { ok: true, delivered: response?.status === 200 };
  }

  async function click(body: Record<string, unknown>) {
    const who = person(body.user);
    const ts = String(body.ts ?? '');
    const actionId = String(body.action_id ?? '');
    const message: { text?: string; blocks?: unknown[]; thread_ts?: string } | undefined =
      slack.message(channelId, ts) ?? slack.ephemerals(who.id).find((e) => e.ts === ts);
    if (!message) throw new BadRequest(`no message ${ts} in #${channelName}`);
    const button = buttonsOf(message.blocks).find(
      (b) => b.action_id === actionId && (body.value === undefined || b.value === body.value),
    );
    if (!button) throw new BadRequest(`the message ${ts} has no ${actionId} button`);
    const ephemeral = !slack.message(channelId, ts);
    const payload = blockActionsBody({
      userId: who.id,
      userName: who.name.toLowerCase(),
      channelId,
      channelName,
      messageTs: ts,
      actionId,
      value: button.value ?? '',
      responseUrl: slack.responseUrl(who.id, channelId, ts),
      message,
      isEphemeral: ephemeral,
      ...(message.thread_ts ? { threadTs: message.thread_ts } : {}),
    });
    const response = await toBot(payload);
    if (response?.status !== 200) {
      slack.ackReply(who.id, channelId, { text: 'shiftgate did not answer the click (dispatch_failed).' });
    }
    return { ok: true };
  }

  const server = createServer((req, res) => {
    route(req, res).catch((error: unknown) => {
      const status = error instanceof BadRequest ? 400 : 500;
      if (status === 500) console.error('sandbox page:', error);
      json(res, status, { ok: false, error: (error as Error).message });
    });
  });

  async function route(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? '/', 'http://page');
    const asset = req.method === 'GET' ? STATIC[url.pathname] : undefined;
    if (asset) {
      const content = await readFile(new URL(asset.file, import.meta.url));
      res.writeHead(200, { 'content-type': asset.type, 'cache-control': 'no-store' });
      res.end(content);
      return;
    }
    if (url.pathname === '/favicon.ico') {
      res.writeHead(204).end();
      return;
    }
    if (req.method === 'GET' && url.pathname === '/api/state') {
      // An unknown or missing user (a first visit, a choice left from another run) is the first person.
      const asked = people.find((p) => p.id === url.searchParams.get('user')) ?? (people[0] as Person);
      json(res, 200, state(asked.id));
      return;
    }
    const file = /^\/files\/([A-Z0-9]+)$/.exec(url.pathname);
    if (req.method === 'GET' && file) {
      const found = slack.files().find((f) => f.id === file[1]);
      if (!found) throw new BadRequest(`no file ${file[1]}`);
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' });
      res.end(found.content);
      return;
    }
    if (req.method === 'POST' && (url.pathname === '/api/send' || url.pathname === '/api/click')) {
      const body = await jsonBody(req);
      json(res, 200, url.pathname === '/api/send' ? await send(body) : await click(body));
      return;
    }
    json(res, 404, { ok: false, error: `nothing at ${req.method} ${url.pathname}` });
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}/`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

async function jsonBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  try {
    const parsed = JSON.parse(Buffer.concat(chunks).toString() || '{}') as unknown;
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed))
      return parsed as Record<string, unknown>;
  } catch {
    // answered below
  }
  throw new BadRequest('expected a JSON object');
}

type ButtonShape = { type?: string; action_id?: string; value?: string };

/** Buttons of actions blocks and section accessories. */
function buttonsOf(blocks: unknown[] | undefined): ButtonShape[] {
  return ((blocks ?? []) as { elements?: ButtonShape[]; accessory?: ButtonShape }[])
    .flatMap((b) => [...(b.elements ?? []), ...(b.accessory ? [b.accessory] : [])])
    .filter((e) => e?.type === 'button');
}
