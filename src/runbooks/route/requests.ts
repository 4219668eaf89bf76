import type { Environment } from '../../config/environments.ts';
import type { ShiftgateConfig } from '../../config/schema.ts';
import { crashPoint } from '../../faults/crash-point.ts';
import { messageOf } from '../../gates/error-result.ts';
import type { Approval, Store } from '../../store/index.ts';
import type { Logger } from '../effects.ts';
import { describePrincipals, type Person } from '../principals.ts';
import { mayApproveRoute } from './policy.ts';

// A /route override or clear asked for by someone who may not change the route split alone waits here for
// the environment's approvals (N distinct approvers, not the asker by default), before it expires. As with
// rollback requests, whoever wins a short claim on the request is the only one to apply it; a replica that
// dies holding the claim leaves a request with its approvals and no outcome, and the next Approve click
// after the claim lapsed applies it (setting an override is idempotent, so applying twice is harmless).

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

const STAGE = 'route';
const DAY_MS = 86_400_000;
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
  const { store, config, now } = deps;
  type Stored = Omit<RouteRequest, 'approvals'>;

  const environmentOf = (env: string): Environment => {
    const environment = config.environments[env];
    if (!environment) throw new TypeError(`no environment "${env}" in the config`);
    return environment;
  };
  const read = (id: string) => store.routeRequests.get<Stored>(id);
  const write = (stored: Stored, ttlMs?: number) => store.routeRequests.put(stored.id, stored, ttlMs);
  async function get(id: string): Promise<RouteRequest | undefined> {
    const stored = await read(id);
    return stored && { ...stored, approvals: await store.approvals.list(id, STAGE) };
  }
  const audit = (stored: Stored, who: string, what: string, reason?: string) =>
    store.audit
      .append({
        who,
        what: `route.request.${what}`,
        rolloutId: stored.id,
        service: stored.service,
        env: stored.env,
        after: { change: stored.change },
        ...(reason === undefined ? {} : { reason }),
        at: now().toISOString(),
      })
      .catch((error: unknown) =>
        deps.log.error('audit append failed', { requestId: stored.id, error: messageOf(error) }),
      );
  const claim = (id: string) => store.idempotency.claim(`route-request:${id}`, CLAIM_MS);

  function unusable(stored: Stored): RouteDecision | undefined {
    if (stored.status !== 'pending') {
      const how =
        stored.status === 'applied'
          ? 'applied'
          : stored.status === 'failed'
            ? `tried and failed: ${stored.message ?? 'no reason given'}`
            : `cancelled by <@${stored.decidedBy}>`;
      return { ok: false, reason: 'decided', message: `this route change was already ${how}` };
    }
    if (now().getTime() >= Date.parse(stored.expiresAt)) {
      return {
        ok: false,
        reason: 'expired',
        message: `this route change request expired at ${stored.expiresAt}: ask again with /route`,
      };
    }
    return undefined;
  }

  return {
    get,

    async create(id: string, ask: RouteAsk): Promise<RouteRequest> {
      const environment = environmentOf(ask.env);
      const at = now();
      const stored: Stored = {
        ...ask,
        id,
        status: 'pending',
        required: environment.approval.required,
        at: at.toISOString(),
        expiresAt: new Date(at.getTime() + environment.approval.expiresAfter).toISOString(),
        approvers: describePrincipals(environment.approval.approvers),
      };
      await write(stored, environment.approval.expiresAfter + DAY_MS);
      await audit(stored, ask.requestedBy, 'created', ask.reason);
      return { ...stored, approvals: [] };
    },

    async approve(id: string, person: Person): Promise<RouteDecision> {
      const stored = await read(id);
      if (!stored) return { ok: false, reason: 'not-found', message: `no route change request ${id}` };
      const refusal = unusable(stored);
      if (refusal) return refusal;
      const check = mayApproveRoute(environmentOf(stored.env), person, stored.requestedBy);
      if (!check.ok) {
        await audit(stored, person.userId, 'approve.refused', check.reason);
        return { ok: false, reason: 'not-allowed', message: check.reason };
      }
      const added = await store.approvals.add(id, STAGE, { userId: person.userId, at: now().toISOString() });
      crashPoint('after-approval');
      if (added.counted) await audit(stored, person.userId, 'approved');
      // Enough approvals: whoever holds the claim applies it, even on a repeated click, since the replica
      // that counted the last approval may have died before it applied anything.
      if (added.count < stored.required || !(await claim(id))) {
        if (!added.counted) {
          return { ok: false, reason: 'already-approved', message: 'you already approved this route change' };
        }
        return { ok: true, status: 'pending', request: (await get(id)) ?? { ...stored, approvals: [] } };
      }
      const request = { ...stored, approvals: await store.approvals.list(id, STAGE) };
      let applied: ApplyResult;
      try {
        applied = await deps.apply(request);
      } catch (error) {
        applied = { ok: false, message: messageOf(error) };
      }
      const decided: Stored = applied.ok
        ? {
            ...stored,
            status: 'applied',
            readBack: applied.override,
            decidedBy: person.userId,
            ...(applied.liftedRollback ? { liftedRollback: applied.liftedRollback } : {}),
          }
        : { ...stored, status: 'failed', message: applied.message, decidedBy: person.userId };
      await write(decided);
      await audit(decided, person.userId, decided.status, decided.message);
      return {
        ok: true,
        status: decided.status as 'applied' | 'failed',
        request: { ...request, ...decided },
      };
    },

    async cancel(id: string, by: string, isAdmin: boolean): Promise<RouteDecision> {
      const stored = await read(id);
      if (!stored) return { ok: false, reason: 'not-found', message: `no route change request ${id}` };
      const refusal = unusable(stored);
      if (refusal && refusal.ok === false && refusal.reason === 'decided') return refusal;
      if (by !== stored.requestedBy && !isAdmin) {
        return {
          ok: false,
          reason: 'not-allowed',
          message: `only <@${stored.requestedBy}> (who asked) or an admin may cancel this route change`,
        };
      }
      if (!(await claim(id))) {
        const again = await read(id);
        return (
          (again && unusable(again)) ?? {
            ok: false,
            reason: 'decided',
            message: 'this change is being applied',
          }
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

export type RouteRequests = ReturnType<typeof createRouteRequests>;
