import { randomUUID } from 'node:crypto';
import { readTraffic, resolveStatuses, type StoredTarget, validateTraffic } from './traffic.ts';
import { compact, LATEST, TwinError } from './wire.ts';

// Services, revisions and update operations, kept the way Cloud Run keeps them: `traffic` is what was
// asked for, `statuses` what is served, and the two agree once the update's operation is done.

export interface ServiceKey {
  project: string;
  region: string;
  service: string;
}

export interface StoredRevision {
  name: string;
  image: string;
  containers: unknown[];
  ready: boolean;
  message?: string;
  createTime: string;
}

export interface StoredService {
  key: ServiceKey;
  name: string;
  uid: string;
  generation: number;
  observedGeneration: number;
  etag: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  template: Record<string, unknown>;
  traffic: StoredTarget[];
  statuses: StoredTarget[];
  latestReady?: string;
  latestCreated?: string;
  createTime: string;
  updateTime: string;
  reconciling: boolean;
  failure?: string;
  revisions: Map<string, StoredRevision>;
  /** Number in the last generated revision name (`svc-00007-abc`). */
  lastNumber: number;
  /** Where it is served (see ServiceSeed.urls); Cloud Run's URLs when absent. */
  urls?: (tag?: string) => string;
  /** Permissions the caller holds on it (testIamPermissions); every `run.*` one when absent. */
  granted?: Set<string>;
}

/** How an update's operation ends, chosen by a fault on the PATCH. */
export type Outcome = 'ok' | 'failed' | 'stuck' | 'stale-status';

export interface StoredOperation {
  name: string;
  service: StoredService;
  generation: number;
  pollsLeft: number;
  outcome: Outcome;
  message: string;
  created?: string;
  done: boolean;
  /** When it was started (epoch ms): Cloud Run finishes it by itself, whether anyone polls or not. */
  startedMs: number;
}

export const serviceName = (k: ServiceKey) =>
  `projects/${k.project}/locations/${k.region}/services/${k.service}`;

type EnvVar = {
  name?: string;
  value?: string;
  valueSource?: { secretKeyRef?: { secret?: string; version?: string } };
};

/** A variable read from Secret Manager: `secret` is `S` or `projects/P/secrets/S`; version default latest. */
export interface SecretRef {
  secret: string;
  version?: string;
}

/** The first container's variables with a literal value, as a revision's configuration compares them. */
export function envOf(containers: unknown): Record<string, string> {
  const env = ((containers as { env?: EnvVar[] }[] | undefined)?.[0]?.env ?? []) as EnvVar[];
  const out: Record<string, string> = {};
  for (const v of env) if (v.name && v.valueSource === undefined) out[v.name] = v.value ?? '';
  return out;
}

/** The first container's variables read from Secret Manager, as `secret:version` by variable name. */
export function secretEnvOf(containers: unknown): Record<string, string> {
  const env = ((containers as { env?: EnvVar[] }[] | undefined)?.[0]?.env ?? []) as EnvVar[];
  const out: Record<string, string> = {};
  for (const v of env) {
    const ref = v.valueSource?.secretKeyRef;
    if (v.name && ref) out[v.name] = `${ref.secret ?? ''}:${ref.version ?? 'latest'}`;
  }
  return out;
}

/** One container running `image` with these variables (literal ones first), as the API echoes it. */
function containersOf(
  image: string,
  env: Record<string, string> = {},
  secrets: Record<string, SecretRef> = {},
): unknown[] {
  const vars: EnvVar[] = Object.entries(env).map(([name, value]) => ({ name, value }));
  for (const [name, ref] of Object.entries(secrets)) {
    vars.push({
      name,
      valueSource: { secretKeyRef: { secret: ref.secret, version: ref.version ?? 'latest' } },
    });
  }
  return [{ image, ...(vars.length > 0 ? { env: vars } : {}) }];
}

const sameRecord = (x: Record<string, string>, y: Record<string, string>) =>
  Object.keys(x).length === Object.keys(y).length && Object.entries(x).every(([k, v]) => y[k] === v);

/** Same image and same variables: Cloud Run makes no new revision for an unchanged template. */
function sameContainer(a: unknown, b: unknown): boolean {
  const first = (c: unknown) => (c as { image?: string }[] | undefined)?.[0]?.image;
  return (
    first(a) === first(b) && sameRecord(envOf(a), envOf(b)) && sameRecord(secretEnvOf(a), secretEnvOf(b))
  );
}

