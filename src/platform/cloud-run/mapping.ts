import type { protos } from '@google-cloud/run';
import type {
  ExecutionStatus,
  JobExecution,
  Revision,
  ServiceRef,
  ServiceState,
} from '../../runbooks/ports/cloud-run.ts';
import { portTargets, shortName } from './traffic.ts';

// From the client library's messages to the port's plain data (no Google types past this file).

export type Service = protos.google.cloud.run.v2.IService;
export type RevisionMessage = protos.google.cloud.run.v2.IRevision;
export type Execution = protos.google.cloud.run.v2.IExecution;
export type Task = protos.google.cloud.run.v2.ITask;
type Condition = protos.google.cloud.run.v2.ICondition;
type Timestamp = protos.google.protobuf.ITimestamp | null | undefined;

export const serviceName = (r: ServiceRef) =>
  `projects/${r.project}/locations/${r.region}/services/${r.service}`;

/** RFC 3339, or undefined for an unset timestamp. */
export function isoOf(t: Timestamp): string | undefined {
  if (!t || t.seconds === null || t.seconds === undefined) return undefined;
  return new Date(Number(String(t.seconds)) * 1000 + Math.round(Number(t.nanos ?? 0) / 1e6)).toISOString();
}

// Enums arrive as names from the REST transport and may arrive as numbers over gRPC.
const SUCCEEDED = new Set<unknown>(['CONDITION_SUCCEEDED', 4]);
const FAILED = new Set<unknown>(['CONDITION_FAILED', 3]);
const CANCELLED = new Set<unknown>(['CANCELLED', 3]);

const conditionOf = (conditions: Condition[] | null | undefined, type: string) =>
  (conditions ?? []).find((c) => c.type === type);

type EnvVar = protos.google.cloud.run.v2.IEnvVar;
type Container = { image?: string | null; env?: EnvVar[] | null };

/** The first container's variables with a literal value; a secret-backed one (valueSource) is left out. */
export function envOf(containers: Container[] | null | undefined): Record<string, string> {
  const env: Record<string, string> = {};
  for (const v of containers?.[0]?.env ?? []) {
    if (v.name && !v.valueSource) env[v.name] = v.value ?? '';
  }
  return env;
}

/** Names of the first container's variables: literal ones, and ones read from Secret Manager. */
export function envNamesOf(containers: Container[] | null | undefined): { env: string[]; secrets: string[] } {
  const env: string[] = [];
  const secrets: string[] = [];
  for (const v of containers?.[0]?.env ?? []) {
    if (!v.name) continue;
    if (v.valueSource?.secretKeyRef) secrets.push(v.name);
    else if (!v.valueSource) env.push(v.name);
  }
  return { env, secrets };
}

/**
 * `env` set over a container's variables: a named one takes the new value (replacing a secret reference:
 * value and valueSource are one field of the API), the others stay in their order, new ones go last.
 */
export function withEnv(current: EnvVar[] | null | undefined, env: Record<string, string>): EnvVar[] {
  const left = new Map(Object.entries(env));
  const out: EnvVar[] = (current ?? []).map((v) => {
    const value = v.name ? left.get(v.name) : undefined;
    if (value === undefined) return v;
    left.delete(v.name as string);
    return { name: v.name, value };
  });
  for (const [name, value] of left) out.push({ name, value });
  return out;
}

export function imageOf(containers: { image?: string | null }[] | null | undefined): string {
  return containers?.[0]?.image ?? '';
}

/** `images`: by short revision name, fetched by the adapter (the Service message has none). */
export function stateOf(ref: ServiceRef, s: Service, images: Record<string, string>): ServiceState {
  const latestReady = shortName(s.latestReadyRevision);
  const latestCreated = shortName(s.latestCreatedRevision);
  return {
    ref,
    url: s.uri ?? '',
    etag: s.etag ?? '',
    image: imageOf(s.template?.containers),
    ...(latestReady ? { latestReadyRevision: latestReady } : {}),
    ...(latestCreated ? { latestCreatedRevision: latestCreated } : {}),
    traffic: portTargets(s.traffic, latestReady),
    trafficStatuses: portTargets(s.trafficStatuses, latestReady),
    images,
  };
}

/** Short names of every revision a state mentions, whose images it shows. */
export function revisionsNamed(s: Service): string[] {
  const names = [s.latestReadyRevision, s.latestCreatedRevision]
    .concat((s.traffic ?? []).map((t) => t.revision))
    .concat((s.trafficStatuses ?? []).map((t) => t.revision))
    .map(shortName)
    .filter(Boolean);
  return [...new Set(names)];
}

export function revisionOf(r: RevisionMessage): Revision {
  const createdAt = isoOf(r.createTime);
  return {
    name: shortName(r.name),
    image: imageOf(r.containers),
    ready: SUCCEEDED.has(conditionOf(r.conditions, 'Ready')?.state),
    ...(createdAt ? { createdAt } : {}),
    env: envOf(r.containers),
  };
}

function statusOf(e: Execution, completed: Condition | undefined): ExecutionStatus {
  if (SUCCEEDED.has(completed?.state)) return 'succeeded';
  const cancelled = (e.cancelledCount ?? 0) > 0 || CANCELLED.has(completed?.executionReason);
  if (FAILED.has(completed?.state)) return cancelled ? 'cancelled' : 'failed';
  if (e.completionTime) {
    if (cancelled) return 'cancelled';
    return (e.failedCount ?? 0) > 0 ? 'failed' : 'succeeded';
  }
  return (e.runningCount ?? 0) > 0 || e.startTime ? 'running' : 'pending';
}

export function executionOf(e: Execution): JobExecution {
  const completed = conditionOf(e.conditions, 'Completed');
  const status = statusOf(e, completed);
  const image = imageOf(e.template?.containers);
  const createdAt = isoOf(e.createTime);
  const completedAt = isoOf(e.completionTime);
  const message = status === 'succeeded' ? '' : (completed?.message ?? '');
  return {
    name: shortName(e.name),
    status,
    succeeded: status === 'succeeded',
    ...(image ? { image } : {}),
    ...(createdAt ? { createdAt } : {}),
    ...(completedAt ? { completedAt } : {}),
    ...(message ? { message } : {}),
  };
}

/**
 * The exit code of a task's last attempt, or null when there is none: no attempt finished yet, the
 * container was killed by a signal, or the attempt failed without exiting (a timeout). Proto3 leaves a
 * 0 exit code off the wire, so a missing one is 0 only when the attempt's status is OK.
 */
export function exitCodeOf(task: Task | undefined): number | null {
  const result = task?.lastAttemptResult;
  if (!result) return null;
  if (Number(result.termSignal ?? 0) !== 0) return null;
  const code = Number(result.exitCode ?? 0);
  if (code !== 0) return code;
  return Number(result.status?.code ?? 0) === 0 ? 0 : null;
}
