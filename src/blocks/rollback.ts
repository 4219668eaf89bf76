import type { RollbackState, RunbookState, Split } from '../runbooks/types.ts';
import { ACTIONS, encodeValue } from './actions.ts';
import { gateLine } from './gate-lines.ts';
import {
  actions,
  button,
  code,
  context,
  escapeText,
  fields,
  header,
  lineSections,
  mention,
  message,
  type SlackMessage,
  section,
} from './message.ts';
import { plainTitle, splitText, statusWords } from './rollout-words.ts';
import { slackDate } from './time.ts';

// The rollback procedure as it runs (in the rollout's thread, or as the card of a manual rollback), and
// the incident card every rollback opens, with its Resolve button while it is open.

const STEPS: { status: RollbackState['status']; label: string }[] = [
  { status: 'overriding-route', label: 'route override' },
  { status: 'shifting', label: 'traffic to stable' },
  { status: 'verifying', label: 'verify the split' },
  { status: 'checking', label: 'health and auth checks' },
];

function stepsLine(rb: RollbackState): string {
  const at = STEPS.findIndex((s) => s.status === rb.status);
  return STEPS.map((step, i) => {
    const skipped =
      (step.status === 'overriding-route' && !rb.routeOverride) || (rb.mode === 'route-only' && i > 0);
    const mark = skipped ? '–' : rb.status === 'done' || (at >= 0 && i < at) ? '✓' : i === at ? '●' : '·';
    return `${mark} ${step.label}`;
  }).join('   ');
}

export function rollingBackMessage(state: RunbookState): SlackMessage {
  const rb = state.rollback;
  if (!rb) return message(`${plainTitle(state)}: ${statusWords(state)}`, [section(statusWords(state))]);
  const trigger =
    rb.trigger === 'gate'
      ? `a gate failed${rb.failedStage ? ` at stage ${escapeText(rb.failedStage)}` : ''}`
      : `asked by ${rb.by ? mention(rb.by) : 'a person'}`;
  const done = rb.status === 'done';
  return message(`${plainTitle(state)}: ${statusWords(state)}`, [
    ...(state.kind === 'rollback'
      ? [header(`Rollback ${state.service} → ${state.env}${state.dryRun ? ' [dry run]' : ''}`)]
      : []),
    section(
      `${done ? ':leftwards_arrow_with_hook: *Rolled back*' : ':rotating_light: *Rolling back*'} to ${code(rb.toRevision)} (${trigger}): ${escapeText(rb.reason)}`,
    ),
    section(stepsLine(rb)),
    fields([
      `*Before*\n${splitText(rb.trafficBefore)}`,
      `*After*\n${rb.trafficAfter ? splitText(rb.trafficAfter) : 'not yet verified'}`,
      `*Route*\n${rb.routeOverride ? `override to ${code(rb.routeOverride)}` : 'no route-split override'}`,
      `*Mode*\n${rb.mode}`,
    ]),
    ...lineSections(
      (rb.checks ?? []).map((r) => gateLine(r, 600)),
      { maxSections: 3, more: 'see the report' },
    ),
    ...(rb.attention ? [context(`:warning: ${escapeText(rb.attention)}`)] : []),
  ]);
}

export interface IncidentCardInput {
  incidentId: string;
  service: string;
  env: string;
  failedStage?: string;
  symptom: string;
  revisions: { from?: string; to: string };
  trafficBefore?: Split;
  trafficAfter?: Split;
  routeOverride?: string;
  status: 'open' | 'resolved';
  resolvedBy?: string;
  at: string;
}

export function incidentCard(input: IncidentCardInput): SlackMessage {
  const open = input.status === 'open';
  const revisions = `${input.revisions.from ? `${code(input.revisions.from)} → ` : ''}${code(input.revisions.to)}`;
  return message(`Incident ${input.service} ${input.env}: ${input.symptom}`, [
    header(`${open ? 'Incident' : 'Resolved incident'}: ${input.service} ${input.env}`),
    section(`${open ? ':rotating_light:' : ':white_check_mark:'} ${escapeText(input.symptom)}`),
    fields([
      `*Failed stage*\n${input.failedStage ? escapeText(input.failedStage) : '–'}`,
      `*Revisions*\n${revisions}`,
      `*Traffic before*\n${splitText(input.trafficBefore)}`,
      `*Traffic after*\n${splitText(input.trafficAfter)}`,
      ...(input.routeOverride ? [`*Route*\noverride to ${code(input.routeOverride)}`] : []),
    ]),
    context(
      `Opened ${slackDate(input.at)}`,
      open
        ? 'Reply in this thread: every reply is an incident note.'
        : `Resolved by ${input.resolvedBy ? mention(input.resolvedBy) : 'someone'}`,
      `\`${input.incidentId}\``,
    ),
    ...(open
      ? actions([
          button('Resolve', ACTIONS.resolve, encodeValue({ i: input.incidentId }), 'primary', {
            title: 'Resolve the incident?',
            text: 'The incident report is written into this thread.',
            confirm: 'Resolve',
          }),
        ])
      : []),
  ]);
}
