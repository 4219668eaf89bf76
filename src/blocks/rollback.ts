import type { Button } from '@slack/types';
import { sameSplit } from '../runbooks/traffic.ts';
import type { CanaryState, RollbackState, Split, StandaloneRollbackState } from '../runbooks/types.ts';
import { ACTIONS, encodeValue } from './actions.ts';
import { countText, gateLine } from './gate-lines.ts';
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
  type MdValue,
  type Mrkdwn,
  md,
  mdJoin,
  mention,
  message,
  type SlackMessage,
  section,
  truncateMrkdwn,
} from './message.ts';
import { plainTitle, splitText, statusWords } from './rollout-words.ts';
import { between, slackDate } from './time.ts';

// The rollback procedure as it runs (in the rollout's thread, or as the card of a manual rollback), and
// the incident card every rollback opens, with its Resolve button while it is open.

type StepState = 'done' | 'running' | 'stuck' | 'failed' | 'skipped' | 'pending';
const MARK: Record<StepState, string> = {
  done: ':white_check_mark:',
  running: ':arrows_counterclockwise:',
  stuck: ':warning:',
  failed: ':x:',
  skipped: ':heavy_minus_sign:',
  pending: ':white_circle:',
};

/**
 * The four steps of seed 000's procedure with what is known of each (runbooks/rollback.ts, nextStep):
 * the first step not confirmed is the one running, or stuck when people have to look.
 */
function steps(rb: RollbackState, hostStuck: boolean): Mrkdwn[] {
  const stuck = hostStuck || rb.status === 'needs-attention';
  const current: StepState = stuck ? 'stuck' : 'running';
  const to = code(rb.toRevision);
  const verified = rb.trafficAfter !== undefined && sameSplit(rb.trafficAfter, { [rb.toRevision]: 100 });

  let route: [StepState, MdValue];
  if (rb.mode === 'traffic-only') route = ['skipped', 'traffic-only rollback'];
  else if (rb.status === 'overriding-route') route = [current, 'overriding the route split'];
  else if (rb.routeOverride === undefined) route = ['skipped', 'no route-split override for this service'];
  else if (rb.status === 'needs-attention' && rb.trafficAfter === undefined && rb.mode !== 'route-only') {
    route = ['stuck', md`the route split reports an override to ${code(rb.routeOverride)}`];
  } else route = ['done', md`override to ${code(rb.routeOverride)}`];

  let traffic: [StepState, MdValue];
  let verify: [StepState, MdValue];
  if (rb.mode === 'route-only') {
    traffic = ['skipped', 'route-only rollback'];
    verify = ['skipped', 'route-only rollback'];
  } else if (rb.trafficAfter !== undefined) {
    traffic = ['done', md`Cloud Run reports ${splitText(rb.trafficAfter, {}, ', ')}`];
    verify = verified ? ['done', md`${to} serves 100 %`] : ['failed', md`expected ${to} 100 %`];
  } else {
    traffic = [rb.status === 'shifting' ? current : 'pending', md`100 % to ${to}`];
    verify = ['pending', md`expect ${to} 100 %`];
  }

  const bad = rb.checks?.filter((r) => r.status === 'fail' || r.status === 'error') ?? [];
  let checks: [StepState, MdValue];
  if (rb.checks !== undefined) checks = [bad.length > 0 ? 'failed' : 'done', countText(rb.checks)];
  else if (rb.status === 'checking') checks = [current, 'running on the stable revision'];
  else if (rb.status === 'done') checks = ['skipped', 'none configured'];
  else checks = ['pending', 'once the traffic is verified'];

  const rows: [string, [StepState, MdValue]][] = [
    ['1. Route override', route],
    ['2. Traffic back', traffic],
    ['3. Verify the split', verify],
    ['4. Health and auth checks', checks],
  ];
  return rows.map(([label, [state, detail]]) => md`${MARK[state]} *${label}*: ${detail}`);
}

export interface RollbackMessageOptions {
  /** The route-split override this rollback set was lifted since (/route clear): by whom, when. */
  routeLifted?: { by: string; at: string };
}

