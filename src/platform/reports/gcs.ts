import { IdempotencyStrategy, Storage } from '@google-cloud/storage';
import type { ReportFile, ReportSink, StoredReport } from '../../runbooks/ports/report-sink.ts';
import { kindOfHttpStatus } from '../errors.ts';
import type { GoogleTarget } from '../google.ts';
import { checkSegments, failure } from './errors.ts';

// Evidence reports as Cloud Storage objects, gs://<bucket>/<prefix><runId>/<name>, through
// @google-cloud/storage (JSON API over HTTP; it has no gRPC transport to switch off).
//
// Pointing it at a twin differs from the gax clients (google.ts): Storage takes `apiEndpoint` as a URL
// with scheme and port, and for an endpoint other than Google's it sends no credentials at all unless
// `useAuthWithCustomEndpoint` is set (storage.js: `customEndpoint`; nodejs-common/util.js skips auth), so
// no pass-through auth client is needed and no metadata server is probed.
//
// A report is small and written whole: one multipart upload (`resumable: false`), checked by the library
// against the CRC32C Cloud Storage answers. Writing the same object again only makes a new generation of
// the same bytes, so uploads are retried even without a generation precondition (RetryAlways), and a
// redriven put is harmless.

export interface GcsSinkOptions {
  target: GoogleTarget;
  bucket: string;
  /** Folder inside the bucket, ending with '/' (or empty); default 'shiftgate-reports/'. */
  prefix?: string;
  /** Bound on each request. */
  timeoutMs?: number;
  /** Retries of a request Cloud Storage answered 408, 429 or 5xx (the library's backoff: 2 s, 4 s, ...). */
  maxRetries?: number;
}

export function gcsStorageOptions(target: GoogleTarget, options: { timeoutMs: number; maxRetries: number }) {
  const endpoint = target.endpoint;
  return {
    projectId: target.projectId,
    timeout: options.timeoutMs,
    retryOptions: {
      autoRetry: options.maxRetries > 0,
      maxRetries: options.maxRetries,
      idempotencyStrategy: IdempotencyStrategy.RetryAlways,
    },
    ...(endpoint ? { apiEndpoint: `${endpoint.protocol}://${endpoint.host}:${endpoint.port}` } : {}),
  };
}

export function createGcsSink(options: GcsSinkOptions): ReportSink {
  const { bucket: bucketName, prefix = 'shiftgate-reports/', timeoutMs = 30_000, maxRetries = 3 } = options;
  const storage = new Storage(gcsStorageOptions(options.target, { timeoutMs, maxRetries }));
  const bucket = storage.bucket(bucketName);
  const objectName = (runId: string, name: string) => `${prefix}${runId}/${name}`;
  const gsUri = (name: string) => `gs://${bucketName}/${name}`;
  // Opens the object in the browser for anyone the bucket lets read it (the console's authenticated URL).
  const browserUrl = (name: string) =>
    `https://storage.cloud.google.com/${bucketName}/${name.split('/').map(encodeURIComponent).join('/')}`;

  function failed(what: string, where: string, error: unknown): Error {
    const status = (error as { code?: unknown }).code;
    const said = saidOf(error);
    if (status === 'FILE_NO_UPLOAD' || status === 'FILE_NO_UPLOAD_DELETE') {
      return failure(
        'verify-failed',
        `Cloud Storage: ${what} ${where}: the stored bytes did not match what was sent (${said})`,
        error,
      );
    }
    const code = typeof status === 'number' ? status : undefined;
    const kind = kindOfHttpStatus(code);
    const hint =
      kind === 'permission-denied'
        ? `; grant the bot's service account roles/storage.objectUser (create, read, list) on gs://${bucketName}`
        : kind === 'not-found'
          ? `; check reports.gcs.bucket`
          : kind === 'unauthorized'
            ? '; check Application Default Credentials'
            : '';
    return failure(
      kind,
      `Cloud Storage: ${what} ${where} failed${code ? ` (${code})` : ''}: ${said.slice(0, 300)}${hint}`,
      error,
    );
  }

  return {
    async put(file: ReportFile): Promise<StoredReport> {
      checkSegments(file.runId, file.name);
      const name = objectName(file.runId, file.name);
      try {
        await bucket.file(name).save(file.content, {
          resumable: false,
          gzip: false,
          contentType: file.contentType,
          metadata: {
            contentType: file.contentType,
            metadata: { runId: file.runId, at: file.at, writer: 'shiftgate' },
          },
        });
      } catch (error) {
        throw failed('writing', gsUri(name), error);
      }
      return { url: browserUrl(name), where: gsUri(name) };
    },

    async list(runId: string) {
      checkSegments(runId);
      const folder = objectName(runId, '');
      try {
        const [files] = await bucket.getFiles({ prefix: folder, autoPaginate: true });
        return files.map((f) => ({ name: f.name.slice(folder.length), url: browserUrl(f.name) }));
      } catch (error) {
        throw failed('listing', gsUri(folder), error);
      }
    },

    async get(runId: string, name: string) {
      checkSegments(runId, name);
      const object = objectName(runId, name);
      try {
        const [bytes] = await bucket.file(object).download();
        return bytes.toString('utf8');
      } catch (error) {
        if ((error as { code?: unknown }).code === 404) {
          // A missing bucket is a configuration error, not a missing report.
          if (/bucket does not exist/i.test(saidOf(error))) throw failed('reading', gsUri(object), error);
          return undefined;
        }
        throw failed('reading', gsUri(object), error);
      }
    },
  };
}

/**
 * What Cloud Storage said: its JSON error body's message when the error carries the body (a failed
 * download's message is the whole body).
 */
export function saidOf(error: unknown): string {
  const message = (error as Error)?.message ?? String(error);
  try {
    const parsed = JSON.parse(message) as { error?: { message?: unknown } };
    if (typeof parsed.error?.message === 'string') return parsed.error.message;
  } catch {}
  return message;
}
