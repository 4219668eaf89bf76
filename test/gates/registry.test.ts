import { HttpResponse, http } from 'msw';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  createRouteSplitTwin,
  ROUTE_SPLIT_TWIN_TOKEN,
  ROUTE_SPLIT_TWIN_BASE_URL as ROUTE_SPLIT_URL,
} from '../../sandbox/twins/route-split/index.ts';
import { type Gate, gate as gateSchema } from '../../src/config/gates.ts';
import { loadConfig } from '../../src/config/index.ts';
import type { DomainMappings } from '../../src/gates/ports/domain-mappings.ts';
import type { CloudLogging } from '../../src/gates/ports/logging.ts';
import type { CloudMonitoring, RevisionStatsQuery } from '../../src/gates/ports/monitoring.ts';
import type { Prometheus } from '../../src/gates/ports/prometheus.ts';
import { createGateRegistry } from '../../src/gates/registry.ts';
import { renderGate } from '../../src/gates/render.ts';
import { createRouteSplit } from '../../src/platform/route-split/index.ts';
import { ACCESS_TOKEN, CANARY_URL, createFakeControlService } from '../helpers/fake-control-service.ts';
import { gateContext } from '../helpers/gate-context.ts';
import { useTwins } from '../helpers/msw.ts';
import { canaryOf } from '../helpers/runbooks.ts';
import { createStreamService } from '../helpers/stream-service.ts';

const config = await loadConfig('examples/shiftgate.yaml');
const service = createFakeControlService();
const routeSplitTwin = createRouteSplitTwin();
// The two stream aliases of seed 004 on the public URL, for the stream-cutover's sse-contract gates.
const streams = createStreamService('https://control.example.test');
const maintenance = http.get('https://control.example.test/', ({ request }) => {
  const url = new URL(request.url);
  if (url.searchParams.get('maintenance_bypass'))
    return new HttpResponse(null, {
      status: 307,
      headers: { location: '/', 'set-cookie': 'oa_maintenance_bypass=ok; Path=/' },
    });
  return (request.headers.get('cookie') ?? '').includes('oa_maintenance_bypass=ok')
    ? HttpResponse.text('welcome')
    : HttpResponse.text('down for maintenance', { status: 503 });
});
const server = useTwins(...service.handlers, ...routeSplitTwin.handlers, ...streams.handlers, maintenance);
beforeEach(() => {
  service.reset();
  routeSplitTwin.reset();
  streams.reset();
  calls.length = 0;
});

// Fakes of the Google ports that say they were asked: enough to see each gate reach its provider.
const calls: string[] = [];
const monitoring: CloudMonitoring = {
  async revisionStats(query: RevisionStatsQuery) {
    calls.push('monitoring.revisionStats');
    const stats = Object.fromEntries(
      query.revisions.map((r) => [
        r,
        { requests: 1_000, errors5xx: 1, latencyMs: { p50: 40, p95: 120, p99: 300 } },
      ]),
    );
    return { stats, window: query.window, evidence: [] };
  },
};
const logging: CloudLogging = {
  async countEntries(query) {
    calls.push('logging.countEntries');
    const counts = Object.fromEntries(
      query.revisions.map((r) => [r, { count: 0, complete: true, pages: 1, filter: query.filter }]),
    );
    return { counts };
  },
  async auditEvents(query) {
    calls.push('logging.auditEvents');
    return {
      counts: Object.fromEntries(query.events.map((e) => [e, 3])),
      complete: true,
      pages: 1,
      filter: '-',
    };
  },
};
const prometheus = (): Prometheus => ({
  async query() {
    calls.push('prometheus.query');
    return { resultType: 'scalar', value: 0, at: new Date(), warnings: [], infos: [] };
  },
});

// The control service's mapping, ready (seed 001), and its maintenance window: 503 without the bypass.
const domainMappings: DomainMappings = {
  async get(ref) {
    calls.push('domainMappings.get');
    return {
      domain: ref.domain,
      routeName: 'openagents-control-service-staging',
      conditions: [
        { type: 'Ready', status: 'True' },
        { type: 'CertificateProvisioned', status: 'True' },
      ],
      resourceRecords: [],
      reconciled: true,
    };
  },
};

const registry = createGateRegistry({
  domainMappings,
  secrets: { resolve: async () => 'bypass-token-123' },
  routeSplit: createRouteSplit({ baseUrl: ROUTE_SPLIT_URL, token: ROUTE_SPLIT_TWIN_TOKEN }),
  routeSplitUrl: ROUTE_SPLIT_URL,
  prometheus,
  monitoring,
  logging,
});
const ctx = gateContext({ accessToken: ACCESS_TOKEN });

