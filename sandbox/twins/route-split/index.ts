import { delay, HttpResponse, http, type RequestHandler } from 'msw';
import { Recorder } from '../recorder.ts';
import { type AuditEntry, type RouteSplitConfig, RouteSplitService } from './service.ts';

// The route-split control API of seed 000 (GET status, POST evaluate, POST override) with the
// service's answers: `{data}` on success, `{message, error: {code, message}}` on failure; 401 without
// a known bearer token, 403 when a non-operator overrides, 415 without a JSON body, 422 for a bad one.

export type TokenRole = 'operator' | 'member';

export interface RouteSplitTwinOptions {
  /** The API base, as in routeSplit.baseUrl. */
  baseUrl?: string;
  /**
   * Accepted bearer tokens. Members may read status and evaluate; only operators may override. A token
   * may name its owner, whom the service's audit trail records for each override.
   */
  tokens?: Record<string, TokenRole | { role: TokenRole; user: string }>;
}

export interface RouteSplitTwin {
  handlers: RequestHandler[];
  /** Requests in order; faults: {match: 'POST /api/v1/control/route-split/override', status | delayMs} or kind 'malformed'. */
  recorder: Recorder;
  /** Decisions and overrides, in order. */
  readonly audit: AuditEntry[];
  /** Changes the service's configuration (mode, rustRoutes, cohortPercentage, enabled, forceLegacy, ...). */
  configure(config: Partial<RouteSplitConfig>): void;
  setToken(token: string, role: TokenRole, user?: string): void;
  revokeToken(token: string): void;
  /** The global override as the service holds it. */
  readonly override: string | null;
  /** Back to the defaults (mode rust for every path, no override), no requests, no faults. */
  reset(): void;
}

export const ROUTE_SPLIT_TWIN_BASE_URL = 'https://route-split.twin/api/v1/control/route-split';
export const ROUTE_SPLIT_TWIN_TOKEN = 'twin-operator-token';
/** The operator the default token belongs to (the bot's service account on the control service). */
export const ROUTE_SPLIT_TWIN_OPERATOR = 'shiftgate-operator';

const CODE_OF: Record<number, string> = {
  400: 'invalid_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  422: 'invalid_request',
  429: 'rate_limited',
  500: 'internal_error',
  503: 'service_unavailable',
};

function apiError(status: number, message: string, errors?: Record<string, string[]>) {
  const code = CODE_OF[status] ?? 'internal_error';
  return HttpResponse.json({ message, error: { code, message }, ...(errors ? { errors } : {}) }, { status });
}

export function createRouteSplitTwin(options: RouteSplitTwinOptions = {}): RouteSplitTwin {
  const base = (options.baseUrl ?? ROUTE_SPLIT_TWIN_BASE_URL).replace(/\/+$/, '');
  const initialTokens = options.tokens ?? {
    [ROUTE_SPLIT_TWIN_TOKEN]: { role: 'operator', user: ROUTE_SPLIT_TWIN_OPERATOR },
  };
  const owned = (value: TokenRole | { role: TokenRole; user: string }) =>
    typeof value === 'string' ? { role: value } : value;
  const tokens = new Map<string, { role: TokenRole; user?: string }>(
    Object.entries(initialTokens).map(([token, value]) => [token, owned(value)]),
  );
  const service = new RouteSplitService();
  const recorder = new Recorder();

  /** Records, applies a pending fault, checks the token: a Response to send now, or the caller's role. */
  async function admit(
    request: Request,
  ): Promise<Response | { role: TokenRole; user?: string; malformed: boolean }> {
    const recorded = await recorder.record(request);
    const fault = recorder.takeFault(recorded.method, recorded.path);
    if (fault?.delayMs) await delay(fault.delayMs);
    if (fault?.status) return apiError(fault.status, fault.message ?? `twin: injected ${fault.status}`);
    const bearer = /^Bearer\s+(\S+)$/i.exec(request.headers.get('authorization') ?? '')?.[1];
    const holder = bearer ? tokens.get(bearer) : undefined;
    if (!holder) return apiError(401, 'Unauthenticated.');
    return { ...holder, malformed: fault?.kind === 'malformed' };
  }

  /** The JSON body as the service's extractor takes it: 415 without the content type, 400 unparsable. */
  async function jsonBody(request: Request): Promise<Response | Record<string, unknown>> {
    if (!request.headers.get('content-type')?.includes('application/json')) {
      return new HttpResponse('Expected request with `Content-Type: application/json`', { status: 415 });
    }
    try {
      const body = await request.json();
      if (body && typeof body === 'object' && !Array.isArray(body)) return body as Record<string, unknown>;
    } catch {}
    return new HttpResponse('Failed to parse the request body as JSON', { status: 400 });
  }

  const data = (value: unknown, malformed: boolean) =>
    HttpResponse.json(malformed ? { data: { unexpected: 'shape' } } : { data: value });

  const handlers = [
    http.get(`${base}/status`, async ({ request }) => {
      const admitted = await admit(request);
      if (admitted instanceof Response) return admitted;
      return data(service.status(), admitted.malformed);
    }),

    http.post(`${base}/evaluate`, async ({ request }) => {
      const admitted = await admit(request);
      if (admitted instanceof Response) return admitted;
      const body = await jsonBody(request);
      if (body instanceof Response) return body;
      if (typeof body.path !== 'string' || body.path.trim() === '') {
        return apiError(422, 'Path is required.', { path: ['Path is required.'] });
      }
      const cohort = typeof body.cohort_key === 'string' ? body.cohort_key : undefined;
      return data(service.evaluate(body.path, cohort, admitted.role), admitted.malformed);
    }),

    http.post(`${base}/override`, async ({ request }) => {
      const admitted = await admit(request);
      if (admitted instanceof Response) return admitted;
      if (admitted.role !== 'operator') return apiError(403, 'Forbidden.');
      const body = await jsonBody(request);
      if (body instanceof Response) return body;
      if (typeof body.target !== 'string')
        return apiError(422, 'Target is required.', { target: ['Target is required.'] });
      const domain = typeof body.domain === 'string' ? body.domain : undefined;
      const refused = service.setOverride(body.target, domain, admitted.role, admitted.user);
      if (refused)
        return apiError(422, refused, {
          [domain && refused.startsWith('Unknown') ? 'domain' : 'target']: [refused],
        });
      return data(service.status(), admitted.malformed);
    }),
  ];

  return {
    handlers,
    recorder,
    audit: service.audit,
    configure(config) {
      service.config = { ...service.config, ...structuredClone(config) };
    },
    setToken: (token, role, user) => void tokens.set(token, user ? { role, user } : { role }),
    revokeToken: (token) => void tokens.delete(token),
    get override() {
      return service.override;
    },
    reset() {
      service.reset();
      recorder.reset();
      tokens.clear();
      for (const [token, value] of Object.entries(initialTokens)) tokens.set(token, owned(value));
    },
  };
}