export function rollingBackMessage(
  state: CanaryState | StandaloneRollbackState,
  options: RollbackMessageOptions = {},
): SlackMessage {
  const rb = state.rollback;
  if (!rb)
    return message(md`${plainTitle(state)}: ${statusWords(state)}`, [
      section(escapeText(statusWords(state))),
    ]);
  const trigger =
    rb.trigger === 'gate'
      ? md`a gate failed${rb.failedStage ? md` at stage ${escapeText(rb.failedStage)}` : ''}`
      : md`asked by ${rb.by ? mention(rb.by) : 'a person'}`;
  const done = rb.status === 'done';
  const head = done
    ? ':leftwards_arrow_with_hook: *Rolled back*'
    : rb.status === 'needs-attention'
      ? ':warning: *Rollback needs attention*'
      : ':rewind: *Rolling back*';
  const took = done ? between(rb.startedAt, rb.endedAt) : undefined;
  const checks = rb.checks ?? [];
  // Long reasons and many checks share what the message may hold.
  const blocks = fitting(
    (budget) => [
      ...(state.kind === 'rollback'
        ? [header(`Rollback ${state.service} → ${state.env}${state.dryRun ? ' (dry run)' : ''}`)]
        : []),
      section(
        truncateMrkdwn(
          md`${head} to ${code(rb.toRevision)} (${trigger}): ${escapeText(rb.reason)}`,
          budget / 2,
        ),
      ),
      section(mdJoin(steps(rb, state.status === 'needs-attention'), '\n')),
      fields([
        md`*Traffic before*\n${rb.trafficBefore ? splitText(rb.trafficBefore) : 'not recorded'}`,
        md`*Traffic after*\n${rb.trafficAfter ? splitText(rb.trafficAfter) : 'not yet verified'}`,
        md`*From → to*\n${rb.fromRevision ? md`${code(rb.fromRevision)} → ` : ''}${code(rb.toRevision)}`,
        md`*Started*\n${slackDate(rb.startedAt)}${took ? md`, took ${took}` : ''}`,
      ]),
      ...lineSections(
        checks.map((r) => gateLine(r, Math.max(80, Math.min(400, Math.floor(budget / checks.length))))),
        { maxSections: 3, more: 'see the report' },
      ),
      ...(rb.attention
        ? [context(truncateMrkdwn(md`:warning: ${escapeText(rb.attention)}`, budget / 3))]
        : []),
      // The override outlives the rollback: the next canary's route gates would fail on it.
      ...(done && rb.routeOverride !== undefined && !state.dryRun && options.routeLifted
        ? [
            context(
              md`:white_check_mark: The route-split override to ${code(rb.routeOverride)} was lifted by ${mention(options.routeLifted.by)} ${slackDate(options.routeLifted.at)}.`,
            ),
          ]
        : []),
      ...(done && rb.routeOverride !== undefined && !state.dryRun && !options.routeLifted
        ? [
            context(
              md`:construction: The route-split override to ${code(rb.routeOverride)} stays until lifted with ${code(`/route clear ${state.service} ${state.env} --reason "..."`)} (with approvals); until then a canary whose route gates expect another target is refused.`,
            ),
          ]
        : []),
      ...(state.dryRun
        ? [context(md`:test_tube: Dry run: nothing was changed; these are the steps it would take.`)]
        : []),
      ...actions(state.kind === 'rollback' ? standaloneButtons(state.id, state.status) : []),
    ],
    6000,
  );
  return message(md`${plainTitle(state)}: ${statusWords(state)}`, blocks);
}

/** A manual rollback has no rollout card: its own message carries Retry and Stop when it is stuck. */
function standaloneButtons(id: string, status: string): Button[] {
  if (status !== 'needs-attention') return [];
  const value = encodeValue({ r: id });
  return [
    button('Retry the step', ACTIONS.resume, value, 'primary'),
    button('Stop and take over', ACTIONS.abort, value, 'danger', {
      title: 'Stop the rollback?',
      text: 'The bot stops here and people finish the rollback by hand. The lock is released.',
      confirm: 'Stop',
    }),
  ];
}

