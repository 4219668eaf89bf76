import { formatDuration } from '../../config/duration.ts';
import { curlCommand } from '../curl.ts';
import { errorResult, messageOf } from '../error-result.ts';
import { redactResult } from '../redact.ts';
import type { GateContext, GateOf, GateProvider, GateResult } from '../result.ts';
import { firstBrokenRule } from './http-assertions.ts';

// One HTTP request against the canary tag URL or the public URL, judged on status, headers, body and
// latency: /healthz and /readyz, the static host policy of seed 002 (manifest.json, sw.js cache headers,
// immutable assets) and the authenticated auth/session/sync-token checks of seed 000. A request that
// cannot complete is `error` (timed out, unreachable), not `fail`: the service may be fine.

type HttpGate = GateOf<'http'>;

export interface HttpGateDeps {
  fetch?: typeof fetch;
  /** Monotonic milliseconds for the latency; performance.now by default. */
  clock?: () => number;
}

export function createHttpGate(deps: HttpGateDeps = {}): GateProvider<HttpGate> {
  // Looked up at each call, not captured: msw (tests) and instrumentation replace the global later.
  const doFetch: typeof fetch = deps.fetch ?? ((input, init) => globalThis.fetch(input, init));
  const clock = deps.clock ?? (() => performance.now());

  async function evaluate(name: string, gate: HttpGate, ctx: GateContext): Promise<GateResult> {
    const metric = `${gate.method} ${gate.path}`;
    const threshold = thresholdText(gate);
    const base = gate.target === 'canary' ? ctx.canaryUrl : ctx.publicUrl;
    const bearer = gate.auth === 'access-token';
    const url = base ? `${base.replace(/\/+$/, '')}${gate.path}` : gate.path;
    const headers: Record<string, string> = { ...gate.headers };
    if (gate.body !== undefined) headers['content-type'] ??= 'application/json';
    const evidence = curlCommand({
      method: gate.method,
      url,
      bearer,
      headers,
      ...(gate.body === undefined ? {} : { body: gate.body }),
      timeoutMs: gate.timeout,
    });
    const failed = (reason: string) =>
      redactResult(errorResult(name, gate, ctx, { metric, threshold, evidence, reason }), ctx.accessToken);

    if (!base) return failed('the rollout has no canary tag URL yet, so the canary cannot be probed');
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
    const timeout = AbortSignal.timeout(gate.timeout);
    const signal = ctx.signal ? AbortSignal.any([timeout, ctx.signal]) : timeout;

    const started = clock();
    let response: Response;
    let body: string;
    try {
      response = await doFetch(url, {
        method: gate.method,
        headers,
        redirect: 'manual', // a redirect is an answer to judge (status 3xx), not something to follow
        ...(gate.body === undefined ? {} : { body: JSON.stringify(gate.body) }),
        signal,
      });
      body = await response.text();
    } catch (error) {
      if (timeout.aborted) return failed(`timed out after ${formatDuration(gate.timeout)}`);
      if (ctx.signal?.aborted) return failed('evaluation cancelled');
      return failed(`${url} could not be reached (${messageOf(error)}${causeOf(error)})`);
    }
    const latencyMs = Math.round(clock() - started);

    const broken = firstBrokenRule(gate.expect, {
      status: response.status,
      headers: response.headers,
      body,
      latencyMs,
    });
    const result: GateResult = {
      gate: name,
      kind: 'http',
      status: broken ? 'fail' : 'pass',
      metric,
      observed: { value: response.status, unit: 'status' },
      latencyMs,
      threshold,
      samples: 1,
      evidence,
      at: ctx.now().toISOString(),
      ...(broken ? { reason: broken } : {}),
    };
    // A service may echo the token (a debug body, a reflected header): it never leaves this function.
    return redactResult(result, ctx.accessToken);
  }

  return { evaluate };
}

/** "status 200, within 2s, 2 header rules, body rules": what a pass was checked against. */
function thresholdText(gate: HttpGate): string {
  const statuses = Array.isArray(gate.expect.status) ? gate.expect.status : [gate.expect.status];
  const parts = [`status ${statuses.join(' or ')}`];
  const headerRules = Object.keys(gate.expect.headers ?? {}).length;
  if (headerRules > 0) parts.push(`${headerRules} header rule${headerRules > 1 ? 's' : ''}`);
  if (gate.expect.body) parts.push('body rules');
  if (gate.expect.maxLatency !== undefined) parts.push(`within ${formatDuration(gate.expect.maxLatency)}`);
  return parts.join(', ');
}

/** undici says "fetch failed" and puts the useful part (ECONNREFUSED, ENOTFOUND) in the cause. */
function causeOf(error: unknown): string {
  const cause = (error as { cause?: unknown })?.cause;
  return cause instanceof Error && cause.message ? `: ${cause.message}` : '';
}
