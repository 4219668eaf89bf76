import type {
  CutoverStep,
  CutoverStepName,
  CutoverStepStatus,
  HardGate,
  StreamCutoverState,
} from '../runbooks/cutover/types.ts';
import { isTerminalStatus } from '../runbooks/status.ts';
import { ACTIONS, encodeValue } from './actions.ts';
import { gateLine } from './gate-lines.ts';
import {
  actions,
  button,
  code,
  context,
  escapeText,
  fields,
  fitting,
  header,
  lineSections,
  type Mrkdwn,
  md,
  mdJoin,
  mention,
  message,
  type SlackMessage,
  section,
  withMentions,
} from './message.ts';
import { clockTime, slackDate } from './time.ts';

// The stream cutover train (seed 004) in Slack: its card (every step with its status and the hard gates
// once judged), one message per step in the thread (its gate lines, observed value beside threshold, and
// its log), and its approval request. Everything a person or a service wrote goes through `md`.

export const STEP_TITLES: Record<CutoverStepName, string> = {
  'pre-smoke': 'Pre-cutover stream smokes',
  approval: 'Approval before the first change',
  'route-flip': 'Route flip',
  'post-smoke': 'Post-cutover stream smokes',
  'canary-drill': 'Canary rollback drill',
  'dual-run': 'Dual-run against legacy',
  'error-budget': 'Error budget',
  'hard-gates': 'Hard gates',
  'flip-back': 'Flip the route back',
};

const STEP_EMOJI: Record<CutoverStepStatus, string> = {
  pending: ':white_circle:',
  running: ':hourglass_flowing_sand:',
  passed: ':white_check_mark:',
  failed: ':x:',
  skipped: ':heavy_minus_sign:',
};

const GATE_WORDS: Record<HardGate['name'], string> = {
  'route-flip-failures': 'route-flip failures',
  'stream-smoke-failures': 'stream-smoke failures',
  'canary-drill-failures': 'canary-drill failures',
  'dual-run-failures': 'dual-run failures',
  'error-budget-consumed': 'error budget consumed',
};

/** Plain words, no markup: for fallback texts and one-line lists. */
export function cutoverWords(state: StreamCutoverState): string {
  const step = state.steps[state.step];
  const at = step ? STEP_TITLES[step.name].toLowerCase() : `step ${state.step}`;
  switch (state.status) {
    case 'promoted':
      return 'cutover passed every hard gate';
    case 'failed':
      return `cutover failed${state.route?.flippedBack ? ': the route was flipped back' : ''}`;
    case 'aborted':
      return `cutover aborted${state.route?.flippedBack ? ': the route was flipped back' : ''}`;
    case 'awaiting-approval':
      return 'awaiting approval before the first change';
    case 'needs-attention':
      return `needs attention at ${at}`;
    case 'rolling-back':
      return 'flipping the route back';
    default:
      return `running: ${at}`;
  }
}

function title(state: StreamCutoverState): Mrkdwn {
  return escapeText(`${state.service} ${state.env} stream cutover${state.dryRun ? ' (dry run)' : ''}`);
}

export function hardGateLine(g: HardGate): Mrkdwn {
  const emoji = g.status === 'pass' ? ':white_check_mark:' : g.status === 'fail' ? ':x:' : ':warning:';
  const unit = g.unit === '%' ? ' %' : '';
  const observed = g.observed === undefined ? 'not measured' : `${g.observed}${unit}`;
  return md`${emoji} *${GATE_WORDS[g.name]}* ${observed} (most ${g.max}${unit}): ${g.status.toUpperCase()} _${g.evidence}_`;
}

function stepLine(step: CutoverStep, index: number): Mrkdwn {
  const failures = step.failures > 0 && step.name !== 'hard-gates' ? md` · ${step.failures} failed` : '';
  const count = step.results.length > 0 ? md` · ${step.results.length} checks` : '';
  return md`${STEP_EMOJI[step.status]} ${index + 1}. ${STEP_TITLES[step.name]}: ${step.status}${count}${failures}`;
}

