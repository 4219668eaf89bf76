import { formatDuration } from '../config/duration.ts';
import { shellQuote } from './curl.ts';
import { redactResult } from './redact.ts';
import type { GateOf, GateResult } from './result.ts';
import {
  DEFAULT_MAX_BYTES,
  describe,
  exchangeSse,
  MEDIA_TYPE,
  parseContentType,
  plural,
  redactor,
  type SseRequestGate,
  shorten,
  sseCurl,
  streamUrl,
  VERSION_HEADER,
} from './sse-exchange.ts';
import { readSse, type SseBlock } from './sse-stream.ts';

// The dual-run of seed 004 (RUN_DUAL_RUN=1): the request of one sse-contract gate sent to the Rust
// service and to the legacy one at the same time, both streams read to their end the way the
// sse-contract gate reads them (sse-exchange.ts, sse-stream.ts), and what a client would see compared:
//   - the status (or "no response" within the gate's timeout);
//   - the contract headers: content-type's media type and charset (an event stream without a charset is
//     utf-8, as the sse-contract gate holds, so `text/event-stream` equals `text/event-stream;
//     charset=utf-8`; "utf8" is "utf-8"), and x-vercel-ai-ui-message-stream (absent is "none");
//   - how the body ended: closed, cut at the timeout, cut at the byte limit, or broken;
//   - the sequence of event types, [DONE] included, comments (keep-alives) not. A run of one `*-delta`
//     type (text-delta, reasoning-delta, tool-input-delta) counts as one event, so two services that
//     chunk the same answer differently are the same; event numbers in the reason count that sequence.
// Whether either side keeps the contract is the sse-contract gate's question, not this one's: two
// sides that break it alike are the same. Every difference is listed (the event positions up to
// LISTED, then how many more), each as `what: rust X, legacy Y`. A side that cannot be reached makes
// the result `error`, naming that side; neither side answering within the timeout is `inconclusive`.
// The gate's `target` is not used: the two base URLs are the caller's.

export interface DualRunDeps {
  fetch?: typeof fetch;
  /** A body larger than this is cut; default 16 MiB. */
  maxBytes?: number;
}

export interface DualRunContext {
  /** Base URL of the Rust service (BASE_URL). */
  rustUrl: string;
  /** Base URL of the legacy service (LEGACY_BASE_URL). */
  legacyUrl: string;
  /** The service environment's access token, for a gate with access-token auth. */
  accessToken?: string;
  now(): Date;
  signal?: AbortSignal;
}

export interface DualRun {
  compare(name: string, gate: GateOf<'sse-contract'>, ctx: DualRunContext): Promise<GateResult>;
}

const SIDES = ['rust', 'legacy'] as const;
type Side = (typeof SIDES)[number];

const THRESHOLD = 'same status, contract headers and event types';
/** Differing event positions written out; the rest are counted. */
const LISTED = 3;
/** Event types kept per side (after collapsing deltas); a longer sequence is compared up to here. */
const MAX_TYPES = 10_000;
/** Longest event type or header value quoted. */
const WORD = 40;

type End = 'closed' | 'cut' | 'limit' | 'broken';

/** What one side answered, reduced to what is compared. */
interface Observation {
  /** Undefined: no response within the timeout. */
  status?: number;
  contentType: string | null;
  version: string | null;
  end: End;
  /** How it ended, in words: "closed", "cut at 30s", "broken (socket hang up)". */
  endWords: string;
  /** Event types in order, delta runs collapsed; at most MAX_TYPES. */
  types: string[];
  /** Length of the collapsed sequence (may be more than types.length). */
  count: number;
  /** Events read, each delta counted. */
  events: number;
}

type Outcome = { kind: 'observed'; observation: Observation } | { kind: 'unreachable'; reason: string };

