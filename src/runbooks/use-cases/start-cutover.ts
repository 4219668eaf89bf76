import type { StreamCutoverRunbook } from '../../config/runbooks.ts';
import { messageOf } from '../../gates/error-result.ts';
import type { StreamCutoverState } from '../cutover/index.ts';
import { targetOf } from '../effects.ts';
import type { CutoverAsk, StartResult } from '../engine.ts';
import type { UseCaseDeps } from './deps.ts';
import { startAsDeployer } from './start-canary.ts';

// /cutover stream: the service environment's stream-cutover runbook (seed 004) as a deployer starts it,
// under the deploy lock. What only the start can check is checked here, before anything is locked: the
// runbook, the legacy URL a dual-run may send the access token to, and where the error budget comes from.

type Invalid = { ok: false; reason: 'invalid'; message: string };
const invalid = (message: string): Invalid => ({ ok: false, reason: 'invalid', message });

export async function startCutover(
  deps: UseCaseDeps,
  ask: CutoverAsk,
): Promise<StartResult<StreamCutoverState>> {
  const { service, env } = ask;
  let targeted: ReturnType<typeof targetOf>;
  try {
    targeted = targetOf(deps.config, service, env);
  } catch (error) {
    return invalid(messageOf(error));
  }
  const name = targeted.target.cutover;
  if (name === undefined)
    return invalid(
      `${service} in ${env} has no stream cutover runbook: name one in services.${service}.cutover (a runbook of kind stream-cutover)`,
    );
  const runbook = deps.config.runbooks[name];
  if (runbook?.kind !== 'stream-cutover') return invalid(`no stream-cutover runbook "${name}" in the config`);
  const refused = refusal(runbook, ask) ?? (await missingRevision(deps, targeted.ref, ask));
  if (refused) return invalid(refused);
  const { service: _s, env: _e, requestedBy, dryRun, duringFreeze, ...input } = ask;
  const started = await startAsDeployer(deps, {
    kind: 'stream-cutover',
    runbook,
    service,
    env,
    requestedBy,
    dryRun,
    input,
    lockReason: `stream cutover ${ask.stableRevision} -> ${ask.canaryRevision}${dryRun ? ' (dry-run)' : ''}`,
    ...(duringFreeze ? { duringFreeze } : {}),
  });
  return started as StartResult<StreamCutoverState>;
}

/** Both revisions must be ready revisions of the service: the drill sends all traffic to the stable one. */
async function missingRevision(
  deps: UseCaseDeps,
  ref: ReturnType<typeof targetOf>['ref'],
  ask: CutoverAsk,
): Promise<string | undefined> {
  let revisions: Awaited<ReturnType<UseCaseDeps['cloudRun']['listRevisions']>>;
  try {
    revisions = await deps.cloudRun.listRevisions(ref);
  } catch (error) {
    return `could not list the revisions of ${ref.service}: ${messageOf(error)}`;
  }
  for (const [role, name] of [
    ['stable', ask.stableRevision],
    ['canary', ask.canaryRevision],
  ] as const) {
    const found = revisions.find((r) => r.name === name);
    if (!found) {
      const known = revisions
        .slice(0, 5)
        .map((r) => r.name)
        .join(', ');
      return `no revision ${name} (the ${role} one) in Cloud Run service ${ref.service}; its newest: ${known || 'none'}`;
    }
    if (!found.ready) return `the ${role} revision ${name} is not ready: it cannot serve the drill`;
  }
  return undefined;
}

function refusal(runbook: StreamCutoverRunbook, ask: CutoverAsk): string | undefined {
  if (ask.legacyUrl !== undefined) {
    const allowed = runbook.dualRun.legacyUrls.map((u) => u.replace(/\/+$/, ''));
    if (!allowed.includes(ask.legacyUrl))
      return allowed.length === 0
        ? 'this runbook lists no legacy URL for a dual-run (dualRun.legacyUrls): the access token goes only to a listed one'
        : `${ask.legacyUrl} is not a legacy URL of this runbook: use one of ${allowed.join(', ')}`;
  }
  const slo = runbook.errorBudget.slo;
  if (slo !== undefined && ask.errorBudgetConsumed !== undefined)
    return `the error budget is read from the SLO ${slo}: drop --error-budget-consumed`;
  if (slo === undefined && ask.errorBudgetConsumed === undefined && !ask.dryRun)
    return 'no SLO is configured for this cutover (errorBudget.slo): give the consumed error budget you observed with --error-budget-consumed <percent>';
  return undefined;
}
