import type { ShiftgateConfig } from '../../config/schema.ts';
import { serviceTarget } from '../../config/target.ts';
import { messageOf } from '../../gates/error-result.ts';
import type { AuditEntry, Store } from '../../store/index.ts';
import { timedId } from '../../store/time.ts';
import type { Logger } from '../effects.ts';
import {
  overrideReadOf,
  type RouteDecision,
  type RouteSplitControl,
  type RouteSplitStatus,
} from '../ports/route-split.ts';
import { isMember, type Person } from '../principals.ts';
import { mayChangeRoute } from './policy.ts';
import {
  type ApplyResult,
  createRouteRequests,
  type RouteDecision as RequestDecision,
  type RouteAsk,
  type RouteRequest,
} from './requests.ts';

// /route: the route split of seed 000 as people see and change it. Status reads the control API and asks
// `evaluate` for every path and cohort the service's route-split gates name; a change by a person follows
// the environment's approval policy (requests.ts) or is made alone by break-glass; every change is read
// back and audited. Who set the standing override, and when, comes from the audit stream.

/** `what` of the audit entries that set the override: a person's change, and a rollback's own override. */
export const ROUTE_AUDIT = {
  applied: 'route.override.applied',
  rollback: 'route-split.override',
  /** A stream cutover train's flip (and flip-back), after its approvals. */
  cutover: 'route-split.cutover',
} as const;

export interface RouteCheck {
  gate: string;
  path: string;
  cohortKey?: string;
  expect: string;
  decision?: RouteDecision;
  /** evaluate failed: the adapter's message. */
  error?: string;
}

/** Who set the override that stands, from the audit stream. */
export interface SetBy {
  who: string;
  at: string;
  reason?: string;
  /** The rollback (or route request) that set it. */
  rolloutId?: string;
  /** A rollback set it (its own override), not a person's /route or a cutover train. */
  byRollback: boolean;
}

export interface RouteView {
  service: string;
  env: string;
  status: RouteSplitStatus;
  checks: RouteCheck[];
  setBy?: SetBy;
}

export type RouteStatusResult = { ok: true; view: RouteView } | { ok: false; message: string };

export type ChangeResult =
  | { ok: true; applied: true; override: string | null; liftedRollback?: string }
  | { ok: true; pending: true; request: RouteRequest }
  | { ok: false; reason: 'not-allowed' | 'invalid' | 'error'; message: string };

/** A standing override that the service's route gates would fail on: what /canary start refuses with. */
export interface RouteConflict {
  service: string;
  env: string;
  override: string;
  /** The gates that expect another target. */
  gates: { name: string; path: string; expect: string }[];
  setBy?: SetBy;
}

export interface RouteControlDeps {
  store: Store;
  config: ShiftgateConfig;
  routeSplit: (service: string, env: string) => RouteSplitControl | undefined;
  now?: () => Date;
  log: Logger;
  personOf(userId: string): Promise<Person>;
}

const AUDIT_SCAN_PAGES = 10;

