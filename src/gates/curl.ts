import { TOKEN_PLACEHOLDER } from './redact.ts';

// A curl command line that repeats a gate's request, for the evidence field. The access token is never
// written: the line says "Bearer $TOKEN" in double quotes, so a person exports TOKEN and runs it as is.

export interface CurlRequest {
  method: string;
  url: string;
  headers?: Record<string, string>;
  /** Sent as JSON. */
  body?: unknown;
  /** Adds the authorization header with the $TOKEN placeholder. */
  bearer?: boolean;
  timeoutMs?: number;
}

/** Header names whose values are secrets wherever they come from. */
const SECRET_HEADERS = new Set(['authorization', 'cookie', 'proxy-authorization', 'x-api-key']);

export function curlCommand(request: CurlRequest): string {
  const parts = ['curl -sS -i'];
  if (request.method === 'HEAD') parts.push('-I');
  else if (request.method !== 'GET') parts.push(`-X ${request.method}`);
  parts.push(shellQuote(request.url));
  if (request.bearer) parts.push(`-H "authorization: Bearer ${TOKEN_PLACEHOLDER}"`);
  for (const [name, value] of Object.entries(request.headers ?? {})) {
    if (request.bearer && name.toLowerCase() === 'authorization') continue;
    const shown = SECRET_HEADERS.has(name.toLowerCase()) ? '<redacted>' : value;
    parts.push(`-H ${shellQuote(`${name}: ${shown}`)}`);
  }
  if (request.body !== undefined) parts.push(`--data ${shellQuote(JSON.stringify(request.body))}`);
  if (request.timeoutMs !== undefined)
    parts.push(`--max-time ${Math.max(1, Math.ceil(request.timeoutMs / 1000))}`);
  return parts.join(' ');
}

/** POSIX single quoting: 'it'\''s'. */
export function shellQuote(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}