export function createDualRun(deps: DualRunDeps = {}): DualRun {
  // Looked up per call, so a fetch patched later (msw in tests) is the one used.
  const fetchImpl: typeof fetch = deps.fetch ?? ((input, init) => globalThis.fetch(input, init));
  const maxBytes = deps.maxBytes ?? DEFAULT_MAX_BYTES;

  return {
    async compare(name, gate, ctx) {
      const roots: Record<Side, string> = {
        rust: ctx.rustUrl.replace(/\/+$/, ''),
        legacy: ctx.legacyUrl.replace(/\/+$/, ''),
      };
      const base = {
        gate: name,
        kind: 'sse-contract' as const,
        metric: `dual-run ${gate.method} ${gate.path}`,
        threshold: THRESHOLD,
        at: ctx.now().toISOString(),
        // Both requests, as one line a person can paste.
        evidence: `for base in ${shellQuote(roots.rust)} ${shellQuote(roots.legacy)}; do ${sseCurl(gate, `"$base"${shellQuote(gate.path)}`)}; done`,
      };
      if (gate.auth === 'access-token' && !ctx.accessToken) {
        return { ...base, status: 'skipped', samples: 0, reason: 'no access token configured' };
      }
      const token = gate.auth === 'access-token' ? ctx.accessToken : undefined;
      const redact = redactor(token);

      // One side unreachable leaves nothing to compare: a stream the other side is sending is not read
      // to its end (a side still waiting for its answer is, since it may be unreachable too).
      const stop: Record<Side, AbortController> = {
        rust: new AbortController(),
        legacy: new AbortController(),
      };
      const reading = new Set<Side>();
      let unreachableSeen = false;
      const observe = async (side: Side): Promise<Outcome | undefined> => {
        const url = streamUrl(roots[side], gate.path);
        const signals = [stop[side].signal, ...(ctx.signal ? [ctx.signal] : [])];
        const outcome = await exchangeSse(
          { fetch: fetchImpl, url, gate, token, signal: AbortSignal.any(signals) },
          async (answer) => {
            if (unreachableSeen) return undefined;
            reading.add(side);
            return read(answer, gate, maxBytes, redact);
          },
        );
        switch (outcome.kind) {
          case 'answered':
            // Undefined: cancelled while reading.
            return outcome.value ? { kind: 'observed', observation: outcome.value } : undefined;
          case 'no-response':
            return { kind: 'observed', observation: silent(gate) };
          case 'cancelled':
            return undefined;
          case 'unreachable': {
            unreachableSeen = true;
            const other = side === 'rust' ? 'legacy' : 'rust';
            if (reading.has(other)) stop[other].abort();
            return { kind: 'unreachable', reason: `${side} ${url} unreachable: ${describe(outcome.error)}` };
          }
        }
      };
      const [rust, legacy] = await Promise.all(SIDES.map(observe));

      const unreachable = [rust, legacy].flatMap((o) => (o?.kind === 'unreachable' ? [o.reason] : []));
      if (unreachable.length > 0) {
        return redactResult(
          { ...base, status: 'error', samples: 0, reason: redact(unreachable.join('; ')) },
          token,
        );
      }
      if (rust?.kind !== 'observed' || legacy?.kind !== 'observed') {
        return { ...base, status: 'error', samples: 0, reason: 'evaluation cancelled' };
      }
      const sides: Record<Side, Observation> = { rust: rust.observation, legacy: legacy.observation };
      const samples = sides.rust.events + sides.legacy.events;
      if (sides.rust.status === undefined && sides.legacy.status === undefined) {
        return {
          ...base,
          status: 'inconclusive',
          observed: { value: 'no response' },
          samples,
          samplesUnit: 'events',
          reason: `neither side answered within ${formatDuration(gate.timeout)}: nothing to compare`,
        };
      }
      const found = differences(sides, gate, redact);
      const result: GateResult =
        found.lines.length === 0
          ? {
              ...base,
              status: 'pass',
              observed: { value: `identical: ${sides.rust.status}, ${plural(sides.rust.count, 'event')}` },
              samples,
              samplesUnit: 'events',
            }
          : {
              ...base,
              status: 'fail',
              observed: { value: plural(found.aspects, 'difference') },
              samples,
              samplesUnit: 'events',
              reason: redact(found.lines.join('; ')),
            };
      // Everything the services sent went through `redact`; this is the last line of defence.
      return redactResult(result, token);
    },
  };
}

/** Reads one answer to its end; undefined when the caller cancelled. */
async function read(
  answer: { response: Response; signal: AbortSignal; cut(): boolean },
  gate: SseRequestGate,
  maxBytes: number,
  redact: (text: string) => string,
): Promise<Observation | undefined> {
  const { response } = answer;
  const observation: Observation = {
    status: response.status,
    contentType: response.headers.get('content-type'),
    version: response.headers.get(VERSION_HEADER),
    end: 'closed',
    endWords: 'closed',
    types: [],
    count: 0,
    events: 0,
  };
  if (!response.body) return observation;
  const sequence = new TypeSequence(redact);
  const result = await readSse(response.body, (block) => sequence.block(block), {
    signal: answer.signal,
    maxBytes,
  });
  Object.assign(observation, { types: sequence.types, count: sequence.count, events: sequence.events });
  switch (result.end) {
    case 'aborted':
      // A body that closed as the timer fired was not cut.
      if (!answer.cut()) return undefined;
      return { ...observation, end: 'cut', endWords: `cut at ${formatDuration(gate.timeout)}` };
    case 'limit':
      return { ...observation, end: 'limit', endWords: `cut at ${maxBytes} bytes` };
    case 'broken':
      return {
        ...observation,
        end: 'broken',
        endWords: `broken (${shorten(redact(describe(result.error)), WORD)})`,
      };
    case 'closed':
      return observation;
  }
}

