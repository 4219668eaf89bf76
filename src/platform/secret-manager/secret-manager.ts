import { SecretManagerServiceClient } from '@google-cloud/secret-manager';
import { PlatformError } from '../../runbooks/ports/errors.ts';
import { GRPC, kindOfGrpcError } from '../errors.ts';
import { type GoogleTarget, googleClientOptions } from '../google.ts';
import { crc32c } from './crc32c.ts';

// Secret Manager through @google-cloud/secret-manager: one call, accessSecretVersion. Every error names
// the reference (sm://projects/P/secrets/S/versions/V) and says what to do; none carries a value, and
// nothing here logs.

const SYSTEM = 'secret-manager';

export interface SecretManager {
  /** The payload of `projects/P/secrets/S/versions/V` as text, one trailing newline dropped. */
  access(name: string): Promise<string>;
  close(): Promise<void>;
}

export interface SecretManagerOptions {
  /** Production: {projectId}; tests and the sandbox add the twin's endpoint. */
  target: GoogleTarget;
  /** Bound on each attempt. */
  timeoutMs?: number;
  /** Attempts in all when Secret Manager answers UNAVAILABLE or RESOURCE_EXHAUSTED. */
  attempts?: number;
  /** Wait before the second attempt, doubled for each one after. */
  retryDelayMs?: number;
}

export function createSecretManager(options: SecretManagerOptions): SecretManager {
  const { timeoutMs = 10_000, attempts = 3, retryDelayMs = 500 } = options;
  const clientOptions = googleClientOptions(options.target);
  const client = new SecretManagerServiceClient(clientOptions);

  async function access(name: string): Promise<string> {
    const ref = `sm://${name}`;
    for (let attempt = 1; ; attempt++) {
      try {
        // Set up the client here, where a failure (no credentials) is caught: the generated method would
        // rethrow it from a promise nobody awaits, an unhandled rejection that ends the process.
        await client.initialize();
        // The library's own retry (2 s backoff, 10 min in all) is off: start-up should fail in seconds.
        const [response] = await client.accessSecretVersion({ name }, { timeout: timeoutMs, retry: null });
        return decode(ref, response.payload);
      } catch (error) {
        if (error instanceof PlatformError) throw error;
        const code = (error as { code?: unknown }).code;
        const transient = code === GRPC.UNAVAILABLE || code === GRPC.RESOURCE_EXHAUSTED;
        if (!transient || attempt >= attempts) throw failure(ref, error, { attempt, timeoutMs });
        await new Promise((resolve) => setTimeout(resolve, retryDelayMs * 2 ** (attempt - 1)));
      }
    }
  }

  // A client whose connection never came up (no credentials) rejects close() too; there is nothing to close.
  return { access, close: () => client.close().catch(() => {}) };
}

interface Payload {
  data?: Uint8Array | string | null;
  dataCrc32c?: number | string | { toString(): string } | null;
}

function decode(ref: string, payload: Payload | null | undefined): string {
  const data = payload?.data;
  if (data === undefined || data === null) {
    throw new PlatformError(SYSTEM, 'invalid', `${ref}: Secret Manager answered without a payload`);
  }
  const bytes = typeof data === 'string' ? Buffer.from(data, 'base64') : data;
  const expected = payload?.dataCrc32c;
  if (expected !== undefined && expected !== null && Number(String(expected)) !== crc32c(bytes)) {
    throw new PlatformError(
      SYSTEM,
      'invalid',
      `${ref}: the payload failed its CRC32C check (damaged on the way); try again`,
    );
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new PlatformError(SYSTEM, 'invalid', `${ref}: the payload is not UTF-8 text`);
  }
  // `gcloud secrets versions add --data-file=-` after `echo` stores a newline no token ends with.
  return text.replace(/\r?\n$/, '');
}

function failure(ref: string, error: unknown, at: { attempt: number; timeoutMs: number }): PlatformError {
  const code = (error as { code?: unknown }).code;
  const said = (error as Error).message ? ` (Secret Manager: ${(error as Error).message})` : '';
  const make = (kind: ConstructorParameters<typeof PlatformError>[1], text: string) =>
    new PlatformError(SYSTEM, kind, `${ref}: ${text}`, { cause: error });
  switch (code) {
    case GRPC.NOT_FOUND:
      return make('not-found', `no such secret or version${said}`);
    case GRPC.FAILED_PRECONDITION:
      // `latest` is the newest version whatever its state, so a disabled newest version ends here too.
      return make(
        'not-found',
        `the version is disabled or destroyed; enable it or name an enabled version (latest means the newest version, even a disabled one)${said}`,
      );
    case GRPC.PERMISSION_DENIED:
      return make(
        'permission-denied',
        `permission denied; grant the bot's service account roles/secretmanager.secretAccessor on this secret${said}`,
      );
    case GRPC.UNAUTHENTICATED:
      return make(
        'unauthorized',
        `the Google credentials were rejected; check Application Default Credentials${said}`,
      );
    case GRPC.DEADLINE_EXCEEDED:
      return make('timeout', `Secret Manager did not answer within ${at.timeoutMs} ms`);
    case GRPC.RESOURCE_EXHAUSTED:
      return make('rate-limited', `Secret Manager quota exhausted, ${at.attempt} attempt(s)${said}`);
    case GRPC.UNAVAILABLE:
      return make('unavailable', `Secret Manager unavailable, ${at.attempt} attempt(s)${said}`);
    default:
      // google-auth-library's NO_ADC_FOUND (not exported), raised before any request and without a code.
      if (/^Could not load the default credentials/.test((error as Error).message ?? '')) {
        return make(
          'unauthorized',
          'no Google credentials: run `gcloud auth application-default login` locally, or give the service a service account',
        );
      }
      return make(kindOfGrpcError(error), `Secret Manager could not be read${said}`);
  }
}
