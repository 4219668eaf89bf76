import { createHmac } from 'node:crypto';
import { HttpResponse, http } from 'msw';
import { beforeEach, describe, expect, it } from 'vitest';
import { httpGate } from '../../src/config/gates.ts';
import { createHttpGate } from '../../src/gates/providers/http.ts';
import { createGateRegistry } from '../../src/gates/registry.ts';
import { renderGate } from '../../src/gates/render.ts';
import { createSecretResolver } from '../../src/platform/secret-manager/index.ts';
import { gateContext } from '../helpers/gate-context.ts';
import { useTwins } from '../helpers/msw.ts';

// Maintenance-window smokes of seed 001: the http gate sends the maintenance bypass token (a secret
// reference), in a header or through the control service's cookie bootstrap (/?maintenance_bypass=<token>
// answers 307 with a signed oa_maintenance_bypass cookie), and with expectWithoutBypass sends the same
// request without it and expects the maintenance page. The token never appears in a result.

const BASE = 'https://openagents-control-service-staging-ezxz4mgdsq-uc.a.run.app';
const TOKEN = 'maint-bypass-s3cr3t/+token';
const COOKIE = 'oa_maintenance_bypass';
const signed = createHmac('sha256', 'cookie-key').update('bypass').digest('hex');

// The control service in maintenance mode, as its staging rehearsal report describes it.
const state = { maintenance: true, echoBypass: false };
const seen: { url: string; bypassHeader: string | null; cookie: string | null }[] = [];

function bypassed(request: Request): boolean {
  const header = request.headers.get('x-maintenance-bypass') ?? request.headers.get('x-oa-bypass');
  const cookie = request.headers.get('cookie') ?? '';
  return header === TOKEN || cookie.split(/;\s*/).includes(`${COOKIE}=${signed}`);
}

useTwins(
  http.all(`${BASE}/*`, ({ request }) => {
    seen.push({
      url: request.url,
      bypassHeader: request.headers.get('x-maintenance-bypass') ?? request.headers.get('x-oa-bypass'),
      cookie: request.headers.get('cookie'),
    });
    const url = new URL(request.url);
    if (url.pathname === '/' && url.searchParams.has('maintenance_bypass')) {
      if (url.searchParams.get('maintenance_bypass') !== TOKEN) {
        return HttpResponse.text(`invalid bypass token ${url.searchParams.get('maintenance_bypass')}`, {
          status: 403,
        });
      }
      return new HttpResponse(null, {
        status: 307,
        headers: {
          location: '/',
          'set-cookie': `${COOKIE}=${signed}; HttpOnly; Secure; SameSite=Lax; Max-Age=900`,
        },
      });
    }
    if (url.pathname === '/readyz') return HttpResponse.json({ ready: true }); // allowed during maintenance
    if (state.maintenance && !bypassed(request)) {
      return HttpResponse.html('<h1>OpenAgents is down for maintenance</h1>', {
        status: 503,
        headers: { 'retry-after': '120' },
      });
    }
    if (state.echoBypass) {
      return HttpResponse.text(`debug: bypass ${request.headers.get('x-maintenance-bypass')}`, {
        status: 500,
      });
    }
    if (url.pathname === '/manifest.json') {
      return HttpResponse.json({ manifestVersion: 'openagents.webshell.v2' });
    }
    return HttpResponse.text('<!doctype html><title>OpenAgents</title>');
  }),
);
beforeEach(() => {
  Object.assign(state, { maintenance: true, echoBypass: false });
  seen.length = 0;
});

const secrets = createSecretResolver({ env: { MAINTENANCE_BYPASS_TOKEN: TOKEN } });
const provider = createHttpGate({ secrets });
const ctx = gateContext({ canaryUrl: BASE, publicUrl: BASE });
const gate = (input: Record<string, unknown>) => httpGate.parse({ kind: 'http', ...input });
const bypass = { token: 'env:MAINTENANCE_BYPASS_TOKEN' };
const leaks = (value: unknown) => {
  const text = JSON.stringify(value);
  return text.includes(TOKEN) || text.includes(encodeURIComponent(TOKEN));
};

