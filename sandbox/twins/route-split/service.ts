import { createHash } from 'node:crypto';

// The route-split service of the control service (seed 000), as its source decides: domain override,
// then force-legacy, then the global runtime override, then enabled, then the Rust route prefixes,
// then the mode (legacy, rust, or a stable cohort bucket). Answers use the service's JSON field names.
// Left out: its HTMX modes and the Codex-worker paths it pins to Rust.

export type Target = 'legacy' | 'rust_shell';

export interface RouteGroup {
  domain: string;
  prefixes: string[];
  rollbackTarget: Target;
}

export interface RouteSplitConfig {
  enabled: boolean;
  mode: 'legacy' | 'rust' | 'cohort';
  /** Path prefixes the mode routes; '/' matches every path. Others go to legacy. */
  rustRoutes: string[];
  cohortPercentage: number;
  forceLegacy: boolean;
  salt: string;
  routeGroups: RouteGroup[];
}

export interface AuditEntry {
  at: Date;
  event: 'route.split.decision' | 'route.split.override.updated';
  /** The decision's path, or the override's scope ('global' or 'domain:billing_l402'). */
  subject: string;
  target: string;
  reason?: string;
  /** The role of the token that asked. */
  actor: string;
  /** The operator the token belongs to, as the service knows its tokens' owners. */
  user?: string;
  /** An override's previous value in its scope (null: none), so the trail says what changed. */
  before?: Target | null;
}

/** After the default-router cutover (OA-RUST-062): enabled, mode rust, every path. */
export const DEFAULT_CONFIG: RouteSplitConfig = {
  enabled: true,
  mode: 'rust',
  rustRoutes: ['/'],
  cohortPercentage: 0,
  forceLegacy: false,
  salt: 'twin-salt',
  routeGroups: [
    {
      domain: 'auth_entry',
      prefixes: ['/login', '/register', '/authenticate', '/onboarding'],
      rollbackTarget: 'legacy',
    },
    {
      domain: 'account_settings_admin',
      prefixes: ['/account', '/settings', '/admin'],
      rollbackTarget: 'legacy',
    },
    { domain: 'billing_l402', prefixes: ['/billing', '/l402'], rollbackTarget: 'legacy' },
    { domain: 'chat_pilot', prefixes: ['/chat', '/feed', '/'], rollbackTarget: 'rust_shell' },
  ],
};

export class RouteSplitService {
  config: RouteSplitConfig = structuredClone(DEFAULT_CONFIG);
  override: Target | null = null;
  readonly domainOverrides = new Map<string, Target>();
  readonly audit: AuditEntry[] = [];

  evaluate(rawPath: string, rawCohortKey: string | undefined, actor: string) {
    const path = normalizePath(rawPath);
    const cohortKey = rawCohortKey?.trim() || 'anonymous';
    const group = this.config.routeGroups.find((g) =>
      g.prefixes.some((prefix) => (prefix === '/' ? path === '/' : underPrefix(path, prefix))),
    );
    const domainOverride = group ? this.domainOverrides.get(group.domain) : undefined;
    let target: Target;
    let reason: string;
    let bucket: number | undefined;
    if (domainOverride) [target, reason] = [domainOverride, 'domain_override'];
    else if (this.config.forceLegacy) [target, reason] = ['legacy', 'force_legacy'];
    else if (this.override) [target, reason] = [this.override, 'runtime_override'];
    else if (!this.config.enabled) [target, reason] = ['legacy', 'route_split_disabled'];
    else if (
      !this.config.rustRoutes.some((prefix) => prefix === '/' || underPrefix(path, normalizePath(prefix)))
    ) {
      [target, reason] = ['legacy', 'legacy_route_default'];
    } else if (this.config.mode === 'legacy') [target, reason] = ['legacy', 'mode_legacy'];
    else if (this.config.mode === 'rust') [target, reason] = ['rust_shell', 'mode_rust'];
    else {
      bucket = stableBucket(cohortKey, this.config.salt);
      [target, reason] = [bucket < this.config.cohortPercentage ? 'rust_shell' : 'legacy', 'mode_cohort'];
    }
    this.audit.push({ at: new Date(), event: 'route.split.decision', subject: path, target, reason, actor });
    return {
      path,
      target,
      reason,
      route_domain: group?.domain ?? 'unclassified',
      rollback_target: group?.rollbackTarget ?? 'legacy',
      ...(bucket === undefined ? {} : { cohort_bucket: bucket }),
      cohort_key: cohortKey,
    };
  }

