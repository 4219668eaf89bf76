import { formatDuration } from '../../config/duration.ts';
import type { GateContext, GateOf, GateProvider, GateResult } from '../result.ts';
import { readSse, type SseBlock, type SseReadResult } from '../sse-stream.ts';

// The stream contract of seed 004, checked the way a client reads the stream: one request to the chat
// stream endpoint, the status and headers, then every event to the end. The AI SDK UI message stream
// (platform-facts.md) is `data: {json}\n\n` chunks ending with `data: [DONE]\n\n`.
//
// Rules, each reported with where it broke (event number, 1-based, counting every event including
// [DONE]; line and byte offset in the body):
//   1. status 200;
//   2. content-type text/event-stream, charset utf-8. The seed writes `text/event-stream;
//      charset=utf-8`, but the real `ai` package sends `text/event-stream` with no charset, and the
//      issue has that stream pass. An event stream is always UTF-8 (WHATWG HTML, server-sent events),
//      so a missing charset means utf-8: accepted. Any other media type, or any other charset, fails;
//   3. x-vercel-ai-ui-message-stream: v1;
//   4. every event other than [DONE] is JSON with a string `type`;
//   5. the configured chunk types (default start, start-step, finish-step, finish) appear in that order
//      before [DONE]; others (text-*, tools, reasoning) may come in between;
//   6. exactly one [DONE], the last thing in the body: no event, comment or partial line after it;
//   7. the body ends (the server closes it) within the gate's timeout. A stream still open then is cut,
//      and fails; so does one closed or broken before [DONE] (truncation).
// A wrong status or media type stops the check there (the body is no stream); other broken rules are
// all listed. Only a service that cannot be reached (refused, DNS) is `error`; one that answers late
// or not at all within the timeout is `fail`, because that is the service breaking the contract.

type SseContractGate = GateOf<'sse-contract'>;

export interface SseContractDeps {
  fetch?: typeof fetch;
  /** A body larger than this is cut and fails; default 16 MiB. */
  maxBytes?: number;
}

const DEFAULT_MAX_BYTES = 16 * 1024 * 1024;
const MEDIA_TYPE = 'text/event-stream';
const VERSION_HEADER = 'x-vercel-ai-ui-message-stream';
const VERSION = 'v1';
const SNIPPET = 120;