describe('the bypass token in a header', () => {
  it('sends the token, passes behind the maintenance page, and writes $BYPASS_TOKEN in the evidence', async () => {
    const result = await provider.evaluate('manifest', gate({ path: '/manifest.json', bypass }), ctx);
    expect(result).toMatchObject({
      status: 'pass',
      observed: { value: 200, unit: 'status' },
      threshold: 'status 200 with the maintenance bypass',
      samples: 1,
      evidence: `curl -sS -i '${BASE}/manifest.json' -H "x-maintenance-bypass: $BYPASS_TOKEN" --max-time 10`,
    });
    expect(seen).toEqual([{ url: `${BASE}/manifest.json`, bypassHeader: TOKEN, cookie: null }]);
    expect(leaks(result)).toBe(false);
  });

  it('takes the header the service reads', async () => {
    const result = await provider.evaluate(
      'home',
      gate({ path: '/', bypass: { ...bypass, header: 'x-oa-bypass' } }),
      ctx,
    );
    expect(result.status).toBe('pass');
    expect(result.evidence).toContain('-H "x-oa-bypass: $BYPASS_TOKEN"');
    expect(seen[0]?.bypassHeader).toBe(TOKEN);
  });

  it('redacts the token from whatever the service echoes', async () => {
    state.echoBypass = true;
    const result = await provider.evaluate('home', gate({ path: '/', bypass }), ctx);
    expect(result).toMatchObject({
      status: 'fail',
      reason: 'expected status 200; body "debug: bypass $BYPASS_TOKEN"',
    });
    expect(leaks(result)).toBe(false);
  });

  it('fails with the maintenance page when the service does not take the token', async () => {
    const wrong = createHttpGate({
      secrets: createSecretResolver({ env: { MAINTENANCE_BYPASS_TOKEN: 'stale' } }),
    });
    const result = await wrong.evaluate('home', gate({ path: '/', bypass }), ctx);
    expect(result).toMatchObject({
      status: 'fail',
      observed: { value: 503 },
      reason: 'expected status 200; body "<h1>OpenAgents is down for maintenance</h1>"',
    });
  });
});

describe('the maintenance answer without the bypass', () => {
  const both = gate({
    path: '/',
    bypass,
    expectWithoutBypass: { headers: { 'retry-after': '120' }, body: { contains: 'down for maintenance' } },
  });

  it('sends the same request again without the token and expects the 503 maintenance page', async () => {
    const result = await provider.evaluate('home-maintenance', both, ctx);
    expect(result).toMatchObject({
      status: 'pass',
      observed: { value: 200 },
      samples: 2,
      threshold: 'status 200 with the maintenance bypass; without it status 503, 1 header rule, body rules',
      evidence: `curl -sS -i '${BASE}/' -H "x-maintenance-bypass: $BYPASS_TOKEN" --max-time 10 ; curl -sS -i '${BASE}/' --max-time 10`,
    });
    expect(seen).toEqual([
      { url: `${BASE}/`, bypassHeader: TOKEN, cookie: null },
      { url: `${BASE}/`, bypassHeader: null, cookie: null },
    ]);
    expect(renderGate(result)).toMatch(
      /^GET \/ 200 in \d+ ms \(expected status 200 with the maintenance bypass; without it status 503, 1 header rule, body rules\): pass$/,
    );
    expect(leaks(result)).toBe(false);
  });

  it('fails when maintenance mode is off, saying what answered without the bypass', async () => {
    state.maintenance = false;
    const result = await provider.evaluate('home-maintenance', both, ctx);
    expect(result).toMatchObject({
      status: 'fail',
      observed: { value: 200 },
      reason:
        'without the bypass got 200: expected status 503; body "<!doctype html><title>OpenAgents</title>"',
    });
  });
});