  /** Applies an override request; returns the error message of a 422, or undefined. */
  setOverride(
    rawTarget: string,
    rawDomain: string | undefined,
    actor: string,
    user?: string,
  ): string | undefined {
    const target = rawTarget.trim().toLowerCase();
    const domain = rawDomain?.trim() ? rawDomain.trim().toLowerCase().replaceAll('-', '_') : undefined;
    const group = domain ? this.config.routeGroups.find((g) => g.domain === domain) : undefined;
    if (domain && !group) return `Unknown route domain '${rawDomain}'.`;
    let next: Target | null;
    switch (target) {
      case 'legacy':
        next = 'legacy';
        break;
      case 'rust':
      case 'rust_shell':
        next = 'rust_shell';
        break;
      case 'clear':
      case 'default':
        next = null;
        break;
      case 'rollback':
        next = group?.rollbackTarget ?? 'legacy';
        break;
      default:
        return 'Target must be one of: legacy, rust, rollback, clear.';
    }
    const before = domain ? (this.domainOverrides.get(domain) ?? null) : this.override;
    if (domain) {
      if (next) this.domainOverrides.set(domain, next);
      else this.domainOverrides.delete(domain);
    } else {
      this.override = next;
    }
    const subject = domain ? `domain:${domain}` : 'global';
    this.audit.push({
      at: new Date(),
      event: 'route.split.override.updated',
      subject,
      target,
      actor,
      ...(user ? { user } : {}),
      before,
    });
    return undefined;
  }

  status() {
    return {
      enabled: this.config.enabled,
      mode: this.config.mode,
      cohort_percentage: this.config.cohortPercentage,
      rust_routes: this.config.rustRoutes,
      force_legacy: this.config.forceLegacy,
      legacy_base_url: null,
      override_target: this.override,
      route_groups: this.config.routeGroups.map((g) => ({
        domain: g.domain,
        route_prefixes: g.prefixes,
        rollback_target: g.rollbackTarget,
        override_target: this.domainOverrides.get(g.domain) ?? null,
      })),
      rollback_matrix: Object.fromEntries(this.config.routeGroups.map((g) => [g.domain, g.rollbackTarget])),
      domain_overrides: Object.fromEntries(this.domainOverrides),
    };
  }

  reset(): void {
    this.config = structuredClone(DEFAULT_CONFIG);
    this.override = null;
    this.domainOverrides.clear();
    this.audit.length = 0;
  }
}

function normalizePath(path: string): string {
  const trimmed = path.trim();
  if (trimmed === '' || trimmed === '/') return '/';
  const withSlash = (trimmed.startsWith('/') ? trimmed : `/${trimmed}`).replace(/\/{2,}/g, '/');
  return withSlash.replace(/\/+$/, '') || '/';
}

function underPrefix(path: string, prefix: string): boolean {
  return path === prefix || path.startsWith(`${prefix}/`);
}

/** The service's cohort bucket: SHA-256 of `salt:key`, base64url, first four characters folded, mod 100. */
function stableBucket(key: string, salt: string): number {
  const digest = createHash('sha256').update(`${salt}:${key}`).digest('base64url');
  let value = 0;
  for (let i = 0; i < 4; i++) value = (value * 131 + digest.charCodeAt(i)) >>> 0;
  return value % 100;
}