describe('every gate of examples/shiftgate.yaml', () => {
  const gates = Object.entries(config.gates);

  it('is one of the provider kinds', () => {
    expect(gates.length).toBeGreaterThan(0);
    const providerKinds = [
      'http',
      'sse-contract',
      'cloud-monitoring',
      'cloud-logging',
      'prometheus',
      'route-split',
      'domain-mapping',
    ];
    for (const [, g] of gates) expect(providerKinds).toContain(g.kind);
  });

  it.each(gates)('%s reaches its provider and gets a judged result', async (name, gate) => {
    const result = await registry.evaluate(name, gate, ctx);
    expect(result).toMatchObject({ gate: name, kind: gate.kind });
    expect(result.status, renderGate(result)).not.toBe('error');
    expect(result.evidence).not.toBe('-');
    expect(JSON.stringify(result)).not.toContain(ACCESS_TOKEN);
    // A maintenance smoke asks three times: the bypass bootstrap, with the bypass, and without it.
    if (gate.kind === 'http') expect(service.requests).toHaveLength(gate.bypass ? 3 : 1);
    if (gate.kind === 'route-split') expect(routeSplitTwin.audit).toHaveLength(1);
    if (gate.kind === 'cloud-monitoring') expect(calls).toContain('monitoring.revisionStats');
    if (gate.kind === 'cloud-logging') expect(calls.some((c) => c.startsWith('logging.'))).toBe(true);
  });

  it('passes the whole post-stage checklist against a healthy control service', async () => {
    const checklist = canaryOf(config)?.stages[1]?.checks ?? [];
    const lines: string[] = [];
    for (const name of checklist.filter((n) => config.gates[n]?.kind !== 'cloud-logging')) {
      const result = await registry.evaluate(name, config.gates[name] as Gate, ctx);
      lines.push(`${name}: ${renderGate(result)}`);
      expect(result.status, lines.at(-1)).toBe('pass');
    }
    expect(lines).toHaveLength(13);
  });
});

describe('dispatch of the other kinds', () => {
  it('evaluates a prometheus gate against its port', async () => {
    const golden = gateSchema.parse({
      kind: 'prometheus',
      query: 'sum(nova_golden_mismatch_total)',
      rule: 'any-increase',
    });
    const result = await registry.evaluate('golden', golden, gateContext({ before: { golden: 0 } }));
    expect(result).toMatchObject({ kind: 'prometheus', status: 'pass', failFast: true });
    expect(calls).toEqual(['prometheus.query']);
  });

  it('reaches the sse-contract provider', async () => {
    const stream = gateSchema.parse({ kind: 'sse-contract', path: '/api/chat', target: 'canary' });
    // The control service has no stream endpoint: the provider asks for it and judges the 404.
    server.use(http.post(`${CANARY_URL}/api/chat`, () => HttpResponse.text('not found', { status: 404 })));
    const result = await registry.evaluate('chat-stream', stream, ctx);
    expect(result).toMatchObject({ kind: 'sse-contract', status: 'fail', observed: { value: 404 } });
    expect(result.reason ?? '').not.toMatch(/no provider|not configured/);
  });
});

describe('route-split gates of several services', () => {
  it("use the rollout's own control from the context", async () => {
    const bare = createGateRegistry();
    const gate = config.gates['route-login'] as Gate & { path: string; expect: string };
    const asked: string[] = [];
    const evaluator = {
      evaluate: async (path: string) => {
        asked.push(path);
        return { path, target: gate.expect, reason: 'mode_rust' };
      },
    };
    const result = await bare.evaluate('route-login', gate, {
      ...ctx,
      routeSplit: { evaluator, baseUrl: 'https://svc.example.test/api/v1/control/route-split' },
    });
    expect(asked).toEqual([gate.path]);
    expect(result).toMatchObject({ status: 'pass', evidence: expect.stringContaining('svc.example.test') });
  });
});

describe('the registry never throws', () => {
  it('names the missing port of a kind as an error result', async () => {
    const bare = createGateRegistry();
    const expectations: [string, RegExp][] = [
      ['route-login', /no route-split client is configured/],
      ['error-rate', /no Cloud Monitoring client is configured/],
      ['audit-events', /no Cloud Logging client is configured/],
    ];
    for (const [name, reason] of expectations) {
      const result = await bare.evaluate(name, config.gates[name] as Gate, ctx);
      expect(result).toMatchObject({ gate: name, status: 'error', reason: expect.stringMatching(reason) });
    }
    const onlyLogging = createGateRegistry({ logging });
    expect(
      (await onlyLogging.evaluate('audit-events', config.gates['audit-events'] as Gate, ctx)).reason,
    ).toMatch(/no Cloud Monitoring client is configured/);
    const golden = gateSchema.parse({ kind: 'prometheus', query: 'up', rule: 'max', limit: 1 });
    expect((await bare.evaluate('golden', golden, ctx)).reason).toBe('no Prometheus client is configured');
  });

  it('turns a provider that throws into an error result, without the token', async () => {
    const broken = createGateRegistry({
      routeSplit: {
        evaluate: () => {
          throw new TypeError(`cannot read decision (sent Bearer ${ACCESS_TOKEN})`);
        },
      },
      prometheus: () => {
        throw new Error('bad prometheus url');
      },
    });
    const route = await broken.evaluate('route-login', config.gates['route-login'] as Gate, ctx);
    expect(route).toMatchObject({ status: 'error', reason: 'cannot read decision (sent Bearer $TOKEN)' });
    const golden = gateSchema.parse({ kind: 'prometheus', query: 'up', rule: 'max', limit: 1 });
    const prom = await broken.evaluate('golden', golden, ctx);
    expect(prom).toMatchObject({ status: 'error', kind: 'prometheus' });
    expect(prom.reason).toMatch(/bad prometheus url/);
  });

  it('answers an unknown kind from raw input with an error result', async () => {
    const raw = { kind: 'carrier-pigeon' } as unknown as Gate;
    expect(await createGateRegistry().evaluate('odd', raw, ctx)).toMatchObject({
      status: 'error',
      reason: 'no provider for gate kind "carrier-pigeon"',
    });
  });
});
