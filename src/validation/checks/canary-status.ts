import { shellQuote } from '../../gates/curl.ts';
import { messageOf } from '../../gates/error-result.ts';
import type { Lock } from '../../runbooks/locks.ts';
import type { ServiceState } from '../../runbooks/ports/cloud-run.ts';
import { splitOf } from '../../runbooks/traffic.ts';
import type { RolloutRecord } from '../../store/index.ts';
import { type CheckContext, judged, notMeasured, type Observation, type ValidationPorts } from './context.ts';

// Seed 002's control canary status probe (`canary-rollout.sh status`), as rollback readiness: nothing is
// rolling out or back (no active rollout, no deploy lock) and one revision serves all the traffic, so a
// cutover starts from a known stable revision.

const EXPECTED = 'one revision at 100 %, no rollout or rollback in progress';

export async function canaryStatusCheck(
  ctx: CheckContext,
  ports: Pick<ValidationPorts, 'store'>,
): Promise<Observation> {
  const { target, env } = ctx;
  const evidence =
    `gcloud run services describe ${shellQuote(target.cloudRunService)} --project ${shellQuote(target.project)}` +
    ` --region ${shellQuote(target.region)} --format ${shellQuote('yaml(status.traffic,status.latestCreatedRevisionName,status.latestReadyRevisionName)')}`;
  const what = `canary status of ${target.cloudRunService}`;
  let state: ServiceState;
  let active: RolloutRecord[];
  let lock: Lock | undefined;
  try {
    [state, active, lock] = await Promise.all([
      ctx.describe(),
      ports.store.rollouts.listActive(target.service, env),
      ports.store.locks.get(target.service, env),
    ]);
  } catch (error) {
    return notMeasured(what, EXPECTED, evidence, messageOf(error));
  }
  const split = splitOf(state.trafficStatuses);
  const serving = Object.entries(split).map(([revision, percent]) => `${revision} ${percent} %`);
  const problems: string[] = [];
  if (serving.length === 0) problems.push('no revision serves traffic');
  if (serving.length > 1) problems.push(`traffic is split: ${serving.join(', ')}`);
  for (const record of active) problems.push(`rollout ${record.id} is ${record.status}`);
  if (lock && !active.some((r) => r.id === lock.rolloutId)) {
    problems.push(`the deploy lock is held by ${lock.rolloutId} (${lock.kind}) since ${lock.since}`);
  }
  const rollouts =
    active.length === 0 ? 'no rollout in progress' : active.map((r) => `${r.id} ${r.status}`).join(', ');
  const observed = `${serving.join(', ') || 'no traffic'}; ${rollouts}`;
  return judged(what, observed, EXPECTED, evidence, problems);
}
