import type { ServerResponse } from 'node:http';
import { jsonSchema, parseJsonEventStream } from 'ai';
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { createSseContractGate } from '../../src/gates/providers/sse-contract.ts';
import type { GateContext } from '../../src/gates/result.ts';
import { readSse, type SseBlock, SseParser } from '../../src/gates/sse-stream.ts';
import {
  aiChatBody,
  aiChatHeaders,
  aiChatResponse,
  chatStreamGate,
  closedPort,
  sendResponse,
  useStreamServer,
} from '../helpers/ai-stream.ts';

const PATH = '/api/chat/stream';
const TOKEN = 'user-token-s3cr3t';
const server = await useStreamServer((_req, res) => sendResponse(res, aiChatResponse()));
const gates = createSseContractGate();

const gate = (overrides: Record<string, unknown> = {}) => chatStreamGate({ path: PATH, ...overrides });

function context(overrides: Partial<GateContext> = {}): GateContext {
  return {
    project: 'openagentsgemini',
    region: 'us-central1',
    service: 'openagents-control-service',
    publicUrl: server.url,
    canaryUrl: `${server.url}/`,
    stableRevision: 'svc-00041-abc',
    canaryRevision: 'svc-00042-def',
    canaryShare: 0.05,
    window: { start: new Date('2025-06-01T12:00:00Z'), end: new Date('2025-06-01T12:10:00Z') },
    alpha: 0.01,
    now: () => new Date('2025-06-01T12:10:00Z'),
    ...overrides,
  };
}

/** Serves `pieces` (written one by one) with the given status and headers, then ends, breaks or hangs. */
function serve(
  pieces: string | string[],
  options: { status?: number; headers?: Record<string, string>; close?: 'end' | 'break' | 'hang' } = {},
) {
  server.use((_req, res: ServerResponse) => {
    res.writeHead(options.status ?? 200, options.headers ?? aiChatHeaders());
    const list = typeof pieces === 'string' ? [pieces] : pieces;
    list.forEach((piece, i) => {
      const last = i === list.length - 1;
      // A break closes the socket once the last piece is flushed: no terminating chunk, a torn body.
      res.write(piece, last && options.close === 'break' ? () => res.destroy() : undefined);
    });
    if ((options.close ?? 'end') === 'end') res.end();
  });
}

/** UI message chunks as the `ai` package writes them, then [DONE]. */
function sse(...chunks: (object | string)[]): string {
  return chunks
    .map((chunk) => `data: ${typeof chunk === 'string' ? chunk : JSON.stringify(chunk)}\n\n`)
    .join('');
}

describe('sse-contract against the real ai stream', () => {
  it('passes the stream the ai package serves (with no charset in its content-type)', async () => {
    // The decision documented in the provider: ai sends no charset, and its stream must pass.
    expect(aiChatHeaders()['content-type']).toBe('text/event-stream');
    const result = await gates.evaluate('chat-stream', gate(), context());
    expect(result).toMatchObject({
      gate: 'chat-stream',
      kind: 'sse-contract',
      status: 'pass',
      metric: `stream POST ${PATH}`,
      // start, start-step, text-start, 3 text-deltas, text-end, finish-step, finish, [DONE]
      observed: { value: '10 events, 1 [DONE]' },
      samples: 10,
      samplesUnit: 'events',
      threshold:
        'stream contract v1 (200, text/event-stream, x-vercel-ai-ui-message-stream: v1, start..finish, one [DONE])',
      reason:
        'start at event 1, start-step at event 2, finish-step at event 8, finish at event 9; [DONE] last (event 10)',
      at: '2025-06-01T12:10:00.000Z',
    });
    expect(result.latencyMs).toBeGreaterThanOrEqual(0);
    expect(result.evidence).toBe(
      `curl -sS -N -i -X POST '${server.url}${PATH}' -H 'accept: text/event-stream' ` +
        `-H 'content-type: application/json' --data-raw '${JSON.stringify(gate().body)}' --max-time 5`,
    );
    const [request] = server.requests;
    expect(request).toMatchObject({ method: 'POST', url: PATH });
    expect(request?.headers.accept).toBe('text/event-stream');
    expect(JSON.parse(request?.body ?? '')).toEqual(gate().body);
  });

  it('passes the ai stream with keep-alive comments, the public URL and GET', async () => {
    server.use((_req, res) => sendResponse(res, aiChatResponse({ keepAliveMs: 60_000 })));
    const result = await gates.evaluate('chat-stream', gate({ target: 'public', method: 'GET' }), context());
    expect(result.status).toBe('pass');
    expect(server.requests[0]?.method).toBe('GET');
    expect(result.evidence).not.toContain('-X');
  });

  it('passes an in-memory ai Response through an injected fetch', async () => {
    const provider = createSseContractGate({ fetch: async () => aiChatResponse({ words: ['a', 'b'] }) });
    const result = await provider.evaluate('chat-stream', gate(), context());
    expect(result).toMatchObject({ status: 'pass', samples: 9 });
  });

  it('checks the configured events list', async () => {
    const result = await gates.evaluate(
      'chat-stream',
      gate({ events: ['start', 'text-delta', 'finish'] }),
      context(),
    );
    expect(result.status).toBe('pass');
    expect(result.threshold).toContain('start..finish');
    const missing = await gates.evaluate('chat-stream', gate({ events: ['start', 'tool-call'] }), context());
    expect(missing).toMatchObject({ status: 'fail', reason: 'missing "tool-call" after event 1 ("start")' });
  });
});

