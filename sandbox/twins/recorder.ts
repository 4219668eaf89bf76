// Shared by every twin: what was requested, in order, and faults to inject on the next matching
// requests. Tests read `requests` to check what an adapter asked; the sandbox shows it in its page.

export interface RecordedRequest {
  method: string;
  /** Path and query, e.g. /v2/projects/p/locations/l/services/s */
  path: string;
  body?: unknown;
  headers: Record<string, string>;
  at: number;
}

export interface Fault {
  /** Matches `${method} ${path}` (path without the query string); a string matches as a substring. */
  match: RegExp | string;
  /** Answer with this HTTP status and a Google-style or plain error body (the twin decides the shape). */
  status?: number;
  /** Seconds, sent as Retry-After with a 429. */
  retryAfter?: number;
  /** Wait this long before answering (a slow dependency). */
  delayMs?: number;
  /** How many matching requests it applies to; default 1. */
  times?: number;
  /** Twin-specific fault, e.g. 'operation-failed' or 'etag-conflict'. */
  kind?: string;
  message?: string;
}

export class Recorder {
  readonly requests: RecordedRequest[] = [];
  private readonly faults: (Fault & { left: number })[] = [];

  async record(request: Request): Promise<RecordedRequest> {
    const url = new URL(request.url);
    const text = request.method === 'GET' || request.method === 'HEAD' ? '' : await request.clone().text();
    let body: unknown;
    if (text) {
      try {
        body = JSON.parse(text);
      } catch {
        body = text;
      }
    }
    const entry: RecordedRequest = {
      method: request.method,
      path: url.pathname + url.search,
      headers: Object.fromEntries(request.headers),
      at: Date.now(),
      ...(body === undefined ? {} : { body }),
    };
    this.requests.push(entry);
    return entry;
  }

  inject(fault: Fault): void {
    this.faults.push({ ...fault, left: fault.times ?? 1 });
  }

  /** The first pending fault matching this request, consumed once. */
  takeFault(method: string, path: string): Fault | undefined {
    const subject = `${method} ${path.split('?')[0]}`;
    const index = this.faults.findIndex((f) =>
      typeof f.match === 'string' ? subject.includes(f.match) : f.match.test(subject),
    );
    if (index < 0) return undefined;
    const fault = this.faults[index] as Fault & { left: number };
    fault.left -= 1;
    if (fault.left <= 0) this.faults.splice(index, 1);
    return fault;
  }

  reset(): void {
    this.requests.length = 0;
    this.faults.length = 0;
  }
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
