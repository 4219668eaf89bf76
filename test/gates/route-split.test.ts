import { beforeEach, describe, expect, it } from 'vitest';
import {
  ROUTE_SPLIT_TWIN_BASE_URL as BASE_URL,
  createRouteSplitTwin,
  ROUTE_SPLIT_TWIN_TOKEN as TOKEN,
} from '../../sandbox/twins/route-split/index.ts';
import { createRouteSplitGate } from '../../src/gates/providers/route-split.ts';
import { renderGate } from '../../src/gates/render.ts';
import type { GateOf } from '../../src/gates/result.ts';
import { createRouteSplit } from '../../src/platform/route-split/index.ts';
import { gateContext } from '../helpers/gate-context.ts';
import { useTwins } from '../helpers/msw.ts';

const twin = createRouteSplitTwin();
useTwins(...twin.handlers);
beforeEach(() => twin.reset());

const evaluator = createRouteSplit({ baseUrl: BASE_URL, token: TOKEN, timeoutMs: 2_000 });
const provider = createRouteSplitGate({ evaluator, baseUrl: BASE_URL });
const routeGate = (path: string, cohortKey?: string): GateOf<'route-split'> => ({
  kind: 'route-split',
  path,
  expect: 'rust_shell',
  ...(cohortKey ? { cohortKey } : {}),
});

describe('the route-split gate against the control API twin', () => {
  it('passes the Rust-owned routes of seed 000 checklist items 6 and 7', async () => {
    for (const path of ['/login', '/onboarding/checklist', '/l402/paywalls']) {
      const result = await provider.evaluate('route', routeGate(path), gateContext());
      expect(result).toMatchObject({
        kind: 'route-split',
        status: 'pass',
        metric: `route ${path}`,
        observed: { value: 'rust_shell', unit: 'target' },
        threshold: 'rust_shell',
        samples: 1,
      });
      expect(renderGate(result)).toBe(`route ${path} -> rust_shell (expected rust_shell): pass`);
    }
    expect(twin.audit.map((a) => a.subject)).toEqual(['/login', '/onboarding/checklist', '/l402/paywalls']);
  });

  it('fails after a legacy override, showing both targets and the service reason', async () => {
    await createRouteSplit({ baseUrl: BASE_URL, token: TOKEN }).override('legacy');
    const result = await provider.evaluate('route-login', routeGate('/login'), gateContext());
    expect(result).toMatchObject({
      status: 'fail',
      observed: { value: 'legacy' },
      reason: 'expected rust_shell; decided by runtime_override',
    });
    expect(renderGate(result)).toBe(
      'route /login -> legacy (expected rust_shell; decided by runtime_override): FAIL',
    );
  });

  it('sends the cohort key, and names the cohort bucket when the cohort decides', async () => {
    twin.configure({ mode: 'cohort', cohortPercentage: 0 });
    const result = await provider.evaluate('route-login', routeGate('/login', 'canary-smoke'), gateContext());
    expect(result.status).toBe('fail');
    expect(result.reason).toMatch(/^expected rust_shell; decided by mode_cohort, bucket \d+$/);
    expect(twin.recorder.requests.at(-1)?.body).toEqual({ path: '/login', cohort_key: 'canary-smoke' });
    twin.configure({ cohortPercentage: 100 });
    expect(
      await provider.evaluate('route-login', routeGate('/login', 'canary-smoke'), gateContext()),
    ).toMatchObject({ status: 'pass' });
  });

  it('writes a curl line with the $TOKEN placeholder as evidence', async () => {
    const result = await provider.evaluate('route-login', routeGate('/login', 'c1'), gateContext());
    expect(result.evidence).toBe(
      `curl -sS -i -X POST '${BASE_URL}/evaluate' -H "authorization: Bearer $TOKEN" -H 'content-type: application/json' --data '{"path":"/login","cohort_key":"c1"}'`,
    );
    const bare = createRouteSplitGate({ evaluator });
    expect((await bare.evaluate('r', routeGate('/login'), gateContext())).evidence).toBe(
      'route-split evaluate {"path":"/login"}',
    );
  });

  it('is an error, not a fail, when the control API cannot answer', async () => {
    twin.recorder.inject({ match: 'POST /api/v1/control/route-split/evaluate', status: 503 });
    const down = await provider.evaluate('route-login', routeGate('/login'), gateContext());
    expect(down).toMatchObject({ status: 'error', samples: 0 });
    expect(down.observed).toBeUndefined();
    expect(renderGate(down)).toMatch(/^route \/login could not be measured: .*503.*: ERROR$/);

    twin.revokeToken(TOKEN);
    const refused = await provider.evaluate('route-login', routeGate('/login'), gateContext());
    expect(refused.status).toBe('error');
    expect(refused.reason).toMatch(/401/);
    expect(JSON.stringify(refused)).not.toContain(TOKEN);
  });
});
