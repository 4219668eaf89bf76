import { ArtifactRegistryClient } from '@google-cloud/artifact-registry';
import { PlatformError, type PlatformErrorKind } from '../../runbooks/ports/errors.ts';
import type { ImageRegistry, ResolvedImage } from '../../runbooks/ports/preconditions.ts';
import { GRPC, kindOfGrpcError } from '../errors.ts';
import { type GoogleTarget, googleClientOptions } from '../google.ts';
import {
  DIGEST,
  type ImageRef,
  packageName,
  parseImageRef,
  pinned,
  repositoryName,
  repositoryUrl,
  tagName,
  versionName,
} from './image-ref.ts';

// The image check of the preconditions, through @google-cloud/artifact-registry v1: a tag is read with
// tags.get (`.../packages/IMAGE/tags/TAG` answers `version: .../versions/sha256:...`), a digest with
// versions.get. When either is missing, packages.get and repositories.get say which part of the reference
// is wrong, so the thread names the typo rather than a bare "not found".

const SYSTEM = 'artifact-registry';

export interface ArtifactRegistryOptions {
  /** Production: {projectId}; tests and the sandbox add the twin's endpoint. */
  google: GoogleTarget;
  /** Deadline of one call. */
  callTimeoutMs?: number;
  /** Attempts in all when Artifact Registry answers UNAVAILABLE or RESOURCE_EXHAUSTED. */
  attempts?: number;
  /** Wait before the second attempt, doubled for each one after. */
  retryDelayMs?: number;
}

const TRANSIENT = new Set<unknown>([GRPC.UNAVAILABLE, GRPC.RESOURCE_EXHAUSTED, GRPC.DEADLINE_EXCEEDED]);

function failure(kind: PlatformErrorKind, message: string, cause?: unknown): PlatformError {
  return new PlatformError(SYSTEM, kind, message, cause === undefined ? undefined : { cause });
}

const codeOf = (error: unknown) => (error as { code?: unknown })?.code;
const saidBy = (error: unknown) => {
  const message = (error as { message?: unknown })?.message;
  return message ? ` (Artifact Registry: ${String(message)})` : '';
};

const CODE_OF_STATUS: Record<string, number> = {
  INVALID_ARGUMENT: GRPC.INVALID_ARGUMENT,
  DEADLINE_EXCEEDED: GRPC.DEADLINE_EXCEEDED,
  NOT_FOUND: GRPC.NOT_FOUND,
  ALREADY_EXISTS: GRPC.ALREADY_EXISTS,
  PERMISSION_DENIED: GRPC.PERMISSION_DENIED,
  RESOURCE_EXHAUSTED: GRPC.RESOURCE_EXHAUSTED,
  FAILED_PRECONDITION: GRPC.FAILED_PRECONDITION,
  ABORTED: GRPC.ABORTED,
  INTERNAL: GRPC.INTERNAL,
  UNAVAILABLE: GRPC.UNAVAILABLE,
  UNAUTHENTICATED: GRPC.UNAUTHENTICATED,
};

const CODE_OF_HTTP: Record<number, number> = {
  400: GRPC.INVALID_ARGUMENT,
  401: GRPC.UNAUTHENTICATED,
  403: GRPC.PERMISSION_DENIED,
  404: GRPC.NOT_FOUND,
  409: GRPC.ABORTED,
  429: GRPC.RESOURCE_EXHAUSTED,
  500: GRPC.INTERNAL,
  503: GRPC.UNAVAILABLE,
  504: GRPC.DEADLINE_EXCEEDED,
};

/**
 * A client error with a gRPC `code` and Google's own message. The library still runs on google-gax 5,
 * whose REST transport (tests, the sandbox) leaves gaxios 7's HTTP status on `code` and Google's JSON
 * error body as the message (googleapis/gax-nodejs#1803); gRPC errors pass as they are.
 */
function normalized(error: unknown): unknown {
  const code = codeOf(error);
  if (typeof code !== 'number' || code < 100) return error;
  let body: { error?: { status?: unknown; message?: unknown } } | undefined;
  try {
    body = JSON.parse(String((error as Error).message));
  } catch {
    body = undefined;
  }
  const status = String(body?.error?.status ?? '');
  const message = body?.error?.message;
  return Object.assign(new Error(typeof message === 'string' ? message : (error as Error).message), {
    code:
      CODE_OF_STATUS[status] ??
      CODE_OF_HTTP[code] ??
      (code >= 500 ? GRPC.UNAVAILABLE : GRPC.INVALID_ARGUMENT),
    httpStatus: code,
    cause: error,
  });
}

export class ArtifactRegistryAdapter implements ImageRegistry {
  private readonly client: ArtifactRegistryClient;
  private readonly callTimeoutMs: number;
  private readonly attempts: number;
  private readonly retryDelayMs: number;

