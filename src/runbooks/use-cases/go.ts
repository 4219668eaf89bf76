import { formatDuration } from '../../config/duration.ts';
import { verdictFor } from '../ports/validations.ts';
import type { UseCaseDeps } from './deps.ts';

// The promotion gate of seeds 001 and 002: an environment with `requireGo` takes a canary (and the
// approval of its last stage) only after a recent GO of the validation matrix of the environment it
// names, in gating mode. What was found is said: the last run, and what failed in it. A run over several
// environments counts by the named environment's own verdict: `/validate staging prod` whose staging rows
// all passed is a staging GO, whatever prod said.

export async function goRefusal(deps: UseCaseDeps, env: string): Promise<string | undefined> {
  const rule = deps.config.environments[env]?.requireGo;
  if (!rule) return undefined;
  const runs = (await deps.validations?.recent(rule.from, 20)) ?? [];
  const now = deps.now().getTime();
  const within = formatDuration(rule.within);
  // The newest finished run in gating mode decides: a NO-GO after a GO withdraws it.
  const last = runs.find((r) => r.mode === 'gating' && r.status === 'finished');
  const head = `${env} needs a GO of the ${rule.from} validation matrix within ${within} (\`/validate ${rule.from}\`)`;
  if (!last) return `${head}: there is none on record`;
  const when = last.finishedAt ?? last.startedAt;
  const verdict = verdictFor(last, rule.from);
  if (verdict?.outcome === 'go') {
    if (now - Date.parse(when) <= rule.within) return undefined;
    return `${head}: the last GO, run ${last.id}, finished at ${when}, is older than that`;
  }
  const reasons = verdict?.reasons.slice(0, 3).join('; ') ?? 'no verdict recorded';
  return `${head}: the last run, ${last.id} (${when}), said NO-GO: ${reasons}. Its files: \`/validate files ${last.id}\``;
}