/** A side that sent no status line within the timeout. */
function silent(gate: SseRequestGate): Observation {
  const words = `no response within ${formatDuration(gate.timeout)}`;
  return { contentType: null, version: null, end: 'cut', endWords: words, types: [], count: 0, events: 0 };
}

/** Event types as they arrive, a run of one delta type kept once. */
class TypeSequence {
  readonly types: string[] = [];
  count = 0;
  events = 0;
  #last: string | undefined;
  #redact: (text: string) => string;

  constructor(redact: (text: string) => string) {
    this.#redact = redact;
  }

  block(block: SseBlock) {
    if (block.data === undefined) return;
    this.events++;
    const type = this.#typeOf(block.data);
    if (type === this.#last && type.endsWith('-delta')) return;
    this.#last = type;
    this.count++;
    if (this.types.length < MAX_TYPES) this.types.push(type);
  }

  #typeOf(data: string): string {
    if (data === '[DONE]') return '[DONE]';
    let chunk: unknown;
    try {
      chunk = JSON.parse(data);
    } catch {
      return '(not JSON)';
    }
    const type = typeof chunk === 'object' && chunk !== null ? (chunk as { type?: unknown }).type : undefined;
    return typeof type === 'string' ? shorten(this.#redact(type), WORD) : '(no type)';
  }
}

/**
 * Every difference between the sides, as `what: rust X, legacy Y`; `aspects` counts what differs
 * (status, a header, the end, the events), however many lines the events take.
 */
function differences(
  sides: Record<Side, Observation>,
  gate: SseRequestGate,
  redact: (text: string) => string,
): { aspects: number; lines: string[] } {
  const { rust, legacy } = sides;
  const found: string[] = [];
  let aspects = 0;
  const differ = (what: string, shown: (o: Observation) => string | number, compared = shown) => {
    if (compared(rust) === compared(legacy)) return false;
    found.push(`${what}: rust ${shown(rust)}, legacy ${shown(legacy)}`);
    aspects++;
    return true;
  };
  differ('status', (o) => o.status ?? `no response within ${formatDuration(gate.timeout)}`);
  // A side that never answered has no headers or events to hold against the other's.
  if (rust.status === undefined || legacy.status === undefined) return { aspects, lines: found };
  // Redacted before shortened, so no part of a token survives the cut.
  const header = (value: string | null) => (value === null ? 'none' : shorten(redact(value.trim()), WORD));
  differ(
    'content-type',
    (o) => header(o.contentType),
    (o) => contentType(o.contentType),
  );
  differ(
    VERSION_HEADER,
    (o) => header(o.version),
    (o) => o.version?.trim() ?? 'none',
  );
  differ(
    'end',
    (o) => o.endWords,
    (o) => o.end,
  );
  const counts = differ('events', (o) => o.count);

  let listed = 0;
  let unlisted = 0;
  const shorter = Math.min(rust.types.length, legacy.types.length);
  for (let i = 0; i < shorter; i++) {
    if (rust.types[i] === legacy.types[i]) continue;
    if (listed < LISTED) {
      listed++;
      found.push(`event ${i + 1}: rust ${rust.types[i]}, legacy ${legacy.types[i]}`);
    } else unlisted++;
  }
  // Past the shorter side's end only the first event is named; the counts say the rest.
  if (rust.types.length !== legacy.types.length && listed < LISTED) {
    listed++;
    found.push(
      `event ${shorter + 1}: rust ${rust.types[shorter] ?? 'none'}, legacy ${legacy.types[shorter] ?? 'none'}`,
    );
  }
  if (unlisted > 0) found.push(`${unlisted} more ${unlisted === 1 ? 'event differs' : 'events differ'}`);
  // Different counts and different events are one difference: the events.
  if (listed > 0 && !counts) aspects++;
  return { aspects, lines: found };
}

/** The content-type as compared: media type and charset, an event stream's charset utf-8 by default. */
function contentType(value: string | null): string {
  if (value === null) return 'none';
  const { essence, charsets } = parseContentType(value);
  const named = charsets.map((charset) => (charset === 'utf8' ? 'utf-8' : charset));
  if (named.length === 0 && essence === MEDIA_TYPE) named.push('utf-8');
  return [essence, ...named].join('; ');
}
