import { HttpResponse, http } from 'msw';
import { beforeEach, describe, expect, it } from 'vitest';
import { httpGate } from '../../src/config/gates.ts';
import { createHttpGate } from '../../src/gates/providers/http.ts';
import { renderGate } from '../../src/gates/render.ts';
import {
  ACCESS_TOKEN,
  CANARY_URL,
  createFakeControlService,
  PUBLIC_URL,
} from '../helpers/fake-control-service.ts';
import { gateContext } from '../helpers/gate-context.ts';
import { useTwins } from '../helpers/msw.ts';

const service = createFakeControlService();
const server = useTwins(...service.handlers);
beforeEach(() => service.reset());

const provider = createHttpGate();
const gate = (input: Record<string, unknown>) => httpGate.parse({ kind: 'http', ...input });
const withToken = gateContext({ accessToken: ACCESS_TOKEN });

describe('health and readiness', () => {
  it('passes GET /healthz on the canary tag URL, showing status and latency', async () => {
    const result = await provider.evaluate(
      'healthz',
      gate({ path: '/healthz', expect: { status: 200, maxLatency: '2s' } }),
      gateContext(),
    );
    expect(result).toMatchObject({
      gate: 'healthz',
      kind: 'http',
      status: 'pass',
      metric: 'GET /healthz',
      observed: { value: 200, unit: 'status' },
      threshold: 'status 200, within 2s',
      samples: 1,
      evidence: `curl -sS -i '${CANARY_URL}/healthz' --max-time 10`,
      at: '2026-11-02T10:10:00.000Z',
    });
    expect(result.latencyMs).toBeGreaterThanOrEqual(0);
    expect(renderGate(result)).toMatch(
      /^GET \/healthz 200 in \d+ ms \(expected status 200, within 2s\): pass$/,
    );
    expect(service.requests).toEqual([{ method: 'GET', url: `${CANARY_URL}/healthz`, authorization: null }]);
  });

  it('fails a 503 naming the expected status and what the service said', async () => {
    service.state.healthy = false;
    const result = await provider.evaluate('healthz', gate({ path: '/healthz' }), gateContext());
    expect(result).toMatchObject({
      status: 'fail',
      observed: { value: 503 },
      reason: 'expected status 200; body "upstream database unavailable"',
    });
    expect(renderGate(result)).toMatch(
      /^GET \/healthz 503 in \d+ ms \(expected status 200; body "upstream database unavailable"\): FAIL$/,
    );
  });

  it('checks /readyz, and takes the public URL when the gate targets it', async () => {
    service.state.ready = false;
    const ready = gate({ path: '/readyz', target: 'public', expect: { body: { json: { ready: true } } } });
    expect(await provider.evaluate('readyz', ready, gateContext())).toMatchObject({
      status: 'fail',
      reason: 'expected status 200; body "{"ready":false}"',
      evidence: expect.stringContaining(`'${PUBLIC_URL}/readyz'`),
    });
    service.state.ready = true;
    expect(await provider.evaluate('readyz', ready, gateContext())).toMatchObject({ status: 'pass' });
  });

  it('accepts one of several statuses', async () => {
    const email = gate({
      method: 'POST',
      path: '/api/auth/email',
      body: { email: 'canary-smoke@openagents.com' },
      expect: { status: [200, 202] },
    });
    const result = await provider.evaluate('auth-email', email, gateContext());
    expect(result).toMatchObject({
      status: 'pass',
      observed: { value: 202 },
      threshold: 'status 200 or 202',
    });
    expect(result.evidence).toBe(
      `curl -sS -i -X POST '${CANARY_URL}/api/auth/email' -H 'content-type: application/json'` +
        ` --data '{"email":"canary-smoke@openagents.com"}' --max-time 10`,
    );
  });
});

