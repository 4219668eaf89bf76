import { HttpResponse } from 'msw';

// Google's JSON error body, as the REST transport of the client libraries decodes it into a gRPC code.

const STATUS_OF: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  409: 'ABORTED',
  429: 'RESOURCE_EXHAUSTED',
  500: 'INTERNAL',
  503: 'UNAVAILABLE',
  504: 'DEADLINE_EXCEEDED',
};

export function googleError(
  code: number,
  message: string,
  status = STATUS_OF[code] ?? 'UNKNOWN',
  headers: Record<string, string> = {},
) {
  return HttpResponse.json({ error: { code, message, status } }, { status: code, headers });
}
