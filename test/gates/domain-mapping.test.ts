import { HttpResponse, http } from 'msw';
import { beforeEach, describe, expect, it } from 'vitest';
import { createCloudRunTwin } from '../../sandbox/twins/cloud-run/index.ts';
import { gate as gateSchema } from '../../src/config/gates.ts';
import { createDomainMappingGate } from '../../src/gates/providers/domain-mapping.ts';
import { createGateRegistry } from '../../src/gates/registry.ts';
import { renderGate } from '../../src/gates/render.ts';
import type { GateOf } from '../../src/gates/result.ts';
import { createDomainMappings, domainMappingUrl } from '../../src/platform/cloud-run/index.ts';
import { gateContext } from '../helpers/gate-context.ts';
import { useTwins } from '../helpers/msw.ts';

// Seed 001's domain-mapping check through the real REST call (google-auth-library's pass-through client)
// against the Cloud Run twin's Admin API v1 domain mappings: routeName is the service, Ready=True and
// CertificateProvisioned=True pass; a pending certificate is inconclusive with the DNS records it waits
// for; another route, a failed certificate or no mapping fail; an API failure is an error.

const twin = createCloudRunTwin();
const RUN_APP = 'https://openagents-control-service-staging-ezxz4mgdsq-uc.a.run.app';
const runApp: string[] = [];
useTwins(
  ...twin.handlers,
  http.get(`${RUN_APP}/readyz`, ({ request }) => {
    runApp.push(request.url);
    return HttpResponse.json({ ready: true });
  }),
);
beforeEach(() => {
  twin.reset();
  runApp.length = 0;
});

const PROJECT = 'openagentsgemini';
const SERVICE = 'openagents-control-service-staging';
const DOMAIN = 'staging.openagents.com';
const key = { project: PROJECT, domain: DOMAIN };
const mappings = createDomainMappings({ google: { projectId: PROJECT, endpoint: twin.endpoint } });
const provider = createDomainMappingGate({ mappings });
const gate: GateOf<'domain-mapping'> = { kind: 'domain-mapping', domain: DOMAIN };
const ctx = gateContext({ project: PROJECT, region: 'us-central1', service: SERVICE });
const EVIDENCE = `gcloud beta run domain-mappings describe --project ${PROJECT} --region us-central1 --domain ${DOMAIN}`;

describe('the domain-mapping gate against the Cloud Run twin', () => {
  it('passes a ready mapping to the service, showing the route and every condition', async () => {
    twin.seedDomainMapping({ ...key, routeName: SERVICE });
    const result = await provider.evaluate('staging-domain', gate, ctx);
    expect(result).toMatchObject({
      gate: 'staging-domain',
      kind: 'domain-mapping',
      status: 'pass',
      metric: `domain ${DOMAIN}`,
      observed: {
        value: `${SERVICE}, Ready=True, CertificateProvisioned=True, DomainRoutable=True`,
        unit: 'mapping',
      },
      threshold: `${SERVICE}, Ready=True, CertificateProvisioned=True`,
      samples: 1,
      evidence: EVIDENCE,
    });
    expect(renderGate(result)).toBe(
      `domain ${DOMAIN} -> ${SERVICE}, Ready=True, CertificateProvisioned=True, DomainRoutable=True (expected ${SERVICE}, Ready=True, CertificateProvisioned=True): pass`,
    );
    // The v1 resource path, with the project as the namespace.
    expect(twin.recorder.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      `GET /apis/domains.cloudrun.com/v1/namespaces/${PROJECT}/domainmappings/${DOMAIN}`,
    ]);
  });

  it('fails a mapping that routes to another service, naming both', async () => {
    twin.seedDomainMapping({ ...key, routeName: 'openagents-web-staging' });
    const result = await provider.evaluate('staging-domain', gate, ctx);
    expect(result).toMatchObject({
      status: 'fail',
      reason: `routes to openagents-web-staging, expected ${SERVICE}`,
    });
    expect(renderGate(result)).toBe(
      `domain ${DOMAIN} -> openagents-web-staging, Ready=True, CertificateProvisioned=True, DomainRoutable=True (routes to openagents-web-staging, expected ${SERVICE}): FAIL`,
    );
  });

  it('is inconclusive while the certificate is pending, listing the DNS records it waits for', async () => {
    twin.seedDomainMapping({ ...key, routeName: SERVICE, certificate: 'pending' });
    const result = await provider.evaluate('staging-domain', gate, ctx);
    expect(result.status).toBe('inconclusive');
    expect(result.observed?.value).toBe(
      `${SERVICE}, Ready=Unknown, CertificateProvisioned=Unknown, DomainRoutable=True`,
    );
    expect(result.reason).toMatch(
      /^mapping pending: Ready=Unknown \(CertificatePending: Waiting for certificate provisioning\. .*\); CertificateProvisioned=Unknown \(CertificatePending: .*\); DNS records it needs: CNAME staging ghs\.googlehosted\.com\.$/,
    );
    expect(renderGate(result)).toMatch(
      /^domain staging\.openagents\.com -> .* \(mapping pending: .*\): inconclusive$/,
    );

    // Once Cloud Run has the certificate, the same gate passes.
    twin.setDomainMapping(key, { certificate: 'provisioned' });
    expect((await provider.evaluate('staging-domain', gate, ctx)).status).toBe('pass');
  });

  it('is inconclusive while Cloud Run has not processed the latest change', async () => {
    twin.seedDomainMapping({ ...key, routeName: 'openagents-web-staging' });
    twin.setDomainMapping(key, { routeName: SERVICE, reconciled: false });
    const result = await provider.evaluate('staging-domain', gate, ctx);
    expect(result).toMatchObject({
      status: 'inconclusive',
      reason: expect.stringContaining('Cloud Run has not processed the latest change yet'),
    });
  });

  it('fails a certificate that failed to be provisioned, with Cloud Run reason', async () => {
    twin.seedDomainMapping({ ...key, routeName: SERVICE, certificate: 'failed' });
    const result = await provider.evaluate('staging-domain', gate, ctx);
    expect(result).toMatchObject({
      status: 'fail',
      reason: `Ready=False (CertificateProvisionFailed: Certificate ${DOMAIN} failed to be provisioned.); CertificateProvisioned=False (CertificateProvisionFailed: Certificate ${DOMAIN} failed to be provisioned.)`,
    });
  });

  it('fails when the domain has no mapping, naming the domain, project and region', async () => {
    const result = await provider.evaluate('staging-domain', gate, ctx);
    expect(result).toMatchObject({
      status: 'fail',
      observed: { value: 'no mapping' },
      reason: `no domain mapping for ${DOMAIN} in project ${PROJECT}, region us-central1`,
      evidence: EVIDENCE,
    });
    expect(renderGate(result)).toBe(
      `domain ${DOMAIN} -> no mapping (no domain mapping for ${DOMAIN} in project ${PROJECT}, region us-central1): FAIL`,
    );
  });

  it('is an error, not a fail, when Cloud Run refuses the read, naming the domain and the permission', async () => {
    twin.seedDomainMapping({ ...key, routeName: SERVICE });
    twin.recorder.inject({ match: twin.routes.getDomainMapping(key), status: 403 });
    const result = await provider.evaluate('staging-domain', gate, ctx);
    expect(result).toMatchObject({ status: 'error', samples: 0, evidence: EVIDENCE });
    expect(result.reason).toBe(
      `the domain mapping of ${DOMAIN} (project ${PROJECT}, region us-central1): permission denied (needs run.domainmappings.get, e.g. roles/run.viewer) (Cloud Run: The caller does not have permission)`,
    );
    twin.recorder.inject({ match: twin.routes.getDomainMapping(key), status: 503 });
    expect(await provider.evaluate('staging-domain', gate, ctx)).toMatchObject({
      status: 'error',
      reason: expect.stringContaining('Cloud Run unavailable'),
    });
  });

  it('reads the regional v1 endpoint in production', () => {
    expect(
      domainMappingUrl({ projectId: PROJECT }, { project: PROJECT, region: 'europe-west1', domain: DOMAIN }),
    ).toBe(
      `https://europe-west1-run.googleapis.com/apis/domains.cloudrun.com/v1/namespaces/${PROJECT}/domainmappings/${DOMAIN}`,
    );
  });
});

