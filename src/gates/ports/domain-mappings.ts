// What the domain-mapping gate needs: Cloud Run's domain mapping of one domain (Admin API v1,
// `namespaces.domainmappings.get`), as `gcloud beta run domain-mappings describe` shows it. Judging it
// against the service is the gate's business. The Cloud Run adapter (src/platform/cloud-run) implements it.

/** Where a mapping lives: the project (the v1 namespace) and the region whose endpoint serves it. */
export interface DomainMappingRef {
  project: string;
  region: string;
  /** e.g. staging.openagents.com */
  domain: string;
}

/** One of status.conditions: Ready, CertificateProvisioned, DomainRoutable (Knative's condition shape). */
export interface DomainMappingCondition {
  type: string;
  /** 'True', 'False' or 'Unknown', as strings, as the API sends them. */
  status: string;
  /** One CamelCase word, e.g. CertificatePending. */
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
}

/** A DNS record the domain's zone needs for the mapping to serve (status.resourceRecords). */
export interface DnsRecord {
  /** Relative name, e.g. 'staging'; empty for the apex. */
  name: string;
  /** A, AAAA or CNAME. */
  type: string;
  rrdata: string;
}

export interface DomainMapping {
  domain: string;
  /** spec.routeName: the Cloud Run service the domain is meant to route to. */
  routeName: string;
  /** status.mappedRouteName: where it routes now, when Cloud Run says. */
  mappedRouteName?: string;
  conditions: DomainMappingCondition[];
  resourceRecords: DnsRecord[];
  /**
   * False while Cloud Run has not processed the latest change of the mapping yet (status.observedGeneration
   * behind metadata.generation): its conditions then describe an older spec.
   */
  reconciled: boolean;
}

export interface DomainMappings {
  /**
   * The mapping, or undefined when the domain has no mapping in that project and region. Any other
   * failure throws an Error (a PlatformError from the adapter) naming the domain.
   */
  get(ref: DomainMappingRef): Promise<DomainMapping | undefined>;
}
