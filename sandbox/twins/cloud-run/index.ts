import type { RequestHandler } from 'msw';
import { Recorder } from '../recorder.ts';
import {
  type CertificateState,
  type DomainMappingChange,
  type DomainMappingKey,
  type DomainMappingSeed,
  DomainMappingStore,
  domainMappingHandlers,
} from './domain-mappings.ts';
import { cloudRunHandlers } from './handlers.ts';
import { type ExecutionSeed, type JobKey, type JobOutcome, JobStore } from './jobs.ts';
import { serviceJson } from './render.ts';
import {
  envOf,
  type SecretRef,
  type ServiceKey,
  ServiceStore,
  secretEnvOf,
  serviceName,
} from './services.ts';
import { readTraffic } from './traffic.ts';
import { LATEST, REVISION } from './wire.ts';

// A stateful Cloud Run Admin API v2 twin for msw (and, through msw's getResponse, for the sandbox's
// HTTP server). It speaks the REST shapes @google-cloud/run sends with `fallback: true`:
//   GET/PATCH /v2/projects/P/locations/L/services/S     (PATCH answers an Operation)
//   GET .../services/S/revisions[/R]                    GET /v2/projects/P/locations/L/operations/ID
//   GET .../jobs/J, .../jobs/J/executions[/E], .../executions/E/tasks[/T]
//   POST .../jobs/J:run (answers an Operation whose metadata and response are the new Execution)
//   POST .../services/S:testIamPermissions {permissions} -> {permissions: the subset granted}
// and validates like the real API: stale etag -> 409 ABORTED, percents not adding to 100 -> 400,
// a revision in traffic that does not exist -> 404, unknown service -> 404 NOT_FOUND. A template whose
// image or environment variables changed makes a new revision (which keeps its containers, env included);
// naming an existing revision with another configuration -> 409 ALREADY_EXISTS.
//
// Faults go through `recorder.inject({match, ...})`, matched against `METHOD /path` (see `routes`):
//   {status: 403 | 404 | 429 | 500 | 503, retryAfter?, message?}  answered as Google's error body
//   {delayMs}                                                       a slow answer
//   on the PATCH, {kind}: 'etag-conflict' (someone else updated first: 409, etag moves),
//   'operation-failed' (the operation ends with `message`), 'operation-stuck' (never done),
//   'stale-status' (done, but trafficStatuses keep reporting the previous split)
// How a run of a job ends is set per job with `setJobOutcome` (exit code, message, or stuck).
// testIamPermissions grants every `run.*` permission unless `setPermissions` names the ones granted; it
// refuses (400) wildcards and permissions of other resource types, as IAM does. Seeds may carry secret
// references (`secrets`), echoed as `env[].valueSource.secretKeyRef` beside the literal variables.
//
// It also serves the Admin API v1 domain mappings (domain-mappings.ts), whose state tests set with
// `seedDomainMapping` and `setDomainMapping` (certificate provisioned, pending or failed; the route).

export type {
  CertificateState,
  DomainMappingChange,
  DomainMappingKey,
  DomainMappingSeed,
  ExecutionSeed,
  JobKey,
  JobOutcome,
  SecretRef,
  ServiceKey,
};

export interface CloudRunTwinOptions {
  baseUrl?: string;
  /** An update's operation is done on this poll (0: already done in the PATCH answer). Default 1. */
  operationPolls?: number;
  /** ...or this long after it started, polled or not, as Cloud Run carries an update out. Default 2 s. */
  operationMs?: number;
  now?: () => Date;
}

export interface ServiceSeed extends ServiceKey {
  image: string;
  /** Short name of the first revision; default `<service>-00001-<abc>`. */
  revision?: string;
  /** Environment variables of the first revision's container (and the template's). */
  env?: Record<string, string>;
  /** Variables read from Secret Manager, by variable name (after the literal ones in the container). */
  secrets?: Record<string, SecretRef>;
  /** The runtime service account (`template.serviceAccount`); absent: the default compute account. */
  serviceAccount?: string;
  /**
   * Where the service (no tag) and its tags are served; default Cloud Run's `https://[tag---]svc-hash-uc.a.run.app`.
   * The sandbox serves them on loopback, so the bot's smoke checks reach what the twin reports.
   */
  urls?: (tag?: string) => string;
}

export interface TrafficSeed {
  revision?: string;
  percent: number;
  tag?: string;
  /** A LATEST target (no revision named). */
  latest?: boolean;
}

