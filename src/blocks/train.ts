import type { KnownBlock } from '@slack/types';
import type { Approval, TrainStep, TrainStepStatus } from '../runbooks/types.ts';
import { ACTIONS, encodeValue } from './actions.ts';
import { gateLine } from './gate-lines.ts';
import { LIMITS } from './limits.ts';
import {
  actions,
  button,
  context,
  fitting,
  lineSections,
  type Mrkdwn,
  md,
  mdJoin,
  mention,
  message,
  type SlackMessage,
  section,
  truncateMrkdwn,
  withMentions,
} from './message.ts';
import { clockTime, slackDate } from './time.ts';

// What every train of steps (a stream cutover, a flag canary) shows the same way: a line per step on its
// card, one message per step in the thread (its gate lines, observed value beside threshold, and its own
// log), and the approval request before the first change.

export const STEP_EMOJI: Record<TrainStepStatus, string> = {
  pending: ':white_circle:',
  running: ':hourglass_flowing_sand:',
  passed: ':white_check_mark:',
  failed: ':x:',
  skipped: ':heavy_minus_sign:',
};

export function trainStepLine(step: TrainStep, index: number, title: string, countFailures = true): Mrkdwn {
  const failures = step.failures > 0 && countFailures ? md` · ${step.failures} failed` : '';
  const count = step.results.length > 0 ? md` · ${step.results.length} checks` : '';
  return md`${STEP_EMOJI[step.status]} ${index + 1}. ${title}: ${step.status}${count}${failures}`;
}

/** One step in the thread, kept within Slack's limits; `extra` goes between its gate lines and its log. */
export function trainStepMessage(
  subject: Mrkdwn,
  step: TrainStep | undefined,
  index: number,
  title: string,
  extra: (budget: number) => KnownBlock[] = () => [],
): SlackMessage {
  if (!step) return message(md`${subject}: no step ${index + 1}`, [section(md`No step ${index + 1}.`)]);
  const head = md`${STEP_EMOJI[step.status]} *${index + 1}. ${title}*: ${step.status}`;
  const blocks = fitting(
    (budget) => [
      section(head),
      // Worst first: what failed is what a person needs to see; the report has the rest.
      ...lineSections(
        [...step.results].sort((a, b) => rank(a.status) - rank(b.status)).map((r) => gateLine(r, budget)),
        { maxSections: 2, maxLine: budget, more: 'see the report' },
      ),
      ...extra(budget),
      ...(step.log.length > 0
        ? [
            context(
              truncateMrkdwn(
                mdJoin(
                  step.log.slice(-8).map((l) => truncateMrkdwn(md`${clockTime(l.at)} ${l.what}`, budget)),
                  '\n',
                ),
                LIMITS.contextText,
              ),
            ),
          ]
        : []),
    ],
    400,
  );
  return message(md`${subject}: ${title} ${step.status}`, blocks);
}

const ORDER = ['fail', 'error', 'inconclusive', 'skipped', 'pass'];
const rank = (status: string) => ORDER.indexOf(status);

export interface TrainApprovalDetails {
  required: number;
  /** Who may approve, in mrkdwn. */
  approvers?: string;
  allowSelfApproval?: boolean;
}

interface Approvable {
  id: string;
  status: string;
  step: number;
  approvals: Approval[];
  approvalExpiresAt?: string;
}

/** The approval request before a train's first change; once decided (or gone past), without buttons. */
export function trainApproval(
  state: Approvable,
  index: number,
  subject: Mrkdwn,
  asks: Mrkdwn,
  details: TrainApprovalDetails,
  abortText: string,
): SlackMessage {
  const open = state.status === 'awaiting-approval' && state.step === index;
  const lines = [
    md`:raised_hand: *Approval needed:* ${asks}`,
    md`${state.approvals.length} of ${details.required} approvals${state.approvalExpiresAt ? md`, expires ${slackDate(state.approvalExpiresAt)}` : ''}.${details.allowSelfApproval === false ? ' The requester cannot approve.' : ''}`,
    ...(details.approvers ? [md`Approvers: ${withMentions(details.approvers)}`] : []),
    ...(state.approvals.length > 0
      ? [
          md`Approved by ${mdJoin(
            state.approvals.map((a) => mention(a.userId)),
            ', ',
          )}`,
        ]
      : []),
  ];
  const value = encodeValue({ r: state.id, s: index });
  return message(md`Approval needed: ${subject}`, [
    section(mdJoin(lines, '\n')),
    ...(open
      ? actions([
          button('Approve', ACTIONS.approve, value, 'primary'),
          button('Abort', ACTIONS.approvalAbort, value, 'danger', {
            title: 'Abort?',
            text: abortText,
            confirm: 'Abort',
          }),
        ])
      : []),
  ]);
}
