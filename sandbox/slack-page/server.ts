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
// As Slack does, the text after a slash command goes as typed (spaces kept), `&`, `<` and `>` in command
// and message text go as `&amp;`, `&lt;` and `&gt;`, and the bot has 3 s to answer: a command it does not
// answer in time fails with "operation_timeout", one it answers with an error with "dispatch_failed".
// A send the bot did not take (no answer, a non-200) is logged and answered {delivered: false, error},
// which the page shows.
// GET /files/:id shows an uploaded file's content (the bot's reports and stage charts in threads).

/** Slack waits this long for the bot to answer a request. */
export const SLACK_TIMEOUT_MS = 3_000;

/** Slack's escaping of user text: the three characters that are markup in its message format. */
export const slackEscape = (text: string) =>
  text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');

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
  /** How long the bot has to answer; default SLACK_TIMEOUT_MS, as Slack. */
  botTimeoutMs?: number;
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

  const timeoutMs = options.botTimeoutMs ?? SLACK_TIMEOUT_MS;

  /**
   * Sends a signed request to the bot and reads its answer. When the bot does not take it (no answer
   * within the timeout, a failed connection, a non-200), says why in the log and returns Slack's error.
   */
  async function toBot(
    payload: string,
    what: string,
  ): Promise<
    { ok: true; body: string } | { ok: false; error: 'operation_timeout' | 'dispatch_failed'; why: string }
  > {
    let why: string;
    try {
      const response = await sendToBot(options.botUrl, options.signingSecret, payload, { timeoutMs });
      const body = await response.text();
      if (response.status === 200) return { ok: true, body };
      why = `the bot answered ${what} with HTTP ${response.status}${body.trim() ? `: ${body.trim().slice(0, 200)}` : ''}`;
      console.error(`sandbox page: ${why}`);
      return { ok: false, error: 'dispatch_failed', why };
    } catch (error) {
      if ((error as Error).name === 'TimeoutError') {
        why = `the bot did not answer ${what} within ${timeoutMs / 1000} s`;
        console.error(`sandbox page: ${why}`);
        return { ok: false, error: 'operation_timeout', why };
      }
      const cause = (error as { cause?: { message?: string } }).cause?.message;
      why = `the bot at ${options.botUrl} did not answer ${what}: ${(error as Error).message}${cause ? ` (${cause})` : ''}`;
      console.error(`sandbox page: ${why}`);
      return { ok: false, error: 'dispatch_failed', why };
    }
  }

  async function send(body: Record<string, unknown>) {
    const who = person(body.user);
    const text = typeof body.text === 'string' ? body.text.trim() : '';
    if (!text) throw new BadRequest('nothing to send: type a message or a slash command');
    const threadTs = typeof body.thread_ts === 'string' && body.thread_ts ? body.thread_ts : undefined;

    if (text.startsWith('/')) {
      // The command's text as typed after it (runs of spaces, line breaks kept).
      const [, command = '', rest = ''] = /^(\S+)\s*([\s\S]*)$/.exec(text) ?? [];
      if (!(COMMANDS as readonly string[]).includes(command)) {
        slack.ackReply(who.id, channelId, {
          text: `${command} is not a valid command. This workspace knows ${COMMANDS.join(', ')}.`,
        });
        return { ok: true };
      }
      // Slack sends no thread with a slash command: typed in a thread, it is about the channel.
      const payload = slashCommandBody({
        command,
        text: slackEscape(rest),
        userId: who.id,
        userName: who.name.toLowerCase(),
        channelId,
        channelName,
        responseUrl: slack.responseUrl(who.id, channelId),
      });
      const answer = await toBot(payload, command);
      if (!answer.ok) {
        // What Slack shows when the bot's endpoint fails a command: an error only the typist sees.
        slack.ackReply(who.id, channelId, { text: `${command} failed with the error "${answer.error}"` });
        return { ok: true, delivered: false, error: answer.why };
      }
      if (answer.body.trim()) slack.ackReply(who.id, channelId, ackMessage(answer.body));
      return { ok: true, delivered: true };
    }

    if (threadTs && !slack.message(channelId, threadTs))
      throw new BadRequest(`no message ${threadTs} to reply to`);
    const { delivered } = slack.people.say(who.id, channelId, slackEscape(text), threadTs);
    const answer = await toBot(
      eventCallbackBody({ event: delivered.event, eventId: delivered.eventId }),
      threadTs ? 'the thread reply' : 'the message',
    );
    return answer.ok ? { ok: true, delivered: true } : { ok: true, delivered: false, error: answer.why };
  }

  async function click(body: Record<string, unknown>) {
    const who = person(body.user);
    const ts = String(body.ts ?? '');
    const actionId = String(body.action_id ?? '');
    type Shown = { text?: string; blocks?: unknown[]; thread_ts?: string };
    const current: Shown | undefined =
      slack.message(channelId, ts) ?? slack.ephemerals(who.id).find((e) => e.ts === ts);
    // Slack sends a click from the view the person sees, even when the message has been edited since (an
    // approval decided, its buttons gone): the bot's own answer is what the person then reads. So the
    // page sends the message as it showed it, and the click goes out with that view.
    const seen = body.message as Shown | undefined;
    const message = seen && Array.isArray(seen.blocks) ? { ...current, ...seen } : current;
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
    const answer = await toBot(payload, `the click on ${actionId}`);
    if (!answer.ok) {
      slack.ackReply(who.id, channelId, { text: `shiftgate did not answer the click (${answer.error}).` });
      return { ok: true, delivered: false, error: answer.why };
    }
    return { ok: true, delivered: true };
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
      // An image (a stage chart) as its bytes, to show in the thread; any other file as text.
      if (found.name.endsWith('.png') && found.bytes) {
        // A file's bytes never change: the page, which redraws the thread every poll, fetches it once.
        res.writeHead(200, { 'content-type': 'image/png', 'cache-control': 'private, max-age=3600' });
        res.end(Buffer.from(found.bytes));
        return;
      }
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

/** A slash command's ack body as the message Slack shows: Bolt acks JSON; plain text is the message's text. */
function ackMessage(body: string): { text?: string; blocks?: unknown[]; response_type?: string } {
  try {
    const parsed = JSON.parse(body) as unknown;
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as { text?: string };
  } catch {
    // plain text
  }
  return { text: body };
}

type ButtonShape = { type?: string; action_id?: string; value?: string };

/** Buttons of actions blocks and section accessories. */
function buttonsOf(blocks: unknown[] | undefined): ButtonShape[] {
  return ((blocks ?? []) as { elements?: ButtonShape[]; accessory?: ButtonShape }[])
    .flatMap((b) => [...(b.elements ?? []), ...(b.accessory ? [b.accessory] : [])])
    .filter((e) => e?.type === 'button');
}
