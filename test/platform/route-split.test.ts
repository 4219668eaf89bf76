import { beforeEach, describe, expect, it } from 'vitest';
import {
  ROUTE_SPLIT_TWIN_BASE_URL as BASE_URL,
  createRouteSplitTwin,
} from '../../sandbox/twins/route-split/index.ts';
import type { RouteSplitEvaluator } from '../../src/gates/ports/route-split.ts';
import { createRouteSplit } from '../../src/platform/route-split/index.ts';
import { PlatformError } from '../../src/runbooks/ports/errors.ts';
import type { RouteSplitControl } from '../../src/runbooks/ports/route-split.ts';
import { useTwins } from '../helpers/msw.ts';

const TOKEN = 'operator-token-s3cr3t';
const TOKEN_REF = 'sm://projects/p/secrets/control-access-token/versions/latest';
const twin = createRouteSplitTwin({ tokens: { [TOKEN]: 'operator', 'member-token': 'member' } });
useTwins(...twin.handlers);
beforeEach(() => twin.reset());

const routeSplit = createRouteSplit({
  baseUrl: BASE_URL,
  token: TOKEN,
  tokenSource: TOKEN_REF,
  timeoutMs: 2_000,
});

// One adapter, both ports: the runbooks' control and the gates' evaluate-only view.
const control: RouteSplitControl = routeSplit;
const evaluator: RouteSplitEvaluator = routeSplit;

describe('the route-split control API', () => {
  it('reads the status and evaluates a path with the bearer token', async () => {
    expect(await control.status()).toEqual({
      enabled: true,
      mode: 'rust',
      override: null,
      forceLegacy: false,
      cohortPercentage: 0,
      rustRoutes: ['/'],
      domainOverrides: {},
    });
    expect(await evaluator.evaluate('/login')).toEqual({
      path: '/login',
      target: 'rust_shell',
      reason: 'mode_rust',
      routeDomain: 'auth_entry',
      cohortKey: 'anonymous',
    });
    const [status, evaluate] = twin.recorder.requests;
    expect(status).toMatchObject({ method: 'GET', path: '/api/v1/control/route-split/status' });
    expect(evaluate).toMatchObject({ method: 'POST', body: { path: '/login' } });
    expect(evaluate?.headers.authorization).toBe(`Bearer ${TOKEN}`);
  });

  it('sends every path to legacy after the override of seed 000, and back after clearing it', async () => {
    const after = await control.override('legacy');
    expect(after.override).toBe('legacy');
    expect(twin.recorder.requests.at(-1)).toMatchObject({ method: 'POST', body: { target: 'legacy' } });
    for (const path of ['/login', '/onboarding/checklist', '/l402/paywalls', '/', '/chat/42']) {
      expect(await evaluator.evaluate(path)).toMatchObject({ target: 'legacy', reason: 'runtime_override' });
    }
    expect(twin.override).toBe('legacy');
    expect(twin.audit.filter((a) => a.event === 'route.split.override.updated')).toMatchObject([
      { subject: 'global', target: 'legacy', actor: 'operator' },
    ]);
    expect(twin.audit.filter((a) => a.event === 'route.split.decision')).toHaveLength(5);

    expect((await control.override('clear')).override).toBeNull();
    expect((await evaluator.evaluate('/login')).target).toBe('rust_shell');
  });

  it('overrides one route domain', async () => {
    const after = await control.override('legacy', { domain: 'billing-l402' });
    expect(after.domainOverrides).toEqual({ billing_l402: 'legacy' });
    expect(await evaluator.evaluate('/l402/paywalls')).toMatchObject({
      target: 'legacy',
      reason: 'domain_override',
    });
    expect((await evaluator.evaluate('/login')).target).toBe('rust_shell');
  });

  it('follows the configured routes, mode and cohorts', async () => {
    twin.configure({ rustRoutes: ['/login'] });
    expect((await evaluator.evaluate('/login')).target).toBe('rust_shell');
    expect(await evaluator.evaluate('/feed')).toMatchObject({
      target: 'legacy',
      reason: 'legacy_route_default',
    });

    twin.configure({ rustRoutes: ['/'], mode: 'cohort', cohortPercentage: 50 });
    const decision = await evaluator.evaluate('/login', 'user-17');
    expect(decision.cohortKey).toBe('user-17');
    expect(decision.cohortBucket).toEqual(expect.any(Number));
    expect(decision.target).toBe((decision.cohortBucket as number) < 50 ? 'rust_shell' : 'legacy');
    expect(await evaluator.evaluate('/login', 'user-17')).toEqual(decision);
    expect(twin.recorder.requests.at(-1)?.body).toEqual({ path: '/login', cohort_key: 'user-17' });
  });
});

