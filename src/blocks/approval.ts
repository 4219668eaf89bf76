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
  type Mrkdwn,
  md,
  mdJoin,
  mention,
  message,
  type SlackMessage,
  section,
  withMentions,
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
  const head = md`:raised_hand: *Approval needed:* stage ${stageName(state, index)} of ${code(state.service)} in ${code(state.env)}`;
  return message(md`Approval needed: ${plainTitle(state)} stage ${stage?.name ?? index}`, [
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
  const of = md`stage ${stageName(state, index)} of ${code(state.service)} in ${code(state.env)}`;
  const count = stage?.approvals.length ?? 0;
  const got =
    details.required === undefined ? approvalCount(count) : md`${count} of ${details.required} approvals`;
  const head =
    outcome.kind === 'approved'
      ? md`:white_check_mark: *Approved* ${of} by ${approvedBy(outcome.by)}`
      : outcome.kind === 'aborted'
        ? md`:no_entry_sign: *Aborted* ${of} by ${mention(outcome.by)} ${slackDate(outcome.at)}`
        : outcome.kind === 'expired'
          ? md`:hourglass: *Expired* ${of} ${slackDate(outcome.at)} with ${got}: resume the rollout to ask again`
          : md`:heavy_minus_sign: *No longer asked* for ${of}: ${escapeText(outcome.why)}`;
  return message(md`${plainTitle(state)} stage ${stage?.name ?? index}: ${outcome.kind}`, [
    ...body(state, index, head, details, nowOf(options), false),
  ]);
}

function body(
  state: CanaryState,
  index: number,
  head: Mrkdwn,
  details: Partial<ApprovalDetails>,
  now: number,
  open = true,
): KnownBlock[] {
  const stage = state.stages[index];
  const approvals = stage?.approvals ?? [];
  const expiresAt = details.expiresAt || stage?.approvalExpiresAt;
  const of =
    details.required === undefined ? md`${approvals.length}` : md`${approvals.length} of ${details.required}`;
  const list = approvals.length > 0 ? md`: ${approvedBy(approvals)}` : '';
  const notes: Mrkdwn[] = [];
  if (details.onGateFailure === 'automatic') {
    notes.push(md`Approving also approves the rollback policy: a failing gate rolls back on its own.`);
  } else if (details.onGateFailure === 'approve') {
    notes.push(md`A failing gate stops the rollout and asks for one click to roll back.`);
  }
  if (open && details.approvers) notes.push(md`May approve: ${withMentions(details.approvers)}`);
  if (open && details.allowSelfApproval === false) {
    notes.push(md`${mention(state.requestedBy)} asked for this rollout and may not approve it.`);
  }
  if (state.dryRun) notes.push(md`:test_tube: Dry run: approving changes nothing on Cloud Run.`);
  return [
    section(md`${head}\n${what(state, index)}`),
    fields([
      md`*Approvals*\n${of}${list}`,
      md`*${open ? 'Expires' : 'Expiry'}*\n${expiresAt ? (open ? when(expiresAt, now) : slackDate(expiresAt)) : 'never'}`,
      md`*Requested by*\n${mention(state.requestedBy)}`,
      md`*Image*\n${code(state.tag)}`,
    ]),
    ...(notes.length > 0 ? [context(...notes)] : []),
  ];
}

/** "Shift to *25 %* of traffic on `rev-2` (stable `rev-1` keeps 75 %); now 5 %." */
function what(state: CanaryState, index: number): Mrkdwn {
  const stage = state.stages[index];
  const traffic = stage?.traffic ?? 0;
  const now = state.canaryRevision ? (state.trafficNow?.[state.canaryRevision] ?? 0) : 0;
  const canary = code(state.canaryRevision ?? state.tag);
  const stable = state.stableRevision
    ? md` (stable ${code(state.stableRevision)} keeps ${100 - traffic} %)`
    : '';
  return md`Shift to *${traffic} %* of traffic on ${canary}${stable}; the canary has ${now} % now.`;
}

function stageName(state: CanaryState, index: number): Mrkdwn {
  const stage = state.stages[index];
  return stage ? md`${escapeText(stage.name)} (${stage.traffic} %)` : md`#${index}`;
}

function approvedBy(approvals: Approval[]): Mrkdwn {
  return approvals.length === 0
    ? md`nobody`
    : mdJoin(
        approvals.map((a) => md`${mention(a.userId)} ${slackDate(a.at)}`),
        ', ',
      );
}

/** "no approvals", "1 approval", "3 approvals". */
export function approvalCount(count: number): string {
  return count === 0 ? 'no approvals' : count === 1 ? '1 approval' : `${count} approvals`;
}
