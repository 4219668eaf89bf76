// An incremental reader of a server-sent event stream (WHATWG HTML, "Server-sent events": the
// event-stream interpretation) that remembers where each block stood, so a gate can say where a rule
// broke: the line number and the byte offset of the block's first line.
//
// Lines end in CRLF, LF or CR, and a CRLF split across two chunks is still one line end. Lines are
// split on bytes and decoded as UTF-8 one whole line at a time, so a character split across chunks
// decodes whole and offsets count bytes, not characters. A leading byte order mark is skipped. A
// block is the run of non-blank lines up to a blank line; a block with at least one `data` line is an
// event (its data lines joined with "\n"), as EventSource and the AI SDK's client dispatch it; a block
// without one (comments only, e.g. keep-alives) is reported too, with `data` undefined.
// One difference from eventsource-parser (the AI SDK client's parser): a body whose very last byte is
// a bare CR ends its line here, as the spec says, while eventsource-parser waits for an LF that never
// comes and drops that last line.

const LF = 0x0a;
const CR = 0x0d;

export interface SseBlock {
  /** 1-based line number of the block's first line. */
  line: number;
  /** Byte offset of the block's first line from the start of the body. */
  offset: number;
  /** The data lines' values joined with "\n"; undefined when the block has no data line (not an event). */
  data?: string;
  /** Number of data lines. */
  dataLines: number;
  /** The last `event` field, if any. */
  event?: string;
  /** The last `id` field, if any. */
  id?: string;
  /** Comment lines (starting with ':'), without the colon and one following space. */
  comments: string[];
}

export interface SseTail {
  /** Bytes read. */
  bytes: number;
  /** Lines read to their end. */
  lines: number;
  /**
   * What the body ended inside of: non-blank lines without the blank line that ends a block, or a line
   * without its line end. A reader discards it, so it is no event; a gate reports it as truncation.
   */
  pending?: { line: number; offset: number; bytes: number };
}

interface OpenBlock {
  line: number;
  offset: number;
  data: string[];
  event?: string;
  id?: string;
  comments: string[];
}

/** Push bytes in any chunking, get the blocks they complete; `tail()` says what is left over. */
export class SseParser {
  // ignoreBOM: only the body's first byte order mark is skipped (by hand); one inside is content.
  #decoder = new TextDecoder('utf-8', { ignoreBOM: true });
  #partial: Uint8Array[] = [];
  #bytes = 0;
  #lines = 0;
  /** Offset where the line now being read starts. */
  #lineStart = 0;
  /** The last line ended in CR: an LF that comes next belongs to it. */
  #afterCR = false;
  #block: OpenBlock | undefined;

  /** Bytes pushed so far. */
  get bytes(): number {
    return this.#bytes;
  }

  push(chunk: Uint8Array): SseBlock[] {
    const out: SseBlock[] = [];
    let start = 0;
    for (let i = 0; i < chunk.length; i++) {
      const byte = chunk[i];
      if (this.#afterCR) {
        this.#afterCR = false;
        if (byte === LF) {
          start = i + 1;
          this.#lineStart = this.#bytes + i + 1;
          continue;
        }
      }
      if (byte !== LF && byte !== CR) continue;
      const piece = chunk.subarray(start, i);
      const bytes = this.#partial.length === 0 ? piece : concat([...this.#partial, piece]);
      this.#partial = [];
      this.#line(bytes, out);
      this.#afterCR = byte === CR;
      start = i + 1;
      this.#lineStart = this.#bytes + i + 1;
    }
    // Copied: the caller may reuse its buffer.
    if (start < chunk.length) this.#partial.push(chunk.slice(start));
    this.#bytes += chunk.length;
    return out;
  }

  tail(): SseTail {
    const tail: SseTail = { bytes: this.#bytes, lines: this.#lines };
    const offset = this.#block?.offset ?? (this.#partial.length > 0 ? this.#lineStart : undefined);
    if (offset !== undefined) {
      tail.pending = { line: this.#block?.line ?? this.#lines + 1, offset, bytes: this.#bytes - offset };
    }
    return tail;
  }

  #line(bytes: Uint8Array, out: SseBlock[]) {
    const offset = this.#lineStart;
    const number = ++this.#lines;
    const bom = offset === 0 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf;
    const text = this.#decoder.decode(bom ? bytes.subarray(3) : bytes);
    if (text === '') {
      if (this.#block) out.push(finish(this.#block));
      this.#block = undefined;
      return;
    }
    this.#block ??= { line: number, offset, data: [], comments: [] };
    const block = this.#block;
    if (text.startsWith(':')) {
      block.comments.push(withoutSpace(text.slice(1)));
      return;
    }
    const colon = text.indexOf(':');
    const field = colon < 0 ? text : text.slice(0, colon);
    const value = colon < 0 ? '' : withoutSpace(text.slice(colon + 1));
    if (field === 'data') block.data.push(value);
    else if (field === 'event') block.event = value;
    else if (field === 'id' && !value.includes('\0')) block.id = value;
    // `retry` and unknown fields are ignored, as the spec says.
  }
}

/** How reading a body ended: its end, the caller's signal, a broken connection, or the byte limit. */
export type SseEnd = 'closed' | 'aborted' | 'broken' | 'limit';

export interface SseReadResult extends SseTail {
  end: SseEnd;
  /** What broke the connection, when `end` is 'broken'. */
  error?: unknown;
}

/**
 * Reads a body to its end, handing each block to `onBlock` as it completes. Stops, without waiting
 * for the next chunk, when `signal` aborts or more than `maxBytes` arrived; then it cancels the body
 * (which closes the connection) and releases the reader. Never throws for the body's sake.
 */
export async function readSse(
  body: ReadableStream<Uint8Array>,
  onBlock: (block: SseBlock) => void,
  options: { signal?: AbortSignal; maxBytes?: number } = {},
): Promise<SseReadResult> {
  const { signal, maxBytes = Number.POSITIVE_INFINITY } = options;
  const parser = new SseParser();
  const reader = body.getReader();
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<'aborted'>((resolve) => {
    onAbort = () => resolve('aborted');
    if (signal?.aborted) onAbort();
    else signal?.addEventListener('abort', onAbort, { once: true });
  });
  let end: SseEnd;
  let error: unknown;
  try {
    for (;;) {
      // Raced with the signal, so a body whose source ignores the abort cannot hold the reader.
      const next = await Promise.race([reader.read(), aborted]);
      if (next === 'aborted') {
        end = 'aborted';
        break;
      }
      if (next.done) {
        end = 'closed';
        break;
      }
      for (const block of parser.push(next.value)) onBlock(block);
      if (parser.bytes > maxBytes) {
        end = 'limit';
        break;
      }
    }
  } catch (caught) {
    end = signal?.aborted ? 'aborted' : 'broken';
    error = caught;
  } finally {
    if (onAbort) signal?.removeEventListener('abort', onAbort);
  }
  if (end !== 'closed') reader.cancel().catch(() => {});
  reader.releaseLock();
  return { ...parser.tail(), end, ...(error === undefined ? {} : { error }) };
}

function finish(block: OpenBlock): SseBlock {
  const done: SseBlock = {
    line: block.line,
    offset: block.offset,
    dataLines: block.data.length,
    comments: block.comments,
  };
  if (block.data.length > 0) done.data = block.data.join('\n');
  if (block.event !== undefined) done.event = block.event;
  if (block.id !== undefined) done.id = block.id;
  return done;
}

function withoutSpace(text: string): string {
  return text.startsWith(' ') ? text.slice(1) : text;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}
