import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { streamText } from 'ai';
import { convertArrayToReadableStream, MockLanguageModelV4 } from 'ai/test';
import { afterAll, afterEach } from 'vitest';
import { sseContractGate } from '../../src/config/gates.ts';
import type { GateOf } from '../../src/gates/result.ts';

// The reference for the stream contract of seed 004: a genuine AI SDK UI message stream, made by the
// real `ai` package from a scripted model (streamText + toUIMessageStreamResponse, as a chat route
// does), and a plain node:http server to serve it or any variant of it over a real socket.

const usage = {
  inputTokens: { total: 3, noCache: 3, cacheRead: undefined, cacheWrite: undefined },
  outputTokens: { total: 4, text: 4, reasoning: undefined },
};

/**
 * The Response an AI SDK chat route returns for a model that answers `words` as text deltas:
 * start, start-step, text-start, text-delta..., text-end, finish-step, finish, [DONE].
 */
export function aiChatResponse(
  options: { words?: string[]; keepAliveMs?: number; headers?: Record<string, string> } = {},
): Response {
  const words = options.words ?? ['Hello', ', ', 'world'];
  const model = new MockLanguageModelV4({
    doStream: async () => ({
      stream: convertArrayToReadableStream([
        { type: 'stream-start' as const, warnings: [] },
        { type: 'text-start' as const, id: 't1' },
        ...words.map((delta) => ({ type: 'text-delta' as const, id: 't1', delta })),
        { type: 'text-end' as const, id: 't1' },
        { type: 'finish' as const, finishReason: { unified: 'stop' as const, raw: 'stop' }, usage },
      ]),
    }),
  });
  const result = streamText({ model, prompt: 'hello' });
  return result.toUIMessageStreamResponse({
    ...(options.keepAliveMs === undefined ? {} : { keepAliveMs: options.keepAliveMs }),
    ...(options.headers === undefined ? {} : { headers: options.headers }),
  });
}

/** The body of the reference stream, as text: the starting point of every broken variant. */
export async function aiChatBody(words?: string[]): Promise<string> {
  return aiChatResponse(words ? { words } : {}).text();
}

/** The headers the real `ai` package sends with a UI message stream. */
export function aiChatHeaders(): Record<string, string> {
  return Object.fromEntries(aiChatResponse().headers);
}

/** Writes a Fetch Response to a node response, streaming its body. */
export async function sendResponse(res: ServerResponse, response: Response): Promise<void> {
  res.writeHead(response.status, Object.fromEntries(response.headers));
  if (response.body) {
    for await (const chunk of response.body) res.write(chunk);
  }
  res.end();
}

export interface ReceivedRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
  /** Set when the response's connection closed: it ended, or the client hung up. */
  closed: boolean;
}

type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void | Promise<void>;

export interface StreamServer {
  /** http://127.0.0.1:PORT, no trailing slash. */
  url: string;
  /** Requests received in the current test, with their bodies. */
  requests: ReceivedRequest[];
  /** Answers with `handler` until the end of the current test. */
  use(handler: Handler): void;
}

/**
 * A node:http server on 127.0.0.1 and a free port for the calling test file: a real socket, so a
 * stream can be cut mid-event or left open. `handler` answers each request after its body is read.
 */
export async function useStreamServer(handler: Handler): Promise<StreamServer> {
  let current = handler;
  const server = createServer(async (req, res) => {
    const received: ReceivedRequest = {
      method: req.method ?? '',
      url: req.url ?? '',
      headers: req.headers,
      body: '',
      closed: false,
    };
    res.on('close', () => {
      received.closed = true;
    });
    for await (const chunk of req) received.body += chunk;
    state.requests.push(received);
    try {
      await current(req, res, received.body);
    } catch {
      res.destroy();
    }
  });
  const state: StreamServer = {
    url: '',
    requests: [],
    use(next) {
      current = next;
    },
  };
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  afterEach(() => {
    current = handler;
    state.requests = [];
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  return state;
}

/** A port nothing listens on: bound, then released. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** An sse-contract gate on the chat stream alias, as the gate tests and the dual-run tests send it. */
export function chatStreamGate(overrides: Record<string, unknown> = {}): GateOf<'sse-contract'> {
  return sseContractGate.parse({
    kind: 'sse-contract',
    path: '/api/chat/stream',
    body: { id: 'smoke', messages: [{ role: 'user', parts: [{ type: 'text', text: 'ping' }] }] },
    timeout: '5s',
    ...overrides,
  });
}