export interface IncidentCardInput {
  incidentId: string;
  service: string;
  env: string;
  failedStage?: string;
  /** Who rolled back by hand (no stage failed), or who opened it: what the card says instead of a stage. */
  rolledBackBy?: string;
  openedBy?: string;
  symptom: string;
  revisions: { from?: string; to: string };
  trafficBefore?: Split;
  trafficAfter?: Split;
  routeOverride?: string;
  /** The override was lifted since: the card says so and offers no Restore route. */
  routeLifted?: { by: string; at: string };
  status: 'open' | 'resolved';
  resolvedBy?: string;
  /** When it was opened. */
  at: string;
  resolvedAt?: string;
}

/** The stage that failed, or in words why there is none. */
function failedStageText(input: IncidentCardInput): Mrkdwn {
  if (input.failedStage) return escapeText(input.failedStage);
  if (input.rolledBackBy) return md`none: ${mention(input.rolledBackBy)} rolled back by hand`;
  if (input.openedBy && input.openedBy !== 'shiftgate') return md`none: opened by ${mention(input.openedBy)}`;
  return md`none: no rollout stage had failed`;
}

function routeText(input: IncidentCardInput): Mrkdwn {
  if (!input.routeOverride) return md`no route-split override`;
  const lifted = input.routeLifted;
  return lifted
    ? md`override to ${code(input.routeOverride)}, lifted by ${mention(lifted.by)} ${slackDate(lifted.at)}`
    : md`override to ${code(input.routeOverride)} (stands)`;
}

export function incidentCard(input: IncidentCardInput): SlackMessage {
  const open = input.status === 'open';
  const revisions = md`${input.revisions.from ? md`${code(input.revisions.from)} → ` : ''}${code(input.revisions.to)}`;
  const resolved = md`Resolved by ${input.resolvedBy ? mention(input.resolvedBy) : 'someone'}${
    input.resolvedAt ? md` ${slackDate(input.resolvedAt)}` : ''
  }`;
  return message(
    md`${open ? 'Incident' : 'Resolved incident'} ${escapeText(`${input.service} ${input.env}`)}: ${escapeText(input.symptom)}`,
    [
      header(`${open ? 'Incident' : 'Resolved incident'}: ${input.service} ${input.env}`),
      section(md`${open ? ':rotating_light:' : ':white_check_mark:'} ${escapeText(input.symptom)}`),
      fields([
        md`*Failed stage*\n${failedStageText(input)}`,
        md`*Revisions*\n${revisions}`,
        md`*Traffic before*\n${input.trafficBefore ? splitText(input.trafficBefore) : 'not recorded'}`,
        md`*Traffic after*\n${input.trafficAfter ? splitText(input.trafficAfter) : 'not recorded'}`,
        md`*Route*\n${routeText(input)}`,
        md`*Status*\n${open ? 'open' : resolved}`,
      ]),
      context(
        md`Opened ${slackDate(input.at)}`,
        open ? md`Reply in this thread: every reply is an incident note.` : resolved,
        md`Incident ${code(input.incidentId)}`,
      ),
      ...(open
        ? actions([
            button('Resolve', ACTIONS.resolve, encodeValue({ i: input.incidentId }), 'primary', {
              title: 'Resolve the incident?',
              text: 'The incident report is written into this thread.',
              confirm: 'Resolve',
            }),
          ])
        : input.routeOverride && !input.routeLifted
          ? // The rollback's override stays until people lift it: offered here, with the same approvals.
            actions([
              button('Restore route', ACTIONS.restoreRoute, encodeValue({ i: input.incidentId }), undefined, {
                title: 'Restore the route split?',
                text: `Asks to clear the ${input.routeOverride} override of ${input.service} in ${input.env}, with the approvals a /route clear needs.`,
                confirm: 'Ask',
              }),
            ])
          : []),
    ],
  );
}
