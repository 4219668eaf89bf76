import { isTerminalStatus } from '../runbooks/status.ts';
import type { FlagCanaryState, FlagStepName } from '../runbooks/types.ts';
import { ACTIONS, encodeValue } from './actions.ts';
import {
  actions,
  button,
  code,
  escapeText,
  fields,
  header,
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

// The feature-flag canary (seed 003) in Slack: its card (the flags, every step, the verdict in the seed's
// words), a message per step in the thread, and the approval request before the flags go on.

export const FLAG_STEP_TITLES: Record<FlagStepName, string> = {
  prerequisites: 'Prerequisites (sign-off, shadow run, health)',
  'flags-before': 'Current flag values',
  baseline: 'Baseline from Prometheus',
  approval: 'Approval before the flags go on',
  'flags-on': 'Flags on',
  smoke: 'Smoke test',
  watch: 'Watch window',
  'flags-off': 'Flags off',
};

/** Plain words, no markup: for fallback texts and one-line lists. */
export function flagWords(state: FlagCanaryState): string {
  const step = state.steps[state.step];
  const at = step ? FLAG_STEP_TITLES[step.name].toLowerCase() : `step ${state.step}`;
  switch (state.status) {
    case 'promoted':
      return 'CANARY PASSED: the flags stay on';
    case 'rolled-back':
      return state.mode === 'off'
        ? 'flags off'
        : `CANARY FAILED, flags back off: ${state.rollback?.reason ?? 'rolled back'}`;
    case 'failed':
      return `CANARY FAILED: ${state.rollback?.reason ?? 'see the thread'}`;
    case 'aborted':
      return 'aborted';
    case 'awaiting-approval':
      return 'awaiting approval before the flags go on';
    case 'needs-attention':
      return `needs attention at ${at}`;
    case 'rolling-back':
      return `setting the flags back: ${state.rollback?.reason ?? ''}`;
    case 'watching':
      return `watching the triggers until ${state.windowEndsAt ?? '?'}`;
    default:
      return `running: ${at}`;
  }
}

function subject(state: FlagCanaryState): Mrkdwn {
  return escapeText(
    `${state.service} ${state.env} flag ${state.mode === 'off' ? 'off' : 'canary'} ${state.config}${state.dryRun ? ' (dry run)' : ''}`,
  );
}

function valuesLine(values: Record<string, boolean | undefined> | undefined, flags: string[]): Mrkdwn {
  if (!values) return md`_not read yet_`;
  return mdJoin(
    flags.map((f) => md`${code(f)} ${values[f] === undefined ? 'unset' : values[f] ? 'on' : 'off'}`),
    ', ',
  );
}

export function flagCard(state: FlagCanaryState): SlackMessage {
  const value = encodeValue({ r: state.id });
  const running = !isTerminalStatus(state.status);
  const buttons = [
    ...(state.status === 'needs-attention' ? [button('Resume', ACTIONS.resume, value, 'primary')] : []),
    ...(running && state.status === 'watching'
      ? [
          button('Roll back', ACTIONS.rollback, value, 'danger', {
            title: 'Set the flags back?',
            text: 'The flags go back to the values they had before the canary, read back.',
            confirm: 'Roll back',
          }),
        ]
      : []),
    ...(running
      ? [
          button('Abort', ACTIONS.abort, value, undefined, {
            title: 'Abort the flag canary?',
            text: 'It stops after the step in flight; flags it turned on are set back.',
            confirm: 'Abort',
          }),
        ]
      : []),
  ];
  return message(md`${subject(state)}: ${flagWords(state)}`, [
    header(
      `Flag ${state.mode === 'off' ? 'off' : 'canary'}: ${state.config} in ${state.env}${state.dryRun ? ' (dry run)' : ''}`,
    ),
    section(md`*${escapeText(flagWords(state))}*`),
    fields([
      md`*Flags before*\n${valuesLine(state.flagsBefore?.values, state.flags)}`,
      md`*Flags now*\n${valuesLine((state.flagsOff ?? state.flagsAfter ?? state.flagsBefore)?.values, state.flags)}`,
      md`*Where*\n${state.flagsBefore ? escapeText(state.flagsBefore.where) : '_not read yet_'}`,
      md`*Started*\n${mention(state.requestedBy)}, ${slackDate(state.startedAt)}`,
    ]),
    section(
      mdJoin(
        state.steps.map((st, i) => trainStepLine(st, i, FLAG_STEP_TITLES[st.name])),
        '\n',
      ),
    ),
    ...(state.warnings.length > 0
      ? [
          section(
            md`:warning: ${state.warnings.at(-1) ?? ''}${state.warnings.length > 1 ? md` (and ${state.warnings.length - 1} more)` : ''}`,
          ),
        ]
      : []),
    ...(state.hold ? [section(md`:warning: ${state.hold.reason}`)] : []),
    ...actions(buttons),
  ]);
}

export function flagStepMessage(state: FlagCanaryState, index: number): SlackMessage {
  const step = state.steps[index];
  const ticks =
    step?.name === 'watch' && state.ticks.length > 0 ? md` (read ${state.ticks.length} times)` : '';
  return trainStepMessage(
    md`${subject(state)}${ticks}`,
    step,
    index,
    step ? FLAG_STEP_TITLES[step.name] : '',
  );
}

export function flagApproval(
  state: FlagCanaryState,
  index: number,
  details: TrainApprovalDetails,
): SlackMessage {
  return trainApproval(
    state,
    index,
    subject(state),
    md`the flag canary ${code(state.config)} will turn on ${mdJoin(
      state.flags.map((f) => code(f)),
      ', ',
    )} in ${code(state.env)}, then watch for ${Math.round(state.watchMs / 1000)} s.`,
    details,
    'Nothing has changed yet: the flag canary ends aborted.',
  );
}