describe('route-split failures', () => {
  async function failure(promise: Promise<unknown>): Promise<PlatformError> {
    const error = await promise.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(PlatformError);
    expect((error as PlatformError).system).toBe('route-split');
    expect((error as PlatformError).message).not.toContain(TOKEN);
    return error as PlatformError;
  }

  it('a rejected token names the secret to check, not the token', async () => {
    const stale = createRouteSplit({ baseUrl: BASE_URL, token: 'stale-token', tokenSource: TOKEN_REF });
    const error = await failure(stale.override('legacy'));
    expect(error.kind).toBe('unauthorized');
    expect(error.message).toBe(
      `route-split override to legacy: the control API rejected the token (401: Unauthenticated.); check the secret behind ${TOKEN_REF}`,
    );
    expect(error.message).not.toContain('stale-token');
    expect(twin.override).toBeNull();
  });

  it("a token that is not an operator's may read but not override", async () => {
    const member = createRouteSplit({ baseUrl: BASE_URL, token: 'member-token' });
    expect((await member.status()).mode).toBe('rust');
    const error = await failure(member.override('legacy'));
    expect(error.kind).toBe('permission-denied');
    expect(error.message).toContain("the token is not an operator's (403: Forbidden.)");
    expect(twin.override).toBeNull();
  });

  it('5xx answers are unavailable, with the status', async () => {
    twin.recorder.inject({
      match: 'POST /api/v1/control/route-split/override',
      status: 503,
      message: 'draining',
    });
    const error = await failure(control.override('legacy'));
    expect(error.kind).toBe('unavailable');
    expect(error.message).toBe('route-split override to legacy: the control API answered 503: draining');
    twin.recorder.inject({ match: '/status', status: 500 });
    expect((await failure(control.status())).message).toContain('answered 500');
  });

  it('a slow answer times out', async () => {
    const quick = createRouteSplit({ baseUrl: BASE_URL, token: TOKEN, timeoutMs: 50 });
    twin.recorder.inject({ match: '/evaluate', delayMs: 2_000 });
    const error = await failure(quick.evaluate('/login'));
    expect(error.kind).toBe('timeout');
    expect(error.message).toContain('within 50 ms');
  });

  it('an answer of another shape, or a refused target, is invalid', async () => {
    twin.recorder.inject({ match: '/status', kind: 'malformed' });
    const malformed = await failure(control.status());
    expect(malformed.kind).toBe('invalid');
    expect(malformed.message).toMatch(/unexpected shape \(enabled: /);

    const refused = await failure(control.override('sideways'));
    expect(refused.kind).toBe('invalid');
    expect(refused.message).toContain('422: Target must be one of: legacy, rust, rollback, clear.');
    expect((await failure(evaluator.evaluate(' '))).message).toContain('422: Path is required.');
  });

  it('an override the status does not show afterwards fails verification', async () => {
    const ignoring = createRouteSplit({
      baseUrl: BASE_URL,
      token: TOKEN,
      fetch: async () => Response.json({ data: { enabled: true, mode: 'rust', override_target: null } }),
    });
    const error = await failure(ignoring.override('legacy'));
    expect(error.kind).toBe('verify-failed');
    expect(error.message).toBe(
      'route-split override to legacy: accepted, but the status reports override none',
    );
  });

  it('an unreachable API or a wrong base URL says so', async () => {
    const down = createRouteSplit({
      baseUrl: BASE_URL,
      token: TOKEN,
      fetch: () => Promise.reject(new TypeError('fetch failed')),
    });
    const unreachable = await failure(down.status());
    expect(unreachable.kind).toBe('unavailable');
    expect(unreachable.message).toBe(
      `route-split status: ${BASE_URL}/status could not be reached (fetch failed)`,
    );

    const elsewhere = createRouteSplit({
      baseUrl: 'https://example.test/api',
      token: TOKEN,
      fetch: async () => new Response('<h1>Not Found</h1>', { status: 404 }),
    });
    const missing = await failure(elsewhere.status());
    expect(missing.kind).toBe('not-found');
    expect(missing.message).toContain('check routeSplit.baseUrl');
  });
});
