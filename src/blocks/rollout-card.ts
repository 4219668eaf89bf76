import type { Button, KnownBlock } from '@slack/types';
import { type CanaryRunbook, stageAt } from '../config/runbooks.ts';
import { inPostPromotion, promotingStage } from '../runbooks/canary/post-promotion-stage.ts';
import { attentionOf } from '../runbooks/hold.ts';
import type { CanaryState } from '../runbooks/types.ts';
import { ACTIONS, encodeValue } from './actions.ts';
import { countText, gateLine, troubled } from './gate-lines.ts';
import {
  actions,
  button,
  code,
  context,
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
import {
  ATTENTION,
  afterPromotion,
  canaryShare,
  currentStage,
  isTerminal,
  plainTitle,
  revisionRoles,
  splitText,
  stageBar,
  statusText,
  statusWords,
} from './rollout-words.ts';
import { type Clock, nowOf, slackDate, when } from './time.ts';

// The rollout card: the one message in the channel a rollout owns, updated in place on every change.
// Everything else (approvals, gate results, the rollback) goes into its thread.

export interface RolloutCardOptions extends Clock {
  /** Distinct approvals the environment asks for, to show "1 of 2" while waiting. */
  requiredApprovals?: number;
  /** The route-split override its rollback set was lifted since: by whom, when. */
  routeLifted?: { by: string; at: string };
}

/** At most this many failing gate lines on the card; the thread's gate message has them all. */
const TROUBLE_LINES = 5;

export function rolloutCard(
  state: CanaryState,
  runbook: CanaryRunbook,
  options: RolloutCardOptions = {},
): SlackMessage {
  const now = nowOf(options);
  const blocks: KnownBlock[] = [
    header(`Canary ${state.service} ${state.tag} → ${state.env}${state.dryRun ? ' (dry run)' : ''}`),
    section(md`${statusText(state, now, options.requiredApprovals)}\n${stageBar(state)}`),
    fields(cardFields(state, runbook, now)),
  ];
  const trouble = troubleLines(state);
  if (trouble.length > 0) blocks.push(section(mdJoin(trouble, '\n')));
  const route = routeLine(state, options.routeLifted);
  if (route) blocks.push(section(route));
  blocks.push(
    context(
      md`Rollout ${code(state.id)} · image ${code(state.image)}`,
      state.dryRun
        ? md`:test_tube: Dry run: nothing is changed on Cloud Run; the thread says what would have been done.`
        : md`Approvals, gate results and the rollback are in the thread.`,
    ),
  );
  blocks.push(...actions(cardButtons(state)));
  return message(md`${plainTitle(state)}: ${statusWords(state)}`, blocks);
}

/** The override the rollback left on the route split: it outlives the rollout until people lift it. */
function routeLine(state: CanaryState, lifted: RolloutCardOptions['routeLifted']): Mrkdwn | undefined {
  const rb = state.rollback;
  if (!rb?.routeOverride || rb.status !== 'done' || state.dryRun) return undefined;
  if (lifted)
    return md`:white_check_mark: The route-split override to ${code(rb.routeOverride)} was lifted by ${mention(lifted.by)} ${slackDate(lifted.at)}.`;
  return md`:construction: Route split: override to ${code(rb.routeOverride)} stands until ${code(`/route clear ${state.service} ${state.env}`)} lifts it (with approvals).`;
}

function cardFields(state: CanaryState, runbook: CanaryRunbook, now: number): Mrkdwn[] {
  const warm = afterPromotion(state) ? state.postPromotion?.warm : undefined;
  const revisions =
    (state.status === 'promoted' || afterPromotion(state)) && state.canaryRevision
      ? mdJoin(
          [
            md`stable ${code(state.canaryRevision)} (promoted)`,
            ...(state.stableRevision
              ? [
                  md`previous stable ${code(state.stableRevision)}${warm ? md` (warm: tag ${code(warm.tag)})` : ''}`,
                ]
              : []),
          ],
          '\n',
        )
      : mdJoin(
          [
            md`stable ${state.stableRevision ? code(state.stableRevision) : md`_not known yet_`}`,
            md`canary ${state.canaryRevision ? code(state.canaryRevision) : md`_not deployed yet_`}`,
          ],
          '\n',
        );
  const out = [
    md`*Requested by*\n${mention(state.requestedBy)}`,
    md`*Started*\n${slackDate(state.startedAt)}`,
    md`*Traffic now*\n${splitText(state.trafficNow, revisionRoles(state))}`,
    md`*Revisions*\n${revisions}`,
    md`*Gates*\n${gateSummary(state, runbook)}`,
  ];
  if (state.promoteNow) {
    out.push(md`*Promote now*\nby ${mention(state.promoteNow.by)} ${when(state.promoteNow.at, now)}`);
  }
  return out;
}

/** The current stage's latest tick and checks in counts; the rollback's checks while it runs. */
function gateSummary(state: CanaryState, runbook: CanaryRunbook): Mrkdwn {
  const stage = currentStage(state);
  if (!stage) return md`no stage`;
  const def = stageAt(runbook, state.stage);
  const lines: Mrkdwn[] = [];
  const last = stage.ticks.at(-1);
  if (last) {
    const total = def && def.watch > 0 && def.interval > 0 ? Math.floor(def.watch / def.interval) : undefined;
    const of = total === undefined ? '' : md` of ${total}`;
    lines.push(md`stage ${stage.name}, tick ${stage.ticks.length}${of}: ${countText(last)}`);
  }
  if (stage.checks) lines.push(md`stage ${stage.name} checks: ${countText(stage.checks)}`);
  if (state.rollback?.checks) lines.push(md`rollback checks: ${countText(state.rollback.checks)}`);
  if (lines.length === 0) {
    const gates = def?.gates.length ?? 0;
    const checks = def?.checks.length ?? 0;
    lines.push(md`stage ${stage.name}: ${checks} checks, ${gates} gates; none run yet`);
  }
  return mdJoin(lines, '\n');
}

/** What failed or could not be measured in the current stage's latest results, observed vs threshold. */
function troubleLines(state: CanaryState): Mrkdwn[] {
  const stage = currentStage(state);
  if (!stage) return [];
  const latest = [...(stage.ticks.at(-1) ?? []), ...(stage.checks ?? []), ...(state.rollback?.checks ?? [])];
  const bad = troubled(latest);
  if (bad.length === 0) return [];
  const shown = bad.slice(0, TROUBLE_LINES).map((r) => gateLine(r, 500));
  const more = bad.length > TROUBLE_LINES ? [md`_and ${bad.length - TROUBLE_LINES} more in the thread_`] : [];
  return [md`*Not passing at stage ${stage.name}:*`, ...shown, ...more];
}

/**
 * The buttons the rollout accepts now (runbooks/canary decides what each does; the server checks who):
 * - Pause: awaiting approval or watching (the waits the engine can hold; deploy, checks and traffic
 *   changes finish in seconds and refuse a pause).
 * - Resume: paused, or needs-attention for any cause resume handles (not a failed gate).
 * - Abort: any active status but rolling-back (a rollback under way cannot be aborted; when it is stuck,
 *   the button stops it and hands over to people).
 * - Promote now: before the last stage, once, and not while people must decide something else first.
 * - Roll back: while the canary has traffic, or when a failed gate (or advisory gate) waits for its click.
 * - End watch: in the post-promotion watch (/canary done), which takes the place of Abort there.
 */
function cardButtons(state: CanaryState): Button[] {
  if (isTerminal(state) || state.status === 'rolling-back') return [];
  const value = encodeValue({ r: state.id });
  const cause = state.status === 'needs-attention' ? attentionOf(state)?.cause : undefined;
  const out: Button[] = [];
  if (state.status === 'awaiting-approval' || state.status === 'watching') {
    out.push(button('Pause', ACTIONS.pause, value));
  }
  if (state.status === 'paused') out.push(button('Resume', ACTIONS.resume, value, 'primary'));
  if (cause !== undefined && ATTENTION[cause].resume !== undefined) {
    out.push(button(ATTENTION[cause].resume ?? 'Resume', ACTIONS.resume, value, 'primary'));
  } else if (state.status === 'needs-attention' && cause === undefined) {
    out.push(button('Resume', ACTIONS.resume, value, 'primary'));
  }
  const promotable =
    state.promoteNow === undefined &&
    state.stage < promotingStage(state) &&
    (state.status !== 'needs-attention' || cause === 'approval-expired' || cause === 'inconclusive');
  if (promotable) {
    out.push(
      button('Promote now', ACTIONS.promote, value, undefined, {
        title: 'Promote now?',
        text: 'No more approval waits or watch windows: every remaining stage still shifts its traffic and runs its checks and gates once. Admins only.',
        confirm: 'Promote now',
      }),
    );
  }
  // After promotion: end the watch now (the new revision stays), or roll back; nothing to abort.
  const post = inPostPromotion(state);
  if (post && cause !== 'rollback' && state.status !== 'shifting') {
    out.push(
      button('End watch', ACTIONS.endWatch, value, undefined, {
        title: 'End the post-promotion watch?',
        text: `The new revision stays; ${state.stableRevision ?? 'the previous revision'} is released and no longer watched for a rollback. The rollout is done.`,
        confirm: 'End watch',
      }),
    );
  }
  const gateFailed = cause === 'gate-failed' || cause === 'advisory-failed';
  if (state.canaryRevision !== undefined && cause !== 'rollback' && (canaryShare(state) > 0 || gateFailed)) {
    out.push(
      button(gateFailed ? 'Roll back now (gate failed)' : 'Roll back', ACTIONS.rollback, value, 'danger', {
        title: 'Roll back?',
        text: `Runs the rollback procedure: route override, 100 % of traffic to ${state.stableRevision ?? 'the stable revision'}, verify, checks. It opens an incident.`,
        confirm: 'Roll back',
      }),
    );
  }
  const stop = cause === 'rollback';
  if (post && !stop) return out;
  out.push(
    button(stop ? 'Stop and take over' : 'Abort', ACTIONS.abort, value, undefined, {
      title: stop ? 'Stop the rollback?' : 'Abort the rollout?',
      text: stop
        ? 'The bot stops here and people finish the rollback by hand. The lock is released.'
        : canaryShare(state) > 0
          ? 'Traffic returns to the stable revision, then the rollout ends aborted.'
          : 'The rollout ends aborted. No traffic has moved to the canary.',
      confirm: stop ? 'Stop' : 'Abort',
    }),
  );
  return out;
}
