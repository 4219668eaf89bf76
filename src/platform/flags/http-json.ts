import type { PlatformError } from '../../runbooks/ports/errors.ts';
import type { FlagBackend, FlagChange, FlagReading, FlagSetResult } from '../../runbooks/ports/flags.ts';
import { failure, redact } from './errors.ts';
import { assign, type JsonPath, lookup, parsePath, showPath } from './json-path.ts';

// Flags in a JSON document behind an HTTP API (seed 003's feature_flags.json served by the application,
// or a flag daemon): GET answers the document with an ETag, PUT with If-Match replaces it. Each flag is a
// boolean at a dotted path, by default `flags.<flag>.enabled`.
//
// The ETag is the version. A server that sends none is refused ('invalid') rather than given a content
// hash as a stand-in: a server without ETags does not check If-Match either, so a hash would only narrow
// the window in which another writer's change is silently overwritten, not close it.
//
// One attempt per call, bounded by a timeout: the runbook engine decides about retrying. Messages name
// the URL without its query or user info, and never the token.

export interface HttpJsonFlagsOptions {
  /** The document's URL (absolute). */
  url: string;
  /** Bearer token for GET and PUT. */
  token?: string;
  /** Dotted path of each flag's boolean; a flag not named here is at flags.<flag>.enabled. */
  paths: Record<string, string>;
  /** The flags read() reports. */
  flags: string[];
  fetch?: typeof fetch;
  timeoutMs?: number;
}

interface Fetched {
  document: Record<string, unknown>;
  etag: string;
}

