import { type AuthClient, GoogleAuth, PassThroughClient } from 'google-auth-library';
import { PlatformError, type PlatformErrorKind } from '../runbooks/ports/errors.ts';
import { kindOfHttpStatus } from './errors.ts';
import type { GoogleTarget } from './google.ts';

// Google REST APIs that have no @google-cloud client (Cloud Run's v1 domain mappings, IAM's service
// accounts) are called through google-auth-library: Application Default Credentials in production, a
// pass-through client against a twin. One attempt per call, bounded by a timeout; the answer is read
// whatever its status, so the caller sees Google's own error message.

export const CLOUD_PLATFORM_SCOPE = 'https://www.googleapis.com/auth/cloud-platform';

export type RestAuth = Pick<AuthClient, 'request'>;

/** ADC in production; a pass-through client when the target is a twin. */
export function restAuthOf(google: GoogleTarget): RestAuth {
  return google.endpoint
    ? new PassThroughClient()
    : new GoogleAuth({ scopes: [CLOUD_PLATFORM_SCOPE], projectId: google.projectId });
}

/** `https://<host><path>` in production, the twin's origin and the same path otherwise. */
export function restUrl(google: GoogleTarget, host: string, path: string): string {
  const endpoint = google.endpoint;
  if (!endpoint) return `https://${host}${path}`;
  return `${endpoint.protocol}://${endpoint.host}:${endpoint.port}${path}`;
}

export interface RestAnswer {
  status: number;
  /** The parsed JSON body; undefined when it was not JSON. */
  body: unknown;
}

export async function callGoogleRest(input: {
  auth: RestAuth;
  url: string;
  method: 'GET' | 'POST';
  data?: unknown;
  timeoutMs: number;
  /** For error messages: "the domain mapping of x". */
  subject: string;
  /** The API as people know it: "Cloud Run", "IAM". */
  api: string;
  system: string;
}): Promise<RestAnswer> {
  const { subject, api, timeoutMs } = input;
  const signal = AbortSignal.timeout(timeoutMs);
  try {
    const response = await input.auth.request<string>({
      url: input.url,
      method: input.method,
      headers: { accept: 'application/json' },
      ...(input.data === undefined ? {} : { data: input.data }),
      responseType: 'text',
      validateStatus: () => true, // every answer is read here, Google's error body included
      retry: false,
      signal,
    });
    const text = typeof response.data === 'string' ? response.data : JSON.stringify(response.data);
    return { status: response.status, body: parseJson(text) };
  } catch (error) {
    if (signal.aborted) {
      throw restFailure(
        input.system,
        'timeout',
        `${subject}: no answer from ${api} within ${timeoutMs} ms`,
        error,
      );
    }
    // ADC missing or refused (no answer from Google itself) lands here too, with its own words.
    throw restFailure(
      input.system,
      'unavailable',
      `${subject}: ${api} could not be reached (${error instanceof Error ? error.message || error.name : String(error)})`,
      error,
    );
  }
}

export function restFailure(
  system: string,
  kind: PlatformErrorKind,
  message: string,
  cause?: unknown,
): PlatformError {
  return new PlatformError(system, kind, message, cause === undefined ? undefined : { cause });
}

/** The message of Google's error body (`{error: {code, message, status}}`), bounded. */
export function googleMessage(body: unknown): string | undefined {
  const message = (body as { error?: { message?: unknown } } | undefined)?.error?.message;
  return typeof message === 'string' && message ? message.slice(0, 300) : undefined;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
