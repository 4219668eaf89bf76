import { createHash } from 'node:crypto';
import { delay, HttpResponse, http, type RequestHandler } from 'msw';
import { Recorder } from '../recorder.ts';

// A flags document behind an HTTP API, as the http-json flag backend expects one (seed 003's
// feature_flags.json served by the application, or a flag daemon): GET answers the document with a strong
// ETag; PUT replaces it only with a matching If-Match (412 otherwise, 428 without one; `*` matches any);
// 401 without a known bearer token, 403 when a read-only token writes, 415/400 for a body that is not a
// JSON object, 405 for other methods. Errors are `{message}`.
//
// Faults through `recorder.inject({match: 'PUT /api/feature-flags', ...})`:
//   {status, retryAfter?, message?}   answered with that status ({message})
//   {delayMs}                          a slow answer (then the normal one)
//   {kind: 'no-etag'}                  a GET answered without its ETag
//   {kind: 'malformed'}                a GET answered with text that is not JSON
//   {kind: 'concurrent-write'}         on a PUT: another writer changes the document first (so a 412)
//   {kind: 'lost-write'}               a PUT answered 200 whose change never lands (a read back differs)
//   {kind: 'echo-auth', status}        an error body that repeats the request's Authorization header

export type FlagsTokenRole = 'write' | 'read';

export interface FlagsTwinOptions {
  /** The document's URL. */
  url?: string;
  /** Accepted bearer tokens; null serves without authentication. */
  tokens?: Record<string, FlagsTokenRole> | null;
  /** The document at start and after reset(); default: seed 003's two flags, both off. */
  document?: Record<string, unknown>;
}

export interface FlagsTwin {
  handlers: RequestHandler[];
  recorder: Recorder;
  url: string;
  /** A copy of the document as the service holds it. */
  readonly document: Record<string, unknown>;
  /** Its current ETag (quoted, as sent). */
  readonly etag: string;
  /** Successful PUTs, in order. */
  readonly writes: number;
  /** The value at a dotted path of the document (undefined when missing). */
  flag(path: string): unknown;
  /** Another writer sets the value at a dotted path (creating objects on the way); the ETag moves. */
  setFlag(path: string, value: unknown): void;
  /** Another writer replaces the document; the ETag moves. */
  setDocument(document: Record<string, unknown>): void;
  setToken(token: string, role: FlagsTokenRole): void;
  revokeToken(token: string): void;
  /** The initial document and tokens, no requests, no faults. */
  reset(): void;
}

export const FLAGS_TWIN_URL = 'https://flags.twin/api/feature-flags';
export const FLAGS_TWIN_TOKEN = 'twin-flags-token';

/** seed 003's feature_flags.json: `.flags.<name>.enabled`, and per-environment copies. */
export const SEED_FLAGS_DOCUMENT = {
  flags: {
    failure_catalog_runtime_integration: {
      enabled: false,
      description: 'M4.5 failure catalog at runtime',
    },
    cost_simulator_runtime_integration: { enabled: false, description: 'M4.5 cost simulator at runtime' },
  },
  environments: {
    staging: { failure_catalog_runtime_integration: false, cost_simulator_runtime_integration: false },
  },
};

const error = (status: number, message: string, headers: Record<string, string> = {}) =>
  HttpResponse.json({ message }, { status, headers });

function at(document: unknown, path: string): unknown {
  let here = document;
  for (const key of path.split('.')) {
    if (here === null || typeof here !== 'object' || !Object.hasOwn(here, key)) return undefined;
    here = (here as Record<string, unknown>)[key];
  }
  return here;
}

