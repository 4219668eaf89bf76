import type { z } from 'zod';
import type { RouteDecision } from '../../gates/ports/route-split.ts';
import { PlatformError } from '../../runbooks/ports/errors.ts';
import type {
  RouteOverrideOptions,
  RouteSplitControl,
  RouteSplitStatus,
} from '../../runbooks/ports/route-split.ts';
import { decisionAnswer, errorMessage, expectedOverride, statusAnswer } from './responses.ts';

// The route-split control API of seed 000 over plain HTTP (global fetch), with the operator's bearer
// token. One attempt per call, bounded by a timeout: the runbook engine decides about retrying.
// Messages name the URL and, for a rejected token, where the token came from; never the token.

const SYSTEM = 'route-split';

export interface RouteSplitOptions {
  /** e.g. https://openagents.com/api/v1/control/route-split */
  baseUrl: string;
  token: string;
  /** Where the token came from, for messages: e.g. the sm:// reference of routeSplit.token. */
  tokenSource?: string;
  timeoutMs?: number;
  fetch?: typeof fetch;
}

export function createRouteSplit(options: RouteSplitOptions): RouteSplitControl {
  const base = options.baseUrl.replace(/\/+$/, '');
  const { token, timeoutMs = 10_000 } = options;
  const tokenSource = options.tokenSource ?? 'routeSplit.token';
  // Looked up at each call, not captured: msw (tests) and instrumentation replace the global later.
  const doFetch: typeof fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));

  async function call<T>(what: string, path: string, schema: z.ZodType<T>, body?: unknown): Promise<T> {
    const url = `${base}/${path}`;
    let response: Response;
    let text: string;
    try {
      response = await doFetch(url, {
        method: body === undefined ? 'GET' : 'POST',
        headers: {
          accept: 'application/json',
          authorization: `Bearer ${token}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(timeoutMs),
      });
      text = await response.text();
    } catch (error) {
      if ((error as Error).name === 'TimeoutError') {
        throw new PlatformError(SYSTEM, 'timeout', `${what}: no answer from ${url} within ${timeoutMs} ms`, {
          cause: error,
        });
      }
      const reason = (error as Error).message;
      throw new PlatformError(SYSTEM, 'unavailable', `${what}: ${url} could not be reached (${reason})`, {
        cause: error,
      });
    }
    const json = parseJson(text);
    if (!response.ok) throw httpFailure(what, url, response.status, json);
    const data = json !== null && typeof json === 'object' && 'data' in json ? json.data : json;
    const parsed = schema.safeParse(data);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const where = issue?.path.length ? `${issue.path.join('.')}: ` : '';
      throw new PlatformError(
        SYSTEM,
        'invalid',
        `${what}: ${url} answered in an unexpected shape (${json === undefined ? 'not JSON' : `${where}${issue?.message}`})`,
      );
    }
    return parsed.data;
  }

  function httpFailure(what: string, url: string, status: number, body: unknown): PlatformError {
    const said = errorMessage(body);
    const detail = said ? `${status}: ${said.slice(0, 300)}` : String(status);
    switch (status) {
      case 401:
        return new PlatformError(
          SYSTEM,
          'unauthorized',
          `${what}: the control API rejected the token (${detail}); check the secret behind ${tokenSource}`,
        );
      case 403:
        return new PlatformError(
          SYSTEM,
          'permission-denied',
          `${what}: the token is not an operator's (${detail}); ${tokenSource} must belong to an admin of the control service`,
        );
      case 404:
        return new PlatformError(
          SYSTEM,
          'not-found',
          `${what}: no control API at ${url} (${detail}); check routeSplit.baseUrl`,
        );
      case 429:
        return new PlatformError(
          SYSTEM,
          'rate-limited',
          `${what}: rate limited by the control API (${detail})`,
        );
      default:
        return status >= 500
          ? new PlatformError(SYSTEM, 'unavailable', `${what}: the control API answered ${detail}`)
          : new PlatformError(SYSTEM, 'invalid', `${what}: the control API refused the request (${detail})`);
    }
  }

  return {
    status: () => call('route-split status', 'status', statusAnswer),

    evaluate: (path: string, cohort?: string): Promise<RouteDecision> =>
      call(`route-split evaluate ${path}`, 'evaluate', decisionAnswer, {
        path,
        ...(cohort === undefined ? {} : { cohort_key: cohort }),
      }),

    async override(target: string, overrideOptions: RouteOverrideOptions = {}): Promise<RouteSplitStatus> {
      const { domain } = overrideOptions;
      const what = `route-split override to ${target}${domain ? ` for ${domain}` : ''}`;
      const status = await call(what, 'override', statusAnswer, { target, ...(domain ? { domain } : {}) });
      // Read the answer back, as for a traffic change: an accepted override that did not take is a failure.
      const expected = expectedOverride(target);
      const actual = domain ? (status.domainOverrides[normalizeDomain(domain)] ?? null) : status.override;
      if (expected !== undefined && actual !== expected) {
        throw new PlatformError(
          SYSTEM,
          'verify-failed',
          `${what}: accepted, but the status reports ${domain ? `${domain} override` : 'override'} ${actual ?? 'none'}`,
        );
      }
      return status;
    },
  };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** As the service keys its domain overrides: 'billing-l402' and 'Billing_L402' are 'billing_l402'. */
function normalizeDomain(domain: string): string {
  return domain.trim().toLowerCase().replaceAll('-', '_');
}
