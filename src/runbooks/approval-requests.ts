import type { Environment } from '../config/environments.ts';
import type { ShiftgateConfig } from '../config/schema.ts';
import { crashPoint } from '../faults/crash-point.ts';
import { messageOf } from '../gates/error-result.ts';
import type { Approval, Store } from '../store/index.ts';
import type { Logger } from './effects.ts';
import type { Person } from './principals.ts';

// Something a person asked for that waits for the environment's approvals before it is carried out: a
// manual rollback (rollback-requests.ts) or a route change (route/requests.ts). The request is stored, the
// approvals are counted one per person (store.approvals), and it expires. Whoever wins a short claim on
// it (the approval that completes it, or a cancel) is its only writer after that, so two replicas or two
// clicks never carry it out twice; the claim is short so that a replica dying with it leaves a request
// with its approvals and no outcome, which the next Approve click (once the claim lapsed) carries out
// without asking for the approvals again. The kinds differ only in what they store, who may approve,
// what carrying out means and their words.

/** What every kind of request stores. */
export interface StoredRequest {
  id: string;
  service: string;
  env: string;
  requestedBy: string;
  reason: string;
  status: string;
  required: number;
  at: string;
  expiresAt: string;
  /** Who may approve, for the card. */
  approvers: string;
  decidedBy?: string;
  message?: string;
}

export type WithApprovals<S> = S & { approvals: Approval[] };

export type RequestRefusal<S> = {
  ok: false;
  reason: 'not-found' | 'not-allowed' | 'expired' | 'decided' | 'already-approved';
  message: string;
  request?: WithApprovals<S>;
};

export type ApprovalDecision<S, O> =
  | { ok: true; status: 'pending'; request: WithApprovals<S> }
  | { ok: true; status: 'decided'; request: WithApprovals<S>; outcome: O }
  | RequestRefusal<S>;

export type CancelDecision<S> =
  | { ok: true; status: 'cancelled'; request: WithApprovals<S> }
  | RequestRefusal<S>;

export interface RequestKind<A, S extends StoredRequest, O> {
  /** Audit names (`<audit>.created`, `.approved`, ...). */
  audit: string;
  /** The approvals' key and the claim's (`<key>-request:<id>`). */
  key: string;
  /** Words, e.g. for a rollback: "rollback request", "this rollback request", "this rollback", "/rollback". */
  words: {
    request: string;
    decided: string;
    expired: string;
    approved: string;
    cancel: string;
    command: string;
    busy: string;
  };
  records: Pick<Store['rollbackRequests'], 'get' | 'put'>;
  claimMs: number;
  /** The stored request for an ask in this environment, but its id, status and times. */
  fields(ask: A, environment: Environment): Omit<S, 'id' | 'status' | 'at' | 'expiresAt'>;
  mayApprove(
    environment: Environment,
    person: Person,
    requestedBy: string,
  ): { ok: true } | { ok: false; reason: string };
  /** "started as r1", "applied": what an already decided (not cancelled) request was. */
  decidedHow(stored: S): string;
  /** Carries the approved request out; what it throws becomes `failed(message)`. */
  run(request: WithApprovals<S>): Promise<O>;
  failed(message: string): O;
  /** The stored request once carried out (or failed), by whoever completed it. */
  settle(stored: S, outcome: O, by: string): S;
  /** The audit entry's reason for the decision; default the stored message. */
  auditReason?(decided: S): string | undefined;
  /** What every audit entry of the request adds as `after`. */
  auditAfter?(stored: S): Record<string, unknown>;
}

const DAY_MS = 86_400_000;

export function createApprovalRequests<
  A extends Pick<StoredRequest, 'service' | 'env' | 'requestedBy' | 'reason'>,
  S extends StoredRequest,
  O,