/** The twin's view of a service, short revision names throughout, for tests to check. */
export interface TwinServiceView {
  name: string;
  etag: string;
  generation: number;
  image: string;
  url: string;
  latestReadyRevision?: string;
  latestCreatedRevision?: string;
  traffic: { latest: boolean; revision?: string; percent: number; tag?: string }[];
  trafficStatuses: { latest: boolean; revision?: string; percent: number; tag?: string; uri?: string }[];
  /** Served percent per revision, 0 % left out (from trafficStatuses). */
  split: Record<string, number>;
  /** Tag -> revision (from trafficStatuses). */
  tags: Record<string, string>;
  revisions: { name: string; image: string; ready: boolean }[];
  /** Each revision's environment variables (literal values), by short name. */
  env: Record<string, Record<string, string>>;
  /** Each revision's secret-backed variables as `secret:version`, by short name. */
  secretEnv: Record<string, Record<string, string>>;
  reconciling: boolean;
}

const LOCATION = (k: { project: string; region: string }) =>
  `/v2/projects/${k.project}/locations/${k.region}`;
const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const exact = (method: string, path: string) => new RegExp(`^${method} ${escapeRegExp(path)}$`);

/** Fault matchers for `recorder.inject({match})`, exact so a service's GET does not catch its revisions. */
export const routes = {
  getService: (k: ServiceKey) => exact('GET', `${LOCATION(k)}/services/${k.service}`),
  updateService: (k: ServiceKey) => exact('PATCH', `${LOCATION(k)}/services/${k.service}`),
  listRevisions: (k: ServiceKey) => exact('GET', `${LOCATION(k)}/services/${k.service}/revisions`),
  getRevision: (k: ServiceKey, revision?: string) =>
    revision
      ? exact('GET', `${LOCATION(k)}/services/${k.service}/revisions/${revision}`)
      : new RegExp(`^GET ${escapeRegExp(`${LOCATION(k)}/services/${k.service}/revisions/`)}[^/]+$`),
  getOperation: (k: { project: string; region: string }) =>
    new RegExp(`^GET ${escapeRegExp(`${LOCATION(k)}/operations/`)}[^/]+$`),
  getJob: (k: JobKey) => exact('GET', `${LOCATION(k)}/jobs/${k.job}`),
  listExecutions: (k: JobKey) => exact('GET', `${LOCATION(k)}/jobs/${k.job}/executions`),
  runJob: (k: JobKey) => exact('POST', `${LOCATION(k)}/jobs/${k.job}:run`),
  testIamPermissions: (k: ServiceKey) =>
    exact('POST', `${LOCATION(k)}/services/${k.service}:testIamPermissions`),
  getDomainMapping: (k: DomainMappingKey) =>
    exact('GET', `/apis/domains.cloudrun.com/v1/namespaces/${k.project}/domainmappings/${k.domain}`),
  getExecution: (k: JobKey) =>
    new RegExp(`^GET ${escapeRegExp(`${LOCATION(k)}/jobs/${k.job}/executions/`)}[^/]+$`),
  listTasks: (k: JobKey) =>
    new RegExp(`^GET ${escapeRegExp(`${LOCATION(k)}/jobs/${k.job}/executions/`)}[^/]+/tasks$`),
};

