import { type Gate, targetsService } from '../../config/gates.ts';
import { messageOf } from '../../gates/error-result.ts';
import { formatNumber, formatQuantity, renderGate } from '../../gates/render.ts';
import type { GateContext, GateResult } from '../../gates/result.ts';
import { servingRevision, splitOf } from '../../runbooks/traffic.ts';
import { type CheckContext, type Observation, type ValidationPorts, windowOf } from './context.ts';

// A gate of a gates lane, through the same registry the canary uses. A validation has no canary: the
// probes go to the service's public URL (as the rollback checks do), or to its run.app URL for gates
// with `target: service` (seed 001, while the domain mapping is pending), and the revision serving
// traffic stands for both revisions a gate may name (audit events read the whole service anyway).

export async function gateCheck(
  name: string,
  gate: Gate,
  ctx: CheckContext,
  ports: Pick<ValidationPorts, 'gates' | 'routeSplit'>,
): Promise<Observation> {
  const wantsToken = (gate.kind === 'http' || gate.kind === 'sse-contract') && gate.auth === 'access-token';
  let token: string | undefined;
  let tokenProblem: string | undefined;
  if (wantsToken) {
    try {
      token = await ctx.accessToken();
    } catch (error) {
      tokenProblem = `the access token could not be read: ${messageOf(error)}`;
    }
  }
  const serving = gate.kind === 'cloud-logging' ? await servingNow(ctx) : '';
  const serviceUrl = targetsService(gate) ? await serviceUrlNow(ctx) : undefined;
  const evaluator = gate.kind === 'route-split' ? ports.routeSplit?.(ctx.target.service, ctx.env) : undefined;
  const gateContext: GateContext = {
    project: ctx.target.project,
    region: ctx.target.region,
    service: ctx.target.cloudRunService,
    publicUrl: ctx.target.publicUrl,
    canaryUrl: ctx.target.publicUrl,
    ...(serviceUrl ? { serviceUrl } : {}),
    stableRevision: serving,
    canaryRevision: serving,
    canaryShare: 1,
    window: windowOf(ctx),
    alpha: 0.01,
    now: ctx.now,
    signal: ctx.signal,
    ...(token === undefined ? {} : { accessToken: token }),
    ...(evaluator
      ? {
          routeSplit: {
            evaluator,
            ...(ctx.target.routeSplit ? { baseUrl: ctx.target.routeSplit.baseUrl } : {}),
          },
        }
      : {}),
  };
  const result = await ports.gates.evaluate(name, gate, gateContext);
  const observation = fromGate(result);
  // Without the token the gate says "skipped"; a token that is configured but unreadable is an error.
  if (tokenProblem && observation.status === 'skip') {
    return {
      ...observation,
      status: 'error',
      reason: tokenProblem,
      line: `${result.metric} could not be measured: ${tokenProblem}: ERROR`,
    };
  }
  return observation;
}

/** The service's run.app URL, for gates with `target: service`; undefined when Cloud Run cannot say. */
async function serviceUrlNow(ctx: CheckContext): Promise<string | undefined> {
  try {
    return (await ctx.describe()).url || undefined;
  } catch {
    return undefined;
  }
}

/** The revision serving the most traffic now, '' when Cloud Run cannot say (the gate then reports it). */
async function servingNow(ctx: CheckContext): Promise<string> {
  try {
    const state = await ctx.describe();
    return servingRevision(splitOf(state.trafficStatuses)) || state.latestReadyRevision || '';
  } catch {
    return '';
  }
}

/** A gate result as a matrix row: inconclusive (too little data to judge) is not a pass, so an error. */
export function fromGate(result: GateResult): Observation {
  const latency = result.latencyMs === undefined ? '' : ` in ${formatNumber(result.latencyMs)} ms`;
  const observed = result.observed ? `${formatQuantity(result.observed)}${latency}` : '-';
  const base = { observed, expected: result.threshold, line: renderGate(result), evidence: result.evidence };
  const reason = result.reason ? { reason: result.reason } : {};
  switch (result.status) {
    case 'pass':
      return { status: 'pass', ...base, ...reason };
    case 'fail':
      return { status: 'fail', ...base, ...reason };
    case 'skipped':
      return { status: 'skip', ...base, ...reason };
    case 'error':
      return { status: 'error', ...base, ...reason };
    case 'inconclusive':
      return {
        status: 'error',
        ...base,
        reason: `inconclusive: ${result.reason ?? 'too little data to judge'}`,
      };
  }
}
