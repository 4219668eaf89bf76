import { formatDuration } from '../../config/duration.ts';
import { DEFAULT_BYPASS_HEADER } from '../../config/gates.ts';
import type { SecretResolver } from '../../config/secret-resolver.ts';
import { cookieBootstrapCommand, curlCommand } from '../curl.ts';
import { errorResult, messageOf } from '../error-result.ts';
import { BYPASS_TOKEN_PLACEHOLDER, redactResult } from '../redact.ts';
import type { GateContext, GateOf, GateProvider, GateResult } from '../result.ts';
import { targetBase } from '../target-url.ts';
import { firstBrokenRule } from './http-assertions.ts';

// One HTTP request against the canary tag URL, the public URL or the service's run.app URL, judged on
// status, headers, body and latency: /healthz and /readyz, the static host policy of seed 002
// (manifest.json, sw.js cache headers, immutable assets) and the authenticated auth/session/sync-token
// checks of seed 000. A request that cannot complete is `error` (timed out, unreachable), not `fail`:
// the service may be fine.
//
// Maintenance-window smokes (seed 001): with `bypass` the request carries the maintenance bypass token,
// in a header or as the cookies a bootstrap request trades it for, so `expect` judges the service behind
// the maintenance page; with `expectWithoutBypass` the same request is sent again without it and must
// get the maintenance answer (503), which proves maintenance mode is on for everyone else.

type HttpGate = GateOf<'http'>;
type Expect = HttpGate['expect'];

export interface HttpGateDeps {
  fetch?: typeof fetch;
  /** Monotonic milliseconds for the latency; performance.now by default. */
  clock?: () => number;
  /** Reads `bypass.token`; a gate with a bypass is an error without it. */
  secrets?: SecretResolver;
}

/** The cookie jar file the evidence's bootstrap writes and the request reads. */
const BYPASS_JAR = 'bypass.jar';

interface Answer {
  status: number;
  headers: Headers;
  body: string;
  latencyMs: number;
}

export function createHttpGate(deps: HttpGateDeps = {}): GateProvider<HttpGate> {
  // Looked up at each call, not captured: msw (tests) and instrumentation replace the global later.
  const doFetch: typeof fetch = deps.fetch ?? ((input, init) => globalThis.fetch(input, init));
  const clock = deps.clock ?? (() => performance.now());

  async function evaluate(name: string, gate: HttpGate, ctx: GateContext): Promise<GateResult> {
    const metric = `${gate.method} ${gate.path}`;
    const threshold = thresholdText(gate);
    const target = targetBase(gate.target, ctx);
    const base = 'url' in target ? target.url.replace(/\/+$/, '') : '';
    const bearer = gate.auth === 'access-token';
    const url = base ? `${base}${gate.path}` : gate.path;
    const headers: Record<string, string> = { ...gate.headers };
    if (gate.body !== undefined) headers['content-type'] ??= 'application/json';
    const { bypass } = gate;
    const bypassHeader = bypass && !bypass.bootstrap ? (bypass.header ?? DEFAULT_BYPASS_HEADER) : undefined;
    const evidence = evidenceOf(gate, url, base, headers, bypassHeader);

    let bypassToken: string | undefined;
    // A service may echo a token (a debug body, a reflected header, a Location with the query): neither
    // token ever leaves this function.
    const redact = (result: GateResult) => {
      let clean = redactResult(result, ctx.accessToken);
      if (bypassToken) {
        clean = redactResult(clean, bypassToken, BYPASS_TOKEN_PLACEHOLDER);
        clean = redactResult(clean, encodeURIComponent(bypassToken), BYPASS_TOKEN_PLACEHOLDER);
      }
      return clean;
    };
    const failed = (reason: string) =>
      redact(errorResult(name, gate, ctx, { metric, threshold, evidence, reason }));

    if ('missing' in target) return failed(target.missing);
    if (bearer && !ctx.accessToken) {
      return {
        gate: name,
        kind: 'http',
        status: 'skipped',
        metric,
        threshold,
        samples: 0,
        evidence,
        reason: 'no access token is configured for this environment',
        at: ctx.now().toISOString(),
      };
    }
    if (bearer) headers.authorization = `Bearer ${ctx.accessToken}`;
    if (bypass) {
      if (!deps.secrets) return failed(`${bypass.token.ref}: no secret resolver is configured`);
      try {
        bypassToken = await deps.secrets.resolve(bypass.token);
      } catch (error) {
        return failed(`the maintenance bypass token could not be read: ${messageOf(error)}`);
      }
    }

    /** One request; a string is why it could not complete. */
    const send = async (
      to: string,
      sent: Record<string, string>,
      judged: boolean,
    ): Promise<Answer | string> => {
      const timeout = AbortSignal.timeout(gate.timeout);
      const signal = ctx.signal ? AbortSignal.any([timeout, ctx.signal]) : timeout;
      const started = clock();
      try {
        const response = await doFetch(to, {
          method: judged ? gate.method : 'GET',
          headers: sent,
          redirect: 'manual', // a redirect is an answer to judge (status 3xx), not something to follow
          ...(judged && gate.body !== undefined ? { body: JSON.stringify(gate.body) } : {}),
          signal,
        });
        const body = await response.text();
        return {
          status: response.status,
          headers: response.headers,
          body,
          latencyMs: Math.round(clock() - started),
        };
      } catch (error) {
        if (timeout.aborted) return `timed out after ${formatDuration(gate.timeout)}`;
        if (ctx.signal?.aborted) return 'evaluation cancelled';
        return `${to} could not be reached (${messageOf(error)}${causeOf(error)})`;
      }
    };

    const withBypass = { ...headers };
    let bootstrapNote = '';
    if (bypass && bypassToken !== undefined) {
      if (bypassHeader) withBypass[bypassHeader] = bypassToken;
      else if (bypass.bootstrap) {
        const { path, query } = bypass.bootstrap;
        const to = `${base}${path}${path.includes('?') ? '&' : '?'}${encodeURIComponent(query)}=${encodeURIComponent(bypassToken)}`;
        const answer = await send(to, {}, false);
        if (typeof answer === 'string') return failed(`the maintenance bypass bootstrap failed: ${answer}`);
        const cookies = answer.headers.getSetCookie().map((c) => c.split(';')[0]?.trim() ?? '');
        const pairs = cookies.filter((c) => c.includes('='));
        if (pairs.length > 0) {
          withBypass.cookie = [withBypass.cookie, ...pairs].filter(Boolean).join('; ');
        } else {
          bootstrapNote = `; the bypass bootstrap GET ${path}?${query}=... answered ${answer.status} and set no cookie`;
        }
      }
    }

    const answer = await send(url, withBypass, true);
    if (typeof answer === 'string') return failed(answer);
    let samples = 1;
    let broken = firstBrokenRule(gate.expect, answer);
    if (broken) broken += bootstrapNote;
    if (!broken && gate.expectWithoutBypass) {
      // The same request as anyone sends it: the maintenance page must answer.
      const plain = await send(url, headers, true);
      if (typeof plain === 'string') return failed(`without the bypass: ${plain}`);
      samples = 2;
      const rule = firstBrokenRule(gate.expectWithoutBypass as Expect, plain);
      if (rule) broken = `without the bypass got ${plain.status}: ${rule}`;
    }
    return redact({
      gate: name,
      kind: 'http',
      status: broken ? 'fail' : 'pass',
      metric,
      observed: { value: answer.status, unit: 'status' },
      latencyMs: answer.latencyMs,
      threshold,
      samples,
      evidence,
      at: ctx.now().toISOString(),
      ...(broken ? { reason: broken } : {}),
    });
  }

  return { evaluate };
}

