import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

// /healthz (alive while the process lives) and /readyz (only when Redis answers): served by the Bolt app's
// receiver, and on their own by a worker-only replica, which has no Slack endpoint but must listen on PORT
// for Cloud Run.

export type NotReady = () => Promise<string | undefined>;

function json(res: ServerResponse, status: number, body: object): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

export const healthz = (_req: IncomingMessage, res: ServerResponse) => json(res, 200, { ok: true });

export function readyz(notReady: NotReady) {
  return (_req: IncomingMessage, res: ServerResponse) => {
    notReady().then(
      (why) => json(res, why ? 503 : 200, why ? { ok: false, why } : { ok: true }),
      (error: unknown) => json(res, 503, { ok: false, why: (error as Error).message }),
    );
  };
}

export type Scrape = () => Promise<{ contentType: string; body: string }>;

/** GET /metrics: the Prometheus text of this replica. */
export function metricsRoute(scrape: Scrape) {
  return (_req: IncomingMessage, res: ServerResponse) => {
    scrape().then(
      ({ contentType, body }) => {
        res.writeHead(200, { 'content-type': contentType });
        res.end(body);
      },
      (error: unknown) => json(res, 500, { ok: false, why: (error as Error).message }),
    );
  };
}

/** The health routes (and /metrics) alone, for a worker replica. */
export async function serveHealth(
  port: number,
  notReady: NotReady,
  host?: string,
  scrape?: Scrape,
): Promise<Server> {
  const ready = readyz(notReady);
  const metrics = scrape ? metricsRoute(scrape) : undefined;
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (req.method === 'GET' && path === '/healthz') healthz(req, res);
    else if (req.method === 'GET' && path === '/readyz') ready(req, res);
    else if (req.method === 'GET' && path === '/metrics' && metrics) metrics(req, res);
    else json(res, 404, { ok: false, why: 'a worker replica serves /healthz, /readyz and /metrics only' });
  });
  // A port in use is a start-up error (one line), not an uncaught exception.
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return server;
}
