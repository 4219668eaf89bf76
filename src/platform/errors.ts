/**
 * What went wrong talking to the outside world, in words a person acting on it needs. Every adapter
 * maps its client's failures to one of these kinds; `message` names the resource, never a secret.
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

/** gRPC status codes as google-gax reports them, for mapping client errors. */
export const GRPC = {
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  UNAVAILABLE: 14,
  UNAUTHENTICATED: 16,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  INTERNAL: 13,
} as const;

/** Maps a google-gax error (it carries a numeric gRPC `code`) to a kind. */
export function kindOfGrpcError(error: unknown): PlatformErrorKind {
  const code = (error as { code?: unknown })?.code;
  switch (code) {
    case GRPC.NOT_FOUND:
      return 'not-found';
    case GRPC.PERMISSION_DENIED:
      return 'permission-denied';
    case GRPC.UNAUTHENTICATED:
      return 'unauthorized';
    case GRPC.ABORTED:
    case GRPC.FAILED_PRECONDITION:
    case GRPC.ALREADY_EXISTS:
      return 'conflict';
    case GRPC.RESOURCE_EXHAUSTED:
      return 'rate-limited';
    case GRPC.DEADLINE_EXCEEDED:
      return 'timeout';
    case GRPC.INVALID_ARGUMENT:
      return 'invalid';
    default:
      return 'unavailable';
  }
}
