import { formatDuration } from '../config/duration.ts';
import { shellQuote } from './curl.ts';
import { TOKEN_PLACEHOLDER } from './redact.ts';
import type { GateOf } from './result.ts';

// One request to a chat stream endpoint as an sse-contract gate describes it (method, body, auth,
// timeout), shared by the sse-contract gate and the dual-run comparison so both ask the same thing and
// treat the answer alike: the request and its curl line, the timeout that cuts a stream still open,
// the caller's cancel, and the words for what the service sent (redacted, shortened).

export const MEDIA_TYPE = 'text/event-stream';
export const VERSION_HEADER = 'x-vercel-ai-ui-message-stream';
export const VERSION = 'v1';
/** A body larger than this is cut; the gates' default. */
export const DEFAULT_MAX_BYTES = 16 * 1024 * 1024;
/** Longest piece of server text quoted in a reason. */
export const SNIPPET = 120;

/** What the request is made of; where it goes (target, base URL) is the caller's business. */
export type SseRequestGate = Pick<GateOf<'sse-contract'>, 'method' | 'path' | 'body' | 'auth' | 'timeout'>;

/** The endpoint under a base URL (with or without a trailing slash). */
export function streamUrl(root: string, path: string): string {
  return `${root.replace(/\/+$/, '')}${path}`;
}

/** The same request as a curl command; the token stays a $TOKEN placeholder. `url` is a shell word. */
export function sseCurl(gate: SseRequestGate, url: string): string {
  const parts = ['curl -sS -N -i'];
  if (gate.method !== 'GET') parts.push(`-X ${gate.method}`);
  parts.push(url, `-H ${shellQuote(`accept: ${MEDIA_TYPE}`)}`);
  if (gate.method === 'POST' && gate.body !== undefined) {
    parts.push(`-H ${shellQuote('content-type: application/json')}`);
    parts.push(`--data-raw ${shellQuote(JSON.stringify(gate.body))}`);
  }
  if (gate.auth === 'access-token') parts.push(`-H "authorization: Bearer ${TOKEN_PLACEHOLDER}"`);
  parts.push(`--max-time ${gate.timeout / 1000}`);
  return parts.join(' ');
}

/** Replaces the token wherever a service echoed it (bodies, header values, chunks, error words). */
export function redactor(token: string | undefined): (text: string) => string {
  return (text) => (token ? text.replaceAll(token, TOKEN_PLACEHOLDER) : text);
}

/** A response that came, with what reading its body needs. */
export interface SseAnswer {
  response: Response;
  /** Time to the status line and headers; the body may stream for long after. */
  latencyMs: number;
  /** Aborts at the timeout or the caller's cancel: hand it to readSse and snippet. */
  signal: AbortSignal;
  /** The timeout fired (the stream was cut), as opposed to the caller cancelling. */
  cut(): boolean;
}

export type SseOutcome<T> =
  | { kind: 'answered'; value: T }
  /** The timeout passed before the status line: the service breaking the contract, not unreachable. */
  | { kind: 'no-response' }
  | { kind: 'cancelled' }
  /** Refused, DNS, TLS: the service could not be reached. */
  | { kind: 'unreachable'; error: unknown };

/**
 * Sends the gate's request to `url` and hands the response to `onAnswer`, which reads it with the
 * answer's signal. The gate's timeout runs from the request to the end of `onAnswer`; whatever is still
 * open when it settles (a body not read to its end) is closed.
 */