export class ServiceStore {
  readonly services = new Map<string, StoredService>();
  private readonly operations = new Map<string, StoredOperation>();
  private etags = 0;
  private random = 1;
  operationPolls: number;
  /**
   * An operation nobody polls still finishes this long after it started (seen on the next read of its
   * service): a replica that died after its PATCH leaves Cloud Run to carry the update out, as it does.
   */
  operationMs: number;
  private readonly now: () => Date;

  constructor(operationPolls: number, now: () => Date, operationMs = 2_000) {
    this.operationPolls = operationPolls;
    this.now = now;
    this.operationMs = operationMs;
  }

  clear() {
    this.services.clear();
    this.operations.clear();
    this.etags = 0;
    this.random = 1;
  }

  /** Three letters like Cloud Run's revision suffixes, from a seeded generator so runs repeat. */
  private letters(): string {
    let out = '';
    for (let i = 0; i < 3; i++) {
      this.random = (Math.imul(this.random, 1103515245) + 12345) >>> 0;
      out += String.fromCharCode(97 + ((this.random >>> 16) % 26));
    }
    return out;
  }

  private nextEtag(): string {
    this.etags += 1;
    return `"CK${this.etags.toString(36)}${this.letters()}Q"`;
  }

  private stamp(): string {
    return this.now().toISOString();
  }

  get(name: string): StoredService {
    const service = this.services.get(name);
    if (service) {
      this.finishDue(service);
      return service;
    }
    const [, project, region, id] =
      /^projects\/([^/]+)\/locations\/([^/]+)\/services\/(.+)$/.exec(name) ?? [];
    throw new TwinError(
      404,
      `Resource '${id ?? name}' of kind 'SERVICE' in region '${region}' in project '${project}' does not exist.`,
    );
  }

  revision(service: StoredService, revision: string): StoredRevision {
    const found = service.revisions.get(revision);
    if (found) return found;
    throw new TwinError(
      404,
      `Resource '${revision}' of kind 'REVISION' in region '${service.key.region}' in project '${service.key.project}' does not exist.`,
    );
  }

  /** A service with one ready revision serving 100 % through a LATEST target, as a first deploy leaves it. */
  seed(
    key: ServiceKey,
    image: string,
    revision?: string,
    env?: Record<string, string>,
    secrets?: Record<string, SecretRef>,
  ): StoredService {
    const name = serviceName(key);
    const at = this.stamp();
    const service: StoredService = {
      key,
      name,
      uid: randomUUID(),
      generation: 1,
      observedGeneration: 1,
      etag: this.nextEtag(),
      labels: {},
      annotations: {},
      template: { containers: containersOf(image, env, secrets) },
      traffic: [{ type: LATEST, percent: 100 }],
      statuses: [],
      createTime: at,
      updateTime: at,
      reconciling: false,
      revisions: new Map(),
      lastNumber: 0,
    };
    const first = revision ?? this.generatedName(service);
    service.revisions.set(first, {
      name: first,
      image,
      containers: containersOf(image, env, secrets),
      ready: true,
      createTime: at,
    });
    service.latestReady = first;
    service.latestCreated = first;
    service.statuses = resolveStatuses(service.traffic, first);
    this.services.set(name, service);
    return service;
  }

  addRevision(
    service: StoredService,
    image: string,
    name?: string,
    ready = true,
    env?: Record<string, string>,
    secrets?: Record<string, SecretRef>,
  ): string {
    const revision = name ?? this.generatedName(service);
    service.revisions.set(revision, {
      name: revision,
      image,
      containers: containersOf(image, env, secrets),
      ready,
      createTime: this.stamp(),
    });
    return revision;
  }

  /** Numbered after the generation that creates it, as Cloud Run does, and never reused. */
  private generatedName(service: StoredService, generation = service.generation): string {
    service.lastNumber = Math.max(generation, service.lastNumber + 1);
    return `${service.key.service}-${String(service.lastNumber).padStart(5, '0')}-${this.letters()}`;
  }