export function createSseContractGate(deps: SseContractDeps = {}): GateProvider<SseContractGate> {
  // Looked up per call, so a fetch patched later (msw in tests) is the one used.
  const fetchImpl: typeof fetch = deps.fetch ?? ((input, init) => globalThis.fetch(input, init));
  const maxBytes = deps.maxBytes ?? DEFAULT_MAX_BYTES;

  return {
    async evaluate(name: string, gate: SseContractGate, ctx: GateContext): Promise<GateResult> {
      const base = {
        gate: name,
        kind: 'sse-contract' as const,
        metric: `stream ${gate.method} ${gate.path}`,
        threshold: threshold(gate.events),
        at: ctx.now().toISOString(),
      };
      const root = gate.target === 'canary' ? ctx.canaryUrl : ctx.publicUrl;
      if (!root) {
        return {
          ...base,
          status: 'error',
          samples: 0,
          evidence: gate.path,
          reason:
            gate.target === 'canary'
              ? 'no canary tag URL for this rollout, so the canary cannot be reached'
              : 'no public URL for this service',
        };
      }
      const url = `${root.replace(/\/+$/, '')}${gate.path}`;
      const evidence = curl(gate, url);
      if (gate.auth === 'access-token' && !ctx.accessToken) {
        return { ...base, status: 'skipped', samples: 0, evidence, reason: 'no access token configured' };
      }
      const token = gate.auth === 'access-token' ? ctx.accessToken : undefined;
      // Applied to whatever the service sent (bodies, header values, chunks, error words): a service
      // that echoes the token must not put it in a Slack message.
      const redact = (text: string) => (token ? text.replaceAll(token, '$TOKEN') : text);

      const controller = new AbortController();
      let cut = false;
      const timer = setTimeout(() => {
        cut = true;
        controller.abort(new Error(`cut at ${formatDuration(gate.timeout)}`));
      }, gate.timeout);
      const cancel = () => controller.abort(ctx.signal?.reason);
      if (ctx.signal?.aborted) cancel();
      else ctx.signal?.addEventListener('abort', cancel, { once: true });
      const cancelled = (): GateResult => ({
        ...base,
        status: 'error',
        samples: 0,
        evidence,
        reason: 'evaluation cancelled',
      });

      try {
        let response: Response;
        const sent = performance.now();
        try {
          response = await untilAborted(
            fetchImpl(url, request(gate, token, controller.signal)),
            controller.signal,
          );
        } catch (error) {
          if (cut) {
            return {
              ...base,
              status: 'fail',
              observed: { value: 'no response' },
              samples: 0,
              evidence,
              reason: `no response within ${formatDuration(gate.timeout)}`,
            };
          }
          if (controller.signal.aborted) return cancelled();
          return {
            ...base,
            status: 'error',
            samples: 0,
            evidence,
            reason: `${url} unreachable: ${redact(describe(error))}`,
          };
        }

        // Time to the status line and headers, as for an http probe; the body may stream for long after.
        const latencyMs = Math.round(performance.now() - sent);
        if (response.status !== 200) {
          // Not followed (redirect: 'manual'): a redirect to a login page is no stream; say where it went.
          const location = response.headers.get('location');
          const body = location
            ? `location: ${redact(location)}`
            : redact(await snippet(response, controller.signal));
          return {
            ...base,
            status: 'fail',
            observed: { value: response.status, unit: 'status' },
            latencyMs,
            samples: 0,
            evidence,
            reason: `status is ${response.status}, expected 200${body ? ` (${location ? '' : 'body: '}${body})` : ''}`,
          };
        }
        const headerProblems: string[] = [];
        const contentType = response.headers.get('content-type');
        const typeProblem = contentTypeProblem(contentType, redact);
        const version = response.headers.get(VERSION_HEADER);
        if (version === null) headerProblems.push(`header ${VERSION_HEADER} missing, expected "${VERSION}"`);
        else if (version.trim() !== VERSION) {
          headerProblems.push(`header ${VERSION_HEADER} is "${redact(version)}", expected "${VERSION}"`);
        }
        if (typeProblem) {
          response.body?.cancel().catch(() => {});
          return {
            ...base,
            status: 'fail',
            observed: { value: `content-type: ${contentType === null ? 'none' : redact(contentType)}` },
            latencyMs,
            samples: 0,
            evidence,
            reason: [typeProblem, ...headerProblems].join('; '),
          };
        }
        if (!response.body) {
          return {
            ...base,
            status: 'fail',
            observed: { value: '0 events, 0 [DONE]' },
            latencyMs,
            samples: 0,
            samplesUnit: 'events',
            evidence,
            reason: [...headerProblems, 'empty body: no events and no [DONE]'].join('; '),
          };
        }

        const check = new StreamCheck(gate.events, redact);
        const read = await readSse(response.body, (block) => check.block(block), {
          signal: controller.signal,
          maxBytes,
        });
        // A body that closed as the timer fired was not cut.
        const wasCut = read.end === 'aborted' && cut;
        if (read.end === 'aborted' && !cut) return cancelled();
        const problems = [
          ...headerProblems,
          ...check.finish(read, wasCut ? gate.timeout : undefined, maxBytes),
        ];
        return {
          ...base,
          status: problems.length > 0 ? 'fail' : 'pass',
          observed: {
            value: `${plural(check.events, 'event')}, ${check.done.length} [DONE]`,
          },
          latencyMs,
          samples: check.events,
          samplesUnit: 'events',
          evidence,
          reason: problems.length > 0 ? problems.join('; ') : check.summary(),
        };
      } finally {
        clearTimeout(timer);
        ctx.signal?.removeEventListener('abort', cancel);
        // Closes the connection if anything is still open (e.g. the body of a refused response).
        controller.abort();
      }
    },
  };
}

/** Checks events as they arrive, keeping only counts and first occurrences (a stream may be long). */
class StreamCheck {
  events = 0;
  /** Event numbers of the [DONE] markers. */
  readonly done: number[] = [];
  #expected: readonly string[];
  #redact: (text: string) => string;
  /** Event numbers where expected[0..] matched, in order. */
  #matchedAt: number[] = [];
  /** First event number of each expected type. */
  #firstSeen = new Map<string, number>();
  #afterDone: string | undefined;
  #invalid: string | undefined;
  #invalidCount = 0;
  #errorChunks = 0;
  #last: { event: number; type: string } | undefined;

