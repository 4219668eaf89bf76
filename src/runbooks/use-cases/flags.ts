import type { FlagCanaryRunbook } from '../../config/flags.ts';
import type { Signoff } from '../../store/index.ts';
import type { FlagScopeInput, StartResult } from '../engine.ts';
import { describePrincipals, isMember } from '../principals.ts';
import { mayRollBack } from '../roles.ts';
import type { FlagCanaryState } from '../types.ts';
import { auditRefusal, type UseCaseDeps } from './deps.ts';
import { dispatchPerson } from './send.ts';
import { startRunbook } from './start.ts';
import { startAsDeployer } from './start-canary.ts';

// /flag canary, /flag signoff and /flag off (seed 003): a flag set is a `flag-canary` runbook of the
// config; it runs in its service's environments, under the service's deploy lock.

type Invalid = { ok: false; reason: 'invalid' | 'not-allowed'; message: string };
const invalid = (message: string): Invalid => ({ ok: false, reason: 'invalid', message });

export type FlagScope = FlagScopeInput;

/** The flag set's runbook and the environment it runs in, or why not. */
export function flagSetOf(
  deps: Pick<UseCaseDeps, 'config'>,
  scope: FlagScope,
): { ok: true; runbook: FlagCanaryRunbook; service: string } | Invalid {
  const runbook = deps.config.runbooks[scope.config];
  if (runbook?.kind !== 'flag-canary') {
    const known = Object.entries(deps.config.runbooks)
      .filter(([, r]) => r.kind === 'flag-canary')
      .map(([n]) => n);
    return invalid(
      `no flag canary "${scope.config}" in the config (flag sets: ${known.join(', ') || 'none'})`,
    );
  }
  const service = deps.config.services[runbook.service];
  if (!service?.environments[scope.env])
    return invalid(`flag set ${scope.config} (service ${runbook.service}) does not run in ${scope.env}`);
  return { ok: true, runbook, service: runbook.service };
}

export async function startFlagCanary(
  deps: UseCaseDeps,
  ask: FlagScope & { requestedBy: string; dryRun: boolean; watchMs?: number; duringFreeze?: string },
): Promise<StartResult<FlagCanaryState>> {
  const set = flagSetOf(deps, ask);
  if (!set.ok) return set;
  const signoffs: Signoff[] = [];
  for (const flag of set.runbook.flags.filter((f) => f.signoff)) {
    const found = await deps.store.signoffs.get(ask.config, ask.env, flag.name);
    if (!found || Date.parse(found.expiresAt) <= deps.now().getTime()) {
      const who = set.runbook.signoff
        ? describePrincipals(set.runbook.signoff.by)
        : 'nobody (the runbook names no signoff.by)';
      return invalid(
        `flag ${flag.name} needs a sign-off in ${ask.env}${found ? ` (the last one expired at ${found.expiresAt})` : ''}: ${who} records one with /flag signoff ${ask.config} ${ask.env} <evidence-url>`,
      );
    }
    signoffs.push(found);
  }
  const started = await startAsDeployer(deps, {
    kind: 'flag-canary',
    runbook: set.runbook,
    service: set.service,
    env: ask.env,
    requestedBy: ask.requestedBy,
    dryRun: ask.dryRun,
    input: {
      mode: 'canary',
      config: ask.config,
      ...(ask.watchMs === undefined ? {} : { watchMs: ask.watchMs }),
      signoffs: signoffs.map(({ flag, by, at, expiresAt, evidence }) => ({
        flag,
        by,
        at,
        expiresAt,
        evidence,
      })),
    },
    lockReason: `flag canary ${ask.config}${ask.dryRun ? ' (dry-run)' : ''}`,
    ...(ask.duringFreeze ? { duringFreeze: ask.duringFreeze } : {}),
  });
  return started as StartResult<FlagCanaryState>;
}

export type SignoffResult = { ok: true; signoffs: Signoff[] } | Invalid;

