import type { Approval, CanaryState } from '../runbooks/types.ts';
import { ACTIONS, encodeValue } from './actions.ts';
import { actions, button, code, context, mention, message, type SlackMessage, section } from './message.ts';
import { plainTitle } from './rollout-words.ts';
import { slackDate } from './time.ts';

// The approval request in the rollout's thread, one per stage that shifts traffic; once decided it is
// edited to say who decided and when, and its buttons go.

export type ApprovalOutcome =
  | { kind: 'approved'; by: Approval[] }
  | { kind: 'aborted'; by: string; at: string }
  | { kind: 'expired'; at: string }
  | { kind: 'superseded'; why: string };

function what(state: CanaryState, index: number): string {
  const stage = state.stages[index];
  return `shift *${stage?.traffic ?? '?'} %* of ${state.service} ${state.env} traffic to ${code(state.canaryRevision ?? state.tag)} (stage ${stage?.name ?? index})`;
}

function approvedBy(approvals: Approval[]): string {
  return approvals.map((a) => `${mention(a.userId)} ${slackDate(a.at)}`).join(', ');
}

export function approvalRequest(
  state: CanaryState,
  index: number,
  input: { required: number; expiresAt: string; onGateFailure: 'automatic' | 'approve' },
): SlackMessage {
  const stage = state.stages[index];
  const approvals = stage?.approvals ?? [];
  const policy =
    input.onGateFailure === 'automatic'
      ? 'Approving also approves the rollback policy: a failing gate rolls back on its own.'
      : 'A failing gate pauses the rollout and asks for one click to roll back.';
  const value = encodeValue({ r: state.id, s: index });
  return message(`Approval needed: ${plainTitle(state)} stage ${stage?.name ?? index}`, [
    section(`:raised_hand: *Approve?* ${what(state, index)}`),
    context(
      `Approvals ${approvals.length} of ${input.required}${approvals.length ? `: ${approvedBy(approvals)}` : ''}`,
      input.expiresAt ? `Expires ${slackDate(input.expiresAt)}` : 'No expiry',
      `Requested by ${mention(state.requestedBy)}, who may not approve it alone`,
    ),
    context(policy),
    ...actions([
      button('Approve', ACTIONS.approve, value, 'primary'),
      button('Abort', ACTIONS.approvalAbort, value, 'danger', {
        title: 'Abort the rollout?',
        text: 'Any canary traffic returns to stable first.',
        confirm: 'Abort',
      }),
    ]),
  ]);
}

export function approvalDecided(state: CanaryState, index: number, outcome: ApprovalOutcome): SlackMessage {
  const stage = state.stages[index];
  const decided =
    outcome.kind === 'approved'
      ? `:white_check_mark: *Approved* by ${approvedBy(outcome.by)}`
      : outcome.kind === 'aborted'
        ? `:no_entry_sign: *Aborted* by ${mention(outcome.by)} ${slackDate(outcome.at)}`
        : outcome.kind === 'expired'
          ? `:hourglass: *Expired* ${slackDate(outcome.at)}: resume the rollout to ask again`
          : `:heavy_minus_sign: *No longer asked*: ${outcome.why}`;
  return message(`${plainTitle(state)} stage ${stage?.name ?? index}: ${outcome.kind}`, [
    section(`${decided}\nTo ${what(state, index)}`),
  ]);
}
