// What the route-split gate needs: ask the control API where a path goes and compare with the expected
// target. The route-split adapter (src/platform/route-split) satisfies this and the runbooks' wider port.

/** One answer of POST /api/v1/control/route-split/evaluate. */
export interface RouteDecision {
  /** The path as the service normalized it (leading slash, no trailing slash). */
  path: string;
  /** Where the path goes: 'rust_shell' or 'legacy' on the control service of seed 000. */
  target: string;
  /** Why, e.g. 'mode_rust', 'mode_cohort', 'runtime_override', 'domain_override', 'force_legacy'. */
  reason: string;
  /** The route group the path belongs to, e.g. 'auth_entry'; absent when the service does not say. */
  routeDomain?: string;
  cohortKey?: string;
  /** 0-99, only in cohort mode. */
  cohortBucket?: number;
}

export interface RouteSplitEvaluator {
  /** Throws an Error (a PlatformError from the adapter) naming what failed; never a token. */
  evaluate(path: string, cohort?: string): Promise<RouteDecision>;
}