/** Records a sign-off of the flags that need one (or of `flag`), by someone the runbook names. */
export async function signoffFlags(
  deps: UseCaseDeps,
  ask: FlagScope & { by: string; evidence: string; flag?: string },
): Promise<SignoffResult> {
  const set = flagSetOf(deps, ask);
  if (!set.ok) return set;
  const policy = set.runbook.signoff;
  const scope = { service: set.service, env: ask.env };
  if (!policy) return invalid(`flag set ${ask.config} has no signoff section: its flags need no sign-off`);
  const person = await deps.personOf(ask.by);
  if (!isMember(policy.by, person)) {
    const why = `you may not sign off flags of ${ask.config}: ${describePrincipals(policy.by)} may`;
    await auditRefusal(deps, ask.by, 'flag.signoff', scope, why);
    return { ok: false, reason: 'not-allowed', message: why };
  }
  const flags = set.runbook.flags.filter((f) => (ask.flag ? f.name === ask.flag : f.signoff));
  if (flags.length === 0)
    return invalid(
      ask.flag ? `no flag ${ask.flag} in ${ask.config}` : `no flag of ${ask.config} needs a sign-off`,
    );
  const at = deps.now();
  const signoffs = flags.map((f) => ({
    config: ask.config,
    env: ask.env,
    flag: f.name,
    by: ask.by,
    at: at.toISOString(),
    expiresAt: new Date(at.getTime() + policy.expiresAfter).toISOString(),
    evidence: ask.evidence,
  }));
  // The audit line first: a sign-off lost to a crash after it is asked for again; one never audited is not.
  await deps.store.audit.append({
    who: ask.by,
    what: 'flag.signoff',
    ...scope,
    after: {
      config: ask.config,
      flags: flags.map((f) => f.name),
      evidence: ask.evidence,
      expiresAt: signoffs[0]?.expiresAt,
    },
    at: at.toISOString(),
  });
  for (const signoff of signoffs) await deps.store.signoffs.record(signoff);
  return { ok: true, signoffs };
}

export type FlagOffResult =
  | { ok: true; via: 'canary' | 'off'; rolloutId: string; state?: FlagCanaryState }
  | { ok: false; reason: string; message: string };

/**
 * The seed's manual rollback ("Option 2: disable the flags"), by the environment's rollback policy:
 * break-glass and admins act alone; while a flag canary of the set runs, its requester and the rollback
 * approvers may too (turning flags back is the safe direction); others are told who can.
 */
export async function flagsOff(
  deps: UseCaseDeps,
  ask: FlagScope & { by: string; reason: string; dryRun?: boolean },
): Promise<FlagOffResult> {
  const set = flagSetOf(deps, ask);
  if (!set.ok) return set;
  const environment = deps.config.environments[ask.env];
  if (!environment) return invalid(`no environment ${ask.env} in the config`);
  const scope = { service: set.service, env: ask.env };
  const active = (await deps.store.rollouts.listActive(set.service, ask.env))
    .map((r) => (r.data as { state?: FlagCanaryState }).state)
    .find((s): s is FlagCanaryState => s?.kind === 'flag-canary' && s.config === ask.config);
  const person = await deps.personOf(ask.by);
  const right = mayRollBack(environment, person, {
    gateFailed: active !== undefined,
    ...(active ? { requestedBy: active.requestedBy } : {}),
  });
  if (!right.ok || !right.alone) {
    const why = right.ok
      ? `turning flags off by hand needs someone who may roll back alone here: ${describePrincipals(environment.rollback.breakGlass, environment.admins)}${active ? ', or the requester and approvers of the running canary' : ''}`
      : right.reason;
    await auditRefusal(deps, ask.by, 'flag.off', scope, why);
    return { ok: false, reason: 'not-allowed', message: why };
  }
  if (active) {
    const sent = await dispatchPerson(deps, active.id, {
      type: 'rollback',
      by: ask.by,
      reason: ask.reason,
      at: deps.now().toISOString(),
    });
    if (!sent.ok) return { ok: false, reason: sent.reason, message: sent.message };
    return { ok: true, via: 'canary', rolloutId: active.id };
  }
  const started = await startAsDeployerOrAlone(deps, set, ask);
  if (!started.ok) {
    const holder =
      started.reason === 'held' ? ` by ${started.holder.rolloutId} (${started.holder.reason})` : '';
    return 'message' in started
      ? started
      : {
          ok: false,
          reason: started.reason,
          message: `the deploy lock of ${set.service} in ${ask.env} is taken${holder}`,
        };
  }
  return { ok: true, via: 'off', rolloutId: started.rolloutId, state: started.state as FlagCanaryState };
}

/** A flags-off record (mode off): whoever may act alone starts it, deployer or not. */
function startAsDeployerOrAlone(
  deps: UseCaseDeps,
  set: { runbook: FlagCanaryRunbook; service: string },
  ask: FlagScope & { by: string; reason: string; dryRun?: boolean },
) {
  return startRunbook(deps, {
    kind: 'flag-canary',
    runbook: set.runbook,
    service: set.service,
    env: ask.env,
    requestedBy: ask.by,
    dryRun: ask.dryRun ?? false,
    input: { mode: 'off', config: ask.config, reason: ask.reason },
    lockReason: `flags off ${ask.config}: ${ask.reason}`,
  });
}
