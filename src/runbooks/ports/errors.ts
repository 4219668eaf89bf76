/**
 * What went wrong talking to the outside world, in words a person acting on it needs. Every adapter
 * behind a port maps its client's failures to one of these kinds (platform/ holds the mappings from
 * gRPC codes and HTTP statuses); `message` names the resource, never a secret.
 */
export type PlatformErrorKind =
  | 'not-found' // the service, revision, job, secret or series does not exist
  | 'unauthorized' // credentials missing or rejected (401)
  | 'permission-denied' // authenticated but not allowed (403)
  | 'conflict' // etag mismatch or concurrent change, after the bounded retries
  | 'operation-failed' // a long-running operation ended with an error
  | 'timeout' // no answer or no finished operation within the bound
  | 'rate-limited' // 429 / RESOURCE_EXHAUSTED, after the bounded retries
  | 'unavailable' // 5xx or unreachable
  | 'invalid' // the request was refused as malformed (400), or the answer could not be understood
  | 'verify-failed'; // a change was accepted but reading it back shows something else

export class PlatformError extends Error {
  readonly kind: PlatformErrorKind;
  /** Which system: 'cloud-run', 'route-split', 'secret-manager', 'monitoring', 'logging', 'prometheus'. */
  readonly system: string;
  constructor(system: string, kind: PlatformErrorKind, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PlatformError';
    this.system = system;
    this.kind = kind;
  }
}