describe('the static host policy of seed 002', () => {
  const manifest = gate({
    path: '/manifest.json',
    expect: {
      headers: { 'content-type': { matches: '^application/(manifest\\+)?json' } },
      body: { json: { name: 'OpenAgents', start_url: '/' } },
    },
  });
  const sw = gate({
    path: '/sw.js',
    expect: { headers: { 'cache-control': { matches: 'no-cache|no-store|max-age=0' } } },
  });
  const asset = gate({
    path: '/assets/app.abc123.js',
    expect: {
      headers: { 'cache-control': { matches: 'max-age=31536000' }, 'x-powered-by': { absent: true } },
    },
  });
  const assetImmutable = gate({
    path: '/assets/app.abc123.js',
    expect: { headers: { 'cache-control': { contains: 'immutable' } } },
  });

  it('passes a well-served manifest, service worker and hashed asset', async () => {
    for (const g of [manifest, sw, asset, assetImmutable]) {
      expect((await provider.evaluate('static', g, gateContext())).status).toBe('pass');
    }
  });

  it('fails a manifest served as HTML, naming the header and what was seen', async () => {
    service.state.manifestContentType = 'text/html; charset=utf-8';
    expect(await provider.evaluate('manifest', manifest, gateContext())).toMatchObject({
      status: 'fail',
      reason:
        'header content-type: expected to match /^application/(manifest\\+)?json/, saw "text/html; charset=utf-8"',
    });
  });

  it('fails a service worker that browsers may cache for a day', async () => {
    service.state.swCacheControl = 'public, max-age=86400';
    const result = await provider.evaluate('sw-cache', sw, gateContext());
    expect(result.status).toBe('fail');
    expect(renderGate(result)).toMatch(
      /^GET \/sw\.js 200 in \d+ ms \(header cache-control: expected to match \/no-cache\|no-store\|max-age=0\/, saw "public, max-age=86400"\): FAIL$/,
    );
  });

  it('fails a hashed asset that is not immutable for a year', async () => {
    service.state.assetCacheControl = 'public, max-age=600';
    expect(await provider.evaluate('asset', asset, gateContext())).toMatchObject({
      status: 'fail',
      reason: 'header cache-control: expected to match /max-age=31536000/, saw "public, max-age=600"',
    });
    expect(await provider.evaluate('asset', assetImmutable, gateContext())).toMatchObject({
      status: 'fail',
      reason: 'header cache-control: expected to contain "immutable", saw "public, max-age=600"',
    });
  });

  it('reports an exact header value and a missing header', async () => {
    const exact = gate({ path: '/sw.js', expect: { headers: { 'content-type': 'text/javascript' } } });
    expect(await provider.evaluate('sw-type', exact, gateContext())).toMatchObject({
      reason: 'header content-type: expected "text/javascript", saw "application/javascript"',
    });
    const missing = gate({ path: '/sw.js', expect: { headers: { etag: { contains: 'W/' } } } });
    expect(await provider.evaluate('sw-etag', missing, gateContext())).toMatchObject({
      reason: 'header etag: expected to contain "W/", missing',
    });
  });

  it('fails a header that must be absent', async () => {
    server.use(
      http.get(`${CANARY_URL}/assets/app.abc123.js`, () =>
        HttpResponse.text('x', {
          headers: { 'cache-control': 'max-age=31536000, immutable', 'x-powered-by': 'Express' },
        }),
      ),
    );
    expect(await provider.evaluate('asset', asset, gateContext())).toMatchObject({
      status: 'fail',
      reason: 'header x-powered-by: expected absent, saw "Express"',
    });
  });
});

