import { type CanaryRunbook, stageCount } from '../config/runbooks.ts';
import type { ServiceState } from '../runbooks/ports/cloud-run.ts';
import type { RunbookState } from '../runbooks/types.ts';
import { cutoverCard } from './cutover.ts';
import { flagCard } from './flag.ts';
import { countText } from './gate-lines.ts';
import {
  code,
  context,
  escapeText,
  fields,
  lineSections,
  type Mrkdwn,
  md,
  mdJoin,
  mention,
  message,
  type SlackMessage,
  section,
} from './message.ts';
import {
  afterPromotion,
  canaryShare,
  currentStage,
  plainTitle,
  revisionRoles,
  STATUS_EMOJI,
  splitText,
  stageBar,
  statusText,
  statusWords,
} from './rollout-words.ts';
import { type Clock, nowOf, relative, when } from './time.ts';

// /canary status (one rollout, for the person who asked) and /canary list (every active one).

export function rolloutStatus(
  state: RunbookState,
  runbook?: CanaryRunbook,
  options: Clock = {},
): SlackMessage {
  const now = nowOf(options);
  const text = md`${plainTitle(state)}: ${statusWords(state)}`;
  if (state.kind === 'rollback') {
    const rb = state.rollback;
    return message(text, [
      section(
        md`${STATUS_EMOJI[state.status]} *Rollback of ${code(state.service)} in ${code(state.env)}* ${code(state.id)}\n${escapeText(statusWords(state))}: ${escapeText(rb.reason)}`,
      ),
      context(md`Asked by ${mention(state.requestedBy)} ${when(state.startedAt, now)}`, md`Mode: ${rb.mode}`),
    ]);
  }
  if (state.kind === 'stream-cutover') return cutoverCard(state);
  if (state.kind === 'flag-canary') return flagCard(state);
  const stage = currentStage(state);
  const last = stage?.ticks.at(-1);
  const gates = last
    ? md`tick ${stage?.ticks.length ?? 0}: ${countText(last)}`
    : stage?.checks
      ? md`checks: ${countText(stage.checks)}`
      : 'none run yet in this stage';
  const total = runbook ? md` of ${stageCount(runbook)}` : '';
  return message(text, [
    section(
      md`*${escapeText(`${state.service} ${state.tag} → ${state.env}`)}*${state.dryRun ? ' (dry run)' : ''} ${code(state.id)}\n${statusText(state, now)}\n${stageBar(state)}`,
    ),
    fields([
      md`*Traffic now*\n${splitText(state.trafficNow, revisionRoles(state))}`,
      md`*Gates, stage ${escapeText(stage?.name ?? '?')}*${total ? md` (stage ${state.stage + 1}${total})` : ''}\n${gates}`,
    ]),
    context(md`Requested by ${mention(state.requestedBy)} ${when(state.startedAt, now)}`),
  ]);
}

/** Longest list /canary list shows; the rest are counted. */
const MAX_LINES = 40;

export function rolloutList(states: RunbookState[], options: Clock = {}): SlackMessage {
  const now = nowOf(options);
  if (states.length === 0) {
    return message(md`No rollout or rollback is active`, [section(md`No rollout or rollback is active.`)]);
  }
  const lines = states.map((s) => listLine(s, now));
  const names = escapeText(
    states
      .slice(0, 5)
      .map((s) => `${s.service} ${s.env}`)
      .join(', '),
  );
  return message(md`${states.length} active: ${names}${states.length > 5 ? ', …' : ''}`, [
    section(md`*${states.length} active*`),
    ...lineSections(lines, {
      maxLines: MAX_LINES,
      maxLine: 250,
      more: '`/canary status &lt;service&gt;` shows one',
    }),
  ]);
}

/** One line of a list: what, where, doing what, since when, by whom. */
export function listLine(s: RunbookState, now: number): Mrkdwn {
  const since = relative(s.startedAt, now).replace(/ ago$/, '');
  if (s.kind === 'rollback') {
    return md`${STATUS_EMOJI[s.status]} *${escapeText(`${s.service} ${s.env}`)}* rollback: ${escapeText(statusWords(s))} · ${since} · ${mention(s.requestedBy)} · ${code(s.id)}`;
  }
  if (s.kind === 'stream-cutover' || s.kind === 'flag-canary') {
    const what =
      s.kind === 'stream-cutover'
        ? 'stream cutover'
        : `flag ${s.mode === 'off' ? 'off' : 'canary'} ${s.config}`;
    return md`${STATUS_EMOJI[s.status]} *${escapeText(`${s.service} ${s.env}`)}* ${escapeText(what)}${s.dryRun ? ' (dry run)' : ''}: ${escapeText(statusWords(s))} · ${since} · ${mention(s.requestedBy)} · ${code(s.id)}`;
  }
  const share =
    s.canaryRevision && s.status !== 'promoted' && !afterPromotion(s)
      ? md` · canary ${canaryShare(s)} %`
      : '';
  return md`${STATUS_EMOJI[s.status]} *${escapeText(`${s.service} ${s.env}`)}* ${code(s.tag)}${s.dryRun ? ' (dry run)' : ''}: ${escapeText(statusWords(s))}${share} · ${since} · ${mention(s.requestedBy)} · ${code(s.id)}`;
}

/**
 * `/canary status` with no rollout active (seed 000's `status`): what Cloud Run serves now, its revisions
 * with their share and tags, and the latest created and ready revision.
 */
export function servingStatus(service: string, env: string, state: ServiceState): SlackMessage {
  const tagsOf = (revision: string) =>
    state.trafficStatuses.filter((t) => t.revision === revision && t.tag).map((t) => t.tag as string);
  const named = [
    ...new Set([...state.trafficStatuses.map((t) => t.revision), ...Object.keys(state.images)]),
  ].filter((r) => r !== '');
  const lines = named.map((revision) => {
    const percent = state.trafficStatuses
      .filter((t) => t.revision === revision)
      .reduce((n, t) => n + t.percent, 0);
    const tags = tagsOf(revision);
    const image = state.images[revision];
    return md`${code(revision)} ${percent} %${
      tags.length
        ? md` · tags ${mdJoin(
            tags.map((t) => code(t)),
            ', ',
          )}`
        : ''
    }${image ? md` · ${code(image)}` : ''}`;
  });
  const text = md`No rollout of ${code(service)} in ${code(env)} is active; Cloud Run serves:`;
  return message(text, [
    section(text),
    ...lineSections(lines.length ? lines : [md`no revision serves traffic`], {
      maxLines: 20,
      more: 'see the Cloud Run console',
    }),
    context(
      md`Latest created ${state.latestCreatedRevision ? code(state.latestCreatedRevision) : 'none'} · latest ready ${state.latestReadyRevision ? code(state.latestReadyRevision) : 'none'} · ${escapeText(state.url)}`,
    ),
  ]);
}
