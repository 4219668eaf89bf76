import type { ServerResponse } from 'node:http';
import { describe, expect, it, vi } from 'vitest';
import { createDualRun, type DualRunContext } from '../../src/gates/dual-run.ts';
import {
  aiChatBody,
  aiChatHeaders,
  aiChatResponse,
  chatStreamGate,
  closedPort,
  type StreamServer,
  sendResponse,
  useStreamServer,
} from '../helpers/ai-stream.ts';

// The dual-run of seed 004: one sse-contract gate's request to the Rust and the legacy base URL, over
// real sockets, both answered by the real `ai` package's stream or variants of it.

const PATH = '/api/chat/stream';
const TOKEN = 'user-token-s3cr3t';
const rust = await useStreamServer((_req, res) => sendResponse(res, aiChatResponse()));
// Its own chunking of the same answer.
const legacy = await useStreamServer((_req, res) =>
  sendResponse(res, aiChatResponse({ words: ['Hel', 'lo, wo', 'r', 'ld'] })),
);
const dualRun = createDualRun();

const gate = (overrides: Record<string, unknown> = {}) => chatStreamGate({ path: PATH, ...overrides });

function context(overrides: Partial<DualRunContext> = {}): DualRunContext {
  return {
    rustUrl: rust.url,
    legacyUrl: `${legacy.url}/`,
    now: () => new Date('2025-06-01T12:10:00Z'),
    ...overrides,
  };
}

/** Serves `body` on `server` with the given status and headers, then ends or hangs. */
function serve(
  server: StreamServer,
  body: string,
  options: { status?: number; headers?: Record<string, string>; close?: 'end' | 'hang' } = {},
) {
  server.use((_req, res: ServerResponse) => {
    res.writeHead(options.status ?? 200, options.headers ?? aiChatHeaders());
    res.write(body);
    if ((options.close ?? 'end') === 'end') res.end();
  });
}

