import type { PlatformErrorKind } from '../runbooks/ports/errors.ts';

// The adapters' side of PlatformError (runbooks/ports/errors.ts): how a Google client's failure maps to
// a kind.

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

/** The kind an HTTP status stands for (Google's REST and JSON APIs and GitHub's alike). */
export function kindOfHttpStatus(status: number | undefined): PlatformErrorKind {
  switch (status) {
    case 400:
    case 422:
      return 'invalid';
    case 401:
      return 'unauthorized';
    case 403:
      return 'permission-denied';
    case 404:
      return 'not-found';
    case 409:
    case 412:
      return 'conflict';
    case 429:
      return 'rate-limited';
    case 408:
      return 'timeout';
    default:
      return 'unavailable';
  }
}
