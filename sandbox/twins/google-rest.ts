import { HttpResponse } from 'msw';
import type { Fault, Recorder } from './recorder.ts';

// What the Google twins share: Google's JSON error body (the REST transport of the
// client libraries turns it into a gRPC code: 400 -> INVALID_ARGUMENT, 403 -> PERMISSION_DENIED ...),
// enum encoding as the client asks for it, faults taken from the Recorder, and the Cloud Run service
// a twin assumes when a test leaves it out.

export const STATUS_OF: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  409: 'ABORTED',
  429: 'RESOURCE_EXHAUSTED',
  500: 'INTERNAL',
  501: 'UNIMPLEMENTED',
  503: 'UNAVAILABLE',
  504: 'DEADLINE_EXCEEDED',
};

export function googleError(
  code: number,
  message: string,
  headers: Record<string, string> = {},
  status = STATUS_OF[code] ?? 'UNKNOWN',
  details?: unknown[],
) {
  return HttpResponse.json(
    { error: { code, message, status, ...(details ? { details } : {}) } },
    { status: code, headers },
  );
}

/** A request the twin refuses as Google would: 400 INVALID_ARGUMENT with this message. */
export class InvalidArgument extends Error {
  readonly code: number;
  constructor(message: string, code = 400) {
    super(message);
    this.code = code;
  }
}

/** The project, service and location a twin's data is about unless a test says otherwise. */
export function serviceDefaults(options: { project?: string; service?: string; location?: string }) {
  return {
    project: options.project ?? 'p',
    service: options.service ?? 'svc',
    location: options.location ?? 'us-central1',
  };
}

/** The REST client asks `$alt=json;enum-encoding=int`: enums then travel as numbers both ways. */
export function wantsIntEnums(url: URL | Request): boolean {
  const { searchParams } = url instanceof URL ? url : new URL(url.url);
  return (searchParams.get('$alt') ?? '').includes('enum-encoding=int');
}

const FAULT_MESSAGES: Record<number, string> = {
  403: 'The caller does not have permission',
  404: 'Requested entity was not found.',
  429: 'Quota exceeded for quota metric "Read requests" and limit "Read requests per minute".',
  500: 'Internal error encountered.',
  503: 'The service is currently unavailable.',
};

/**
 * Records the request and applies the next matching fault: wait `delayMs` (cut short when the client
 * gives up), then answer `status` if one is set. Returns the error response, or undefined to go on.
 */
export async function applyFault(recorder: Recorder, request: Request): Promise<Response | undefined> {
  const recorded = await recorder.record(request);
  const fault: Fault | undefined = recorder.takeFault(recorded.method, recorded.path);
  if (!fault) return undefined;
  if (fault.delayMs) await waitUnlessAborted(fault.delayMs, request.signal);
  if (!fault.status) return undefined;
  const headers: Record<string, string> = fault.retryAfter ? { 'retry-after': String(fault.retryAfter) } : {};
  return googleError(
    fault.status,
    fault.message ?? FAULT_MESSAGES[fault.status] ?? 'twin: injected fault',
    headers,
  );
}

/**
 * A Google call as a twin answers it: the request recorded and a pending fault applied (see applyFault),
 * then `answer`; an InvalidArgument it throws is Google's error body with that code.
 */
export async function answerGoogleCall(
  recorder: Recorder,
  request: Request,
  answer: () => Response | Promise<Response>,
): Promise<Response> {
  const faulted = await applyFault(recorder, request);
  if (faulted) return faulted;
  try {
    return await answer();
  } catch (error) {
    if (error instanceof InvalidArgument) return googleError(error.code, error.message);
    throw error;
  }
}

function waitUnlessAborted(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

/** Opaque page tokens that only fit the query they came from, as Google's do. */
export function pageToken(offset: number, fingerprint: string): string {
  return Buffer.from(JSON.stringify({ offset, fingerprint })).toString('base64url');
}

export function readPageToken(token: string, fingerprint: string): number {
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString()) as {
      offset?: unknown;
      fingerprint?: unknown;
    };
    if (parsed.fingerprint === fingerprint && Number.isInteger(parsed.offset)) return parsed.offset as number;
  } catch {
    // falls through to the refusal
  }
  throw new InvalidArgument(`Invalid page token "${token}": it does not belong to this query.`);
}