export function createCloudRunTwin(options: CloudRunTwinOptions = {}) {
  const baseUrl = (options.baseUrl ?? 'http://run.twin').replace(/\/$/, '');
  const now = options.now ?? (() => new Date());
  const recorder = new Recorder();
  const services = new ServiceStore(options.operationPolls ?? 1, now, options.operationMs);
  const jobs = new JobStore(now, services); // runs end on the same polls as updates
  const domainMappings = new DomainMappingStore(now);
  const url = new URL(baseUrl);
  const protocol: 'http' | 'https' = url.protocol === 'https:' ? 'https' : 'http';

  function view(key: ServiceKey): TwinServiceView {
    const s = services.get(serviceName(key));
    const wire = serviceJson(s) as { trafficStatuses: { uri?: string; tag?: string }[]; uri: string };
    const statuses = s.statuses.map((t, i) => ({
      latest: t.type === LATEST,
      percent: t.percent,
      ...(t.revision ? { revision: t.revision } : {}),
      ...(t.tag ? { tag: t.tag, uri: wire.trafficStatuses[i]?.uri } : {}),
    }));
    const split: Record<string, number> = {};
    const tags: Record<string, string> = {};
    for (const t of statuses) {
      if (t.percent > 0 && t.revision) split[t.revision] = (split[t.revision] ?? 0) + t.percent;
      if (t.tag && t.revision) tags[t.tag] = t.revision;
    }
    const template = s.template as { containers?: { image?: string }[] };
    return {
      name: s.name,
      etag: s.etag,
      generation: s.generation,
      image: template.containers?.[0]?.image ?? '',
      url: wire.uri,
      ...(s.latestReady ? { latestReadyRevision: s.latestReady } : {}),
      ...(s.latestCreated ? { latestCreatedRevision: s.latestCreated } : {}),
      traffic: s.traffic.map((t) => ({
        latest: t.type === LATEST,
        percent: t.percent,
        ...(t.revision ? { revision: t.revision } : {}),
        ...(t.tag ? { tag: t.tag } : {}),
      })),
      trafficStatuses: statuses,
      split,
      tags,
      revisions: [...s.revisions.values()].map((r) => ({ name: r.name, image: r.image, ready: r.ready })),
      env: Object.fromEntries([...s.revisions.values()].map((r) => [r.name, envOf(r.containers)])),
      secretEnv: Object.fromEntries(
        [...s.revisions.values()].map((r) => [r.name, secretEnvOf(r.containers)]),
      ),
      reconciling: s.reconciling,
    };
  }

  return {
    handlers: [
      ...cloudRunHandlers(baseUrl, recorder, services, jobs),
      ...domainMappingHandlers(baseUrl, recorder, domainMappings),
    ] as RequestHandler[],
    recorder,
    baseUrl,
    /** For googleClientOptions({projectId, endpoint}). */
    endpoint: { host: url.hostname, port: Number(url.port || (protocol === 'https' ? 443 : 80)), protocol },
    routes,

    /** A service whose one ready revision serves 100 % through a LATEST target; returns its view. */
    seedService(seed: ServiceSeed): TwinServiceView {
      const { image, revision, urls, env, secrets, serviceAccount, ...key } = seed;
      const stored = services.seed(key, image, revision, env, secrets);
      if (urls) stored.urls = urls;
      if (serviceAccount) stored.template = { ...stored.template, serviceAccount };
      return view(key);
    },
    /** Another revision of a seeded service (no traffic); returns its short name. */
    seedRevision(
      key: ServiceKey,
      revision: {
        image: string;
        name?: string;
        ready?: boolean;
        env?: Record<string, string>;
        secrets?: Record<string, SecretRef>;
      },
    ): string {
      return services.addRevision(
        services.get(serviceName(key)),
        revision.image,
        revision.name,
        revision.ready,
        revision.env,
        revision.secrets,
      );
    },
    /**
     * The permissions the caller holds on a seeded service, as testIamPermissions answers them; `'all'`
     * (the default) grants every `run.*` permission.
     */
    setPermissions(key: ServiceKey, granted: readonly string[] | 'all') {
      const service = services.get(serviceName(key));
      if (granted === 'all') delete service.granted;
      else service.granted = new Set(granted);
    },
    service: view,
    /** An out-of-band traffic change (someone ran gcloud), served at once. */
    setTraffic(key: ServiceKey, traffic: TrafficSeed[]) {
      const stored = readTraffic(traffic.map((t) => ({ ...t, type: t.latest ? LATEST : REVISION })));
      services.setTraffic(services.get(serviceName(key)), stored);
    },
    setOperationMs(ms: number) {
      services.operationMs = ms;
    },
    setOperationPolls(polls: number) {
      services.operationPolls = polls;
    },

    seedJob(key: JobKey & { image: string; executions?: ExecutionSeed[] }) {
      const { image, executions = [], ...jobKey } = key;
      jobs.seed(jobKey, image);
      for (const e of executions) jobs.addExecution(jobKey, e);
    },
    /** A new execution of a seeded job, newer than every other; returns its short name. */
    addExecution: (key: JobKey, execution: ExecutionSeed) => jobs.addExecution(key, execution),
    setJobImage: (key: JobKey, image: string) => jobs.setImage(key, image),
    /**
     * How the job's next runs (`jobs/J:run`) end, until set again: `{exitCode: 0}` (the default)
     * succeeds, another code fails with `message`, `{stuck: true}` never finishes.
     */
    setJobOutcome: (key: JobKey, outcome: JobOutcome) => jobs.setOutcome(key, outcome),

    /** A domain mapping (Admin API v1), its certificate provisioned unless `certificate` says otherwise. */
    seedDomainMapping: (seed: DomainMappingSeed) => domainMappings.seed(seed),
    /** Changes a seeded mapping: its route, its certificate, or a change Cloud Run has not processed yet. */
    setDomainMapping: (key: DomainMappingKey, change: DomainMappingChange) =>
      domainMappings.change(key, change),
    deleteDomainMapping: (key: DomainMappingKey) => domainMappings.delete(key),
    /** The mapping as the API serves it, or undefined. */
    domainMapping: (key: DomainMappingKey) => domainMappings.view(key),

    /** Forgets every service, job, domain mapping, operation, request and pending fault. */
    reset() {
      services.clear();
      jobs.clear();
      domainMappings.clear();
      recorder.reset();
      services.operationPolls = options.operationPolls ?? 1;
      services.operationMs = options.operationMs ?? 2_000;
    },
  };
}

export type CloudRunTwin = ReturnType<typeof createCloudRunTwin>;
