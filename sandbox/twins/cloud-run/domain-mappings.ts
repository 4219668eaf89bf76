import { createHash } from 'node:crypto';
import { HttpResponse, http, type RequestHandler } from 'msw';
import { answerGoogleCall, googleError } from '../google-rest.ts';
import type { Recorder } from '../recorder.ts';

// Cloud Run domain mappings as the Admin API v1 serves them (`domains.cloudrun.com/v1`, Knative-style):
//   GET {baseUrl}/apis/domains.cloudrun.com/v1/namespaces/{project id or number}/domainmappings/{domain}
// answers the DomainMapping resource (apiVersion, kind, metadata, spec.routeName, status.conditions of
// type Ready / CertificateProvisioned / DomainRoutable with 'True' | 'False' | 'Unknown',
// status.resourceRecords, status.mappedRouteName, status.observedGeneration), or Google's 404 body.
// In production the region is in the host ({region}-run.googleapis.com); the twin serves every region
// from its one base URL and keys mappings by project and domain, as a domain maps once per project.
//
// The state is set by tests and the sandbox: the certificate `provisioned` (Ready), `pending` (Unknown,
// CertificatePending: DNS not yet pointing at Google) or `failed` (False), the route, and whether Cloud
// Run has caught up with the last change (`reconciled: false` keeps observedGeneration one behind).

export type CertificateState = 'provisioned' | 'pending' | 'failed';

export interface DomainMappingKey {
  project: string;
  domain: string;
}

export interface DomainMappingSeed extends DomainMappingKey {
  /** Shown in metadata.labels['cloud.googleapis.com/location']; default us-central1. */
  region?: string;
  /** spec.routeName: the Cloud Run service the domain routes to. */
  routeName: string;
  /** Default provisioned. */
  certificate?: CertificateState;
}

export interface DomainMappingChange {
  routeName?: string;
  certificate?: CertificateState;
  /** False: Cloud Run has not processed this change yet (observedGeneration stays behind). Default true. */
  reconciled?: boolean;
}

interface StoredMapping {
  project: string;
  region: string;
  domain: string;
  routeName: string;
  certificate: CertificateState;
  generation: number;
  observedGeneration: number;
  created: string;
  changed: string;
}

const PENDING_MESSAGE =
  'Waiting for certificate provisioning. You must configure your DNS records for certificate issuance to begin.';

/** Where Google serves mapped domains: a CNAME for a subdomain, A and AAAA records for an apex. */
function recordsFor(domain: string) {
  const labels = domain.split('.');
  if (labels.length > 2) {
    return [{ name: labels.slice(0, -2).join('.'), rrdata: 'ghs.googlehosted.com.', type: 'CNAME' }];
  }
  return [
    ...['216.239.32.21', '216.239.34.21', '216.239.36.21', '216.239.38.21'].map((ip) => ({
      rrdata: ip,
      type: 'A',
    })),
    ...[
      '2001:4860:4802:32::15',
      '2001:4860:4802:34::15',
      '2001:4860:4802:36::15',
      '2001:4860:4802:38::15',
    ].map((ip) => ({ rrdata: ip, type: 'AAAA' })),
  ];
}

/** A stable made-up project number: v1 names the namespace by number in what it sends back. */
export function projectNumber(project: string): string {
  const hex = createHash('sha256').update(project).digest('hex').slice(0, 10);
  return String(100_000_000_000 + (Number.parseInt(hex, 16) % 900_000_000_000));
}

function conditionsOf(m: StoredMapping) {
  const at = m.changed;
  const condition = (type: string, status: string, reason?: string, message?: string) => ({
    type,
    status,
    ...(reason ? { reason } : {}),
    ...(message ? { message } : {}),
    lastTransitionTime: at,
  });
  switch (m.certificate) {
    case 'provisioned':
      return [
        condition('Ready', 'True'),
        condition('CertificateProvisioned', 'True'),
        condition('DomainRoutable', 'True'),
      ];
    case 'pending':
      return [
        condition('Ready', 'Unknown', 'CertificatePending', PENDING_MESSAGE),
        condition('CertificateProvisioned', 'Unknown', 'CertificatePending', PENDING_MESSAGE),
        condition('DomainRoutable', 'True'),
      ];
    case 'failed': {
      const message = `Certificate ${m.domain} failed to be provisioned.`;
      return [
        condition('Ready', 'False', 'CertificateProvisionFailed', message),
        condition('CertificateProvisioned', 'False', 'CertificateProvisionFailed', message),
        condition('DomainRoutable', 'True'),
      ];
    }
  }
}

