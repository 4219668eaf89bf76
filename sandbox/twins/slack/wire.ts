import { HttpResponse } from 'msw';

// Slack's Web API wire format. Requests: form-encoded (what @slack/web-api sends; nested values such
// as `blocks` arrive as JSON strings), JSON (token only in the Authorization header), multipart, or a
// GET query. Answers: HTTP 200 with {ok: true, ...} or {ok: false, error}; only rate limits are 429.

export type Args = Record<string, unknown>;

/** A Slack error code, answered as {ok: false, error, ...extra}. */
export class SlackError extends Error {
  readonly code: string;
  readonly extra: Record<string, unknown>;

  constructor(code: string, extra: Record<string, unknown> = {}) {
    super(code);
    this.code = code;
    this.extra = extra;
  }
}

/** Slack's answer to a missing or malformed argument. */
export const invalidArguments = (...messages: string[]) =>
  new SlackError('invalid_arguments', {
    response_metadata: { messages: messages.map((m) => `[ERROR] ${m}`) },
  });

export async function readArgs(request: Request): Promise<{ args: Args; json: boolean }> {
  const url = new URL(request.url);
  const args: Args = Object.fromEntries(url.searchParams);
  if (request.method === 'GET' || request.method === 'HEAD') return { args, json: false };
  const type = request.headers.get('content-type') ?? '';
  if (type.includes('application/json')) {
    const body: unknown = await request.json().catch(() => {
      throw new SlackError('invalid_json');
    });
    if (typeof body !== 'object' || body === null || Array.isArray(body))
      throw new SlackError('invalid_json');
    return { args: { ...args, ...(body as Args) }, json: true };
  }
  if (type.includes('multipart/form-data')) {
    for (const [key, value] of await request.formData()) args[key] = value;
    return { args, json: false };
  }
  for (const [key, value] of new URLSearchParams(await request.text())) args[key] = value;
  return { args, json: false };
}

/** The token as Slack reads it: the bearer header, or a `token` argument of a non-JSON request. */
export function tokenOf(request: Request, args: Args, json: boolean): string | undefined {
  const bearer = /^Bearer\s+(\S+)$/i.exec(request.headers.get('authorization') ?? '')?.[1];
  if (bearer) return bearer;
  return !json && typeof args.token === 'string' && args.token !== '' ? args.token : undefined;
}

export function str(args: Args, key: string): string | undefined {
  const value = args[key];
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

export function bool(args: Args, key: string): boolean {
  const value = args[key];
  return value === true || value === 'true' || value === '1' || value === 1;
}

/** A JSON-valued argument, decoded when it came as a string (form bodies); `error` when unparsable. */
export function jsonArg(args: Args, key: string, error: () => SlackError): unknown {
  const value = args[key];
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value);
  } catch {
    throw error();
  }
}

export const ok = (result: Record<string, unknown>) => HttpResponse.json({ ok: true, ...result });

export const fail = (error: SlackError) =>
  HttpResponse.json({ ok: false, error: error.code, ...error.extra });

export const rateLimited = (retryAfter: number) =>
  HttpResponse.json(
    { ok: false, error: 'ratelimited' },
    { status: 429, headers: { 'Retry-After': String(retryAfter) } },
  );
