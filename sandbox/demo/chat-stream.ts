import type { IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { createUIMessageStream, createUIMessageStreamResponse } from 'ai';

// The chat stream aliases of seed 004 (POST /api/chat/stream, POST /api/chats/{id}/stream) as the
// sandbox's demo services answer them: an AI SDK UI message stream (platform-facts.md) of one short
// text answer, status 200 in every variant, so only the stream contract tells them apart.
//
//   good    made by the real `ai` package, as a chat route makes it (createUIMessageStream, then
//           createUIMessageStreamResponse): its headers (text/event-stream without a charset,
//           x-vercel-ai-ui-message-stream: v1, cache-control: no-cache) and start, start-step,
//           text-start, text-delta per word, text-end, finish-step, finish, [DONE];
//   bad     the same without finish-step and with a second [DONE]: the contract broken, nothing else;
//   legacy  written by hand, as a service without the AI SDK would: the same chunk types in its own
//           chunking (three characters a delta, a keep-alive comment) and the seed's content-type,
//           `text/event-stream; charset=utf-8`. The dual-run's other side.
// `ai` is a devDependency: the sandbox runs from the development install and is never in the image.

export type StreamBuild = 'good' | 'bad' | 'legacy';

const ALIAS = /^\/api\/(?:chat|chats\/[^/]+)\/stream$/;

/** POST /api/chat/stream or POST /api/chats/{id}/stream, any id. */
export const isStreamAlias = (path: string) => ALIAS.test(path);

/** Pause between deltas: the answer streams, as a model's would, rather than arriving in one piece. */
const DELTA_MS = 5;

/** Answers a request on a stream alias; anything but POST is 405. */
export async function answerStream(
  req: IncomingMessage,
  res: ServerResponse,
  build: StreamBuild,
  text: string,
): Promise<void> {
  if (req.method !== 'POST') {
    res.writeHead(405, { allow: 'POST', 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: 'method_not_allowed' }));
    return;
  }
  const response = build === 'legacy' ? legacyStream(text) : aiStream(text, build === 'bad');
  res.writeHead(response.status, Object.fromEntries(response.headers));
  // A client that hangs up ends the stream: its source is cancelled, no write goes to a closed socket.
  try {
    for await (const chunk of response.body ?? []) {
      if (res.destroyed) break;
      res.write(chunk);
    }
    if (build === 'bad') res.write('data: [DONE]\n\n');
  } finally {
    res.end();
  }
}

function aiStream(text: string, bad: boolean): Response {
  const stream = createUIMessageStream({
    async execute({ writer }) {
      writer.write({ type: 'start' });
      writer.write({ type: 'start-step' });
      writer.write({ type: 'text-start', id: 'text-1' });
      for (const word of text.split(/(?<= )/)) {
        await sleep(DELTA_MS);
        writer.write({ type: 'text-delta', id: 'text-1', delta: word });
      }
      writer.write({ type: 'text-end', id: 'text-1' });
      if (!bad) writer.write({ type: 'finish-step' });
      writer.write({ type: 'finish', finishReason: 'stop' });
    },
  });
  return createUIMessageStreamResponse({ stream });
}

function legacyStream(text: string): Response {
  const encoder = new TextEncoder();
  const event = (chunk: object) => encoder.encode(`data: ${JSON.stringify(chunk)}\n\n`);
  const pieces = text.match(/.{1,3}/gs) ?? [];
  const body = new ReadableStream<Uint8Array>({
    async start(controller) {
      controller.enqueue(event({ type: 'start', messageId: `legacy-${Date.now().toString(36)}` }));
      controller.enqueue(event({ type: 'start-step' }));
      controller.enqueue(encoder.encode(': keep-alive\n\n'));
      controller.enqueue(event({ type: 'text-start', id: 'txt_0' }));
      for (const delta of pieces) {
        await sleep(DELTA_MS);
        controller.enqueue(event({ type: 'text-delta', id: 'txt_0', delta }));
      }
      controller.enqueue(event({ type: 'text-end', id: 'txt_0' }));
      controller.enqueue(event({ type: 'finish-step' }));
      controller.enqueue(event({ type: 'finish' }));
      controller.enqueue(encoder.encode('data: [DONE]\n\n'));
      controller.close();
    },
  });
  return new Response(body, {
    headers: {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      'x-vercel-ai-ui-message-stream': 'v1',
    },
  });
}