export function createFlagsTwin(options: FlagsTwinOptions = {}): FlagsTwin {
  const url = options.url ?? FLAGS_TWIN_URL;
  const initialDocument = structuredClone(options.document ?? SEED_FLAGS_DOCUMENT);
  const initialTokens =
    options.tokens === undefined ? { [FLAGS_TWIN_TOKEN]: 'write' as const } : options.tokens;
  const tokens = new Map<string, FlagsTokenRole>(Object.entries(initialTokens ?? {}));
  const recorder = new Recorder();
  let document: Record<string, unknown> = structuredClone(initialDocument);
  let version = 1;
  let writes = 0;

  const etagOf = () =>
    `"v${version}-${createHash('sha256').update(JSON.stringify(document)).digest('hex').slice(0, 12)}"`;
  const replace = (next: Record<string, unknown>) => {
    document = structuredClone(next);
    version += 1;
  };
  const anotherWriter = () => {
    const next = structuredClone(document);
    next._touched = version; // any change moves the ETag
    replace(next);
  };
  const answer = (status = 200) =>
    HttpResponse.json(document, { status, headers: { etag: etagOf(), 'cache-control': 'no-store' } });

  /** Records, applies a pending fault, checks the token: a Response to send now, or the fault and role. */
  async function admit(request: Request) {
    const recorded = await recorder.record(request);
    const fault = recorder.takeFault(recorded.method, recorded.path);
    if (fault?.delayMs) await delay(fault.delayMs);
    if (fault?.status) {
      const said =
        fault.kind === 'echo-auth'
          ? `refused request with authorization: ${request.headers.get('authorization') ?? '(none)'}`
          : (fault.message ?? `twin: injected ${fault.status}`);
      return error(fault.status, said, fault.retryAfter ? { 'retry-after': String(fault.retryAfter) } : {});
    }
    let role: FlagsTokenRole = 'write';
    if (initialTokens !== null) {
      const bearer = /^Bearer\s+(\S+)$/i.exec(request.headers.get('authorization') ?? '')?.[1];
      const held = bearer ? tokens.get(bearer) : undefined;
      if (!held) return error(401, 'Unauthenticated.', { 'www-authenticate': 'Bearer' });
      role = held;
    }
    return { fault, role };
  }

  const handlers = [
    http.get(url, async ({ request }) => {
      const admitted = await admit(request);
      if (admitted instanceof Response) return admitted;
      if (admitted.fault?.kind === 'malformed') return new HttpResponse('<html>oops</html>', { status: 200 });
      if (admitted.fault?.kind === 'no-etag') return HttpResponse.json(document);
      return answer();
    }),

    http.put(url, async ({ request }) => {
      const admitted = await admit(request);
      if (admitted instanceof Response) return admitted;
      if (admitted.role !== 'write') return error(403, 'This token may read the flags, not change them.');
      if (!request.headers.get('content-type')?.includes('application/json')) {
        return error(415, 'Expected Content-Type: application/json.');
      }
      let body: unknown;
      try {
        body = await request.json();
      } catch {
        return error(400, 'The body is not JSON.');
      }
      if (body === null || typeof body !== 'object' || Array.isArray(body)) {
        return error(400, 'The flags document must be a JSON object.');
      }
      const ifMatch = request.headers.get('if-match');
      if (!ifMatch) return error(428, 'If-Match is required: read the document and send its ETag.');
      if (admitted.fault?.kind === 'concurrent-write') anotherWriter();
      const matches = ifMatch.split(',').some((tag) => tag.trim() === '*' || tag.trim() === etagOf());
      if (!matches) return error(412, 'The document has changed since it was read.');
      if (admitted.fault?.kind === 'lost-write') {
        return HttpResponse.json(body, { headers: { etag: `"v${version + 1}-lost"` } });
      }
      replace(body as Record<string, unknown>);
      writes += 1;
      return answer();
    }),

    http.all(url, async ({ request }) => {
      await recorder.record(request);
      return error(405, `${request.method} is not allowed here.`, { allow: 'GET, PUT' });
    }),
  ];

  return {
    handlers,
    recorder,
    url,
    get document() {
      return structuredClone(document);
    },
    get etag() {
      return etagOf();
    },
    get writes() {
      return writes;
    },
    flag: (path) => at(document, path),
    setFlag(path, value) {
      const next = structuredClone(document);
      const keys = path.split('.');
      let here: Record<string, unknown> = next;
      for (const key of keys.slice(0, -1)) {
        const child = here[key];
        if (child === null || typeof child !== 'object') here[key] = {};
        here = here[key] as Record<string, unknown>;
      }
      here[keys[keys.length - 1] as string] = value;
      replace(next);
    },
    setDocument: replace,
    setToken: (token, role) => void tokens.set(token, role),
    revokeToken: (token) => void tokens.delete(token),
    reset() {
      document = structuredClone(initialDocument);
      version = 1;
      writes = 0;
      recorder.reset();
      tokens.clear();
      for (const [token, role] of Object.entries(initialTokens ?? {})) tokens.set(token, role);
    },
  };
}
