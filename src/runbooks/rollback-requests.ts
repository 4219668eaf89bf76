import type { ShiftgateConfig } from '../config/schema.ts';
import { crashPoint } from '../faults/crash-point.ts';
import { messageOf } from '../gates/error-result.ts';
import type { Approval, Store } from '../store/index.ts';
import type { Logger } from './effects.ts';
import type { Lock } from './locks.ts';
import type { Person } from './principals.ts';
import { describePrincipals } from './principals.ts';
import { mayApproveRollback } from './roles.ts';
import type { RollbackTarget } from './rollback-target.ts';
import type { RollbackState } from './types.ts';

// A manual /rollback asked for by someone who may not run one alone (roles.ts) waits here for the
// environment's rollback approvals: distinct approvers other than the requester, before it expires.
// Whoever wins the claim on the request (the approval that completes it, or a cancel) is its only writer
// after that, so two replicas or two clicks never start it twice.

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

const DAY_MS = 86_400_000;

/** What a request keeps of a failed start: the reason, or the lock that stood in the way (as data). */
function failure(run: Extract<RunResult, { ok: false }>): Pick<RollbackRequest, 'message' | 'lockedBy'> {
  if ('message' in run) return { message: run.message };
  return 'holder' in run ? { lockedBy: run.holder } : { message: 'deploys are frozen' };
}
const STAGE = 'rollback';

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
  const { store, config, now } = deps;
  type Stored = Omit<RollbackRequest, 'approvals'>;

  const environmentOf = (env: string) => {
    const environment = config.environments[env];
    if (!environment) throw new TypeError(`no environment "${env}" in the config`);
    return environment;
  };

  const read = (id: string) => store.rollbackRequests.get<Stored>(id);

  async function get(id: string): Promise<RollbackRequest | undefined> {
    const stored = await read(id);
    if (!stored) return undefined;
    return { ...stored, approvals: await store.approvals.list(id, STAGE) };
  }

  const write = (stored: Stored, ttlMs?: number) => store.rollbackRequests.put(stored.id, stored, ttlMs);

  const audit = (stored: Stored, who: string, what: string, reason?: string) =>
    store.audit
      .append({
        who,
        what: `rollback.request.${what}`,
        rolloutId: stored.id,
        service: stored.service,
        env: stored.env,
        ...(reason === undefined ? {} : { reason }),
        at: now().toISOString(),
      })
      .catch((error: unknown) =>
        deps.log.error('audit append failed', { requestId: stored.id, error: messageOf(error) }),
      );

  /**
   * First caller wins the right to decide the request's outcome, for long enough to start the rollback.
   * Short on purpose: a replica that dies holding it leaves a request with its approvals and no outcome,
   * and the next click on Approve after the claim lapsed starts it (runRollback knows its own lock).
   */
  const claim = (id: string) => store.idempotency.claim(`rollback-request:${id}`, CLAIM_MS);

  function unusable(stored: Stored): RequestDecision<R> | undefined {
    if (stored.status !== 'pending') {
      const how =
        stored.status === 'started'
          ? `started as ${stored.rolloutId}`
          : stored.status === 'failed'
            ? `failed to start: ${stored.message ?? `the deploy lock is held by ${stored.lockedBy?.rolloutId}`}`
            : `cancelled by <@${stored.decidedBy}>`;
      return { ok: false, reason: 'decided', message: `this rollback request was already ${how}` };
    }
    if (now().getTime() >= Date.parse(stored.expiresAt)) {
      return {
        ok: false,
        reason: 'expired',
        message: `this rollback request expired at ${stored.expiresAt}: ask again with /rollback`,
      };
    }
    return undefined;
  }

  return {
    get,

    async create(id, ask) {
      const environment = environmentOf(ask.env);
      const at = now();
      const stored: Stored = {
        ...ask,
        id,
        status: 'pending',
        required: environment.rollback.approval.required,
        at: at.toISOString(),
        expiresAt: new Date(at.getTime() + environment.approval.expiresAfter).toISOString(),
        approvers: describePrincipals(
          environment.rollback.approval.approvers ?? environment.approval.approvers,
        ),
      };
      await write(stored, environment.approval.expiresAfter + DAY_MS);
      await audit(stored, ask.requestedBy, 'created', ask.reason);
      return { ...stored, approvals: [] };
    },

    async approve(id, person) {
      const stored = await read(id);
      if (!stored) return { ok: false, reason: 'not-found', message: `no rollback request ${id}` };
      const refusal = unusable(stored);
      if (refusal) return refusal;
      const check = mayApproveRollback(environmentOf(stored.env), person, stored.requestedBy);
      if (!check.ok) {
        await audit(stored, person.userId, 'approve.refused', check.reason);
        return { ok: false, reason: 'not-allowed', message: check.reason };
      }
      const added = await store.approvals.add(id, STAGE, { userId: person.userId, at: now().toISOString() });
      crashPoint('after-approval');
      if (added.counted) await audit(stored, person.userId, 'approved');
      // Enough approvals: whoever holds the claim starts it, even on a repeated click, since the replica
      // that counted the last approval may have died before it started anything.
      if (added.count < stored.required || !(await claim(id))) {
        if (!added.counted) {
          return { ok: false, reason: 'already-approved', message: 'you already approved this rollback' };
        }
        return { ok: true, status: 'pending', request: (await get(id)) ?? { ...stored, approvals: [] } };
      }
      const request = { ...stored, approvals: await store.approvals.list(id, STAGE) };
      let run: R;
      try {
        run = await deps.run(request);
      } catch (error) {
        run = { ok: false, message: messageOf(error) } as R;
      }
      const decided: Stored = run.ok
        ? { ...stored, status: 'started', rolloutId: run.rolloutId, decidedBy: person.userId }
        : { ...stored, status: 'failed', ...failure(run), decidedBy: person.userId };
      await write(decided);
      const why = decided.message ?? (decided.lockedBy && `locked by ${decided.lockedBy.rolloutId}`);
      await audit(decided, person.userId, decided.status, why);
      return {
        ok: true,
        status: decided.status as 'started' | 'failed',
        request: { ...request, ...decided },
        run,
      };
    },

    async cancel(id, by, isAdmin) {
      const stored = await read(id);
      if (!stored) return { ok: false, reason: 'not-found', message: `no rollback request ${id}` };
      const refusal = unusable(stored);
      if (refusal && refusal.ok === false && refusal.reason === 'decided') return refusal;
      if (by !== stored.requestedBy && !isAdmin) {
        return {
          ok: false,
          reason: 'not-allowed',
          message: `only <@${stored.requestedBy}> (who asked) or an admin may cancel this rollback request`,
        };
      }
      if (!(await claim(id))) {
        const now = await read(id);
        return (
          (now && unusable(now)) ?? { ok: false, reason: 'decided', message: 'this request is being started' }
        );
      }
      const cancelled: Stored = { ...stored, status: 'cancelled', decidedBy: by };
      await write(cancelled);
      await audit(cancelled, by, 'cancelled');
      return {
        ok: true,
        status: 'cancelled',
        request: { ...cancelled, approvals: await store.approvals.list(id, STAGE) },
      };
    },
  };
}