/** The curl line(s) repeating the gate: the bypass bootstrap first, the request without the bypass last. */
function evidenceOf(
  gate: HttpGate,
  url: string,
  base: string,
  headers: Record<string, string>,
  bypassHeader: string | undefined,
): string {
  const request = {
    method: gate.method,
    url,
    bearer: gate.auth === 'access-token',
    headers,
    ...(gate.body === undefined ? {} : { body: gate.body }),
    timeoutMs: gate.timeout,
  };
  const bootstrap = gate.bypass?.bootstrap;
  const lines: string[] = [];
  if (bootstrap) {
    lines.push(
      `${cookieBootstrapCommand(`${base}${bootstrap.path}`, bootstrap.query, BYPASS_TOKEN_PLACEHOLDER, BYPASS_JAR)} &&`,
    );
  }
  lines.push(
    curlCommand({
      ...request,
      ...(bypassHeader ? { secretHeaders: { [bypassHeader]: BYPASS_TOKEN_PLACEHOLDER } } : {}),
      ...(bootstrap ? { cookieJar: BYPASS_JAR } : {}),
    }),
  );
  if (gate.expectWithoutBypass) lines.push(`; ${curlCommand(request)}`);
  return lines.join(' ');
}

/** "status 200, within 2s, 2 header rules, body rules": what a pass was checked against. */
function thresholdText(gate: HttpGate): string {
  const main = expectText(gate.expect);
  if (!gate.bypass) return main;
  const without = gate.expectWithoutBypass
    ? `; without it ${expectText(gate.expectWithoutBypass as Expect)}`
    : '';
  return `${main} with the maintenance bypass${without}`;
}

function expectText(expect: Expect): string {
  const statuses = Array.isArray(expect.status) ? expect.status : [expect.status];
  const parts = [`status ${statuses.join(' or ')}`];
  const headerRules = Object.keys(expect.headers ?? {}).length;
  if (headerRules > 0) parts.push(`${headerRules} header rule${headerRules > 1 ? 's' : ''}`);
  if (expect.body) parts.push('body rules');
  if (expect.maxLatency !== undefined) parts.push(`within ${formatDuration(expect.maxLatency)}`);
  return parts.join(', ');
}

/** undici says "fetch failed" and puts the useful part (ECONNREFUSED, ENOTFOUND) in the cause. */
function causeOf(error: unknown): string {
  const cause = (error as { cause?: unknown })?.cause;
  return cause instanceof Error && cause.message ? `: ${cause.message}` : '';
}
