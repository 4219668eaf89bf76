import { code, escapeText } from '../../blocks/message.ts';
import { attentionOf } from '../../runbooks/hold.ts';
import { splitEntries } from '../../runbooks/traffic.ts';
import type { CanaryState, Effect } from '../../runbooks/types.ts';

// What the rollout's thread says when a step stopped after its retries: the step in words (not the
// effect's name), how often it was tried, what the platform answered, the traffic Cloud Run last
// confirmed, and what people can do. Service text (the error) is escaped: it is data, not markup.

function stepInWords(effect: Effect | undefined, fallback: string): string {
  switch (effect?.type) {
    case 'deploy':
      return `deploying ${code(effect.image)} as a revision with no traffic`;
    case 'capture-before':
      return 'reading the metrics before the traffic change';
    case 'set-traffic':
      return effect.canaryPercent === 100
        ? `moving all traffic to ${code(effect.canary)}`
        : `moving ${effect.canaryPercent} % of traffic to ${code(effect.canary)}`;
    case 'rollback-traffic':
      return `moving all traffic back to ${code(effect.toRevision)}`;
    case 'route-override':
      return `overriding the route split to ${code(effect.target)}`;
    case 'evaluate':
      return 'running the gates';
    default:
      return code(fallback);
  }
}

const splitInWords = (split: Record<string, number>) =>
  splitEntries(split)
    .map(([revision, percent]) => `${percent} % on ${code(revision)}`)
    .join(', ') || 'no traffic reported yet';

/** The line after "needs attention:" for a failed step, or undefined for any other cause. */
export function failedStepWords(state: CanaryState): string | undefined {
  const attention = attentionOf(state);
  const pending = state.pending;
  if (attention?.cause !== 'effect-failed' || pending === undefined) return undefined;
  const tries = pending.attempts === 1 ? 'once' : `${pending.attempts} times`;
  const retried = /not retryable/.test(attention.reason)
    ? `failed and was not retried: this error needs a person, not another try`
    : `failed ${tries}`;
  const said = pending.lastError ? ` Cloud Run answered: ${escapeText(pending.lastError)}.` : '';
  const traffic = state.trafficNow
    ? ` Traffic as Cloud Run last confirmed it: ${splitInWords(state.trafficNow)}.`
    : '';
  return `${stepInWords(pending.payload, pending.effect)} ${retried}.${said}${traffic} *Resume* tries it again; *Abort* rolls back.`;
}
