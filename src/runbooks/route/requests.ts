import type { ShiftgateConfig } from '../../config/schema.ts';
import type { Approval, Store } from '../../store/index.ts';
import { createApprovalRequests } from '../approval-requests.ts';
import type { Logger } from '../effects.ts';
import { describePrincipals, type Person } from '../principals.ts';
import { mayApproveRoute } from './policy.ts';

// A /route override or clear asked for by someone who may not change the route split alone waits here for
// the environment's approvals (N distinct approvers, not the asker by default), before it expires. The
// mechanics are approval-requests.ts', shared with rollback requests; applying an approved change twice
// (after a dead replica's claim lapsed) is harmless, since setting an override is idempotent.

/** What a person asks: the override to set ('legacy' or 'rust'), or 'clear'. */
export type RouteChange = 'legacy' | 'rust' | 'clear';

export interface RouteAsk {
  service: string;
  env: string;
  change: RouteChange;
  requestedBy: string;
  reason: string;
}

export interface RouteRequest extends RouteAsk {
  id: string;
  status: 'pending' | 'applied' | 'cancelled' | 'failed';
  required: number;
  at: string;
  expiresAt: string;
  /** Who may approve, for the card. */
  approvers: string;
  approvals: Approval[];
  decidedBy?: string;
  /** The override the status read back after the change. */
  readBack?: string | null;
  /** The rollback whose override this clear lifted. */
  liftedRollback?: string;
  /** Why it failed. */
  message?: string;
}

export type ApplyResult =
  /** liftedRollback: the rollback whose override a clear lifted. */
  { ok: true; override: string | null; liftedRollback?: string } | { ok: false; message: string };

export type RouteDecision =
  | { ok: true; status: 'pending'; request: RouteRequest }
  | { ok: true; status: 'applied' | 'failed' | 'cancelled'; request: RouteRequest }
  | {
      ok: false;
      reason: 'not-found' | 'not-allowed' | 'expired' | 'decided' | 'already-approved';
      message: string;
      request?: RouteRequest;
    };

/** Long enough to set an override and read it back; short so a dead replica's claim lapses soon. */
const CLAIM_MS = 30_000;

export function createRouteRequests(deps: {
  store: Store;
  config: ShiftgateConfig;
  now: () => Date;
  log: Logger;
  /** Sets the approved change, reads it back and audits it. */
  apply: (request: RouteRequest) => Promise<ApplyResult>;
}) {
  type Stored = Omit<RouteRequest, 'approvals'>;
  const requests = createApprovalRequests<RouteAsk, Stored, ApplyResult>(
    {
      audit: 'route.request',
      key: 'route',
      words: {
        request: 'route change request',
        decided: 'this route change',
        expired: 'this route change request',
        approved: 'this route change',
        cancel: 'this route change',
        command: '/route',
        busy: 'this change is being applied',
      },
      records: deps.store.routeRequests,
      claimMs: CLAIM_MS,
      fields: (ask, environment) => ({
        ...ask,
        required: environment.approval.required,
        approvers: describePrincipals(environment.approval.approvers),
      }),
      mayApprove: mayApproveRoute,
      decidedHow: (stored) =>
        stored.status === 'applied' ? 'applied' : `tried and failed: ${stored.message ?? 'no reason given'}`,
      run: deps.apply,
      failed: (message) => ({ ok: false, message }),
      settle: (stored, applied, by) =>
        applied.ok
          ? {
              ...stored,
              status: 'applied',
              readBack: applied.override,
              decidedBy: by,
              ...(applied.liftedRollback ? { liftedRollback: applied.liftedRollback } : {}),
            }
          : { ...stored, status: 'failed', message: applied.message, decidedBy: by },
      auditAfter: (stored) => ({ change: stored.change }),
    },
    deps,
  );
  return {
    get: requests.get,
    create: requests.create,
    async approve(id: string, person: Person): Promise<RouteDecision> {
      const decided = await requests.approve(id, person);
      if (!decided.ok || decided.status === 'pending') return decided;
      return { ok: true, status: decided.request.status as 'applied' | 'failed', request: decided.request };
    },
    cancel: (id: string, by: string, isAdmin: boolean): Promise<RouteDecision> =>
      requests.cancel(id, by, isAdmin),
  };
}

export type RouteRequests = ReturnType<typeof createRouteRequests>;
