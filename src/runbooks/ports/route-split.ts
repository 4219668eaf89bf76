import type { RouteDecision } from '../../gates/ports/route-split.ts';

// The route-split control API as the rollback runbook uses it (seed 000, step 1: override to legacy,
// then check). The gates' port is the evaluate-only part of this one; one adapter satisfies both.

export type { RouteDecision };

/** GET /api/v1/control/route-split/status, the fields a runbook acts on. */
export interface RouteSplitStatus {
  enabled: boolean;
  /** The configured mode: 'legacy', 'rust' or 'cohort'. */
  mode: string;
  /** The global runtime override ('legacy' or 'rust_shell'), or null when the mode decides. */
  override: string | null;
  /** Set by configuration on the service; wins over the runtime override. */
  forceLegacy: boolean;
  cohortPercentage?: number;
  /** Path prefixes routed by the mode; others go to legacy. */
  rustRoutes: string[];
  /** Per route-domain overrides, e.g. {auth_entry: 'legacy'}. */
  domainOverrides: Record<string, string>;
}

export interface RouteOverrideOptions {
  /** Limit the override to one route domain (e.g. 'billing_l402') instead of every path. */
  domain?: string;
}

export interface RouteSplitControl {
  status(): Promise<RouteSplitStatus>;
  evaluate(path: string, cohort?: string): Promise<RouteDecision>;
  /**
   * Sets the runtime override: 'legacy' (the rollback of seed 000), 'rust', 'rollback' (each domain's
   * rollback target) or 'clear'. Resolves to the status after the change. Throws an Error (a
   * PlatformError from the adapter) naming what failed; never a token.
   */
  override(target: string, options?: RouteOverrideOptions): Promise<RouteSplitStatus>;
}

/**
 * What status reads once each override target is set ('rollback' depends on each domain: not known in
 * advance), and back: the target that restores an override as status read it (none -> clear).
 */
const READS: Readonly<Record<string, string | null>> = { legacy: 'legacy', rust: 'rust_shell', clear: null };

export function overrideReadOf(target: string): string | null | undefined {
  return Object.hasOwn(READS, target) ? READS[target] : undefined;
}

export function overrideTargetOf(read: string | null): string {
  if (read === null || read === '') return 'clear';
  return Object.entries(READS).find(([, value]) => value === read)?.[0] ?? read;
}