/** The URL as messages show it: no user info, no query (either may carry a credential). */
function shownUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.origin}${u.pathname}`;
  } catch {
    return url.replace(/[?#].*$/, '');
  }
}

export function createHttpJsonFlags(options: HttpJsonFlagsOptions): FlagBackend {
  const { url, token, timeoutMs = 10_000 } = options;
  const where = shownUrl(url);
  // Looked up at each call, not captured: msw (tests) and instrumentation replace the global later.
  const doFetch: typeof fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  const pathOf = (flag: string): JsonPath => {
    const configured = options.paths[flag];
    return configured ? parsePath(configured) : ['flags', flag, 'enabled'];
  };
  const clean = (text: string) => redact(text, token);

  async function send(what: string, init: RequestInit): Promise<{ response: Response; text: string }> {
    try {
      const response = await doFetch(url, {
        ...init,
        headers: {
          accept: 'application/json',
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          ...(init.headers as Record<string, string> | undefined),
        },
        signal: AbortSignal.timeout(timeoutMs),
      });
      return { response, text: await response.text() };
    } catch (error) {
      if ((error as Error).name === 'TimeoutError') {
        throw failure('timeout', `${what}: no answer from ${where} within ${timeoutMs} ms`, error);
      }
      const reason = clean((error as Error).message);
      throw failure('unavailable', `${what}: ${where} could not be reached (${reason})`, error);
    }
  }

  function httpFailure(what: string, status: number, text: string): PlatformError {
    const said = clean(serverWords(text)).slice(0, 300);
    const detail = said ? `${status}: ${said}` : String(status);
    switch (status) {
      case 401:
        return failure(
          'unauthorized',
          `${what}: ${where} rejected the credentials (${detail}); check the backend's token`,
        );
      case 403:
        return failure('permission-denied', `${what}: ${where} refused access to the flags (${detail})`);
      case 404:
        return failure('not-found', `${what}: no flags document at ${where} (${detail}); check backend.url`);
      case 408:
        return failure('timeout', `${what}: ${where} timed out (${detail})`);
      case 412:
        return failure(
          'conflict',
          `${what}: the flags document at ${where} changed since it was read (${detail}); read it again before changing it`,
        );
      case 429:
        return failure('rate-limited', `${what}: rate limited by ${where} (${detail})`);
      default:
        return status >= 500
          ? failure('unavailable', `${what}: ${where} answered ${detail}`)
          : failure('invalid', `${what}: ${where} refused the request (${detail})`);
    }
  }

  async function get(what: string): Promise<Fetched> {
    const { response, text } = await send(what, { method: 'GET' });
    if (!response.ok) throw httpFailure(what, response.status, text);
    let document: unknown;
    try {
      document = JSON.parse(text);
    } catch {
      throw failure('invalid', `${what}: ${where} did not answer JSON`);
    }
    if (document === null || typeof document !== 'object' || Array.isArray(document)) {
      throw failure('invalid', `${what}: ${where} answered JSON that is not an object`);
    }
    const etag = response.headers.get('etag');
    if (!etag) {
      throw failure(
        'invalid',
        `${what}: ${where} sent the flags without an ETag; shiftgate changes flags only with If-Match (optimistic concurrency), so the flags API must send one`,
      );
    }
    return { document: document as Record<string, unknown>, etag };
  }

  /** Each flag's boolean; a missing path is undefined, anything else but a boolean is 'invalid'. */
  function valuesOf(what: string, document: unknown, flags: Iterable<string>): FlagReading['values'] {
    const values: FlagReading['values'] = {};
    for (const flag of flags) {
      const path = pathOf(flag);
      const found = lookup(document, path);
      if (!found.found) {
        values[flag] = undefined;
        continue;
      }
      if (typeof found.value !== 'boolean') {
        throw failure(
          'invalid',
          `${what}: flag '${flag}' at ${showPath(path)} in ${where} is ${JSON.stringify(found.value) ?? 'undefined'}, not true or false`,
        );
      }
      values[flag] = found.value;
    }
    return values;
  }

  const reading = (what: string, fetched: Fetched, flags: Iterable<string>): FlagReading => ({
    values: valuesOf(what, fetched.document, flags),
    version: fetched.etag,
    where,
  });

  return {
    async read() {
      return reading('read flags', await get('read flags'), options.flags);
    },

    // `restore` means nothing here: turning flags off is writing false, like turning them on.
    async set(change: FlagChange): Promise<FlagSetResult> {
      const asked = Object.entries(change.values);
      const what = `set ${asked.map(([flag, on]) => `${flag}=${on}`).join(', ')}`;
      const flags = new Set([...options.flags, ...asked.map(([flag]) => flag)]);
      const before = await get(what);
      const now = reading(what, before, flags);
      for (const [flag] of asked) {
        if (now.values[flag] === undefined) {
          throw failure(
            'invalid',
            `${what}: ${where} has no flag '${flag}' at ${showPath(pathOf(flag))}; shiftgate changes flags, it does not create them`,
          );
        }
      }
      // A redriven step finds its change already made: nothing to write, whatever the version now is.
      if (asked.every(([flag, on]) => now.values[flag] === on)) return { ...now, written: false };
      if (change.ifVersion !== undefined && change.ifVersion !== before.etag) {
        throw failure(
          'conflict',
          `${what}: the flags document at ${where} changed since it was read (version ${change.ifVersion}, now ${before.etag})`,
        );
      }

      const next = structuredClone(before.document);
      for (const [flag, on] of asked) assign(next, pathOf(flag), on);
      const { response, text } = await send(what, {
        method: 'PUT',
        headers: { 'content-type': 'application/json', 'if-match': before.etag },
        body: `${JSON.stringify(next, null, 2)}\n`,
      });
      if (!response.ok) throw httpFailure(what, response.status, text);

      const after = reading(`${what} (read back)`, await get(`${what} (read back)`), flags);
      const wrong = asked.filter(([flag, on]) => after.values[flag] !== on);
      if (wrong.length > 0) {
        const shown = wrong.map(([flag, on]) => `${flag} reads ${after.values[flag] ?? 'absent'}, not ${on}`);
        throw failure('verify-failed', `${what}: ${where} accepted the write, but ${shown.join('; ')}`);
      }
      return { ...after, written: true };
    },
  };
}

/** The server's own words from an error body: a JSON `message`/`error`, or the text itself. */
function serverWords(text: string): string {
  try {
    const body = JSON.parse(text) as { message?: unknown; error?: unknown };
    const error = body?.error as { message?: unknown } | string | undefined;
    const said = typeof error === 'string' ? error : (error?.message ?? body?.message);
    if (typeof said === 'string') return said;
  } catch {}
  return text.trim();
}
