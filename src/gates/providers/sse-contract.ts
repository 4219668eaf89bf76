import { formatDuration } from '../../config/duration.ts';
import { shellQuote } from '../curl.ts';
import type { GateContext, GateOf, GateProvider, GateResult } from '../result.ts';
import {
  DEFAULT_MAX_BYTES,
  describe,
  exchangeSse,
  MEDIA_TYPE,
  parseContentType,
  plural,
  quote,
  redactor,
  snippet,
  sseCurl,
  streamUrl,
  VERSION,
  VERSION_HEADER,
} from '../sse-exchange.ts';
import { readSse, type SseBlock, type SseReadResult } from '../sse-stream.ts';
import { targetBase } from '../target-url.ts';

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
// The request, its timeout and curl line are sse-exchange.ts's, shared with the dual-run (dual-run.ts).

type SseContractGate = GateOf<'sse-contract'>;

export interface SseContractDeps {
  fetch?: typeof fetch;
  /** A body larger than this is cut and fails; default 16 MiB. */
  maxBytes?: number;
}

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
      const root = targetBase(gate.target, ctx);
      if ('missing' in root) {
        return { ...base, status: 'error', samples: 0, evidence: gate.path, reason: root.missing };
      }
      const url = streamUrl(root.url, gate.path);
      const evidence = sseCurl(gate, shellQuote(url));
      if (gate.auth === 'access-token' && !ctx.accessToken) {
        return { ...base, status: 'skipped', samples: 0, evidence, reason: 'no access token configured' };
      }
      const token = gate.auth === 'access-token' ? ctx.accessToken : undefined;
      // Applied to whatever the service sent (bodies, header values, chunks, error words): a service
      // that echoes the token must not put it in a Slack message.
      const redact = redactor(token);
      const cancelled = (): GateResult => ({
        ...base,
        status: 'error',
        samples: 0,
        evidence,
        reason: 'evaluation cancelled',
      });

      const outcome = await exchangeSse(
        { fetch: fetchImpl, url, gate, token, signal: ctx.signal },
        async ({ response, latencyMs, signal, cut }): Promise<GateResult> => {
          if (response.status !== 200) {
            // Not followed (redirect: 'manual'): a redirect to a login page is no stream; say where it went.
            const location = response.headers.get('location');
            const body = location ? `location: ${redact(location)}` : redact(await snippet(response, signal));
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
          if (version === null)
            headerProblems.push(`header ${VERSION_HEADER} missing, expected "${VERSION}"`);
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
          const read = await readSse(response.body, (block) => check.block(block), { signal, maxBytes });
          // A body that closed as the timer fired was not cut.
          const wasCut = read.end === 'aborted' && cut();
          if (read.end === 'aborted' && !wasCut) return cancelled();
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
        },
      );
      switch (outcome.kind) {
        case 'answered':
          return outcome.value;
        case 'no-response':
          return {
            ...base,
            status: 'fail',
            observed: { value: 'no response' },
            samples: 0,
            evidence,
            reason: `no response within ${formatDuration(gate.timeout)}`,
          };
        case 'cancelled':
          return cancelled();
        case 'unreachable':
          return {
            ...base,
            status: 'error',
            samples: 0,
            evidence,
            reason: `${url} unreachable: ${redact(describe(outcome.error))}`,
          };
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
  const { essence, charsets } = parseContentType(header);
  if (essence !== MEDIA_TYPE) return wrong;
  // Absent means utf-8 (see the top of this file); "utf8" is a WHATWG label of the same encoding.
  if (charsets.some((charset) => charset !== 'utf-8' && charset !== 'utf8')) return wrong;
  return undefined;
}

function list(numbers: readonly number[]): string {
  if (numbers.length <= 2) return numbers.join(' and ');
  return `${numbers.slice(0, -1).join(', ')} and ${numbers.at(-1)}`;
}
