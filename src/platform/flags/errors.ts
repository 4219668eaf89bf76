import { PlatformError, type PlatformErrorKind } from '../../runbooks/ports/errors.ts';

// Failures of both flag backends, as PlatformErrors of system 'flags' (the port's contract).

export const SYSTEM = 'flags';

export function failure(kind: PlatformErrorKind, message: string, cause?: unknown): PlatformError {
  return new PlatformError(SYSTEM, kind, message, cause === undefined ? undefined : { cause });
}

/** Every occurrence of `secret` in `text` replaced: a server may echo the request it refused. */
export function redact(text: string, secret: string | undefined): string {
  return secret ? text.split(secret).join('[redacted]') : text;
}
