import type { ValidationLane } from '../../config/validation.ts';
import { type SmokeRequest, smokeCheckName } from '../../config/validation-lanes.ts';
import type { GateOf } from '../../gates/result.ts';
import { type CheckContext, notMeasured, type Observation, type ValidationPorts } from './context.ts';
import { gateCheck } from './gate.ts';

// Seed 002 lane 2, "runtime health + authority API smoke": each health path and each authority request
// of the lane is one http gate, run through the same provider as every other http check (status, dotted
// JSON fields, a curl evidence line with the token as $TOKEN, the token redacted from whatever the service
// answers). A request with `auth: auto` carries the service's access token when one is configured.

type RuntimeSmokeLane = Extract<ValidationLane, { kind: 'runtime-smoke' }>;
type HttpGate = GateOf<'http'>;

/** The http gate a row of the lane stands for, or undefined when the lane has no such row. */
export function smokeGate(lane: RuntimeSmokeLane, check: string, hasToken: boolean): HttpGate | undefined {
  const base = { kind: 'http' as const, target: lane.target, timeout: lane.timeout };
  const health = lane.health.find((path) => `GET ${path}` === check);
  if (health !== undefined) {
    return { ...base, method: 'GET', path: health, auth: 'none', expect: { status: 200 } };
  }
  const request = lane.requests.find((r) => smokeCheckName(r) === check);
  if (!request) return undefined;
  return {
    ...base,
    method: request.method,
    path: request.path,
    auth: authOf(request, hasToken),
    ...(request.body === undefined ? {} : { body: request.body }),
    expect: {
      status: request.expect.status,
      ...(request.expect.json ? { body: { json: request.expect.json } } : {}),
    },
  };
}

function authOf(request: SmokeRequest, hasToken: boolean): HttpGate['auth'] {
  if (request.auth === 'auto') return hasToken ? 'access-token' : 'none';
  return request.auth;
}

export async function runtimeSmokeCheck(
  check: string,
  ctx: CheckContext,
  ports: Pick<ValidationPorts, 'gates' | 'routeSplit'>,
): Promise<Observation> {
  const lane = ctx.lane as RuntimeSmokeLane;
  const gate = smokeGate(lane, check, ctx.target.accessToken !== undefined);
  if (!gate) return notMeasured(check, '-', '-', `the lane ${lane.name} has no request "${check}"`);
  return gateCheck(check, gate, ctx, ports);
}
