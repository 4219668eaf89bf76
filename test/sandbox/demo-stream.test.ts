import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseJsonEventStream, uiMessageChunkSchema } from 'ai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Child, startNodeChild } from '../../sandbox/children.ts';
import { sseContractGate } from '../../src/config/gates.ts';
import { createDualRun } from '../../src/gates/dual-run.ts';
import { createSseContractGate } from '../../src/gates/providers/sse-contract.ts';
import type { GateContext, GateOf } from '../../src/gates/result.ts';

// The demo service's chat stream aliases (seed 004) and the legacy service of the sandbox's dual-run,
// as real processes: the good build keeps the stream contract, the bad one breaks it with status 200,
// the legacy one keeps it in its own chunking, and the dual-run sees good and legacy as the same.

type Line = { origin: string; build: string };
let dir: string;
const children: Child<Line>[] = [];
const origins: Record<'good' | 'bad' | 'legacy', string> = { good: '', bad: '', legacy: '' };

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'shiftgate-demo-stream-'));
  const script = (file: string) => fileURLToPath(new URL(`../../sandbox/demo/${file}`, import.meta.url));
  const started = await Promise.all(
    (['good', 'bad', 'legacy'] as const).map((build) =>
      startNodeChild<Line>(
        build === 'legacy' ? script('legacy.ts') : script('app.ts'),
        build === 'legacy' ? [] : [build],
        { env: { PATH: process.env.PATH }, logFile: join(dir, `${build}.log`) },
      ),
    ),
  );
  children.push(...started);
  for (const child of started) origins[child.line.build as keyof typeof origins] = child.line.origin;
}, 30_000);

afterAll(async () => {
  await Promise.all(children.map((child) => child.stop()));
  await rm(dir, { recursive: true, force: true });
});

const ALIASES = ['/api/chat/stream', '/api/chats/thread-42/stream'];

function gate(path: string): GateOf<'sse-contract'> {
  return sseContractGate.parse({
    kind: 'sse-contract',
    path,
    body: { id: 'smoke', messages: [{ role: 'user', parts: [{ type: 'text', text: 'ping' }] }] },
    timeout: '10s',
  });
}

function context(url: string): GateContext {
  return {
    project: 'shiftgate-sandbox',
    region: 'us-central1',
    service: 'demo',
    publicUrl: url,
    canaryUrl: url,
    stableRevision: 'demo-00001-abc',
    canaryRevision: 'demo-00002-def',
    canaryShare: 0.05,
    window: { start: new Date(), end: new Date() },
    alpha: 0.01,
    now: () => new Date(),
  };
}

const contract = createSseContractGate();

describe('the demo stream aliases', () => {
  it.each(ALIASES)('keep the stream contract on the good build and the legacy service (%s)', async (path) => {
    for (const build of ['good', 'legacy'] as const) {
      const result = await contract.evaluate('chat-stream', gate(path), context(origins[build]));
      expect({ build, status: result.status, reason: result.reason }).toMatchObject({
        build,
        status: 'pass',
      });
    }
  });

  it('send the contract headers and a stream the ai client reads', async () => {
    const response = await fetch(`${origins.good}/api/chat/stream`, { method: 'POST', body: '{}' });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/event-stream');
    expect(response.headers.get('x-vercel-ai-ui-message-stream')).toBe('v1');
    expect(response.headers.get('cache-control')).toBe('no-cache');
    const types: string[] = [];
    const reader = parseJsonEventStream({
      stream: response.body as ReadableStream,
      schema: uiMessageChunkSchema,
    }).getReader();
    for (let next = await reader.read(); !next.done; next = await reader.read()) {
      if (!next.value.success) throw next.value.error;
      types.push(next.value.value.type);
    }
    expect(types.filter((type, i) => type !== types[i - 1])).toEqual([
      'start',
      'start-step',
      'text-start',
      'text-delta',
      'text-end',
      'finish-step',
      'finish',
    ]);

    const legacy = await fetch(`${origins.legacy}/api/chats/1/stream`, { method: 'POST', body: '{}' });
    expect(legacy.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(legacy.headers.get('x-vercel-ai-ui-message-stream')).toBe('v1');
    expect(legacy.headers.get('cache-control')).toBe('no-cache');
    expect(await legacy.text()).toMatch(/data: \[DONE\]\n\n$/);
  });

  it('break the contract on the bad build, with status 200', async () => {
    const result = await contract.evaluate('chat-stream', gate('/api/chats/x/stream'), context(origins.bad));
    expect(result.status).toBe('fail');
    expect(result.reason).toMatch(
      /^missing "finish-step" after event 2 \("start-step"\); 2 \[DONE\] markers/,
    );
    expect((await fetch(`${origins.bad}/api/chat/stream`, { method: 'POST' })).status).toBe(200);
  });

  it('answer POST only, and leave health and the other paths as they were', async () => {
    const get = await fetch(`${origins.good}/api/chat/stream`);
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
    expect(
      (await fetch(`${origins.good}/api/chats//stream`, { method: 'POST' })).headers.get('content-type'),
    ).toBe('application/json');
    expect(await (await fetch(`${origins.bad}/healthz`)).json()).toMatchObject({ ok: true, build: 'bad' });
    expect(await (await fetch(`${origins.legacy}/readyz`)).json()).toEqual({ ok: true, build: 'legacy' });
    expect((await fetch(`${origins.legacy}/api/items`)).status).toBe(404);
  });
});

describe('the sandbox dual-run', () => {
  const dualRun = createDualRun();
  const now = () => new Date();

  it.each(ALIASES)('sees the good build and the legacy service as the same (%s)', async (path) => {
    const result = await dualRun.compare('dual-run', gate(path), {
      rustUrl: origins.good,
      legacyUrl: origins.legacy,
      now,
    });
    expect(result).toMatchObject({ status: 'pass', observed: { value: 'identical: 200, 8 events' } });
  });

  it('tells the bad build from the legacy service by its events alone', async () => {
    const result = await dualRun.compare('dual-run', gate('/api/chat/stream'), {
      rustUrl: origins.bad,
      legacyUrl: origins.legacy,
      now,
    });
    expect(result).toMatchObject({
      status: 'fail',
      observed: { value: '1 difference' },
      reason: 'event 6: rust finish, legacy finish-step; event 7: rust [DONE], legacy finish',
    });
  });
});
