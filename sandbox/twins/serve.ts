import { createServer, type Server } from 'node:http';
import { getResponse, type RequestHandler } from 'msw';

// Serves msw handlers over real HTTP on loopback (the sandbox, the benchmarks, tests of a whole process):
// each request becomes a Fetch Request run through msw 3's getResponse (platform-facts.md, "Serving msw
// handlers over real HTTP"). The handler list may be filled after the server starts (the twins need the
// origin to build their URLs). A handler that throws is answered 500 with its message.

export interface Served {
  server: Server;
  /** http://127.0.0.1:PORT */
  origin: string;
  close(): Promise<void>;
}

export async function serveHandlers(handlers: RequestHandler[], port = 0): Promise<Served> {
  const server = createServer(async (req, res) => {
    try {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const body = Buffer.concat(chunks);
      const request = new Request(`http://${req.headers.host}${req.url}`, {
        method: req.method ?? 'GET',
        headers: Object.entries(req.headers).flatMap(([k, v]) =>
          v === undefined ? [] : (Array.isArray(v) ? v : [v]).map((one) => [k, one] as [string, string]),
        ),
        ...(body.length > 0 && req.method !== 'GET' && req.method !== 'HEAD' ? { body } : {}),
      });
      const response =
        (await getResponse(handlers, request)) ?? new Response('no twin answers this', { status: 404 });
      const bytes = Buffer.from(await response.arrayBuffer());
      res.writeHead(response.status, Object.fromEntries(response.headers));
      res.end(bytes);
    } catch (error) {
      // A throwing handler, or a request that broke off: one answer fails, never the server.
      if (res.headersSent || res.destroyed) res.destroy();
      else
        res
          .writeHead(500, { 'content-type': 'text/plain; charset=utf-8' })
          .end(error instanceof Error ? error.message : String(error));
    }
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('the twin server has no port');
  return {
    server,
    origin: `http://127.0.0.1:${address.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