describe('authenticated checks of seed 000', () => {
  const session = gate({ path: '/api/auth/session', auth: 'access-token' });
  const syncToken = gate({
    method: 'POST',
    path: '/api/sync/token',
    auth: 'access-token',
    body: { scopes: ['runtime.codex_worker_events'] },
    expect: { status: 200, body: { contains: 'token' } },
  });
  const policy = (scope: string, allowed: boolean) =>
    gate({
      method: 'POST',
      path: '/api/policy/authorize',
      auth: 'access-token',
      body: { scope },
      expect: { status: [200, 403], body: { json: { allowed } } },
    });

  it('sends the access token as a bearer token and passes session, sync token and policy checks', async () => {
    expect(await provider.evaluate('auth-session', session, withToken)).toMatchObject({ status: 'pass' });
    expect(await provider.evaluate('sync-token', syncToken, withToken)).toMatchObject({ status: 'pass' });
    expect(
      await provider.evaluate('policy-allow', policy('l402.paywalls.read', true), withToken),
    ).toMatchObject({ status: 'pass' });
    expect(
      await provider.evaluate('policy-deny', policy('admin.billing.write', false), withToken),
    ).toMatchObject({ status: 'pass' });
    expect(service.requests.map((r) => r.authorization)).toEqual(Array(4).fill(`Bearer ${ACCESS_TOKEN}`));
  });

  it('fails a policy answer with the wrong semantics, showing the value seen', async () => {
    const result = await provider.evaluate('policy-deny', policy('l402.paywalls.read', false), withToken);
    expect(result).toMatchObject({ status: 'fail', reason: 'body allowed: expected false, saw true' });
    const missing = gate({
      path: '/api/auth/session',
      auth: 'access-token',
      expect: { body: { json: { 'user.id': 'u1', 'user.email': 'x' } } },
    });
    expect(await provider.evaluate('s', missing, withToken)).toMatchObject({
      reason: 'body user.id: expected "u1", missing',
    });
  });

  it('is skipped without a configured token, and sends nothing', async () => {
    const result = await provider.evaluate('auth-session', session, gateContext());
    expect(result).toMatchObject({
      status: 'skipped',
      reason: 'no access token is configured for this environment',
      samples: 0,
    });
    expect(result.observed).toBeUndefined();
    expect(renderGate(result)).toBe(
      'GET /api/auth/session: skipped (no access token is configured for this environment)',
    );
    expect(service.requests).toEqual([]);
  });

  it('fails on a rejected token without ever writing the token into the result', async () => {
    const result = await provider.evaluate(
      'auth-session',
      session,
      gateContext({ accessToken: 'stale-token' }),
    );
    expect(result).toMatchObject({ status: 'fail', observed: { value: 401 } });
    expect(result.reason).toBe('expected status 200; body "{"message":"Unauthenticated."}"');
    expect(JSON.stringify(result)).not.toContain('stale-token');
  });

  it('writes $TOKEN in the evidence, and redacts a token the service echoes back', async () => {
    service.state.echoAuthorization = true;
    const strict = gate({
      path: '/api/auth/session',
      auth: 'access-token',
      expect: { body: { matches: '^\\{"user":\\{[^}]*\\}\\}$' } },
    });
    const result = await provider.evaluate('auth-session', strict, withToken);
    expect(result.status).toBe('fail');
    expect(result.evidence).toBe(
      `curl -sS -i '${CANARY_URL}/api/auth/session' -H "authorization: Bearer $TOKEN" --max-time 10`,
    );
    expect(result.reason).toContain('Bearer $TOKEN');
    expect(JSON.stringify(result)).not.toContain(ACCESS_TOKEN);
    expect(renderGate(result)).not.toContain(ACCESS_TOKEN);
  });
});

describe('what cannot be measured is an error, not a fail', () => {
  it('times out after the gate timeout', async () => {
    service.state.slowMs = 'infinite';
    const result = await provider.evaluate('slow', gate({ path: '/slow', timeout: '200ms' }), gateContext());
    expect(result).toMatchObject({ status: 'error', reason: 'timed out after 200ms', samples: 0 });
    expect(renderGate(result)).toBe('GET /slow could not be measured: timed out after 200ms: ERROR');
  });

  it('is unreachable when the connection fails', async () => {
    server.use(http.get(`${CANARY_URL}/healthz`, () => HttpResponse.error()));
    const result = await provider.evaluate('healthz', gate({ path: '/healthz' }), gateContext());
    expect(result.status).toBe('error');
    expect(result.reason).toMatch(new RegExp(`^${CANARY_URL}/healthz could not be reached \\(.+\\)$`));
  });

  it('needs a canary tag URL to probe the canary', async () => {
    const result = await provider.evaluate(
      'healthz',
      gate({ path: '/healthz' }),
      gateContext({ canaryUrl: undefined }),
    );
    expect(result).toMatchObject({
      status: 'error',
      reason: 'the rollout has no canary tag URL yet, so the canary cannot be probed',
    });
    expect(service.requests).toEqual([]);
  });
});

describe('the latency bound', () => {
  it('fails an answer slower than maxLatency, showing how long it took', async () => {
    // A scripted clock: 2.5 s between the request and the end of the body, without waiting for it.
    const ticks = [1_000, 3_500];
    const timed = createHttpGate({ clock: () => ticks.shift() ?? 0 });
    const result = await timed.evaluate(
      'healthz',
      gate({ path: '/healthz', expect: { maxLatency: '2s' } }),
      gateContext(),
    );
    expect(result).toMatchObject({ status: 'fail', latencyMs: 2_500, reason: 'expected within 2s' });
    expect(renderGate(result)).toBe('GET /healthz 200 in 2,500 ms (expected within 2s): FAIL');
  });

  it('measures a really slow endpoint against the bound', async () => {
    service.state.slowMs = 300;
    const result = await provider.evaluate(
      'slow',
      gate({ path: '/slow', expect: { maxLatency: '100ms' } }),
      gateContext(),
    );
    expect(result.status).toBe('fail');
    expect(result.latencyMs).toBeGreaterThanOrEqual(290);
  });
});
