import { PlatformError, type PlatformErrorKind } from '../../runbooks/ports/errors.ts';

// Failures of every report sink, as PlatformErrors of system 'reports' (the port's contract), and the
// names a sink accepts: a run id and a file name become object names and repository paths, so neither
// may climb out of its folder.

export const SYSTEM = 'reports';

export function failure(kind: PlatformErrorKind, message: string, cause?: unknown): PlatformError {
  return new PlatformError(SYSTEM, kind, message, cause === undefined ? undefined : { cause });
}

// As the store's ids (store/keys.ts), and never only dots: "." and ".." would name a parent folder.
const SEGMENT = /^(?!\.+$)[A-Za-z0-9._-]{1,128}$/;

/** Refuses a run id or file name that is not one plain path segment. */
export function checkSegments(runId: string, name?: string): void {
  if (!SEGMENT.test(runId)) {
    throw failure(
      'invalid',
      `report sink: invalid run id ${JSON.stringify(runId)}: expected 1-128 of [A-Za-z0-9._-]`,
    );
  }
  if (name !== undefined && !SEGMENT.test(name)) {
    throw failure(
      'invalid',
      `report sink: invalid file name ${JSON.stringify(name)}: expected 1-128 of [A-Za-z0-9._-]`,
    );
  }
}

/** Every occurrence of `secret` in `text` replaced: a server may echo the request it refused. */
export function redact(text: string, secret: string | undefined): string {
  return secret ? text.split(secret).join('[redacted]') : text;
}
