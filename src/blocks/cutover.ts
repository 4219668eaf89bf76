import type {
  CutoverStep,
  CutoverStepName,
  HardGate,
  StreamCutoverState,
} from '../runbooks/cutover/types.ts';
import { isTerminalStatus } from '../runbooks/status.ts';
import { ACTIONS, encodeValue } from './actions.ts';
import {
  actions,
  button,
  code,
  escapeText,
  fields,
  header,
  lineSections,
  type Mrkdwn,
  md,
  mdJoin,
  mention,
  message,
  type SlackMessage,
  section,
} from './message.ts';
import { slackDate } from './time.ts';
import { type TrainApprovalDetails, trainApproval, trainStepLine, trainStepMessage } from './train.ts';

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

const stepLine = (step: CutoverStep, index: number) =>
  trainStepLine(step, index, STEP_TITLES[step.name], step.name !== 'hard-gates');

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

/** One step in the thread: its gate results (the hard gates, once judged) and its log. */
export function cutoverStepMessage(state: StreamCutoverState, index: number): SlackMessage {
  const step = state.steps[index];
  return trainStepMessage(title(state), step, index, step ? STEP_TITLES[step.name] : '', () =>
    step?.name === 'hard-gates' && state.hardGates
      ? lineSections(state.hardGates.map(hardGateLine), { maxSections: 2 })
      : [],
  );
}

/** The approval request before the first change; once decided (or gone past), without buttons. */
export function cutoverApproval(
  state: StreamCutoverState,
  index: number,
  details: TrainApprovalDetails,
): SlackMessage {
  const changes = [
    state.applyRouteFlip ? 'flip the route split' : undefined,
    'run the canary rollback drill (100 % to stable, then back)',
  ].filter((c): c is string => c !== undefined);
  return trainApproval(
    state,
    index,
    title(state),
    md`the stream cutover of ${code(state.service)} in ${code(state.env)} will ${changes.join(', then ')}.`,
    details,
    'Nothing has changed yet: the train ends aborted.',
  );
}
