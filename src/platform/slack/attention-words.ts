import { code, type Mrkdwn, md, mdJoin } from '../../blocks/message.ts';
import { attentionOf } from '../../runbooks/hold.ts';
import { splitEntries } from '../../runbooks/traffic.ts';
import type { CanaryState, Effect } from '../../runbooks/types.ts';

// What the rollout's thread says when a step stopped after its retries: the step in words (not the
// effect's name), how often it was tried, what the platform answered, the traffic Cloud Run last
// confirmed, and what people can do. Service text (the error) is escaped: it is data, not markup.

function stepInWords(effect: Effect | undefined, fallback: string): Mrkdwn {
  switch (effect?.type) {
    case 'deploy':
      return md`deploying ${code(effect.image)} as a revision with no traffic`;
    case 'capture-before':
      return md`reading the metrics before the traffic change`;
    case 'set-traffic':
      return effect.canaryPercent === 100
        ? md`moving all traffic to ${code(effect.canary)}`
        : md`moving ${effect.canaryPercent} % of traffic to ${code(effect.canary)}`;
    case 'rollback-traffic':
      return md`moving all traffic back to ${code(effect.toRevision)}`;
    case 'route-override':
      return md`overriding the route split to ${code(effect.target)}`;
    case 'evaluate':
      return md`running the gates`;
    default:
      return code(fallback);
  }
}

const splitInWords = (split: Record<string, number>): Mrkdwn =>
  splitEntries(split).length === 0
    ? md`no traffic reported yet`
    : mdJoin(
        splitEntries(split).map(([revision, percent]) => md`${percent} % on ${code(revision)}`),
        ', ',
      );

/** The line after "needs attention:" for a failed step, or undefined for any other cause. */
export function failedStepWords(state: CanaryState): Mrkdwn | undefined {
  const attention = attentionOf(state);
  const pending = state.pending;
  if (attention?.cause !== 'effect-failed' || pending === undefined) return undefined;
  const tries = pending.attempts === 1 ? 'once' : `${pending.attempts} times`;
  const retried = /not retryable/.test(attention.reason)
    ? `failed and was not retried: this error needs a person, not another try`
    : `failed ${tries}`;
  const said = pending.lastError ? md` Cloud Run answered: ${pending.lastError}.` : '';
  const traffic = state.trafficNow
    ? md` Traffic as Cloud Run last confirmed it: ${splitInWords(state.trafficNow)}.`
    : '';
  return md`${stepInWords(pending.payload, pending.effect)} ${retried}.${said}${traffic} *Resume* tries it again; *Abort* rolls back.`;
}
