import { describe, expect, it } from 'vitest';
import { validationLane } from '../../src/config/validation.ts';
import { smokeGate } from '../../src/validation/checks/runtime-smoke.ts';
import type { CheckResult, ValidationRun } from '../../src/validation/index.ts';
import { ACCESS_TOKEN } from '../helpers/fake-control-service.ts';
import { lanesConfig, useLanesWorld } from './lanes-world.ts';
import { RUNTIME_URL } from './world.ts';

// The runtime-smoke lane (seed 002 lane 2: runtime health + authority API smoke): health paths and
// authority requests, each through the http gate, with the service's access token as a bearer token
// when one is configured, and never in a row.

const world = useLanesWorld('validation-runtime-smoke');
const smokeRows = (run: ValidationRun) => run.results.filter((r) => r.lane === 'runtime-smoke');
const row = (run: ValidationRun, check: string) =>
  smokeRows(run).find((r) => r.check === check) as CheckResult;

describe('a runtime-smoke lane', () => {
  it('turns health paths and requests into http gates: health without a token, requests with it when configured', () => {
    const lane = validationLane.parse({
      name: 'runtime-smoke',
      kind: 'runtime-smoke',
      services: ['runtime'],
      requests: [
        { path: '/v1/authority', expect: { status: [200, 204], json: { 'data.mode': 'rust' } } },
        { name: 'public', path: '/v1/public', auth: 'none' },
      ],
    });
    if (lane.kind !== 'runtime-smoke') throw new Error('parsed as another kind');
    expect(smokeGate(lane, 'GET /healthz', true)).toMatchObject({ auth: 'none', expect: { status: 200 } });
    expect(smokeGate(lane, 'GET /v1/authority', true)).toMatchObject({
      auth: 'access-token',
      target: 'public',
      timeout: 10_000,
      expect: { status: [200, 204], body: { json: { 'data.mode': 'rust' } } },
    });
    expect(smokeGate(lane, 'GET /v1/authority', false)).toMatchObject({ auth: 'none' });
    expect(smokeGate(lane, 'public', true)).toMatchObject({ auth: 'none' });
    expect(smokeGate(lane, 'GET /nothing', true)).toBeUndefined();
  });

  it('passes health and authority requests, sending the token as a bearer header and writing $TOKEN in the evidence', async () => {
    world.seedLanes();
    const run = await world.run();
    expect(smokeRows(run).map((r) => [r.check, r.status])).toEqual([
      ['GET /healthz', 'pass'],
      ['GET /readyz', 'pass'],
      ['authorize', 'pass'],
      ['GET /api/auth/session', 'pass'],
    ]);
    expect(row(run, 'authorize').evidence).toBe(
      `curl -sS -i -X POST '${RUNTIME_URL}/api/policy/authorize' -H "authorization: Bearer $TOKEN" -H 'content-type: application/json' --data '{"scope":"runtime.codex_worker_events"}' --max-time 10`,
    );
    const sent = world.services.requests.filter((r) => r.url.startsWith(RUNTIME_URL));
    expect(sent.find((r) => r.url.endsWith('/healthz'))?.authorization).toBeNull();
    expect(sent.find((r) => r.url.endsWith('/api/policy/authorize'))?.authorization).toBe(
      `Bearer ${ACCESS_TOKEN}`,
    );
  });

  it('fails on a wrong JSON field or status, and never writes the token a service echoes', async () => {
    world.seedLanes();
    world.services.state.echoAuthorization = true;
    world.services.state.ready = false;
    const config = lanesConfig();
    const lane = config.environments.staging?.validation?.lanes.find((l) => l.name === 'runtime-smoke');
    if (lane?.kind === 'runtime-smoke') {
      const session = lane.requests[1];
      if (session) session.expect.json = { debug: 'nothing' };
    }
    const run = await world.run({ config });
    expect(row(run, 'GET /readyz')).toMatchObject({ status: 'fail' });
    expect(row(run, 'GET /readyz').reason).toBe('expected status 200; body "{"ready":false}"');
    const session = row(run, 'GET /api/auth/session');
    expect(session.status).toBe('fail');
    expect(session.reason).toBe('body debug: expected "nothing", saw "Bearer $TOKEN"');
    expect(JSON.stringify(run)).not.toContain(ACCESS_TOKEN);
  });

  it('sends no token where none is configured, so an authority API that wants one fails', async () => {
    world.seedLanes();
    const run = await world.run({ config: lanesConfig({ runtimeToken: false }) });
    expect(row(run, 'authorize')).toMatchObject({ status: 'fail' });
    expect(row(run, 'authorize').reason).toBe('expected status 200; body "{"message":"Unauthenticated."}"');
    expect(row(run, 'authorize').evidence).not.toContain('authorization');
  });
});