describe('sse-contract fails broken streams with the rule and the place', () => {
  it('fails without the x-vercel-ai-ui-message-stream header', async () => {
    const { 'x-vercel-ai-ui-message-stream': _, ...headers } = aiChatHeaders();
    serve(await aiChatBody(), { headers });
    const result = await gates.evaluate('chat-stream', gate(), context());
    expect(result).toMatchObject({
      status: 'fail',
      reason: 'header x-vercel-ai-ui-message-stream missing, expected "v1"',
      observed: { value: '10 events, 1 [DONE]' },
    });
    serve(await aiChatBody(), { headers: { ...headers, 'x-vercel-ai-ui-message-stream': 'v2' } });
    const v2 = await gates.evaluate('chat-stream', gate(), context());
    expect(v2.reason).toBe('header x-vercel-ai-ui-message-stream is "v2", expected "v1"');
  });

  it('fails without the finish chunk', async () => {
    serve((await aiChatBody()).replace(/data: \{"type":"finish".*\n\n/, ''));
    const result = await gates.evaluate('chat-stream', gate(), context());
    expect(result).toMatchObject({
      status: 'fail',
      reason: 'missing "finish" after event 8 ("finish-step")',
      observed: { value: '9 events, 1 [DONE]' },
    });
  });

  it('fails two [DONE] markers, and events after the first', async () => {
    serve(`${await aiChatBody()}data: [DONE]\n\n`);
    const twice = await gates.evaluate('chat-stream', gate(), context());
    expect(twice).toMatchObject({ status: 'fail', reason: '2 [DONE] markers (events 10 and 11)' });

    serve(`${await aiChatBody()}${sse({ type: 'text-delta', id: 't1', delta: '!' }, '[DONE]')}`);
    const between = await gates.evaluate('chat-stream', gate(), context());
    expect(between.reason).toMatch(
      /^2 \[DONE\] markers \(events 10 and 12\); event 11 \(line 21, byte \d+\) after \[DONE\] \(event 10\): /,
    );
  });

  it('fails anything after [DONE]: a comment or an unterminated line', async () => {
    serve(`${await aiChatBody()}: late keep-alive\n\n`);
    expect((await gates.evaluate('chat-stream', gate(), context())).reason).toBe(
      'comment at line 21 after [DONE]',
    );
    const body = await aiChatBody();
    serve(`${body}data: {"type":"st`);
    expect((await gates.evaluate('chat-stream', gate(), context())).reason).toBe(
      `17 bytes after [DONE] (line 21, byte ${Buffer.byteLength(body)})`,
    );
  });

  it.each([
    ['application/json', 'content-type is application/json, expected text/event-stream; charset=utf-8'],
    [
      'text/plain; charset=utf-8',
      'content-type is text/plain; charset=utf-8, expected text/event-stream; charset=utf-8',
    ],
    [
      'text/event-stream; charset=iso-8859-1',
      'content-type is text/event-stream; charset=iso-8859-1, expected text/event-stream; charset=utf-8',
    ],
  ])('fails content-type %s', async (contentType, reason) => {
    serve(await aiChatBody(), { headers: { ...aiChatHeaders(), 'content-type': contentType } });
    const result = await gates.evaluate('chat-stream', gate(), context());
    expect(result).toMatchObject({
      status: 'fail',
      reason,
      observed: { value: `content-type: ${contentType}` },
      samples: 0,
    });
  });

  it.each(['text/event-stream; charset=utf-8', 'Text/Event-Stream;charset="UTF-8"', 'text/event-stream'])(
    'accepts content-type %s',
    async (contentType) => {
      serve(await aiChatBody(), { headers: { ...aiChatHeaders(), 'content-type': contentType } });
      expect((await gates.evaluate('chat-stream', gate(), context())).status).toBe('pass');
    },
  );

  it('fails a stream closed mid-event before [DONE]', async () => {
    const body = await aiChatBody();
    const cut = body.indexOf('data: {"type":"finish-step"') + 12;
    serve(body.slice(0, cut));
    const result = await gates.evaluate('chat-stream', gate(), context());
    expect(result).toMatchObject({
      status: 'fail',
      reason:
        `stream closed at byte ${cut} mid-event (line 15, byte ${cut - 12}, 12 bytes unterminated) ` +
        'after 7 events (last "text-end" at event 7) without [DONE]; ' +
        'missing "finish-step" after event 2 ("start-step")',
      observed: { value: '7 events, 0 [DONE]' },
      samples: 7,
    });
  });

  it('fails a stream whose connection breaks before [DONE]', async () => {
    const body = await aiChatBody();
    const cut = body.indexOf('data: {"type":"text-end"');
    serve(body.slice(0, cut), { close: 'break' });
    const result = await gates.evaluate('chat-stream', gate(), context());
    expect(result.status).toBe('fail');
    expect(result.reason).toMatch(
      new RegExp(
        `^connection broke at byte ${cut} after 6 events \\(last "text-delta" at event 6\\), no \\[DONE\\]: .+; ` +
          'missing "finish-step" after event 2 \\("start-step"\\)$',
      ),
    );
  });

  it('fails a non-200 answer with its status and the start of its body', async () => {
    serve('{"error":"model unavailable"}', { status: 500, headers: { 'content-type': 'application/json' } });
    const result = await gates.evaluate('chat-stream', gate(), context());
    expect(result).toMatchObject({
      status: 'fail',
      observed: { value: 500, unit: 'status' },
      samples: 0,
      reason: 'status is 500, expected 200 (body: {"error":"model unavailable"})',
    });
  });

  it('fails a redirect instead of following it, naming where it went', async () => {
    serve('', { status: 302, headers: { location: 'https://accounts.example.com/login' } });
    const result = await gates.evaluate('chat-stream', gate(), context());
    expect(result).toMatchObject({
      status: 'fail',
      reason: 'status is 302, expected 200 (location: https://accounts.example.com/login)',
    });
  });

  it('fails the required events out of order', async () => {
    serve(
      sse(
        { type: 'start' },
        { type: 'finish-step' },
        { type: 'start-step' },
        { type: 'text-start', id: 't1' },
        { type: 'text-end', id: 't1' },
        { type: 'finish' },
        '[DONE]',
      ),
    );
    const result = await gates.evaluate('chat-stream', gate(), context());
    expect(result).toMatchObject({
      status: 'fail',
      reason:
        'out of order: "finish-step" at event 2 but "start-step" not until event 3; ' +
        'expected start, start-step, finish-step, finish',
    });
  });

  it('fails a chunk that is not JSON, or has no type', async () => {
    const body = (await aiChatBody()).replace(
      '{"type":"text-delta","id":"t1","delta":", "}',
      '{"type":"text-delta",',
    );
    serve(body);
    const result = await gates.evaluate('chat-stream', gate(), context());
    const offset = Buffer.byteLength(body.slice(0, body.indexOf('data: {"type":"text-delta",\n')));
    expect(result).toMatchObject({
      status: 'fail',
      reason: `event 5 (line 9, byte ${offset}) is not JSON: "{\\"type\\":\\"text-delta\\","`,
    });

    serve(
      sse(
        { type: 'start' },
        { kind: 'start-step' },
        [1],
        { type: 'start-step' },
        { type: 'finish-step' },
        { type: 'finish' },
        '[DONE]',
      ),
    );
    const untyped = await gates.evaluate('chat-stream', gate(), context());
    expect(untyped.reason).toBe(
      'event 2 (line 3, byte 24) has no string "type": "{\\"kind\\":\\"start-step\\"}" (and 1 more)',
    );
  });

  it('cuts a stream that never ends at the timeout, fails it, and closes the connection', async () => {
    serve(sse({ type: 'start' }, { type: 'start-step' }, { type: 'text-start', id: 't1' }), {
      close: 'hang',
    });
    const started = performance.now();
    const result = await gates.evaluate('chat-stream', gate({ timeout: '300ms' }), context());
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(result).toMatchObject({
      status: 'fail',
      reason:
        'cut at 300ms: stream still open after 3 events (last "text-start" at event 3), no [DONE]; ' +
        'missing "finish-step" after event 2 ("start-step")',
      observed: { value: '3 events, 0 [DONE]' },
      samples: 3,
    });
    expect(result.evidence).toContain('--max-time 0.3');
    await vi.waitFor(() => expect(server.requests[0]?.closed).toBe(true));
  });

  it('cuts a stream left open after [DONE]', async () => {
    serve(await aiChatBody(), { close: 'hang' });
    const result = await gates.evaluate('chat-stream', gate({ timeout: '300ms' }), context());
    expect(result).toMatchObject({
      status: 'fail',
      reason: 'cut at 300ms: stream still open after [DONE] (event 10)',
    });
    await vi.waitFor(() => expect(server.requests[0]?.closed).toBe(true));
  });

  it('fails a server that never answers, at the timeout', async () => {
    server.use(() => {});
    const result = await gates.evaluate('chat-stream', gate({ timeout: '300ms' }), context());
    expect(result).toMatchObject({ status: 'fail', reason: 'no response within 300ms', samples: 0 });
    await vi.waitFor(() => expect(server.requests[0]?.closed).toBe(true));
  });

  it('cuts at the timeout even when fetch and the body ignore the abort', async () => {
    const encoder = new TextEncoder();
    const hanging = createSseContractGate({
      fetch: async () =>
        new Response(
          new ReadableStream({ start: (c) => c.enqueue(encoder.encode(sse({ type: 'start' }))) }),
          { headers: aiChatHeaders() },
        ),
    });
    const cut = await hanging.evaluate('chat-stream', gate({ timeout: '200ms' }), context());
    expect(cut).toMatchObject({
      status: 'fail',
      observed: { value: '1 event, 0 [DONE]' },
      reason:
        'cut at 200ms: stream still open after 1 event (last "start" at event 1), no [DONE]; missing "start-step" after event 1 ("start")',
    });
    const silent = createSseContractGate({ fetch: () => new Promise<Response>(() => {}) });
    const none = await silent.evaluate('chat-stream', gate({ timeout: '200ms' }), context());
    expect(none).toMatchObject({ status: 'fail', reason: 'no response within 200ms' });
  });

  it('cuts a body larger than the byte limit', async () => {
    const small = createSseContractGate({ maxBytes: 100 });
    const result = await small.evaluate('chat-stream', gate(), context());
    expect(result.status).toBe('fail');
    expect(result.reason).toMatch(/^cut after \d+ bytes \(limit 100\) after \d+ events/);
  });
});

describe('sse-contract targets, tokens and errors', () => {
  it('is skipped with access-token auth and no token, without a request', async () => {
    const result = await gates.evaluate('chat-stream', gate({ auth: 'access-token' }), context());
    expect(result).toMatchObject({ status: 'skipped', reason: 'no access token configured', samples: 0 });
    expect(result.observed).toBeUndefined();
    expect(server.requests).toHaveLength(0);
  });

  it('sends the token as a bearer token and never shows it', async () => {
    const result = await gates.evaluate(
      'chat-stream',
      gate({ auth: 'access-token' }),
      context({ accessToken: TOKEN }),
    );
    expect(result.status).toBe('pass');
    expect(server.requests[0]?.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(result.evidence).toContain('-H "authorization: Bearer $TOKEN"');
    expect(JSON.stringify(result)).not.toContain(TOKEN);

    // A service that echoes the token in an error body: redacted from the reason.
    serve(`{"error":"token ${TOKEN} expired"}`, {
      status: 401,
      headers: { 'content-type': 'application/json' },
    });
    const refused = await gates.evaluate(
      'chat-stream',
      gate({ auth: 'access-token' }),
      context({ accessToken: TOKEN }),
    );
    expect(refused.reason).toBe('status is 401, expected 200 (body: {"error":"token $TOKEN expired"})');
    expect(JSON.stringify(refused)).not.toContain(TOKEN);
  });

  it('is an error when the service cannot be reached (connection refused)', async () => {
    const url = `http://127.0.0.1:${await closedPort()}`;
    const result = await gates.evaluate('chat-stream', gate(), context({ canaryUrl: url }));
    expect(result).toMatchObject({ status: 'error', samples: 0 });
    expect(result.reason).toMatch(new RegExp(`^${url}${PATH} unreachable: fetch failed: .*ECONNREFUSED`));
    expect(result.observed).toBeUndefined();
  });

  it('is an error when the name does not resolve', async () => {
    const dns = Object.assign(new Error('getaddrinfo ENOTFOUND canary.invalid'), { code: 'ENOTFOUND' });
    const provider = createSseContractGate({
      fetch: async () => {
        throw new TypeError('fetch failed', { cause: dns });
      },
    });
    const result = await provider.evaluate(
      'chat-stream',
      gate(),
      context({ canaryUrl: 'https://canary.invalid' }),
    );
    expect(result).toMatchObject({
      status: 'error',
      reason:
        'https://canary.invalid/api/chat/stream unreachable: fetch failed: getaddrinfo ENOTFOUND canary.invalid',
    });
  });

  it('is an error for a canary target with no canary URL, and when cancelled', async () => {
    const noCanary = await gates.evaluate('chat-stream', gate(), context({ canaryUrl: undefined }));
    expect(noCanary).toMatchObject({ status: 'error', evidence: PATH });

    serve(sse({ type: 'start' }), { close: 'hang' });
    const controller = new AbortController();
    const pending = gates.evaluate('chat-stream', gate(), context({ signal: controller.signal }));
    await vi.waitFor(() => expect(server.requests).toHaveLength(1));
    controller.abort();
    expect(await pending).toMatchObject({ status: 'error', reason: 'evaluation cancelled' });
  });
});

describe('the SSE parser', () => {
  const encoder = new TextEncoder();
  const parse = (chunks: (string | Uint8Array)[]) => {
    const parser = new SseParser();
    const blocks = chunks.flatMap((chunk) =>
      parser.push(typeof chunk === 'string' ? encoder.encode(chunk) : chunk),
    );
    return { blocks, tail: parser.tail() };
  };

  it('joins a CRLF split across chunks and keeps lines, offsets and comments', () => {
    const { blocks, tail } = parse([
      ': hi\r',
      '\ndata: a\r',
      '\ndata:  b\r',
      '\n\r',
      '\nevent: x\rid: 7\r\rdata: tail',
    ]);
    expect(blocks).toEqual([
      { line: 1, offset: 0, data: 'a\n b', dataLines: 2, comments: ['hi'] },
      { line: 5, offset: 27, dataLines: 0, event: 'x', id: '7', comments: [] },
    ]);
    expect(tail).toEqual({ bytes: 53, lines: 7, pending: { line: 8, offset: 43, bytes: 10 } });
  });

  it('decodes a character split across chunks and skips only a leading byte order mark', () => {
    const bytes = encoder.encode('\uFEFFdata: caf\u00e9 \uFEFF\n\n');
    const { blocks } = parse([bytes.subarray(0, 2), bytes.subarray(2, 13), bytes.subarray(13)]);
    expect(blocks).toEqual([{ line: 1, offset: 0, data: 'caf\u00e9 \uFEFF', dataLines: 1, comments: [] }]);
  });

  const line = fc.string({ unit: 'binary', maxLength: 12 }).map((text) => text.replace(/[\r\n]/g, ''));
  const block = fc
    .record({
      comments: fc.array(line, { maxLength: 2 }),
      event: fc.option(
        line.filter((text) => !text.includes(':')),
        { nil: undefined },
      ),
      data: fc.array(line, { maxLength: 3 }),
    })
    .filter((b) => b.comments.length + b.data.length > 0 || b.event !== undefined);
  const endings = fc.array(fc.constantFrom('\n', '\r\n', '\r'), { minLength: 1, maxLength: 8 });

  /** Serializes with the given line endings, in turn; a blank line after a bare CR cannot be LF alone. */
  function serialize(lines: string[], ending: string[]): { text: string; starts: number[] } {
    let text = '';
    let previous = '';
    const starts: number[] = [];
    lines.forEach((content, i) => {
      let end = ending[i % ending.length] as string;
      if (content === '' && previous === '\r' && end === '\n') end = '\r\n';
      starts.push(Buffer.byteLength(text));
      text += content + end;
      previous = end;
    });
    return { text, starts };
  }

  function chunked(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
    const points = [...new Set(cuts.map((cut) => cut % (bytes.length + 1)))].sort((a, b) => a - b);
    const out: Uint8Array[] = [];
    let at = 0;
    for (const point of [...points, bytes.length]) {
      out.push(bytes.subarray(at, point));
      at = point;
    }
    return out;
  }

  function streamOf(chunks: Uint8Array[]): ReadableStream<Uint8Array> {
    return new ReadableStream({
      start(controller) {
        for (const chunk of chunks) controller.enqueue(chunk);
        controller.close();
      },
    });
  }

  it('reads the same blocks at the same places however the bytes are chunked (property)', () => {
    fc.assert(
      fc.property(
        fc.array(block, { maxLength: 6 }),
        endings,
        fc.array(fc.nat(), { maxLength: 12 }),
        (blocks, ending, cuts) => {
          const lines: string[] = [];
          const firstLine: number[] = [];
          for (const b of blocks) {
            firstLine.push(lines.length);
            lines.push(...b.comments.map((c) => `: ${c}`));
            if (b.event !== undefined) lines.push(`event: ${b.event}`);
            lines.push(...b.data.map((d) => `data: ${d}`), '');
          }
          const { text, starts } = serialize(lines, ending);
          const { blocks: parsed, tail } = parse(chunked(encoder.encode(text), cuts));
          expect(parsed).toEqual(
            blocks.map((b, i) => {
              const first = firstLine[i] as number;
              const expected: SseBlock = {
                line: first + 1,
                offset: starts[first] as number,
                dataLines: b.data.length,
                comments: b.comments,
              };
              if (b.data.length > 0) expected.data = b.data.join('\n');
              if (b.event !== undefined) expected.event = b.event;
              return expected;
            }),
          );
          expect(tail).toEqual({ bytes: Buffer.byteLength(text), lines: lines.length });
        },
      ),
    );
  });

  it('reads JSON events as the ai package client does (property, parseJsonEventStream as the oracle)', async () => {
    await fc.assert(
      fc.asyncProperty(
        // The client parses with secure-json-parse, which refuses `__proto__` and `constructor` keys
        // (a JSON question, not a framing one): the property is asked about values it accepts.
        fc.array(
          fc.jsonValue().filter((v) => !/"(__proto__|constructor)":/.test(JSON.stringify(v))),
          { maxLength: 6 },
        ),
        endings,
        fc.array(fc.nat(), { maxLength: 12 }),
        async (values, ending, cuts) => {
          const lines = values.flatMap((value) => [`data: ${JSON.stringify(value)}`, '']);
          // eventsource-parser holds a CR at the very end of a body, waiting for an LF that never
          // comes, so it drops the last event; the spec (and this parser) end the line there. The
          // oracle is asked only about bodies where the two agree: a final CR becomes CRLF.
          const text = serialize(lines, ending).text.replace(/\r$/, '\r\n');
          const chunks = chunked(encoder.encode(text), cuts);
          const ours: unknown[] = [];
          const read = await readSse(streamOf(chunks), (b) => ours.push(JSON.parse(b.data as string)));
          expect(read.end).toBe('closed');
          const theirs: unknown[] = [];
          const stream = parseJsonEventStream({
            stream: streamOf(chunks),
            schema: jsonSchema({}),
          });
          for await (const result of stream) {
            if (!result.success) throw result.error;
            theirs.push(result.value);
          }
          expect(ours).toEqual(theirs);
          expect(ours).toEqual(values.map((value) => JSON.parse(JSON.stringify(value))));
        },
      ),
      { numRuns: 50 },
    );
  });
});
