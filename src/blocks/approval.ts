import type { KnownBlock } from '@slack/types';
import type { Approval, CanaryState } from '../runbooks/types.ts';
import { ACTIONS, encodeValue } from './actions.ts';
import {
  actions,
  button,
  code,
  context,
  escapeText,
  fields,
  mention,
  message,
  type SlackMessage,
  section,
} from './message.ts';
import { plainTitle } from './rollout-words.ts';
import { type Clock, nowOf, slackDate, when } from './time.ts';

// The approval request in the rollout's thread, one per stage that shifts traffic; once decided it is
// edited to say who decided and when, and its buttons go. Both forms show the same facts.

export type ApprovalOutcome =
  | { kind: 'approved'; by: Approval[] }
  | { kind: 'aborted'; by: string; at: string }
  | { kind: 'expired'; at: string }
  | { kind: 'superseded'; why: string };

export interface ApprovalDetails {
  /** Distinct approvals needed. */
  required: number;
  /** When the request lapses; defaults to the stage's approvalExpiresAt. */
  expiresAt?: string;
  /** automatic: approving also approves that a failing gate rolls back on its own. */
  onGateFailure: 'automatic' | 'approve';
  /** Who may approve, in mrkdwn (runbooks/principals.ts describePrincipals). */
  approvers?: string;
  /** False: the requester's own click does not count. */
  allowSelfApproval?: boolean;
}

export function approvalRequest(
  state: CanaryState,
  index: number,
  details: ApprovalDetails,
  options: Clock = {},
): SlackMessage {
  const stage = state.stages[index];
  const value = encodeValue({ r: state.id, s: index });
  const head = `:raised_hand: *Approval needed:* stage ${stageName(state, index)} of ${code(state.service)} in ${code(state.env)}`;
  return message(`Approval needed: ${plainTitle(state)} stage ${stage?.name ?? index}`, [
    ...body(state, index, head, details, nowOf(options)),
    ...actions([
      button('Approve', ACTIONS.approve, value, 'primary'),
      button('Abort', ACTIONS.approvalAbort, value, 'danger', {
        title: 'Abort the rollout?',
        text: 'The rollout ends aborted; any canary traffic returns to the stable revision first.',
        confirm: 'Abort',
      }),
    ]),
  ]);
}

/** The request once decided: who decided and when, no buttons. */
export function approvalDecided(
  state: CanaryState,
  index: number,
  outcome: ApprovalOutcome,
  details: Partial<ApprovalDetails> = {},
  options: Clock = {},
): SlackMessage {
  const stage = state.stages[index];
  const of = `stage ${stageName(state, index)} of ${code(state.service)} in ${code(state.env)}`;
  const count = stage?.approvals.length ?? 0;
  const got =
    details.required === undefined ? `${count} approval(s)` : `${count} of ${details.required} approvals`;
  const head =
    outcome.kind === 'approved'
      ? `:white_check_mark: *Approved* ${of} by ${approvedBy(outcome.by)}`
      : outcome.kind === 'aborted'
        ? `:no_entry_sign: *Aborted* ${of} by ${mention(outcome.by)} ${slackDate(outcome.at)}`
        : outcome.kind === 'expired'
          ? `:hourglass: *Expired* ${of} ${slackDate(outcome.at)} with ${got}: resume the rollout to ask again`
          : `:heavy_minus_sign: *No longer asked* for ${of}: ${escapeText(outcome.why)}`;
  return message(`${plainTitle(state)} stage ${stage?.name ?? index}: ${outcome.kind}`, [
    ...body(state, index, head, details, nowOf(options), false),
  ]);
}

function body(
  state: CanaryState,
  index: number,
  head: string,
  details: Partial<ApprovalDetails>,
  now: number,
  open = true,
): KnownBlock[] {
  const stage = state.stages[index];
  const approvals = stage?.approvals ?? [];
  const expiresAt = details.expiresAt || stage?.approvalExpiresAt;
  const of =
    details.required === undefined ? `${approvals.length}` : `${approvals.length} of ${details.required}`;
  const list = approvals.length > 0 ? `: ${approvedBy(approvals)}` : '';
  const notes: string[] = [];
  if (details.onGateFailure === 'automatic') {
    notes.push('Approving also approves the rollback policy: a failing gate rolls back on its own.');
  } else if (details.onGateFailure === 'approve') {
    notes.push('A failing gate stops the rollout and asks for one click to roll back.');
  }
  if (open && details.approvers) notes.push(`May approve: ${details.approvers}`);
  if (open && details.allowSelfApproval === false) {
    notes.push(`${mention(state.requestedBy)} asked for this rollout and may not approve it.`);
  }
  if (state.dryRun) notes.push(':test_tube: Dry run: approving changes nothing on Cloud Run.');
  return [
    section(`${head}\n${what(state, index)}`),
    fields([
      `*Approvals*\n${of}${list}`,
      `*${open ? 'Expires' : 'Expiry'}*\n${expiresAt ? (open ? when(expiresAt, now) : slackDate(expiresAt)) : 'never'}`,
      `*Requested by*\n${mention(state.requestedBy)}`,
      `*Image*\n${code(state.tag)}`,
    ]),
    ...(notes.length > 0 ? [context(...notes)] : []),
  ];
}

/** "Shift to *25 %* of traffic on `rev-2` (stable `rev-1` keeps 75 %); now 5 %." */
function what(state: CanaryState, index: number): string {
  const stage = state.stages[index];
  const traffic = stage?.traffic ?? 0;
  const now = state.canaryRevision ? (state.trafficNow?.[state.canaryRevision] ?? 0) : 0;
  const canary = code(state.canaryRevision ?? state.tag);
  const stable = state.stableRevision
    ? ` (stable ${code(state.stableRevision)} keeps ${100 - traffic} %)`
    : '';
  return `Shift to *${traffic} %* of traffic on ${canary}${stable}; the canary has ${now} % now.`;
}

function stageName(state: CanaryState, index: number): string {
  const stage = state.stages[index];
  return stage ? `${escapeText(stage.name)} (${stage.traffic} %)` : `#${index}`;
}

function approvedBy(approvals: Approval[]): string {
  return approvals.length === 0
    ? 'nobody'
    : approvals.map((a) => `${mention(a.userId)} ${slackDate(a.at)}`).join(', ');
}