describe('dual-run', () => {
  it('passes two ai streams that chunk the same answer differently, and sends both the same request', async () => {
    const result = await dualRun.compare('chat-dual-run', gate(), context());
    expect(result).toMatchObject({
      gate: 'chat-dual-run',
      kind: 'sse-contract',
      status: 'pass',
      metric: `dual-run POST ${PATH}`,
      threshold: 'same status, contract headers and event types',
      // start, start-step, text-start, text-delta (a run), text-end, finish-step, finish, [DONE]
      observed: { value: 'identical: 200, 8 events' },
      // 10 events on the Rust side (3 deltas), 11 on the legacy side (4 deltas)
      samples: 21,
      samplesUnit: 'events',
      at: '2025-06-01T12:10:00.000Z',
    });
    expect(result.reason).toBeUndefined();
    expect(result.evidence).toBe(
      `for base in '${rust.url}' '${legacy.url}'; do curl -sS -N -i -X POST "$base"'${PATH}' ` +
        `-H 'accept: text/event-stream' -H 'content-type: application/json' ` +
        `--data-raw '${JSON.stringify(gate().body)}' --max-time 5; done`,
    );
    const [toRust] = rust.requests;
    const [toLegacy] = legacy.requests;
    expect(toRust).toMatchObject({ method: 'POST', url: PATH });
    expect(toLegacy).toMatchObject({ method: 'POST', url: PATH, body: toRust?.body });
    expect(toLegacy?.headers.accept).toBe('text/event-stream');
    expect(JSON.parse(toRust?.body ?? '')).toEqual(gate().body);
  });

  it('sees an explicit utf-8 charset, keep-alive comments and GET as no difference', async () => {
    legacy.use((_req, res) =>
      sendResponse(
        res,
        aiChatResponse({
          words: ['Hello, world'],
          keepAliveMs: 60_000,
          headers: { 'content-type': 'text/event-stream; charset=UTF-8' },
        }),
      ),
    );
    const result = await dualRun.compare('chat-dual-run', gate({ method: 'GET' }), context());
    expect(result).toMatchObject({ status: 'pass', observed: { value: 'identical: 200, 8 events' } });
    expect(legacy.requests[0]?.method).toBe('GET');
    expect(result.evidence).not.toContain('-X');
  });

  it('fails a differing status', async () => {
    serve(legacy, '<html>Bad Gateway</html>', { status: 502, headers: { 'content-type': 'text/html' } });
    const result = await dualRun.compare('chat-dual-run', gate(), context());
    expect(result).toMatchObject({ status: 'fail', observed: { value: '4 differences' } });
    expect(result.reason).toBe(
      'status: rust 200, legacy 502; content-type: rust text/event-stream, legacy text/html; ' +
        'x-vercel-ai-ui-message-stream: rust v1, legacy none; events: rust 8, legacy 0; ' +
        'event 1: rust start, legacy none',
    );
  });

  it('fails a missing contract header, and names the side that lacks it', async () => {
    const { 'x-vercel-ai-ui-message-stream': _, ...headers } = aiChatHeaders();
    serve(rust, await aiChatBody(), { headers });
    const result = await dualRun.compare('chat-dual-run', gate(), context());
    expect(result).toMatchObject({
      status: 'fail',
      observed: { value: '1 difference' },
      reason: 'x-vercel-ai-ui-message-stream: rust none, legacy v1',
    });
    serve(rust, await aiChatBody(), {
      headers: { ...headers, 'content-type': 'text/event-stream; charset=latin1' },
    });
    const charset = await dualRun.compare('chat-dual-run', gate(), context());
    expect(charset.reason).toBe(
      'content-type: rust text/event-stream; charset=latin1, legacy text/event-stream; ' +
        'x-vercel-ai-ui-message-stream: rust none, legacy v1',
    );
  });

  it('fails a differing event sequence: a missing finish-step and a second [DONE]', async () => {
    const broken = (await aiChatBody()).replace(/data: \{"type":"finish-step"\}\n\n/, '');
    serve(legacy, `${broken}data: [DONE]\n\n`);
    const result = await dualRun.compare('chat-dual-run', gate(), context());
    expect(result).toMatchObject({
      status: 'fail',
      reason: 'event 6: rust finish-step, legacy finish; event 7: rust finish, legacy [DONE]',
    });
  });

  it('fails a truncated stream: its count, the first missing event and how it ended', async () => {
    const body = await aiChatBody();
    serve(legacy, body.slice(0, body.indexOf('data: [DONE]')), { close: 'hang' });
    const result = await dualRun.compare('chat-dual-run', gate({ timeout: '300ms' }), context());
    expect(result).toMatchObject({
      status: 'fail',
      reason:
        'end: rust closed, legacy cut at 300ms; events: rust 8, legacy 7; event 8: rust [DONE], legacy none',
    });
    await vi.waitFor(() => expect(legacy.requests[0]?.closed).toBe(true));
  });

  it('keeps the reason short however many events differ', async () => {
    const chunks = Array.from({ length: 500 }, (_, i) => `data: {"type":"data-${'x'.repeat(200)}-${i}"}\n\n`);
    serve(legacy, `${chunks.join('')}data: [DONE]\n\n`);
    const result = await dualRun.compare('chat-dual-run', gate(), context());
    expect(result.status).toBe('fail');
    expect(result.reason?.length).toBeLessThan(500);
    expect(result.reason).toContain('events: rust 8, legacy 501; event 1: rust start, legacy data-xxx');
    expect(result.reason).toMatch(/; 5 more events differ$/);
  });

  it('is inconclusive when neither side answers, and names the one that does not', async () => {
    const silent = (server: StreamServer) => server.use(() => {});
    silent(legacy);
    const one = await dualRun.compare('chat-dual-run', gate({ timeout: '200ms' }), context());
    expect(one).toMatchObject({
      status: 'fail',
      reason: 'status: rust 200, legacy no response within 200ms',
    });
    silent(rust);
    const both = await dualRun.compare('chat-dual-run', gate({ timeout: '200ms' }), context());
    expect(both).toMatchObject({
      status: 'inconclusive',
      reason: 'neither side answered within 200ms: nothing to compare',
    });
  });

  it('is an error when the legacy side cannot be reached, naming it, without waiting for the other', async () => {
    const port = await closedPort();
    // Streams and never ends: the comparison must not wait for it (the timeout is 30 s).
    serve(rust, 'data: {"type":"start"}\n\n', { close: 'hang' });
    const result = await dualRun.compare(
      'chat-dual-run',
      gate({ timeout: '30s' }),
      context({ legacyUrl: `http://127.0.0.1:${port}` }),
    );
    expect(result).toMatchObject({ status: 'error', samples: 0 });
    await vi.waitFor(() => expect(rust.requests[0]?.closed).toBe(true));
    expect(result.reason).toMatch(
      new RegExp(`^legacy http://127\\.0\\.0\\.1:${port}${PATH} unreachable: fetch failed: .*ECONNREFUSED`),
    );
    const both = await dualRun.compare(
      'chat-dual-run',
      gate(),
      context({ rustUrl: `http://127.0.0.1:${port}`, legacyUrl: `http://127.0.0.1:${port}` }),
    );
    expect(both.reason).toMatch(/^rust .* unreachable: .*; legacy .* unreachable: /);
  });

  it('sends the token to both, never shows it, and is skipped without one', async () => {
    const skipped = await dualRun.compare('chat-dual-run', gate({ auth: 'access-token' }), context());
    expect(skipped).toMatchObject({ status: 'skipped', reason: 'no access token configured' });
    expect(rust.requests).toHaveLength(0);

    // A legacy service that echoes the token in a header, a chunk type and how its stream broke.
    legacy.use((_req, res) => {
      res.writeHead(200, { ...aiChatHeaders(), 'x-vercel-ai-ui-message-stream': `v1 ${TOKEN}` });
      res.write(`data: {"type":"start"}\n\ndata: {"type":"echo ${TOKEN} and more words after it"}\n\n`, () =>
        res.destroy(new Error(TOKEN)),
      );
    });
    const result = await dualRun.compare(
      'chat-dual-run',
      gate({ auth: 'access-token' }),
      context({ accessToken: TOKEN }),
    );
    expect(rust.requests[0]?.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(legacy.requests[0]?.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(result.status).toBe('fail');
    expect(result.reason).toContain('x-vercel-ai-ui-message-stream: rust v1, legacy v1 $TOKEN');
    expect(result.reason).toContain('event 2: rust start-step, legacy echo $TOKEN and more words af');
    expect(result.evidence).toContain('-H "authorization: Bearer $TOKEN"');
    expect(JSON.stringify(result)).not.toContain(TOKEN);
  });

  it('is an error when cancelled', async () => {
    const controller = new AbortController();
    controller.abort();
    const result = await dualRun.compare('chat-dual-run', gate(), context({ signal: controller.signal }));
    expect(result).toMatchObject({ status: 'error', reason: 'evaluation cancelled' });
  });
});
