import { delay, HttpResponse, http, type RequestHandler } from 'msw';

// A small stateful stand-in for the control service behind the http gates: health and readiness, the
// static host policy of seed 002 (manifest.json, sw.js, an immutable hashed asset), and the seed 000
// auth, sync-token, route-split and policy endpoints that want a bearer token. Tests flip `state` to
// break one thing at a time.

export const CANARY_URL = 'https://canary---control-abc123-uc.a.run.app';
export const PUBLIC_URL = 'https://control.example.test';
export const ACCESS_TOKEN = 'control-access-token-s3cr3t';

export interface ControlServiceState {
  healthy: boolean;
  ready: boolean;
  swCacheControl: string;
  assetCacheControl: string;
  manifestContentType: string;
  /** Delay of GET /slow in ms, or 'infinite'. */
  slowMs: number | 'infinite';
  /** A misbehaving debug mode that echoes the caller's authorization header in the session body. */
  echoAuthorization: boolean;
}

const DEFAULT_STATE: ControlServiceState = {
  healthy: true,
  ready: true,
  swCacheControl: 'no-cache, no-store, must-revalidate',
  assetCacheControl: 'public, max-age=31536000, immutable',
  manifestContentType: 'application/manifest+json',
  slowMs: 0,
  echoAuthorization: false,
};

const OPERATOR_SCOPES = new Set(['l402.paywalls.read', 'runtime.codex_worker_events']);

export function createFakeControlService(origins: string[] = [CANARY_URL, PUBLIC_URL]) {
  const state: ControlServiceState = { ...DEFAULT_STATE };
  const requests: { method: string; url: string; authorization: string | null }[] = [];

  const authorized = (request: Request) => request.headers.get('authorization') === `Bearer ${ACCESS_TOKEN}`;
  const unauthenticated = () => HttpResponse.json({ message: 'Unauthenticated.' }, { status: 401 });

  const routes = (origin: string): RequestHandler[] => [
    http.all(`${origin}/*`, ({ request }) => {
      requests.push({
        method: request.method,
        url: request.url,
        authorization: request.headers.get('authorization'),
      });
      // Fall through to the route handlers below.
      return undefined;
    }),
    http.get(`${origin}/healthz`, () =>
      state.healthy
        ? HttpResponse.text('ok')
        : HttpResponse.text('upstream database unavailable', { status: 503 }),
    ),
    http.get(`${origin}/readyz`, () =>
      HttpResponse.json({ ready: state.ready }, { status: state.ready ? 200 : 503 }),
    ),
    http.get(`${origin}/manifest.json`, () =>
      HttpResponse.text(JSON.stringify({ name: 'OpenAgents', start_url: '/', display: 'standalone' }), {
        headers: { 'content-type': state.manifestContentType, 'cache-control': 'public, max-age=300' },
      }),
    ),
    http.get(`${origin}/sw.js`, () =>
      HttpResponse.text('self.addEventListener("fetch", () => {});', {
        headers: { 'content-type': 'application/javascript', 'cache-control': state.swCacheControl },
      }),
    ),
    http.get(`${origin}/assets/app.abc123.js`, () =>
      HttpResponse.text('console.log(1);', {
        headers: { 'content-type': 'application/javascript', 'cache-control': state.assetCacheControl },
      }),
    ),
    http.get(`${origin}/slow`, async () => {
      await delay(state.slowMs);
      return HttpResponse.text('finally');
    }),
    http.post(`${origin}/api/auth/email`, () => HttpResponse.json({ status: 'code_sent' }, { status: 202 })),
    http.post(`${origin}/api/auth/verify`, () =>
      HttpResponse.json({ message: 'Invalid code.', error: { code: 'invalid_code' } }, { status: 422 }),
    ),
    http.get(`${origin}/api/auth/session`, ({ request }) => {
      if (!authorized(request)) return unauthenticated();
      const debug = state.echoAuthorization ? { debug: request.headers.get('authorization') } : {};
      return HttpResponse.json({ user: { email: 'canary-smoke@openagents.com' }, ...debug });
    }),
    http.post(`${origin}/api/sync/token`, async ({ request }) => {
      if (!authorized(request)) return unauthenticated();
      const body = (await request.json()) as { scopes?: string[] };
      return HttpResponse.json({ token: 'sync_abc', scopes: body.scopes ?? [], expires_in: 300 });
    }),
    http.get(`${origin}/api/v1/control/route-split/status`, ({ request }) =>
      authorized(request) ? HttpResponse.json({ data: { enabled: true, mode: 'rust' } }) : unauthenticated(),
    ),
    http.post(`${origin}/api/v1/control/route-split/evaluate`, ({ request }) =>
      authorized(request)
        ? HttpResponse.json({ data: { path: '/', target: 'rust_shell', reason: 'mode_rust' } })
        : unauthenticated(),
    ),
    http.post(`${origin}/api/policy/authorize`, async ({ request }) => {
      if (!authorized(request)) return unauthenticated();
      const { scope } = (await request.json()) as { scope?: string };
      return HttpResponse.json({ allowed: OPERATOR_SCOPES.has(scope ?? ''), scope });
    }),
  ];

  return {
    handlers: origins.flatMap(routes),
    state,
    requests,
    reset() {
      Object.assign(state, DEFAULT_STATE);
      requests.length = 0;
    },
  };
}