export async function exchangeSse<T>(
  options: {
    fetch: typeof fetch;
    url: string;
    gate: SseRequestGate;
    token?: string | undefined;
    signal?: AbortSignal | undefined;
  },
  onAnswer: (answer: SseAnswer) => Promise<T>,
): Promise<SseOutcome<T>> {
  const { gate, signal } = options;
  const controller = new AbortController();
  let cut = false;
  const timer = setTimeout(() => {
    cut = true;
    controller.abort(new Error(`cut at ${formatDuration(gate.timeout)}`));
  }, gate.timeout);
  const cancel = () => controller.abort(signal?.reason);
  if (signal?.aborted) cancel();
  else signal?.addEventListener('abort', cancel, { once: true });
  try {
    let response: Response;
    const sent = performance.now();
    try {
      response = await untilAborted(
        options.fetch(options.url, request(gate, options.token, controller.signal)),
        controller.signal,
      );
    } catch (error) {
      if (cut) return { kind: 'no-response' };
      if (controller.signal.aborted) return { kind: 'cancelled' };
      return { kind: 'unreachable', error };
    }
    const latencyMs = Math.round(performance.now() - sent);
    const value = await onAnswer({ response, latencyMs, signal: controller.signal, cut: () => cut });
    return { kind: 'answered', value };
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', cancel);
    // Closes the connection if anything is still open (e.g. the body of a refused response).
    controller.abort();
  }
}

function request(gate: SseRequestGate, token: string | undefined, signal: AbortSignal): RequestInit {
  const headers: Record<string, string> = { accept: MEDIA_TYPE };
  // Not followed (redirect: 'manual'): a redirect to a login page is no stream.
  const init: RequestInit = { method: gate.method, headers, signal, redirect: 'manual' };
  if (gate.method === 'POST' && gate.body !== undefined) {
    headers['content-type'] = 'application/json';
    init.body = JSON.stringify(gate.body);
  }
  if (gate.auth === 'access-token' && token) headers.authorization = `Bearer ${token}`;
  return init;
}

/** A content-type header's media type (lowercase) and its charset parameters (lowercase, unquoted). */
export function parseContentType(header: string): { essence: string; charsets: string[] } {
  const [essence = '', ...params] = header.split(';');
  const charsets: string[] = [];
  for (const param of params) {
    const eq = param.indexOf('=');
    if (eq < 0 || param.slice(0, eq).trim().toLowerCase() !== 'charset') continue;
    charsets.push(
      param
        .slice(eq + 1)
        .trim()
        .replace(/^"(.*)"$/, '$1')
        .toLowerCase(),
    );
  }
  return { essence: essence.trim().toLowerCase(), charsets };
}

/** Settles with `promise`, or rejects as soon as `signal` aborts (for a fetch that ignores its signal). */
export function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    if (signal.aborted) onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

/** The start of an error response's body, for the reason; never waits past the gate's timeout. */
export async function snippet(response: Response, signal: AbortSignal): Promise<string> {
  if (!response.body) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < 1024) {
      const next = await untilAborted(reader.read(), signal);
      if (next.done) break;
      chunks.push(next.value);
      size += next.value.length;
    }
  } catch {
    // Cut or broken: what arrived is enough.
  }
  reader.cancel().catch(() => {});
  reader.releaseLock();
  const text = new TextDecoder().decode(Buffer.concat(chunks)).replace(/\s+/g, ' ').trim();
  return shorten(text);
}

/** Server text cut to SNIPPET characters. */
export function shorten(text: string, max = SNIPPET): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

/** Server text as a JSON string literal, shortened: control characters and quotes stay visible. */
export function quote(text: string): string {
  return JSON.stringify(shorten(text));
}

export function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

/** An error and its causes in words: "fetch failed: connect ECONNREFUSED 127.0.0.1:9". */
export function describe(error: unknown): string {
  const words: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current !== undefined && current !== null && depth < 5; depth++) {
    if (current instanceof AggregateError && current.errors.length > 0) {
      current = current.errors[0];
      continue;
    }
    const message = current instanceof Error ? current.message : String(current);
    const code = (current as { code?: unknown }).code;
    if (message) words.push(message);
    else if (typeof code === 'string') words.push(code);
    current = current instanceof Error ? current.cause : undefined;
  }
  return words.join(': ') || 'unknown error';
}
