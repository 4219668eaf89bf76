import { TOKEN_PLACEHOLDER } from './redact.ts';

// A curl command line that repeats a gate's request, for the evidence field. The access token is never
// written: the line says "Bearer $TOKEN" in double quotes, so a person exports TOKEN and runs it as is
// (and the maintenance bypass token likewise as $BYPASS_TOKEN).

export interface CurlRequest {
  method: string;
  url: string;
  headers?: Record<string, string>;
  /** Sent as JSON. */
  body?: unknown;
  /** Adds the authorization header with the $TOKEN placeholder. */
  bearer?: boolean;
  /** Headers whose value is a secret, by header name: the placeholder written instead, e.g. $BYPASS_TOKEN. */
  secretHeaders?: Record<string, string>;
  /** Sends the cookies of this cookie-jar file (curl -b), as written by an earlier `curl -c`. */
  cookieJar?: string;
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
  const secret = new Set(Object.keys(request.secretHeaders ?? {}).map((n) => n.toLowerCase()));
  for (const [name, placeholder] of Object.entries(request.secretHeaders ?? {})) {
    parts.push(`-H "${doubleQuoted(name)}: ${placeholder}"`);
  }
  if (request.cookieJar) parts.push(`-b ${shellQuote(request.cookieJar)}`);
  for (const [name, value] of Object.entries(request.headers ?? {})) {
    if (request.bearer && name.toLowerCase() === 'authorization') continue;
    if (secret.has(name.toLowerCase())) continue;
    const shown = SECRET_HEADERS.has(name.toLowerCase()) ? '<redacted>' : value;
    parts.push(`-H ${shellQuote(`${name}: ${shown}`)}`);
  }
  if (request.body !== undefined) parts.push(`--data ${shellQuote(JSON.stringify(request.body))}`);
  if (request.timeoutMs !== undefined)
    parts.push(`--max-time ${Math.max(1, Math.ceil(request.timeoutMs / 1000))}`);
  return parts.join(' ');
}

/**
 * `curl -c JAR "URL?query=$PLACEHOLDER"`: the request that trades a secret in a query parameter for the
 * cookies the service sets (a maintenance bypass), its URL in double quotes so the placeholder expands.
 */
export function cookieBootstrapCommand(url: string, query: string, placeholder: string, jar: string): string {
  const joined = `${url}${url.includes('?') ? '&' : '?'}${encodeURIComponent(query)}=`;
  return `curl -sS -o /dev/null -c ${shellQuote(jar)} "${doubleQuoted(joined)}${placeholder}"`;
}

/** The inside of a POSIX double-quoted word: $, `, " and \ escaped. */
function doubleQuoted(text: string): string {
  return text.replace(/[$`"\\]/g, '\\$&');
}

/** POSIX single quoting: 'it'\''s'. */
export function shellQuote(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}