export function cutoverCard(state: StreamCutoverState): SlackMessage {
  const value = encodeValue({ r: state.id });
  const running = !isTerminalStatus(state.status);
  const buttons = [
    ...(state.status === 'needs-attention' ? [button('Resume', ACTIONS.resume, value, 'primary')] : []),
    ...(running
      ? [
          button('Abort', ACTIONS.abort, value, 'danger', {
            title: 'Abort the cutover train?',
            text: 'The train stops after the step in flight; a route it flipped is flipped back.',
            confirm: 'Abort',
          }),
        ]
      : []),
  ];
  return message(md`${title(state)}: ${cutoverWords(state)}`, [
    header(`Stream cutover: ${state.service} ${state.env}${state.dryRun ? ' (dry run)' : ''}`),
    section(md`*${escapeText(cutoverWords(state))}*`),
    fields([
      md`*Revisions*\n${code(state.stableRevision)} (stable) → ${code(state.canaryRevision)} (canary)`,
      md`*Mode*\n${state.dryRun ? 'dry-run: nothing changes' : 'live'}; route flip ${state.applyRouteFlip ? 'applied' : 'verified only'}`,
      md`*Dual-run*\n${state.legacyUrl ? code(state.legacyUrl) : 'not asked'}`,
      md`*Started*\n${mention(state.requestedBy)}, ${slackDate(state.startedAt)}`,
    ]),
    section(mdJoin(state.steps.map(stepLine), '\n')),
    ...(state.hardGates ? lineSections(state.hardGates.map(hardGateLine), { maxSections: 1 }) : []),
    ...(state.hold ? [section(md`:warning: ${state.hold.reason}`)] : []),
    ...actions(buttons),
  ]);
}

/** One step in the thread: its gate results and its log, kept within Slack's limits. */
export function cutoverStepMessage(state: StreamCutoverState, index: number): SlackMessage {
  const step = state.steps[index];
  if (!step) return message(md`${title(state)}: no step ${index + 1}`, [section(md`No step ${index + 1}.`)]);
  const head = md`${STEP_EMOJI[step.status]} *${index + 1}. ${STEP_TITLES[step.name]}*: ${step.status}`;
  const blocks = fitting(
    (budget) => [
      section(head),
      ...lineSections(
        step.results.map((r) => gateLine(r, budget)),
        { maxSections: 4, more: 'see the report' },
      ),
      ...(step.name === 'hard-gates' && state.hardGates
        ? lineSections(state.hardGates.map(hardGateLine), { maxSections: 2 })
        : []),
      ...(step.log.length > 0
        ? [
            context(
              mdJoin(
                step.log.slice(-8).map((l) => md`${clockTime(l.at)} ${l.what}`),
                '\n',
              ),
            ),
          ]
        : []),
    ],
    400,
  );
  return message(md`${title(state)}: ${STEP_TITLES[step.name]} ${step.status}`, blocks);
}

export interface CutoverApprovalDetails {
  required: number;
  /** Who may approve, in mrkdwn. */
  approvers?: string;
  allowSelfApproval?: boolean;
}

/** The approval request before the first change; once decided (or gone past), without buttons. */
export function cutoverApproval(
  state: StreamCutoverState,
  index: number,
  details: CutoverApprovalDetails,
): SlackMessage {
  const got = state.approvals.length;
  const open = state.status === 'awaiting-approval' && state.step === index;
  const changes = [
    state.applyRouteFlip ? 'flip the route split' : undefined,
    'run the canary rollback drill (100 % to stable, then back)',
  ].filter((c): c is string => c !== undefined);
  const lines = [
    md`:raised_hand: *Approval needed:* the stream cutover of ${code(state.service)} in ${code(state.env)} will ${changes.join(', then ')}.`,
    md`${got} of ${details.required} approvals${state.approvalExpiresAt ? md`, expires ${slackDate(state.approvalExpiresAt)}` : ''}.${details.allowSelfApproval === false ? ' The requester cannot approve.' : ''}`,
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
  return message(md`Approval needed: ${title(state)}`, [
    section(mdJoin(lines, '\n')),
    ...(open
      ? actions([
          button('Approve', ACTIONS.approve, value, 'primary'),
          button('Abort', ACTIONS.approvalAbort, value, 'danger', {
            title: 'Abort the cutover train?',
            text: 'Nothing has changed yet: the train ends aborted.',
            confirm: 'Abort',
          }),
        ])
      : []),
  ]);
}
