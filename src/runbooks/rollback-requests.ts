import type { ShiftgateConfig } from '../config/schema.ts';
import type { Approval, Store } from '../store/index.ts';
import { createApprovalRequests } from './approval-requests.ts';
import type { Logger } from './effects.ts';
import type { Lock } from './locks.ts';
import type { Person } from './principals.ts';
import { describePrincipals } from './principals.ts';
import { mayApproveRollback } from './roles.ts';
import type { RollbackTarget } from './rollback-target.ts';
import type { RollbackState } from './types.ts';

// A manual /rollback asked for by someone who may not run one alone (roles.ts) waits here for the
// environment's rollback approvals: distinct approvers other than the requester, before it expires. The
// mechanics (claim, approvals, expiry, a dead replica's request completed by the next click) are
// approval-requests.ts'; what is a rollback's own is who approves, and that carrying it out starts it.

export interface RollbackAsk {
  service: string;
  env: string;
  requestedBy: string;
  reason: string;
  /** Named by the person (--to). Without it: `target`, or the canary's own stable revision. */
  toRevision?: string;
  /** The revision resolved when asked (rollback-target.ts), shown to approvers before they approve. */
  target?: RollbackTarget;
  mode?: RollbackState['mode'];
}

export interface RollbackRequest extends RollbackAsk {
  /** Also the id of the standalone rollback it starts (with no canary active). */
  id: string;
  status: 'pending' | 'started' | 'cancelled' | 'failed';
  required: number;
  at: string;
  expiresAt: string;
  /** Who may approve, for the message that asks. */
  approvers: string;
  approvals: Approval[];
  /** The rollout that ran it (the canary's own id when a canary was active). */
  rolloutId?: string;
  decidedBy?: string;
  /** Why it failed to start. */
  message?: string;
  /** It failed to start because another rollback holds the deploy lock: that one. */
  lockedBy?: Lock;
}

/** What running an approved request gave: the engine's start result, reduced to what is kept. */
export type RunResult =
  | { ok: true; rolloutId: string }
  | { ok: false; message: string }
  | { ok: false; reason: 'held'; holder: Lock }
  | { ok: false; reason: 'frozen' };

export type RequestDecision<R extends RunResult> =
  | { ok: true; status: 'pending'; request: RollbackRequest }
  | { ok: true; status: 'started' | 'failed'; request: RollbackRequest; run: R }
  | { ok: true; status: 'cancelled'; request: RollbackRequest }
  | {
      ok: false;
      reason: 'not-found' | 'not-allowed' | 'expired' | 'decided' | 'already-approved';
      message: string;
      request?: RollbackRequest;
    };

export interface RollbackRequests<R extends RunResult> {
  create(id: string, ask: RollbackAsk): Promise<RollbackRequest>;
  get(id: string): Promise<RollbackRequest | undefined>;
  approve(id: string, person: Person): Promise<RequestDecision<R>>;
  /** The requester or an admin withdraws a pending request. */
  cancel(id: string, by: string, isAdmin: boolean): Promise<RequestDecision<R>>;
}

/** What a request keeps of a failed start: the reason, or the lock that stood in the way (as data). */
function failure(run: Extract<RunResult, { ok: false }>): Pick<RollbackRequest, 'message' | 'lockedBy'> {
  if ('message' in run) return { message: run.message };
  return 'holder' in run ? { lockedBy: run.holder } : { message: 'deploys are frozen' };
}

/** How long a claim to decide a request lasts: starting a rollback takes seconds. */
const CLAIM_MS = 60_000;

export function createRollbackRequests<R extends RunResult>(deps: {
  store: Store;
  config: ShiftgateConfig;
  now: () => Date;
  log: Logger;
  /** Runs the approved rollback (the engine's start, with no policy check left to make). */
  run: (request: RollbackRequest) => Promise<R>;
}): RollbackRequests<R> {
  type Stored = Omit<RollbackRequest, 'approvals'>;
  const requests = createApprovalRequests<RollbackAsk, Stored, R>(
    {
      audit: 'rollback.request',
      key: 'rollback',
      words: {
        request: 'rollback request',
        decided: 'this rollback request',
        expired: 'this rollback request',
        approved: 'this rollback',
        cancel: 'this rollback request',
        command: '/rollback',
        busy: 'this request is being started',
      },
      records: deps.store.rollbackRequests,
      claimMs: CLAIM_MS,
      fields: (ask, environment) => ({
        ...ask,
        required: environment.rollback.approval.required,
        approvers: describePrincipals(
          environment.rollback.approval.approvers ?? environment.approval.approvers,
        ),
      }),
      mayApprove: mayApproveRollback,
      decidedHow: (stored) =>
        stored.status === 'started'
          ? `started as ${stored.rolloutId}`
          : `failed to start: ${stored.message ?? `the deploy lock is held by ${stored.lockedBy?.rolloutId}`}`,
      run: deps.run,
      failed: (message) => ({ ok: false, message }) as R,
      settle: (stored, run, by) =>
        run.ok
          ? { ...stored, status: 'started', rolloutId: run.rolloutId, decidedBy: by }
          : { ...stored, status: 'failed', ...failure(run), decidedBy: by },
      auditReason: (decided) =>
        decided.message ?? (decided.lockedBy && `locked by ${decided.lockedBy.rolloutId}`),
    },
    deps,
  );
  return {
    get: requests.get,
    create: requests.create,
    async approve(id, person) {
      const decided = await requests.approve(id, person);
      if (!decided.ok || decided.status === 'pending') return decided;
      const { request, outcome } = decided;
      return { ok: true, status: request.status as 'started' | 'failed', request, run: outcome };
    },
    cancel: requests.cancel,
  };
}