  constructor(expected: readonly string[], redact: (text: string) => string) {
    this.#expected = expected;
    this.#redact = redact;
  }

  block(block: SseBlock) {
    if (block.data === undefined) {
      // Comments only (keep-alives) are fine before [DONE], not after.
      if (this.done.length > 0) this.#afterDone ??= `comment at line ${block.line} after [DONE]`;
      return;
    }
    const event = ++this.events;
    const where = `event ${event} (line ${block.line}, byte ${block.offset})`;
    if (block.data === '[DONE]') {
      this.done.push(event);
      return;
    }
    if (this.done.length > 0) {
      this.#afterDone ??= `${where} after [DONE] (event ${this.done[0]}): ${quote(this.#redact(block.data))}`;
      return;
    }
    let chunk: unknown;
    try {
      chunk = JSON.parse(block.data);
    } catch {
      this.#invalidCount++;
      this.#invalid ??= `${where} is not JSON: ${quote(this.#redact(block.data))}`;
      return;
    }
    const type = typeof chunk === 'object' && chunk !== null ? (chunk as { type?: unknown }).type : undefined;
    if (typeof type !== 'string') {
      this.#invalidCount++;
      this.#invalid ??= `${where} has no string "type": ${quote(this.#redact(block.data))}`;
      return;
    }
    this.#last = { event, type: this.#redact(type) };
    if (type === 'error') this.#errorChunks++;
    if (this.#expected.includes(type) && !this.#firstSeen.has(type)) this.#firstSeen.set(type, event);
    if (type === this.#expected[this.#matchedAt.length]) this.#matchedAt.push(event);
  }

  /** The broken rules, most basic first; empty when the stream kept the contract. */
  finish(read: SseReadResult, cutAfterMs: number | undefined, maxBytes: number): string[] {
    const problems: string[] = [];
    const seen = `after ${plural(this.events, 'event')}${this.#last ? ` (last "${this.#last.type}" at event ${this.#last.event})` : ''}`;
    const done = this.done[0];
    const partial = read.pending
      ? ` mid-event (line ${read.pending.line}, byte ${read.pending.offset}, ${read.pending.bytes} bytes unterminated)`
      : '';
    if (cutAfterMs !== undefined) {
      problems.push(
        done === undefined
          ? `cut at ${formatDuration(cutAfterMs)}: stream still open ${seen}, no [DONE]`
          : `cut at ${formatDuration(cutAfterMs)}: stream still open after [DONE] (event ${done})`,
      );
    } else if (read.end === 'limit') {
      problems.push(`cut after ${read.bytes} bytes (limit ${maxBytes}) ${seen}`);
    } else if (read.end === 'broken') {
      problems.push(
        `connection broke at byte ${read.bytes}${partial} ${seen}${done === undefined ? ', no [DONE]' : ''}: ${this.#redact(describe(read.error))}`,
      );
    } else if (done === undefined) {
      problems.push(`stream closed at byte ${read.bytes}${partial} ${seen} without [DONE]`);
    }
    if (this.#invalid) {
      const more = this.#invalidCount > 1 ? ` (and ${this.#invalidCount - 1} more)` : '';
      problems.push(`${this.#invalid}${more}`);
    }
    const want = this.#expected[this.#matchedAt.length];
    if (want !== undefined) problems.push(this.#orderProblem(want));
    if (this.done.length > 1) problems.push(`${this.done.length} [DONE] markers (events ${list(this.done)})`);
    if (this.#afterDone) problems.push(this.#afterDone);
    else if (done !== undefined && read.end === 'closed' && read.pending) {
      problems.push(
        `${read.pending.bytes} bytes after [DONE] (line ${read.pending.line}, byte ${read.pending.offset})`,
      );
    }
    return problems;
  }

  /** What a passing stream showed, for the record. */
  summary(): string {
    const order = this.#expected.map((type, i) => `${type} at event ${this.#matchedAt[i]}`).join(', ');
    const errors = this.#errorChunks > 0 ? `; ${this.#errorChunks} "error" chunk(s)` : '';
    return `${order}${order ? '; ' : ''}[DONE] last (event ${this.done[0]})${errors}`;
  }

  #orderProblem(want: string): string {
    const index = this.#matchedAt.length;
    const previous = index > 0 ? this.#expected[index - 1] : undefined;
    const previousAt = this.#matchedAt[index - 1];
    const first = this.#firstSeen.get(want);
    if (previous === undefined || previousAt === undefined)
      return `missing "${want}" (none in ${plural(this.events, 'event')})`;
    if (first === undefined) return `missing "${want}" after event ${previousAt} ("${previous}")`;
    return `out of order: "${want}" at event ${first} but "${previous}" not until event ${previousAt}; expected ${this.#expected.join(', ')}`;
  }
}

function threshold(events: readonly string[]): string {
  const order = events.length > 1 ? `${events[0]}..${events.at(-1)}` : (events[0] ?? 'any events');
  return `stream contract v1 (200, ${MEDIA_TYPE}, ${VERSION_HEADER}: ${VERSION}, ${order}, one [DONE])`;
}

function contentTypeProblem(header: string | null, redact: (text: string) => string): string | undefined {
  const expected = `expected ${MEDIA_TYPE}; charset=utf-8`;
  if (header === null) return `content-type missing, ${expected}`;
  const wrong = `content-type is ${redact(header)}, ${expected}`;
  const [essence = '', ...params] = header.split(';');
  if (essence.trim().toLowerCase() !== MEDIA_TYPE) return wrong;
  for (const param of params) {
    const eq = param.indexOf('=');
    if (eq < 0 || param.slice(0, eq).trim().toLowerCase() !== 'charset') continue;
    const charset = param
      .slice(eq + 1)
      .trim()
      .replace(/^"(.*)"$/, '$1')
      .toLowerCase();
    // Absent means utf-8 (see the top of this file); "utf8" is a WHATWG label of the same encoding.
    if (charset !== 'utf-8' && charset !== 'utf8') return wrong;
  }
  return undefined;
}

function request(gate: SseContractGate, token: string | undefined, signal: AbortSignal): RequestInit {
  const headers: Record<string, string> = { accept: MEDIA_TYPE };
  const init: RequestInit = { method: gate.method, headers, signal, redirect: 'manual' };
  if (gate.method === 'POST' && gate.body !== undefined) {
    headers['content-type'] = 'application/json';
    init.body = JSON.stringify(gate.body);
  }
  if (token) headers.authorization = `Bearer ${token}`;
  return init;
}

/** The same request as a curl command; the token stays a $TOKEN placeholder. */
function curl(gate: SseContractGate, url: string): string {
  const parts = ['curl -sS -N -i'];
  if (gate.method !== 'GET') parts.push(`-X ${gate.method}`);
  parts.push(shellQuote(url), `-H ${shellQuote(`accept: ${MEDIA_TYPE}`)}`);
  if (gate.method === 'POST' && gate.body !== undefined) {
    parts.push(`-H ${shellQuote('content-type: application/json')}`);
    parts.push(`--data-raw ${shellQuote(JSON.stringify(gate.body))}`);
  }
  if (gate.auth === 'access-token') parts.push('-H "authorization: Bearer $TOKEN"');
  parts.push(`--max-time ${gate.timeout / 1000}`);
  return parts.join(' ');
}

function shellQuote(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}

/** Settles with `promise`, or rejects as soon as `signal` aborts (for a fetch that ignores its signal). */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
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
async function snippet(response: Response, signal: AbortSignal): Promise<string> {
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
  return text.length > SNIPPET ? `${text.slice(0, SNIPPET)}…` : text;
}

/** Server text as a JSON string literal, shortened: control characters and quotes stay visible. */
function quote(text: string): string {
  return JSON.stringify(text.length > SNIPPET ? `${text.slice(0, SNIPPET)}…` : text);
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

function list(numbers: readonly number[]): string {
  if (numbers.length <= 2) return numbers.join(' and ');
  return `${numbers.slice(0, -1).join(', ')} and ${numbers.at(-1)}`;
}

/** An error and its causes in words: "fetch failed: connect ECONNREFUSED 127.0.0.1:9". */
function describe(error: unknown): string {
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