describe("the control service's cookie bootstrap", () => {
  const viaCookie = gate({
    path: '/manifest.json',
    bypass: { ...bypass, bootstrap: {} },
    expect: { body: { json: { manifestVersion: 'openagents.webshell.v2' } } },
    expectWithoutBypass: {},
  });

  it('trades the token for the bypass cookie, then sends the cookie and not the token', async () => {
    const result = await provider.evaluate('manifest', viaCookie, ctx);
    expect(result).toMatchObject({ status: 'pass', samples: 2 });
    expect(seen).toEqual([
      { url: `${BASE}/?maintenance_bypass=${encodeURIComponent(TOKEN)}`, bypassHeader: null, cookie: null },
      { url: `${BASE}/manifest.json`, bypassHeader: null, cookie: `${COOKIE}=${signed}` },
      { url: `${BASE}/manifest.json`, bypassHeader: null, cookie: null },
    ]);
    expect(result.evidence).toBe(
      `curl -sS -o /dev/null -c 'bypass.jar' "${BASE}/?maintenance_bypass=$BYPASS_TOKEN" && curl -sS -i '${BASE}/manifest.json' -b 'bypass.jar' --max-time 10 ; curl -sS -i '${BASE}/manifest.json' --max-time 10`,
    );
    expect(leaks(result)).toBe(false);
  });

  it('says the bootstrap set no cookie when the service refused the token', async () => {
    const wrong = createHttpGate({
      secrets: createSecretResolver({ env: { MAINTENANCE_BYPASS_TOKEN: 'stale/token' } }),
    });
    const result = await wrong.evaluate('manifest', viaCookie, ctx);
    expect(result).toMatchObject({
      status: 'fail',
      observed: { value: 503 },
      reason:
        'expected status 200; body "<h1>OpenAgents is down for maintenance</h1>"; the bypass bootstrap GET /?maintenance_bypass=... answered 403 and set no cookie',
    });
  });
});

describe('reading the token', () => {
  it('is an error naming the reference when the secret cannot be read, and sends nothing', async () => {
    const result = await provider.evaluate(
      'home',
      gate({ path: '/', bypass: { token: 'env:NOT_SET_ANYWHERE' } }),
      ctx,
    );
    expect(result).toMatchObject({
      status: 'error',
      reason:
        'the maintenance bypass token could not be read: env:NOT_SET_ANYWHERE: the environment variable NOT_SET_ANYWHERE is not set',
    });
    expect(seen).toEqual([]);
  });

  it('is an error without a secret resolver', async () => {
    const result = await createGateRegistry().evaluate('home', gate({ path: '/', bypass }), ctx);
    expect(result).toMatchObject({
      status: 'error',
      reason: 'env:MAINTENANCE_BYPASS_TOKEN: no secret resolver is configured',
    });
  });

  it('reaches the http provider through the registry', async () => {
    const result = await createGateRegistry({ secrets }).evaluate('home', gate({ path: '/', bypass }), ctx);
    expect(result.status).toBe('pass');
    expect(seen[0]?.bypassHeader).toBe(TOKEN);
  });
});

describe('the config', () => {
  it('refuses a token written in plain text', () => {
    const parsed = httpGate.safeParse({ kind: 'http', path: '/', bypass: { token: TOKEN } });
    expect(parsed.success).toBe(false);
    expect(JSON.stringify(parsed.error?.issues)).toContain('never put a token itself in the config file');
  });

  it('refuses expectWithoutBypass without a bypass, and a header with a bootstrap', () => {
    expect(
      httpGate.safeParse({ kind: 'http', path: '/', expectWithoutBypass: {} }).error?.issues,
    ).toMatchObject([{ path: ['expectWithoutBypass'], message: expect.stringContaining('needs bypass') }]);
    expect(
      httpGate.safeParse({ kind: 'http', path: '/', bypass: { ...bypass, header: 'x-a', bootstrap: {} } })
        .error?.issues,
    ).toMatchObject([{ path: ['bypass', 'bootstrap'], message: 'set header or bootstrap, not both' }]);
  });

  it('defaults the maintenance answer to 503 and the bootstrap to /?maintenance_bypass=', () => {
    const parsed = gate({ path: '/', bypass: { ...bypass, bootstrap: {} }, expectWithoutBypass: {} });
    expect(parsed.expectWithoutBypass).toEqual({ status: 503 });
    expect(parsed.bypass?.bootstrap).toEqual({ path: '/', query: 'maintenance_bypass' });
    expect(parsed.expect).toEqual({ status: 200 });
  });
});
