import { HttpResponse, http, type RequestHandler } from 'msw';
import { InvalidArgument, pageToken, readPageToken } from '../google-rest.ts';
import { Recorder, sleep } from '../recorder.ts';
import {
  BucketStore,
  crc32cBase64,
  md5Base64,
  objectResource,
  type Refusal,
  type StoredObject,
} from './objects.ts';

// Cloud Storage's JSON API as @google-cloud/storage calls it when pointed at `apiEndpoint`:
//   POST /upload/storage/v1/b/B/o?uploadType=media|multipart&name=N   (multipart/related: JSON metadata, then the bytes)
//   GET  /storage/v1/b/B/o/N            the object resource; with ?alt=media the bytes, with x-goog-hash
//   GET  /storage/v1/b/B/o?prefix=&delimiter=&maxResults=&pageToken=    storage#objects
//   DELETE /storage/v1/b/B/o/N, GET /storage/v1/b/B
// Errors in the JSON API's shape: {error: {code, message, errors: [{message, domain, reason}]}}.
// Resumable uploads are not spoken (400): shiftgate's reports are small and go in one request.

export interface StorageTwinOptions {
  /** What the client's apiEndpoint is, e.g. http://storage.twin or the sandbox's http://127.0.0.1:PORT. */
  origin?: string;
  /** Buckets that exist from the start. */
  buckets?: string[];
  now?: () => number;
}

export interface StorageTwin {
  handlers: RequestHandler[];
  /**
   * Requests in order, and faults: {match: 'POST /upload/storage/v1/b/reports/o', status: 503} (the
   * status answered in Cloud Storage's error shape), or {kind: 'bad-hash'}: the upload's answer, or the
   * download's x-goog-hash, carries hashes of other bytes (the client library then refuses the data).
   */
  recorder: Recorder;
  createBucket(bucket: string): void;
  /** The bot's service account lacks this permission (e.g. 'storage.objects.create'; '*' for all) on the bucket. */
  deny(bucket: string, permission: string): void;
  /** What the bucket holds under this name, for tests to check. */
  object(
    bucket: string,
    name: string,
  ): { text: string; contentType: string; metadata: Record<string, string>; generation: string } | undefined;
  /** Object names in the bucket starting with `prefix`, in order. */
  names(bucket: string, prefix?: string): string[];
  /** Writes an object as another writer would (a report from before this run, or a backup `at` a past time). */
  putObject(bucket: string, name: string, text: string, contentType?: string, options?: { at?: Date }): void;
  /** Forgets every bucket and object (the option's buckets come back), request and pending fault. */
  reset(): void;
}

export const STORAGE_TWIN_ORIGIN = 'http://storage.twin';

function storageError(code: number, message: string, reason: string, headers: Record<string, string> = {}) {
  return HttpResponse.json(
    { error: { code, message, errors: [{ message, domain: 'global', reason }] } },
    { status: code, headers },
  );
}

const REASON_OF: Record<number, string> = {
  400: 'invalid',
  401: 'required',
  403: 'forbidden',
  404: 'notFound',
  409: 'conflict',
  412: 'conditionNotMet',
  429: 'rateLimitExceeded',
  500: 'backendError',
  503: 'backendError',
};

const refuse = (refusal: Refusal) => storageError(refusal.code, refusal.message, refusal.reason);

/** The parts of a multipart/related body: each part's headers (lower-cased) and bytes. */
function multipartParts(
  body: Buffer,
  contentType: string,
): { headers: Record<string, string>; data: Buffer }[] {
  const boundary = /boundary="?([^";]+)"?/i.exec(contentType)?.[1];
  if (!boundary) throw new InvalidArgument('Missing boundary in multipart body.');
  const delimiter = Buffer.from(`--${boundary}`);
  const parts: { headers: Record<string, string>; data: Buffer }[] = [];
  let at = body.indexOf(delimiter);
  while (at >= 0) {
    const start = at + delimiter.length;
    if (body.subarray(start, start + 2).toString() === '--') break; // the closing delimiter
    const next = body.indexOf(delimiter, start);
    if (next < 0) break;
    // A part is CRLF, headers, CRLF CRLF, data, CRLF (before the next delimiter).
    const part = body.subarray(start + 2, next - 2);
    const split = part.indexOf('\r\n\r\n');
    const head = split < 0 ? '' : part.subarray(0, split).toString();
    const headers = Object.fromEntries(
      head
        .split('\r\n')
        .filter(Boolean)
        .map((line) => {
          const colon = line.indexOf(':');
          return [line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim()];
        }),
    );
    parts.push({ headers, data: split < 0 ? part : part.subarray(split + 4) });
    at = next;
  }
  return parts;
}

