import { formatSplit } from '../runbooks/traffic.ts';
import type { Effect } from '../runbooks/types.ts';

// A dry run's plan in words: one line per effect the runbook asked for, as a person would read a runbook
// step ("set traffic web-00001 95 %, web-00002 5 %"). summary.json keeps the line beside its number and
// time; the effect objects themselves stay in the saved report.

export function describeEffect(effect: Effect): string {
  switch (effect.type) {
    case 'deploy':
      return `deploy ${effect.image} as a revision with no traffic, tagged canary`;
    case 'capture-before':
      return `capture the values before the change (${effect.gates.join(', ')})`;
    case 'set-traffic': {
      const split = {
        [effect.stable]: 100 - effect.canaryPercent,
        [effect.canary]: effect.canaryPercent,
      };
      return `set traffic ${formatSplit(split)}`;
    }
    case 'rollback-traffic':
      return `roll traffic back: ${effect.toRevision} 100 %`;
    case 'route-override':
      return `override the route split to ${effect.target}`;
    case 'route-status':
      return 'read the route split status';
    case 'read-traffic':
      return 'read the traffic split Cloud Run reports';
    case 'tag-revision':
      return effect.revision === undefined
        ? `remove the revision tag ${effect.tag}`
        : `tag ${effect.revision} as ${effect.tag} (kept warm, at 0 %)`;
    case 'set-split':
      return `set traffic ${formatSplit(effect.split)}`;
    case 'dual-run':
      return `compare the streams (${effect.gates.join(', ')}) with ${effect.legacyUrl}`;
    case 'read-error-budget':
      return `read the error budget of ${effect.slo}`;
    case 'check-preconditions':
      return `check the preconditions: ${effect.image} in Artifact Registry, the service, the right to deploy, its variables`;
    case 'run-job':
      return `run the Cloud Run job ${effect.job} and read its exit code`;
    case 'read-flags':
      return 'read the flags from their backend';
    case 'set-flags': {
      const values = Object.entries(effect.values).map(([k, v]) => `${k}=${v}`);
      return `set the flags ${values.join(', ')}${effect.restore ? ` (back to ${effect.restore})` : ''}`;
    }
    case 'evaluate':
      return `${PHASE[effect.phase]}: ${effect.gates.join(', ')}`;
    case 'schedule':
      return `schedule ${effect.timer} at ${effect.at}`;
    case 'cancel':
      return `cancel ${effect.timer} ${effect.key}`;
    case 'notify':
      return `tell the thread: ${effect.notification.kind}`;
    case 'open-incident':
      return `open an incident${effect.failedStage ? ` (stage ${effect.failedStage})` : ''}: ${effect.symptom}`;
    case 'release-lock':
      return 'release the deploy lock';
    case 'write-report':
      return 'write this report';
    default: {
      const unknown: never = effect;
      return `unknown effect ${JSON.stringify(unknown)}`;
    }
  }
}

const PHASE: Record<Extract<Effect, { type: 'evaluate' }>['phase'], string> = {
  checks: 'run the checks',
  gates: 'evaluate the gates',
  'rollback-checks': 'run the rollback checks',
};
