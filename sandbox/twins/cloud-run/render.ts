import type { StoredOperation, StoredRevision, StoredService } from './services.ts';
import { SERVICE_TYPE, serviceUrl } from './wire.ts';

// Stored services, revisions and operations as the v2 REST API answers them (enums as names; the
// handlers turn them into numbers when the client asks).

function revisionPath(service: StoredService, revision: string): string {
  return `${service.name}/revisions/${revision}`;
}

function condition(type: string, ok: boolean, at: string, message?: string) {
  return {
    type,
    state: ok ? 'CONDITION_SUCCEEDED' : 'CONDITION_FAILED',
    lastTransitionTime: at,
    ...(message ? { message, severity: 'ERROR' } : {}),
  };
}

export function serviceJson(s: StoredService): Record<string, unknown> {
  const { project, region, service } = s.key;
  const urlOf = s.urls ?? ((tag?: string) => serviceUrl(project, region, service, tag));
  const uri = urlOf();
  const ok = !s.failure;
  return {
    name: s.name,
    uid: s.uid,
    generation: String(s.generation),
    labels: s.labels,
    annotations: s.annotations,
    createTime: s.createTime,
    updateTime: s.updateTime,
    creator: 'deployer@twin.iam.gserviceaccount.com',
    lastModifier: 'deployer@twin.iam.gserviceaccount.com',
    launchStage: 'GA',
    template: s.template,
    traffic: s.traffic,
    observedGeneration: String(s.observedGeneration),
    terminalCondition: condition('Ready', ok, s.updateTime, s.failure),
    conditions: [
      condition('RoutesReady', true, s.updateTime),
      condition('ConfigurationsReady', ok, s.updateTime),
    ],
    ...(s.latestReady ? { latestReadyRevision: revisionPath(s, s.latestReady) } : {}),
    ...(s.latestCreated ? { latestCreatedRevision: revisionPath(s, s.latestCreated) } : {}),
    trafficStatuses: s.statuses.map((t) => ({
      ...t,
      ...(t.tag ? { uri: urlOf(t.tag) } : {}),
    })),
    uri,
    urls: [uri],
    reconciling: s.reconciling,
    etag: s.etag,
  };
}

export function revisionJson(s: StoredService, r: StoredRevision): Record<string, unknown> {
  return {
    name: revisionPath(s, r.name),
    generation: '1',
    createTime: r.createTime,
    launchStage: 'GA',
    service: s.key.service,
    containers: r.containers,
    conditions: [condition('Ready', r.ready, r.createTime, r.message)],
    logUri: `https://console.cloud.google.com/logs/viewer?project=${s.key.project}&resource=cloud_run_revision/service_name/${s.key.service}/revision_name/${r.name}`,
    reconciling: !r.ready && !r.message,
    etag: `"${r.name}"`,
  };
}

/** An update's Operation: metadata and response carry `@type`, or the client library refuses them. */
export function operationJson(operation: StoredOperation): Record<string, unknown> {
  const service = { '@type': SERVICE_TYPE, ...serviceJson(operation.service) };
  if (!operation.done) return { name: operation.name, metadata: service, done: false };
  if (operation.outcome === 'failed') {
    return {
      name: operation.name,
      metadata: service,
      done: true,
      error: { code: 9, message: operation.message },
    };
  }
  return { name: operation.name, metadata: service, done: true, response: service };
}