export function createStorageTwin(options: StorageTwinOptions = {}): StorageTwin {
  const origin = (options.origin ?? STORAGE_TWIN_ORIGIN).replace(/\/+$/, '');
  const store = new BucketStore(options.now ?? Date.now);
  const recorder = new Recorder();
  const seed = () => {
    for (const bucket of options.buckets ?? []) store.createBucket(bucket);
  };
  seed();

  /** Records the request, applies a pending fault: an error Response to send, or the fault's kind. */
  async function admit(request: Request): Promise<Response | { kind?: string }> {
    const recorded = await recorder.record(request);
    const fault = recorder.takeFault(recorded.method, recorded.path);
    if (fault?.delayMs) await sleep(fault.delayMs);
    if (fault?.status) {
      const headers: Record<string, string> = fault.retryAfter
        ? { 'retry-after': String(fault.retryAfter) }
        : {};
      return storageError(
        fault.status,
        fault.message ?? `twin: injected ${fault.status}`,
        REASON_OF[fault.status] ?? 'backendError',
        headers,
      );
    }
    return fault?.kind ? { kind: fault.kind } : {};
  }

  const answering =
    (handle: (request: Request, url: URL, kind: string | undefined) => Response | Promise<Response>) =>
    async ({ request }: { request: Request }) => {
      const admitted = await admit(request);
      if (admitted instanceof Response) return admitted;
      try {
        return await handle(request, new URL(request.url), admitted.kind);
      } catch (error) {
        if (error instanceof InvalidArgument) return storageError(error.code, error.message, 'invalid');
        throw error;
      }
    };

  /** `/storage/v1/b/B/o/N` (N percent-encoded, slashes as %2F) -> bucket and name. */
  function objectPath(url: URL, base: string): { bucket: string; name: string } | undefined {
    const match = new RegExp(`^${base}/b/([^/]+)/o/(.+)$`).exec(url.pathname);
    if (!match) return undefined;
    return { bucket: decodeURIComponent(match[1] as string), name: decodeURIComponent(match[2] as string) };
  }

  function media(object: StoredObject, badHash: boolean): Response {
    const hashed = badHash ? Buffer.concat([object.data, Buffer.from('!')]) : object.data;
    return new HttpResponse(new Uint8Array(object.data), {
      headers: {
        'content-type': object.contentType,
        'content-length': String(object.data.length),
        'x-goog-hash': `crc32c=${crc32cBase64(hashed)},md5=${md5Base64(hashed)}`,
        'x-goog-generation': object.generation,
        'x-goog-metageneration': object.metageneration,
        'x-goog-stored-content-encoding': 'identity',
        'x-goog-stored-content-length': String(object.data.length),
      },
    });
  }

  function readObject(url: URL, base: string, kind: string | undefined): Response {
    const at = objectPath(url, base);
    if (!at) throw new InvalidArgument('Invalid object path.');
    const refused = store.refusal(at.bucket, 'storage.objects.get');
    if (refused) return refuse(refused);
    const object = store.get(at.bucket, at.name);
    if (!object) return storageError(404, `No such object: ${at.bucket}/${at.name}`, 'notFound');
    const generation = url.searchParams.get('generation');
    if (generation && generation !== object.generation) {
      return storageError(404, `No such object: ${at.bucket}/${at.name}`, 'notFound');
    }
    if (url.searchParams.get('alt') === 'media' || base === '/download/storage/v1') {
      return media(object, kind === 'bad-hash');
    }
    return HttpResponse.json(objectResource(origin, object));
  }

  const handlers: RequestHandler[] = [
    http.post(
      `${origin}/upload/storage/v1/b/:bucket/o`,
      answering(async (request, url, kind) => {
        const bucket = decodeURIComponent(url.pathname.split('/')[5] as string);
        const refused = store.refusal(bucket, 'storage.objects.create');
        if (refused) return refuse(refused);
        const uploadType = url.searchParams.get('uploadType');
        const body = Buffer.from(await request.arrayBuffer());
        let name = url.searchParams.get('name') ?? undefined;
        let data: Buffer;
        let contentType: string | undefined;
        let metadata: Record<string, string> | undefined;
        if (uploadType === 'media') {
          data = body;
          contentType = request.headers.get('content-type') ?? undefined;
        } else if (uploadType === 'multipart') {
          const [head, content] = multipartParts(body, request.headers.get('content-type') ?? '');
          if (!head || !content)
            throw new InvalidArgument('Multipart upload needs a metadata part and a media part.');
          let resource: { name?: string; contentType?: string; metadata?: Record<string, unknown> };
          try {
            resource = JSON.parse(head.data.toString());
          } catch {
            throw new InvalidArgument('Metadata part is not valid JSON.');
          }
          name = resource.name ?? name;
          data = content.data;
          contentType = resource.contentType ?? content.headers['content-type'];
          metadata = resource.metadata
            ? Object.fromEntries(Object.entries(resource.metadata).map(([k, v]) => [k, String(v)]))
            : undefined;
        } else {
          throw new InvalidArgument(
            `twin: uploadType ${uploadType ?? '(none)'} is not supported; use media or multipart.`,
          );
        }
        if (!name) throw new InvalidArgument('Required parameter: name', 400);
        const ifGenerationMatch = url.searchParams.get('ifGenerationMatch') ?? undefined;
        const written = store.put(bucket, name, data, {
          ...(contentType ? { contentType } : {}),
          ...(metadata ? { metadata } : {}),
          ...(ifGenerationMatch === undefined ? {} : { ifGenerationMatch }),
        });
        if ('reason' in written) return refuse(written);
        return HttpResponse.json(objectResource(origin, written, { badHash: kind === 'bad-hash' }));
      }),
    ),

    http.get(
      `${origin}/storage/v1/b/:bucket/o`,
      answering((_request, url) => {
        const bucket = decodeURIComponent(url.pathname.split('/')[4] as string);
        const refused = store.refusal(bucket, 'storage.objects.list');
        if (refused) return refuse(refused);
        const prefix = url.searchParams.get('prefix') ?? '';
        const delimiter = url.searchParams.get('delimiter') ?? '';
        const maxResults = Math.min(Number(url.searchParams.get('maxResults') ?? 1000) || 1000, 1000);
        const fingerprint = `${bucket}|${prefix}|${delimiter}`;
        const token = url.searchParams.get('pageToken');
        const offset = token ? readPageToken(token, fingerprint) : 0;
        // With a delimiter, names with it past the prefix roll up into `prefixes`.
        const items: StoredObject[] = [];
        const prefixes = new Set<string>();
        for (const object of store.list(bucket, prefix)) {
          const rest = object.name.slice(prefix.length);
          const cut = delimiter ? rest.indexOf(delimiter) : -1;
          if (cut >= 0) prefixes.add(prefix + rest.slice(0, cut + delimiter.length));
          else items.push(object);
        }
        const page = items.slice(offset, offset + maxResults);
        const more = offset + maxResults < items.length;
        return HttpResponse.json({
          kind: 'storage#objects',
          ...(more ? { nextPageToken: pageToken(offset + maxResults, fingerprint) } : {}),
          ...(prefixes.size > 0 && offset === 0 ? { prefixes: [...prefixes] } : {}),
          ...(page.length > 0 ? { items: page.map((object) => objectResource(origin, object)) } : {}),
        });
      }),
    ),

    http.get(
      `${origin}/storage/v1/b/:bucket/o/*`,
      answering((_request, url, kind) => readObject(url, '/storage/v1', kind)),
    ),
    http.get(
      `${origin}/download/storage/v1/b/:bucket/o/*`,
      answering((_request, url, kind) => readObject(url, '/download/storage/v1', kind)),
    ),

    http.delete(
      `${origin}/storage/v1/b/:bucket/o/*`,
      answering((_request, url) => {
        const at = objectPath(url, '/storage/v1');
        if (!at) throw new InvalidArgument('Invalid object path.');
        const refused = store.refusal(at.bucket, 'storage.objects.delete');
        if (refused) return refuse(refused);
        if (!store.delete(at.bucket, at.name)) {
          return storageError(404, `No such object: ${at.bucket}/${at.name}`, 'notFound');
        }
        return new HttpResponse(null, { status: 204 });
      }),
    ),

    http.get(
      `${origin}/storage/v1/b/:bucket`,
      answering((_request, url) => {
        const bucket = decodeURIComponent(url.pathname.split('/')[4] as string);
        const refused = store.refusal(bucket, 'storage.buckets.get');
        if (refused) return refuse(refused);
        return HttpResponse.json({
          kind: 'storage#bucket',
          id: bucket,
          name: bucket,
          selfLink: `${origin}/storage/v1/b/${bucket}`,
          location: 'US',
          storageClass: 'STANDARD',
        });
      }),
    ),
  ];

  return {
    handlers,
    recorder,
    createBucket: (bucket) => store.createBucket(bucket),
    deny: (bucket, permission) => store.deny(bucket, permission),
    object(bucket, name) {
      const object = store.get(bucket, name);
      if (!object) return undefined;
      return {
        text: object.data.toString('utf8'),
        contentType: object.contentType,
        metadata: { ...object.metadata },
        generation: object.generation,
      };
    },
    names: (bucket, prefix = '') => store.list(bucket, prefix).map((object) => object.name),
    putObject(bucket, name, text, contentType = 'text/plain', options = {}) {
      store.createBucket(bucket);
      store.put(bucket, name, Buffer.from(text), {
        contentType,
        ...(options.at ? { at: options.at.getTime() } : {}),
      });
    },
    reset() {
      store.clear();
      recorder.reset();
      seed();
    },
  };
}