  constructor(options: ArtifactRegistryOptions) {
    // The library bundles its own google-auth-library; the pass-through client of ours fits it by shape.
    this.client = new ArtifactRegistryClient(
      googleClientOptions(options.google) as ConstructorParameters<typeof ArtifactRegistryClient>[0],
    );
    this.callTimeoutMs = options.callTimeoutMs ?? 30_000;
    this.attempts = options.attempts ?? 3;
    this.retryDelayMs = options.retryDelayMs ?? 500;
  }

  async close(): Promise<void> {
    // A client whose connection never came up (no credentials) rejects close() too.
    await this.client.close().catch(() => {});
  }

  async resolveImage(requested: string): Promise<ResolvedImage> {
    const parsed = parseImageRef(requested);
    if (!parsed.ok) throw failure('invalid', parsed.reason);
    const ref = parsed.ref;
    if (ref.digest) {
      const name = versionName(ref, ref.digest);
      await this.read(ref, `digest ${ref.digest} of image '${ref.image}'`, () =>
        this.client.getVersion({ name }, this.options),
      );
      return {
        requested,
        digest: ref.digest,
        image: pinned(ref, ref.digest),
        ...(ref.tag ? { tag: ref.tag } : {}),
      };
    }
    const tag = ref.tag ?? 'latest'; // what docker pulls when no tag is named
    const [found] = await this.read(ref, `tag '${tag}' of image '${ref.image}'`, () =>
      this.client.getTag({ name: tagName(ref, tag) }, this.options),
    );
    const version = found.version ?? '';
    const digest = version.slice(version.lastIndexOf('/versions/') + '/versions/'.length);
    if (!version.includes('/versions/') || !DIGEST.test(digest)) {
      throw failure(
        'invalid',
        `tag '${tag}' of image '${ref.image}' in ${repositoryUrl(ref)} points at '${version}', not at a sha256 digest`,
      );
    }
    return { requested, digest, image: pinned(ref, digest), tag };
  }

  /** The library's retry is off: preconditions should answer in seconds, with our bound. */
  private get options() {
    return { timeout: this.callTimeoutMs, retry: null };
  }

  /** One read; on NOT_FOUND, finds out which part of the reference is missing. */
  private async read<T>(ref: ImageRef, what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await this.attempt(fn);
    } catch (error) {
      if (codeOf(error) !== GRPC.NOT_FOUND) throw this.mapped(error, ref, what);
      throw failure('not-found', await this.missing(ref, what), error);
    }
  }

  private async attempt<T>(fn: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        // Set up here, where a failure (no credentials) is caught: the generated method would rethrow it
        // from a promise nobody awaits.
        await this.client.initialize();
        return await fn();
      } catch (thrown) {
        const error = normalized(thrown);
        if (!TRANSIENT.has(codeOf(error)) || attempt >= this.attempts) throw error;
        await new Promise((resolve) => setTimeout(resolve, this.retryDelayMs * 2 ** (attempt - 1)));
      }
    }
  }

  /** The most specific missing part: the repository, else the image, else the tag or digest itself. */
  private async missing(ref: ImageRef, what: string): Promise<string> {
    const repository = `repository ${repositoryUrl(ref)} (project ${ref.project}, location ${ref.location})`;
    const exists = async (fn: () => Promise<unknown>) => {
      try {
        await this.attempt(fn);
        return true;
      } catch (error) {
        if (codeOf(error) === GRPC.NOT_FOUND) return false;
        return undefined; // cannot tell: say what was asked for
      }
    };
    if ((await exists(() => this.client.getPackage({ name: packageName(ref) }, this.options))) === false) {
      const repo = await exists(() => this.client.getRepository({ name: repositoryName(ref) }, this.options));
      if (repo === false) return `${repository} not found in Artifact Registry`;
      return `image '${ref.image}' not found in ${repository}`;
    }
    return `${what} not found in ${repository}`;
  }

  private mapped(error: unknown, ref: ImageRef, what: string): PlatformError {
    const kind = kindOfGrpcError(error);
    const subject = `${what} in ${repositoryUrl(ref)}`;
    const said = saidBy(error);
    if (kind === 'permission-denied') {
      return failure(
        kind,
        `permission denied reading ${subject}; grant the bot's service account roles/artifactregistry.reader on the repository${said}`,
        error,
      );
    }
    // google-auth-library's NO_ADC_FOUND carries no code: it fails before any request.
    const noCredentials = /^Could not load the default credentials/.test(String((error as Error)?.message));
    if (kind === 'unauthorized' || noCredentials) {
      return failure('unauthorized', `credentials rejected reading ${subject}${said}`, error);
    }
    return failure(kind, `${subject}: Artifact Registry could not be read${said}`, error);
  }
}