export function createRouteControl(deps: RouteControlDeps) {
  const { store, config } = deps;
  const now = deps.now ?? (() => new Date());

  function controlOf(service: string, env: string): RouteSplitControl {
    if (!serviceTarget(config, service, env)?.routeSplit) {
      throw new TypeError(`${service} in ${env} has no routeSplit in the config`);
    }
    const control = deps.routeSplit(service, env);
    if (!control) throw new TypeError(`no route-split control is configured for ${service} in ${env}`);
    return control;
  }

  /** The route-split gates of the service's runbook: the paths, cohorts and targets it expects. */
  function routeGates(service: string, env: string) {
    const target = serviceTarget(config, service, env);
    const runbook = target ? config.runbooks[target.runbook] : undefined;
    const names = new Set<string>();
    if (runbook?.kind === 'canary') {
      for (const stage of runbook.stages)
        for (const name of [...(stage.checks ?? []), ...(stage.gates ?? [])]) names.add(name);
    }
    return [...names].flatMap((name) => {
      const gate = config.gates[name];
      return gate?.kind === 'route-split'
        ? [
            {
              name,
              path: gate.path,
              expect: gate.expect,
              ...(gate.cohortKey ? { cohortKey: gate.cohortKey } : {}),
            },
          ]
        : [];
    });
  }

  /** The newest audit entry that set this service's override, if it still describes the override. */
  async function setByOf(service: string, env: string, override: string | null): Promise<SetBy | undefined> {
    if (override === null) return undefined;
    let before: string | undefined;
    for (let page = 0; page < AUDIT_SCAN_PAGES; page++) {
      const read = await store.audit.read({ limit: 100, ...(before ? { before } : {}) });
      const found = read.entries.find(
        (e: AuditEntry) =>
          e.service === service &&
          e.env === env &&
          (e.what === ROUTE_AUDIT.applied ||
            e.what === ROUTE_AUDIT.rollback ||
            e.what === ROUTE_AUDIT.cutover),
      );
      if (found) {
        const after = found.after as { override?: string | null } | undefined;
        // Changed since outside shiftgate: the entry is not about the override that stands.
        if (after?.override !== override) return undefined;
        return {
          who: found.who,
          at: found.at,
          byRollback: found.what === ROUTE_AUDIT.rollback,
          ...(found.reason ? { reason: found.reason } : {}),
          ...(found.rolloutId ? { rolloutId: found.rolloutId } : {}),
        };
      }
      if (!read.next) return undefined;
      before = read.next;
    }
    return undefined;
  }

  async function status(service: string, env: string): Promise<RouteStatusResult> {
    let control: RouteSplitControl;
    try {
      control = controlOf(service, env);
    } catch (error) {
      return { ok: false, message: messageOf(error) };
    }
    let current: RouteSplitStatus;
    try {
      current = await control.status();
    } catch (error) {
      return { ok: false, message: messageOf(error) };
    }
    const checks = await Promise.all(
      routeGates(service, env).map(async (g): Promise<RouteCheck> => {
        const base = {
          gate: g.name,
          path: g.path,
          expect: g.expect,
          ...(g.cohortKey ? { cohortKey: g.cohortKey } : {}),
        };
        try {
          return { ...base, decision: await control.evaluate(g.path, g.cohortKey) };
        } catch (error) {
          return { ...base, error: messageOf(error) };
        }
      }),
    );
    const setBy = await setByOf(service, env, current.override);
    return { ok: true, view: { service, env, status: current, checks, ...(setBy ? { setBy } : {}) } };
  }

  /** Sets the change, reads the status back, and audits it (who asked, who approved, before and after). */
  async function apply(ask: RouteAsk, approvedBy: string[], requestId?: string): Promise<ApplyResult> {
    const control = controlOf(ask.service, ask.env);
    const before = await control.status().catch(() => undefined);
    // The rollback whose override this lifts: its message stops saying the override stands.
    const replaced = before?.override ? await setByOf(ask.service, ask.env, before.override) : undefined;
    await control.override(ask.change);
    const after = await control.status();
    const expected = overrideReadOf(ask.change) ?? null;
    if (after.override !== expected) {
      return {
        ok: false,
        message: `the control API accepted the change, but its status reads override ${after.override ?? 'none'}`,
      };
    }
    await store.audit
      .append({
        who: ask.requestedBy,
        what: ROUTE_AUDIT.applied,
        service: ask.service,
        env: ask.env,
        reason: ask.reason,
        ...(requestId ? { rolloutId: requestId } : {}),
        before: { override: before?.override ?? null },
        after: { override: after.override, change: ask.change, approvedBy },
        at: now().toISOString(),
      })
      .catch((error: unknown) => deps.log.error('audit append failed', { ...ask, error: messageOf(error) }));
    const lifted = after.override === null && replaced?.byRollback ? replaced.rolloutId : undefined;
    return { ok: true, override: after.override, ...(lifted ? { liftedRollback: lifted } : {}) };
  }

  const requests = createRouteRequests({
    store,
    config,
    now,
    log: deps.log,
    apply: (request) =>
      apply(
        request,
        request.approvals.map((a) => a.userId),
        request.id,
      ),
  });

  async function standing(
    service: string,
    env: string,
  ): Promise<{ override: string; setBy?: SetBy } | undefined> {
    const control = serviceTarget(config, service, env)?.routeSplit
      ? deps.routeSplit(service, env)
      : undefined;
    if (!control) return undefined;
    const current = await control.status();
    if (current.override === null) return undefined;
    const setBy = await setByOf(service, env, current.override);
    return { override: current.override, ...(setBy ? { setBy } : {}) };
  }

  return {
    status,
    standing,

    /** Every standing override of the configured services (App Home); one that cannot be read is left out. */
    async standingAll() {
      const scopes = Object.entries(config.services).flatMap(([service, svc]) =>
        Object.keys(svc.environments).map((env) => ({ service, env })),
      );
      const found = await Promise.all(
        scopes.map(async (scope) => {
          const one = await standing(scope.service, scope.env).catch((error: unknown) => {
            deps.log.warn('route split status failed', { ...scope, error: messageOf(error) });
            return undefined;
          });
          return one ? [{ ...scope, ...one }] : [];
        }),
      );
      return found.flat();
    },

    /** A person's change: alone when break-glass or admin, else a request that waits for approvals. */
    async change(ask: RouteAsk): Promise<ChangeResult> {
      const environment = config.environments[ask.env];
      if (!environment)
        return { ok: false, reason: 'invalid', message: `no environment "${ask.env}" in the config` };
      try {
        controlOf(ask.service, ask.env);
      } catch (error) {
        return { ok: false, reason: 'invalid', message: messageOf(error) };
      }
      const right = mayChangeRoute(environment, await deps.personOf(ask.requestedBy));
      if (!right.ok) {
        await store.audit
          .append({
            who: ask.requestedBy,
            what: 'route.override.refused',
            service: ask.service,
            env: ask.env,
            reason: right.reason,
            at: now().toISOString(),
          })
          .catch(() => {});
        return { ok: false, reason: 'not-allowed', message: right.reason };
      }
      if (!right.alone) {
        const id = timedId(`route-${ask.service}-${ask.env}`, now());
        return { ok: true, pending: true, request: await requests.create(id, ask) };
      }
      try {
        const applied = await apply(ask, []);
        return applied.ok
          ? {
              ok: true,
              applied: true,
              override: applied.override,
              ...(applied.liftedRollback ? { liftedRollback: applied.liftedRollback } : {}),
            }
          : { ok: false, reason: 'error', message: applied.message };
      } catch (error) {
        return { ok: false, reason: 'error', message: messageOf(error) };
      }
    },

    async approve(id: string, userId: string): Promise<RequestDecision> {
      return requests.approve(id, await deps.personOf(userId));
    },

    async cancel(id: string, by: string): Promise<RequestDecision> {
      const request = await requests.get(id);
      const admins = request ? config.environments[request.env]?.admins : undefined;
      const isAdmin = admins !== undefined && isMember(admins, await deps.personOf(by));
      return requests.cancel(id, by, isAdmin);
    },

    request: (id: string) => requests.get(id),

    /**
     * The standing override that the service's route gates would fail on, if any: a canary started now
     * would fail at its first route gate, so /canary start refuses before deploying.
     */
    async conflict(service: string, env: string): Promise<RouteConflict | undefined> {
      if (!serviceTarget(config, service, env)?.routeSplit) return undefined;
      const gates = routeGates(service, env);
      if (gates.length === 0) return undefined;
      const control = deps.routeSplit(service, env);
      if (!control) return undefined;
      const current = await control.status();
      if (current.override === null) return undefined;
      const against = gates.filter((g) => g.expect !== current.override);
      if (against.length === 0) return undefined;
      const setBy = await setByOf(service, env, current.override);
      return {
        service,
        env,
        override: current.override,
        gates: against.map(({ name, path, expect }) => ({ name, path, expect })),
        ...(setBy ? { setBy } : {}),
      };
    },
  };
}

export type RouteControl = ReturnType<typeof createRouteControl>;