describe('through the registry', () => {
  const parsed = gateSchema.parse({ kind: 'domain-mapping', domain: DOMAIN });

  it('evaluates domain-mapping gates with the Cloud Run port', async () => {
    twin.seedDomainMapping({ ...key, routeName: SERVICE });
    const registry = createGateRegistry({ domainMappings: mappings });
    expect(await registry.evaluate('staging-domain', parsed, ctx)).toMatchObject({ status: 'pass' });
  });

  it('is an error without the port', async () => {
    const result = await createGateRegistry().evaluate('staging-domain', parsed, ctx);
    expect(result).toMatchObject({
      status: 'error',
      reason: 'no Cloud Run domain-mappings client is configured',
    });
  });

  it('refuses a domain that is not one', () => {
    expect(
      gateSchema.safeParse({ kind: 'domain-mapping', domain: 'https://staging.openagents.com' }).success,
    ).toBe(false);
    expect(gateSchema.safeParse({ kind: 'domain-mapping', domain: 'Staging.OpenAgents.com' }).success).toBe(
      false,
    );
  });
});

describe('smokes on the run.app URL while the mapping is pending (target: service)', () => {
  const smoke = gateSchema.parse({ kind: 'http', target: 'service', path: '/readyz' });

  it('probes the service URL the context carries', async () => {
    twin.seedDomainMapping({ ...key, routeName: SERVICE, certificate: 'pending' });
    const registry = createGateRegistry({ domainMappings: mappings });
    const withUrl = { ...ctx, serviceUrl: RUN_APP };
    const mapping = await registry.evaluate('staging-domain', gateSchema.parse({ ...gate }), withUrl);
    const result = await registry.evaluate('readyz', smoke, withUrl);
    expect(mapping.status).toBe('inconclusive');
    expect(result).toMatchObject({
      status: 'pass',
      evidence: `curl -sS -i '${RUN_APP}/readyz' --max-time 10`,
    });
    expect(runApp).toEqual([`${RUN_APP}/readyz`]);
  });

  it('is an error naming the missing run.app URL when the context has none', async () => {
    const result = await createGateRegistry().evaluate('readyz', smoke, ctx);
    expect(result).toMatchObject({
      status: 'error',
      reason: "the service's run.app URL is not known (Cloud Run did not report one)",
    });
    expect(runApp).toEqual([]);
  });
});