  /** PATCH: validates like Cloud Run, records the change and answers its Operation. */
  update(name: string, body: Record<string, unknown>, outcome: Outcome, message?: string): StoredOperation {
    const service = this.get(name);
    if (typeof body.etag === 'string' && body.etag && body.etag !== service.etag) {
      throw new TwinError(
        409,
        `etag mismatch: the service '${service.key.service}' has changed since it was read.`,
      );
    }
    const template = compact(body.template ?? {}) as Record<string, unknown>;
    const containers = (template.containers ?? []) as { image?: string }[];
    const image = containers[0]?.image;
    if (!image) throw new TwinError(400, 'template.containers[0].image is required.');

    const current = service.template as { revision?: string; containers?: unknown };
    const requested = typeof template.revision === 'string' ? template.revision : undefined;
    let created: string | undefined;
    if (requested) {
      if (!requested.startsWith(`${service.key.service}-`)) {
        throw new TwinError(400, `Revision name '${requested}' must start with '${service.key.service}-'.`);
      }
      const existing = service.revisions.get(requested);
      if (existing && !sameContainer(existing.containers, containers)) {
        throw new TwinError(
          409,
          `Revision named '${requested}' with different configuration already exists.`,
          'ALREADY_EXISTS',
        );
      }
      if (!existing) created = requested;
    } else if (!sameContainer(current.containers, containers) || current.revision) {
      created = this.generatedName(service, service.generation + 1);
    }

    const asked = readTraffic(body.traffic);
    const traffic: StoredTarget[] = asked.length > 0 ? asked : [{ type: LATEST, percent: 100 }];
    validateTraffic(traffic, service.key.service, (r) => r === created || service.revisions.has(r));

    service.generation += 1;
    service.etag = this.nextEtag();
    service.template = template;
    service.traffic = traffic;
    service.labels = (body.labels as Record<string, string>) ?? service.labels;
    service.annotations = (body.annotations as Record<string, string>) ?? service.annotations;
    service.updateTime = this.stamp();
    service.reconciling = true;
    if (created) {
      service.revisions.set(created, {
        name: created,
        image,
        containers,
        ready: false,
        createTime: this.stamp(),
      });
      service.latestCreated = created;
    }
    const operation: StoredOperation = {
      name: `projects/${service.key.project}/locations/${service.key.region}/operations/${randomUUID()}`,
      service,
      generation: service.generation,
      pollsLeft: outcome === 'stuck' ? Number.POSITIVE_INFINITY : this.operationPolls,
      outcome,
      message:
        message ?? `Revision '${created ?? service.latestCreated}' is not ready and cannot serve traffic.`,
      done: false,
      startedMs: this.now().getTime(),
      ...(created ? { created } : {}),
    };
    this.operations.set(operation.name, operation);
    if (operation.pollsLeft <= 0) this.finish(operation);
    return operation;
  }

  /** Operations of this service that Cloud Run would have finished by now without being polled. */
  private finishDue(service: StoredService) {
    const due = this.now().getTime() - this.operationMs;
    for (const operation of this.operations.values()) {
      const stuck = operation.pollsLeft === Number.POSITIVE_INFINITY;
      if (operation.service === service && !operation.done && !stuck && operation.startedMs <= due)
        this.finish(operation);
    }
  }

  /** GET operations/ID: one poll; the operation finishes on its Nth poll. */
  poll(name: string): StoredOperation {
    const operation = this.operations.get(name);
    if (!operation) throw new TwinError(404, `Operation '${name}' does not exist.`);
    if (!operation.done) {
      operation.pollsLeft -= 1;
      if (operation.pollsLeft <= 0) this.finish(operation);
    }
    return operation;
  }

  private finish(operation: StoredOperation) {
    operation.done = true;
    const service = operation.service;
    if (operation.generation < service.observedGeneration) return; // a later update already settled
    service.observedGeneration = operation.generation;
    service.reconciling = false;
    const revision = operation.created ? service.revisions.get(operation.created) : undefined;
    if (operation.outcome === 'failed') {
      if (revision) revision.message = operation.message;
      service.failure = operation.message;
      return;
    }
    service.failure = undefined;
    if (revision) {
      revision.ready = true;
      service.latestReady = revision.name;
    }
    if (operation.outcome !== 'stale-status') {
      service.statuses = resolveStatuses(service.traffic, service.latestReady);
    }
  }

  /** An out-of-band change (someone ran gcloud): applied and served at once. */
  setTraffic(service: StoredService, traffic: StoredTarget[]) {
    validateTraffic(traffic, service.key.service, (r) => service.revisions.has(r));
    service.generation += 1;
    service.observedGeneration = service.generation;
    service.etag = this.nextEtag();
    service.traffic = traffic;
    service.statuses = resolveStatuses(traffic, service.latestReady);
    service.updateTime = this.stamp();
  }

  /** Someone else updated the service: the etag moves, nothing the twin tracks changes. */
  touch(service: StoredService) {
    service.generation += 1;
    service.observedGeneration = service.generation;
    service.etag = this.nextEtag();
  }
}
