import { HttpResponse, http } from 'msw';
import { describe, expect, it } from 'vitest';
import { gate as gateSchema, httpGate } from '../../src/config/gates.ts';
import type { ShiftgateConfig } from '../../src/config/schema.ts';
import { dryRunResult } from '../../src/runbooks/dry-run.ts';
import type { StandaloneRollbackState } from '../../src/runbooks/types.ts';
import {
  ENV,
  ON_CALL,
  REF,
  ran,
  SERVICE,
  STABLE_REVISION,
  testConfig,
  useEngineWorld,
} from '../helpers/engine-world.ts';

// `target: service` (seed 001: smokes on the run.app URL while the domain mapping is pending): the
// executor reads the service's URL from Cloud Run when a gate asks for it, and the probe goes there.

const readyz: string[] = [];
const world = useEngineWorld('service-url', [
  http.get(/^https:\/\/[^/]+\/readyz$/, ({ request }) => {
    readyz.push(new URL(request.url).origin);
    return HttpResponse.json({ ready: true });
  }),
]);

function withRunAppSmoke(): ShiftgateConfig {
  const config = testConfig();
  const canary = config.runbooks.canary as Extract<ShiftgateConfig['runbooks'][string], { kind: 'canary' }>;
  return {
    ...config,
    gates: {
      ...config.gates,
      'readyz-run-app': httpGate.parse({ kind: 'http', target: 'service', path: '/readyz' }),
    },
    runbooks: {
      ...config.runbooks,
      canary: { ...canary, rollback: { ...canary.rollback, checks: ['healthz', 'readyz-run-app'] } },
    },
  };
}

describe('gates with target: service', () => {
  it("probe the run.app URL Cloud Run reports for the service, beside the public URL's checks", async () => {
    readyz.length = 0;
    world.seedBadRelease();
    const engine = world.engine({ config: withRunAppSmoke() });
    const started = ran(
      await engine.startRollback({
        service: SERVICE,
        env: ENV,
        requestedBy: ON_CALL,
        reason: '5xx spike',
        toRevision: STABLE_REVISION,
      }),
    );
    const done = await world.until(engine, started.rolloutId, (v) => expect(v.status).toBe('rolled-back'));
    const checks = (done.state as StandaloneRollbackState).rollback.checks ?? [];
    const runApp = world.cloudRun.service(REF).url;
    expect(runApp).toMatch(/^https:\/\/web-prod-[a-z0-9]+-uc\.a\.run\.app$/);
    expect(checks.map((r) => [r.gate, r.status])).toEqual([
      ['healthz', 'pass'],
      ['readyz-run-app', 'pass'],
    ]);
    expect(checks[1]?.evidence).toBe(`curl -sS -i '${runApp}/readyz' --max-time 10`);
    expect(readyz).toEqual([runApp]);
  });
});

describe('the dry-run plan', () => {
  it('says where each smoke would go and what the domain-mapping gate would check', () => {
    const at = '2026-11-02T10:00:00.000Z';
    const evidence = (input: Record<string, unknown>) =>
      dryRunResult('g', gateSchema.parse(input), at).evidence;
    expect(evidence({ kind: 'http', target: 'service', path: '/readyz' })).toBe(
      "dry-run: would check http GET /readyz on the service's run.app URL",
    );
    expect(
      evidence({
        kind: 'http',
        target: 'public',
        path: '/',
        bypass: { token: 'env:MAINTENANCE_BYPASS_TOKEN' },
        expectWithoutBypass: {},
      }),
    ).toBe(
      'dry-run: would check http GET / on the public URL through the maintenance bypass, and the maintenance answer without it',
    );
    expect(evidence({ kind: 'domain-mapping', domain: 'staging.openagents.com' })).toBe(
      'dry-run: would check the Cloud Run domain mapping of staging.openagents.com: routes to the service, Ready and CertificateProvisioned',
    );
  });
});
