import { curlCommand } from '../curl.ts';
import { errorResult, messageOf } from '../error-result.ts';
import type { RouteSplitEvaluator } from '../ports/route-split.ts';
import type { GateContext, GateOf, GateProvider, GateResult } from '../result.ts';

// Asks the route-split control API where a path goes (for the intended cohort) and expects a target:
// seed 000 checklist items 6 and 7, /login, /onboarding/checklist and /l402/paywalls on rust_shell.

type RouteSplitGate = GateOf<'route-split'>;

export interface RouteSplitGateDeps {
  /** Used when the context carries none (a single-service set-up, the tests). */
  evaluator?: RouteSplitEvaluator;
  /** The control API base (routeSplit.baseUrl), for the evidence line; without it the line names the call. */
  baseUrl?: string;
}

export function createRouteSplitGate(deps: RouteSplitGateDeps): GateProvider<RouteSplitGate> {
  async function evaluate(name: string, gate: RouteSplitGate, ctx: GateContext): Promise<GateResult> {
    const metric = `route ${gate.path}`;
    const body = { path: gate.path, ...(gate.cohortKey ? { cohort_key: gate.cohortKey } : {}) };
    const baseUrl = ctx.routeSplit?.baseUrl ?? deps.baseUrl;
    const evaluator = ctx.routeSplit?.evaluator ?? deps.evaluator;
    const evidence = baseUrl
      ? curlCommand({
          method: 'POST',
          url: `${baseUrl.replace(/\/+$/, '')}/evaluate`,
          headers: { 'content-type': 'application/json' },
          body,
          bearer: true,
        })
      : `route-split evaluate ${JSON.stringify(body)}`;
    let decision: Awaited<ReturnType<RouteSplitEvaluator['evaluate']>>;
    try {
      if (!evaluator) throw new Error('no route-split client is configured (routeSplit of the environment)');
      decision = await evaluator.evaluate(gate.path, gate.cohortKey);
    } catch (error) {
      // A PlatformError (unreachable, 401, unexpected answer) or anything else: not measured, not failed.
      return errorResult(name, gate, ctx, {
        metric,
        threshold: gate.expect,
        evidence,
        reason: messageOf(error),
      });
    }
    const matches = decision.target === gate.expect;
    // The service's reason and cohort bucket say why it went elsewhere (runtime_override, mode_cohort 73).
    const why = [
      decision.reason,
      decision.cohortBucket === undefined ? '' : `bucket ${decision.cohortBucket}`,
    ]
      .filter(Boolean)
      .join(', ');
    return {
      gate: name,
      kind: 'route-split',
      status: matches ? 'pass' : 'fail',
      metric,
      observed: { value: decision.target, unit: 'target' },
      threshold: gate.expect,
      samples: 1,
      evidence,
      at: ctx.now().toISOString(),
      ...(matches ? {} : { reason: `expected ${gate.expect}; decided by ${why || 'an unnamed rule'}` }),
    };
  }
  return { evaluate };
}
