import type { ShiftgateConfig } from '../../config/schema.ts';
import { freezesOf } from '../freeze/scope.ts';
import type { RunbookPolicy } from '../types.ts';

// The environment's approval and rollback rules, and how failing effects are retried, as every kind's
// step function sees them.

export interface RetryPolicy {
  /** Attempts of a failing Cloud Run / Monitoring effect, the first included; default 4. */
  maxAttempts?: number;
  /** Pause before retry n (1-based); default 2 s doubling, at most 1 min. */
  backoffMs?: (attempt: number) => number;
}

export const DEFAULT_BACKOFF = (attempt: number) => Math.min(60_000, 2_000 * 2 ** (attempt - 1));

export function defaultPolicy(
  config: ShiftgateConfig,
  env: string,
  retry: RetryPolicy = {},
  /** The service whose own freezes count besides the environment's; default: the environment's only. */
  service?: string,
): RunbookPolicy {
  const environment = config.environments[env];
  if (!environment) throw new TypeError(`no environment "${env}" in the config`);
  return {
    requiredApprovals: environment.approval.required,
    allowSelfApproval: environment.approval.allowSelfApproval,
    approvalTtlMs: environment.approval.expiresAfter,
    onGateFailure: environment.rollback.onGateFailure,
    maxAttempts: retry.maxAttempts ?? 4,
    backoffMs: retry.backoffMs ?? DEFAULT_BACKOFF,
    freezes: service === undefined ? environment.freezes : freezesOf(config, service, env),
  };
}
