import { z } from 'zod';
import type { RouteDecision } from '../../gates/ports/route-split.ts';
import type { RouteSplitStatus } from '../../runbooks/ports/route-split.ts';

// The answers of the route-split control API, as the control service of seed 000 sends them
// (openagents.com service, src/route_split.rs and its handlers): every success is `{"data": ...}`,
// every error `{"message", "error": {"code", "message"}, "errors"?}`. Targets are "legacy" and
// "rust_shell"; modes "legacy", "rust" and "cohort".
//
//   GET  .../status    -> {data: {enabled, mode, cohort_percentage, rust_routes, force_legacy,
//                          legacy_base_url, override_target: "legacy"|"rust_shell"|null,
//                          route_groups, rollback_matrix, domain_overrides}}
//   POST .../evaluate  {path, cohort_key?} -> {data: {path, target, reason, route_domain,
//                          rollback_target?, cohort_bucket?, cohort_key}}
//   POST .../override  {target, domain?}   -> {data: <status after the change>}
//
// Only the fields shiftgate acts on are required; the rest are optional, and unknown ones are ignored,
// so a newer service with more fields still parses.

export const statusAnswer = z
  .object({
    enabled: z.boolean(),
    mode: z.string(),
    override_target: z.string().nullable().optional(),
    force_legacy: z.boolean().optional(),
    cohort_percentage: z.number().optional(),
    rust_routes: z.array(z.string()).optional(),
    domain_overrides: z.record(z.string(), z.string()).optional(),
  })
  .transform(
    (s): RouteSplitStatus => ({
      enabled: s.enabled,
      mode: s.mode,
      override: s.override_target ?? null,
      forceLegacy: s.force_legacy ?? false,
      ...(s.cohort_percentage === undefined ? {} : { cohortPercentage: s.cohort_percentage }),
      rustRoutes: s.rust_routes ?? [],
      domainOverrides: s.domain_overrides ?? {},
    }),
  );

export const decisionAnswer = z
  .object({
    path: z.string(),
    target: z.string().min(1),
    reason: z.string().optional(),
    route_domain: z.string().optional(),
    cohort_key: z.string().optional(),
    cohort_bucket: z.number().int().optional(),
  })
  .transform(
    (d): RouteDecision => ({
      path: d.path,
      target: d.target,
      reason: d.reason ?? '',
      ...(d.route_domain === undefined ? {} : { routeDomain: d.route_domain }),
      ...(d.cohort_key === undefined ? {} : { cohortKey: d.cohort_key }),
      ...(d.cohort_bucket === undefined ? {} : { cohortBucket: d.cohort_bucket }),
    }),
  );

/** The service's own words from an error body, if it sent one. */
export function errorMessage(body: unknown): string | undefined {
  const parsed = z
    .object({ message: z.string().optional(), error: z.object({ message: z.string() }).partial().optional() })
    .safeParse(body);
  if (!parsed.success) return undefined;
  return parsed.data.error?.message ?? parsed.data.message;
}

/** What the override's status must show afterwards, for the targets whose effect is known. */
export function expectedOverride(target: string): string | null | undefined {
  switch (target.trim().toLowerCase()) {
    case 'legacy':
      return 'legacy';
    case 'rust':
    case 'rust_shell':
      return 'rust_shell';
    case 'clear':
    case 'default':
      return null;
    default:
      return undefined; // 'rollback' and the like depend on the service's rollback matrix
  }
}
