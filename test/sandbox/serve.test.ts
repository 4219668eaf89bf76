import { connect } from 'node:net';
import { HttpResponse, http, type RequestHandler } from 'msw';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type Served, serveHandlers } from '../../sandbox/twins/serve.ts';

// The twins' HTTP server (the sandbox, the benchmarks, whole-process tests): one bad request fails that
// request alone: a handler that throws is answered 500 with its message, a request that breaks off is
// dropped, and the server goes on serving.

let served: Served;
const handlers: RequestHandler[] = [
  http.get('*/ok', () => HttpResponse.json({ ok: true })),
  http.post('*/echo', async ({ request }) => HttpResponse.text(await request.text())),
  http.get('*/throws', () => {
    throw new Error('the twin broke');
  }),
];

beforeAll(async () => {
  served = await serveHandlers(handlers);
});
afterAll(() => served.close());

describe('serveHandlers', () => {
  it('answers 500 with the message of a handler that throws, and serves on', async () => {
    const broken = await fetch(`${served.origin}/throws`);
    expect(broken.status).toBe(500);
    expect(await broken.text()).toContain('the twin broke');
    const ok = await fetch(`${served.origin}/ok`);
    expect(await ok.json()).toEqual({ ok: true });
  });

  it('drops a request whose body breaks off, and serves on', async () => {
    const uncaught = vi.fn();
    process.on('uncaughtException', uncaught);
    process.on('unhandledRejection', uncaught);
    try {
      const { port } = new URL(served.origin);
      // Promises 100 bytes, sends 5, then goes.
      await new Promise<void>((resolve, reject) => {
        const socket = connect(Number(port), '127.0.0.1', () => {
          socket.write(
            'POST /echo HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain\r\nContent-Length: 100\r\n\r\nhello',
            () => {
              socket.destroy();
              resolve();
            },
          );
        });
        socket.on('error', reject);
      });
      // The server still answers, a whole request included.
      await vi.waitFor(
        async () => {
          const echo = await fetch(`${served.origin}/echo`, { method: 'POST', body: 'whole' });
          expect(await echo.text()).toBe('whole');
        },
        { timeout: 10_000 },
      );
      expect(uncaught).not.toHaveBeenCalled();
    } finally {
      process.off('uncaughtException', uncaught);
      process.off('unhandledRejection', uncaught);
    }
  });
});