>(kind: RequestKind<A, S, O>, deps: { store: Store; config: ShiftgateConfig; now: () => Date; log: Logger }) {
  const { store, config, now } = deps;
  const environmentOf = (env: string): Environment => {
    const environment = config.environments[env];
    if (!environment) throw new TypeError(`no environment "${env}" in the config`);
    return environment;
  };
  const read = (id: string) => kind.records.get<S>(id);
  const write = (stored: S, ttlMs?: number) => kind.records.put(stored.id, stored, ttlMs);
  const withApprovals = async (stored: S): Promise<WithApprovals<S>> => ({
    ...stored,
    approvals: await store.approvals.list(stored.id, kind.key),
  });
  const claim = (id: string) => store.idempotency.claim(`${kind.key}-request:${id}`, kind.claimMs);
  const audit = (stored: S, who: string, what: string, reason?: string) =>
    store.audit
      .append({
        who,
        what: `${kind.audit}.${what}`,
        rolloutId: stored.id,
        service: stored.service,
        env: stored.env,
        ...(kind.auditAfter ? { after: kind.auditAfter(stored) } : {}),
        ...(reason === undefined ? {} : { reason }),
        at: now().toISOString(),
      })
      .catch((error: unknown) =>
        deps.log.error('audit append failed', { requestId: stored.id, error: messageOf(error) }),
      );

  function unusable(stored: S): RequestRefusal<S> | undefined {
    if (stored.status !== 'pending') {
      const how =
        stored.status === 'cancelled' ? `cancelled by <@${stored.decidedBy}>` : kind.decidedHow(stored);
      return { ok: false, reason: 'decided', message: `${kind.words.decided} was already ${how}` };
    }
    if (now().getTime() >= Date.parse(stored.expiresAt)) {
      return {
        ok: false,
        reason: 'expired',
        message: `${kind.words.expired} expired at ${stored.expiresAt}: ask again with ${kind.words.command}`,
      };
    }
    return undefined;
  }

  return {
    async get(id: string): Promise<WithApprovals<S> | undefined> {
      const stored = await read(id);
      return stored && withApprovals(stored);
    },

    async create(id: string, ask: A): Promise<WithApprovals<S>> {
      const environment = environmentOf(ask.env);
      const at = now();
      const stored = {
        ...kind.fields(ask, environment),
        id,
        status: 'pending',
        at: at.toISOString(),
        expiresAt: new Date(at.getTime() + environment.approval.expiresAfter).toISOString(),
      } as S;
      await write(stored, environment.approval.expiresAfter + DAY_MS);
      await audit(stored, ask.requestedBy, 'created', ask.reason);
      return { ...stored, approvals: [] };
    },

    async approve(id: string, person: Person): Promise<ApprovalDecision<S, O>> {
      const stored = await read(id);
      if (!stored) return { ok: false, reason: 'not-found', message: `no ${kind.words.request} ${id}` };
      const refusal = unusable(stored);
      if (refusal) return refusal;
      const check = kind.mayApprove(environmentOf(stored.env), person, stored.requestedBy);
      if (!check.ok) {
        await audit(stored, person.userId, 'approve.refused', check.reason);
        return { ok: false, reason: 'not-allowed', message: check.reason };
      }
      const added = await store.approvals.add(id, kind.key, {
        userId: person.userId,
        at: now().toISOString(),
      });
      crashPoint('after-approval');
      if (added.counted) await audit(stored, person.userId, 'approved');
      // Enough approvals: whoever holds the claim carries it out, even on a repeated click, since the
      // replica that counted the last approval may have died before it did anything.
      if (added.count < stored.required || !(await claim(id))) {
        if (!added.counted) {
          return {
            ok: false,
            reason: 'already-approved',
            message: `you already approved ${kind.words.approved}`,
          };
        }
        return { ok: true, status: 'pending', request: await withApprovals(stored) };
      }
      const request = await withApprovals(stored);
      let outcome: O;
      try {
        outcome = await kind.run(request);
      } catch (error) {
        outcome = kind.failed(messageOf(error));
      }
      const decided = kind.settle(stored, outcome, person.userId);
      await write(decided);
      await audit(decided, person.userId, decided.status, kind.auditReason?.(decided) ?? decided.message);
      return { ok: true, status: 'decided', request: { ...request, ...decided }, outcome };
    },

    async cancel(id: string, by: string, isAdmin: boolean): Promise<CancelDecision<S>> {
      const stored = await read(id);
      if (!stored) return { ok: false, reason: 'not-found', message: `no ${kind.words.request} ${id}` };
      const refusal = unusable(stored);
      if (refusal?.reason === 'decided') return refusal;
      if (by !== stored.requestedBy && !isAdmin) {
        return {
          ok: false,
          reason: 'not-allowed',
          message: `only <@${stored.requestedBy}> (who asked) or an admin may cancel ${kind.words.cancel}`,
        };
      }
      if (!(await claim(id))) {
        const again = await read(id);
        return (again && unusable(again)) ?? { ok: false, reason: 'decided', message: kind.words.busy };
      }
      const cancelled = { ...stored, status: 'cancelled', decidedBy: by } as S;
      await write(cancelled);
      await audit(cancelled, by, 'cancelled');
      return { ok: true, status: 'cancelled', request: await withApprovals(cancelled) };
    },
  };
}
