import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

// /healthz (alive while the process lives), /readyz (only when Redis answers) and /metrics (Prometheus
// text): one list of routes, served by the Bolt app's receiver as its custom routes, and on their own by a
// worker-only replica, which has no Slack endpoint but must listen on PORT for Cloud Run.

export type NotReady = () => Promise<string | undefined>;
export type Scrape = () => Promise<{ contentType: string; body: string }>;

/** Bolt's CustomRoute shape: GET routes with a plain node:http handler. */
export interface HealthRoute {
  path: string;
  method: ['GET'];
  handler: (req: IncomingMessage, res: ServerResponse) => void;
}

function json(res: ServerResponse, status: number, body: object): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

export function healthRoutes(notReady: NotReady, scrape?: Scrape): HealthRoute[] {
  const routes: HealthRoute[] = [
    { path: '/healthz', method: ['GET'], handler: (_req, res) => json(res, 200, { ok: true }) },
    {
      path: '/readyz',
      method: ['GET'],
      handler: (_req, res) => {
        notReady().then(
          (why) => json(res, why ? 503 : 200, why ? { ok: false, why } : { ok: true }),
          (error: unknown) => json(res, 503, { ok: false, why: (error as Error).message }),
        );
      },
    },
  ];
  if (scrape) {
    routes.push({
      path: '/metrics',
      method: ['GET'],
      handler: (_req, res) => {
        scrape().then(
          ({ contentType, body }) => {
            res.writeHead(200, { 'content-type': contentType });
            res.end(body);
          },
          (error: unknown) => json(res, 500, { ok: false, why: (error as Error).message }),
        );
      },
    });
  }
  return routes;
}

/** The health routes (and /metrics) alone, for a worker replica. */
export async function serveHealth(
  port: number,
  notReady: NotReady,
  host?: string,
  scrape?: Scrape,
): Promise<Server> {
  const routes = healthRoutes(notReady, scrape);
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const route = req.method === 'GET' ? routes.find((r) => r.path === path) : undefined;
    if (route) route.handler(req, res);
    else
      json(res, 404, {
        ok: false,
        why: `a worker replica serves ${routes.map((r) => r.path).join(', ')} only`,
      });
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