export function domainMappingJson(m: StoredMapping) {
  const namespace = projectNumber(m.project);
  return {
    apiVersion: 'domains.cloudrun.com/v1',
    kind: 'DomainMapping',
    metadata: {
      name: m.domain,
      namespace,
      selfLink: `/apis/domains.cloudrun.com/v1/namespaces/${namespace}/domainmappings/${m.domain}`,
      uid: createHash('sha256').update(`${m.project}/${m.domain}`).digest('hex').slice(0, 32),
      resourceVersion: Buffer.from(`${m.generation}:${m.changed}`).toString('base64url'),
      generation: m.generation,
      creationTimestamp: m.created,
      labels: { 'cloud.googleapis.com/location': m.region },
      annotations: { 'serving.knative.dev/creator': 'deployer@example.iam.gserviceaccount.com' },
    },
    spec: { routeName: m.routeName, certificateMode: 'AUTOMATIC' },
    status: {
      conditions: conditionsOf(m),
      observedGeneration: m.observedGeneration,
      resourceRecords: recordsFor(m.domain),
      mappedRouteName: m.routeName,
    },
  };
}

export class DomainMappingStore {
  private readonly mappings = new Map<string, StoredMapping>();
  private readonly now: () => Date;
  constructor(now: () => Date) {
    this.now = now;
  }

  private static id(key: DomainMappingKey): string {
    return `${key.project}/${key.domain}`;
  }

  seed(seed: DomainMappingSeed): void {
    const at = this.now().toISOString();
    this.mappings.set(DomainMappingStore.id(seed), {
      project: seed.project,
      region: seed.region ?? 'us-central1',
      domain: seed.domain,
      routeName: seed.routeName,
      certificate: seed.certificate ?? 'provisioned',
      generation: 1,
      observedGeneration: 1,
      created: at,
      changed: at,
    });
  }

  change(key: DomainMappingKey, change: DomainMappingChange): void {
    const m = this.mappings.get(DomainMappingStore.id(key));
    if (!m) throw new Error(`twin: no domain mapping ${key.domain} in project ${key.project} to change`);
    if (change.routeName !== undefined) m.routeName = change.routeName;
    if (change.certificate !== undefined) m.certificate = change.certificate;
    m.generation += 1;
    m.observedGeneration = change.reconciled === false ? m.generation - 1 : m.generation;
    m.changed = this.now().toISOString();
  }

  delete(key: DomainMappingKey): void {
    this.mappings.delete(DomainMappingStore.id(key));
  }

  /** By project id or the twin's number for it, as v1 takes either in the namespace. */
  find(namespace: string, domain: string): StoredMapping | undefined {
    for (const m of this.mappings.values()) {
      if (m.domain === domain && (m.project === namespace || projectNumber(m.project) === namespace))
        return m;
    }
    return undefined;
  }

  view(key: DomainMappingKey) {
    const m = this.mappings.get(DomainMappingStore.id(key));
    return m ? domainMappingJson(m) : undefined;
  }

  clear(): void {
    this.mappings.clear();
  }
}

export const DOMAIN_MAPPINGS_PATH = '/apis/domains.cloudrun.com/v1/namespaces';

export function domainMappingHandlers(
  baseUrl: string,
  recorder: Recorder,
  store: DomainMappingStore,
): RequestHandler[] {
  return [
    http.all(`${baseUrl}${DOMAIN_MAPPINGS_PATH}/*`, ({ request }) =>
      answerGoogleCall(recorder, request, () => {
        const path = decodeURIComponent(new URL(request.url).pathname);
        const match =
          /^\/apis\/domains\.cloudrun\.com\/v1\/namespaces\/([^/]+)\/domainmappings\/([^/]+)$/.exec(path);
        if (request.method !== 'GET' || !match) {
          return googleError(501, `Cloud Run twin does not implement ${request.method} ${path}.`);
        }
        const [, namespace = '', domain = ''] = match;
        const mapping = store.find(namespace, domain);
        if (!mapping) {
          return googleError(
            404,
            `Resource '${domain}' of kind 'DOMAIN_MAPPING' in project '${namespace}' does not exist.`,
          );
        }
        return HttpResponse.json(domainMappingJson(mapping));
      }),
    ),
  ];
}
