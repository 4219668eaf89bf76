import { PlatformError, type PlatformErrorKind } from '../../runbooks/ports/errors.ts';
import { GRPC, kindOfGrpcError } from '../errors.ts';

// Client-library errors turned into PlatformErrors that say which resource, what happened and what Cloud
// Run said, plus which of them are worth another attempt.

export const SYSTEM = 'cloud-run';

const TRANSIENT = new Set<unknown>([
  GRPC.RESOURCE_EXHAUSTED,
  GRPC.UNAVAILABLE,
  GRPC.INTERNAL,
  GRPC.DEADLINE_EXCEEDED,
]);

/** 429, 5xx and deadlines: another attempt may well succeed. */
export function isTransient(error: unknown): boolean {
  return TRANSIENT.has((error as { code?: unknown })?.code);
}

/** The delay Google asked for in a RetryInfo detail (the REST twin of Retry-After), in ms. */
export function askedDelayMs(error: unknown): number | undefined {
  const details = (error as { statusDetails?: unknown })?.statusDetails;
  if (!Array.isArray(details)) return undefined;
  for (const d of details) {
    const delay = (d as { retryDelay?: { seconds?: unknown; nanos?: unknown } })?.retryDelay;
    if (delay) return Number(delay.seconds ?? 0) * 1000 + Math.round(Number(delay.nanos ?? 0) / 1e6);
  }
  return undefined;
}

export function failure(kind: PlatformErrorKind, message: string, cause?: unknown): PlatformError {
  return new PlatformError(SYSTEM, kind, message, cause === undefined ? undefined : { cause });
}

/** `subject` names the resource, e.g. "Cloud Run service 'control' (project p, region us-central1)". */
export function cloudRunError(error: unknown, subject: string, attempts = 1): PlatformError {
  if (error instanceof PlatformError) return error;
  const kind = kindOfGrpcError(error);
  const said = (error as { message?: unknown })?.message ?? String(error);
  const after = attempts > 1 ? ` after ${attempts} attempts` : '';
  const text: Record<PlatformErrorKind, string> = {
    'not-found': `${subject} not found (Cloud Run: ${said})`,
    'permission-denied': `permission denied on ${subject} (Cloud Run: ${said})`,
    unauthorized: `credentials rejected for ${subject} (Cloud Run: ${said})`,
    conflict: `${subject} changed while being updated${after} (Cloud Run: ${said})`,
    'rate-limited': `${subject}: rate limited by Cloud Run${after} (${said})`,
    unavailable: `${subject}: Cloud Run unavailable${after} (${said})`,
    timeout: `${subject}: no answer from Cloud Run in time${after} (${said})`,
    invalid: `${subject}: Cloud Run refused the request (${said})`,
    'operation-failed': `${subject}: operation failed (${said})`,
    'verify-failed': `${subject}: ${said}`,
  };
  return failure(kind, text[kind], error);
}
