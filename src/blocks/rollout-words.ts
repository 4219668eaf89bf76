import { inPostPromotion } from '../runbooks/canary/post-promotion-stage.ts';
import { attentionOf } from '../runbooks/hold.ts';
import { isTerminalStatus } from '../runbooks/status.ts';
import { splitEntries } from '../runbooks/traffic.ts';
import type {
  AttentionCause,
  CanaryState,
  RolloutStatus,
  RunbookState,
  Split,
  StageProgress,
  StandaloneRollbackState,
} from '../runbooks/types.ts';
import { cutoverWords } from './cutover.ts';
import { waitLine } from './decision-wait.ts';
import { flagWords } from './flag.ts';
import { code, escapeText, type Mrkdwn, md, mdJoin, mention } from './message.ts';
import { between, relative, slackDate, when } from './time.ts';

// A rollout's state in words, shared by the card, /canary status and list, and App Home: the stage
// bar, what it is doing now, how it ended, the traffic split.

export const STATUS_EMOJI: Record<RolloutStatus, string> = {
  deploying: ':package:',
  checking: ':mag:',
  'awaiting-approval': ':raised_hand:',
  shifting: ':arrows_counterclockwise:',
  watching: ':eyes:',
  paused: ':double_vertical_bar:',
  'needs-attention': ':warning:',
  'rolling-back': ':rewind:',
  promoted: ':white_check_mark:',
  'rolled-back': ':leftwards_arrow_with_hook:',
  aborted: ':no_entry_sign:',
  failed: ':x:',
};

export const isTerminal = (state: RunbookState): boolean => isTerminalStatus(state.status);

/** What `resume` does for each cause (runbooks/canary/attention.ts), for the card and the button's label. */
export const ATTENTION: Record<AttentionCause, { hint: string; resume?: string }> = {
  'effect-failed': { hint: 'Resume retries the step that failed.', resume: 'Retry' },
  'traffic-mismatch': { hint: 'Resume asks Cloud Run for the split again.', resume: 'Set traffic again' },
  'approval-expired': { hint: 'Resume asks for approval again.', resume: 'Ask for approval again' },
  'checks-error': { hint: 'Resume runs the checks again.', resume: 'Run checks again' },
  gates: { hint: 'Resume watches the gates over a fresh window.', resume: 'Restart watch window' },
  inconclusive: {
    hint: 'Resume accepts this stage and goes on to the next.',
    resume: 'Accept stage and go on',
  },
  'gate-failed': { hint: 'The rollback policy asks for one click: roll back, or abort.' },
  'advisory-failed': {
    hint: 'An advisory gate failed: an approver continues (the gate is waived for this stage), or roll back.',
    resume: 'Continue past advisory gate',
  },
  rollback: {
    hint: 'Resume retries the rollback step; Stop hands the rollback over to people.',
    resume: 'Retry rollback step',
  },
  'rollback-checks': { hint: 'The rollback is done, but the checks on the stable revision did not pass.' },
};

export function stageLabel(stage: Pick<StageProgress, 'name' | 'traffic'>): string {
  return `stage ${stage.name} (${stage.traffic} %)`;
}

export function currentStage(state: CanaryState): StageProgress | undefined {
  return state.stages[state.stage];
}

/**
 * `A 0 % ✓ → *B 5 % ●* → C 25 % → D 50 % → E 100 %`: ✓ done, ● current, ✗ failed, ■ where it stopped.
 */
export function stageBar(state: CanaryState): Mrkdwn {
  const failed = state.rollback?.failedStage;
  return mdJoin(
    state.stages.map((stage, i) => {
      const mark = stageMark(state, stage, i, failed);
      const text = `${stage.name} ${stage.traffic} %${mark ? ` ${mark}` : ''}`;
      return i === state.stage && !isTerminal(state) ? md`*${text}*` : text;
    }),
    ' → ',
  );
}

function stageMark(state: CanaryState, stage: StageProgress, i: number, failed: string | undefined): string {
  if (stage.verdict === 'fail' || (failed === stage.name && state.rollback?.trigger === 'gate')) return '✗';
  if (i < state.stage || stage.verdict === 'pass') return '✓';
  if (i !== state.stage) return '';
  if (state.status === 'promoted') return '✓';
  return isTerminal(state) ? '■' : '●';
}

/** Plain words, no mrkdwn or user text: for fallback texts and one-line lists. */
export function statusWords(state: RunbookState): string {
  if (state.kind === 'rollback') return rollbackWords(state);
  if (state.kind === 'stream-cutover') return cutoverWords(state);
  if (state.kind === 'flag-canary') return flagWords(state);
  const stage = currentStage(state);
  const at = stage ? stageLabel(stage) : `stage ${state.stage}`;
  const watch = postWatchWords(state);
  if (watch !== undefined) return watch;
  switch (state.status) {
    case 'deploying':
      return `deploying ${state.tag} with no traffic`;
    case 'checking':
      return `running the checks of ${at}`;
    case 'awaiting-approval':
      return `awaiting approval for ${at}`;
    case 'shifting':
      return `shifting traffic for ${at}`;
    case 'watching':
      return `watching the gates of ${at}`;
    case 'paused':
      return `paused at ${at}`;
    case 'needs-attention':
      return `needs attention at ${at}`;
    case 'rolling-back':
      return `rolling back to ${state.rollback?.toRevision ?? 'stable'}`;
    case 'promoted':
      return `promoted: ${state.canaryRevision ?? state.tag} is the stable revision, serving 100 %`;
    case 'rolled-back':
      return `rolled back to ${state.rollback?.toRevision ?? 'stable'}`;
    case 'aborted':
      return `aborted at ${at}`;
    case 'failed':
      return `failed at ${at}`;
  }
}

/** The post-promotion stage in plain words, while it watches or tags; undefined otherwise. */
function postWatchWords(state: CanaryState): string | undefined {
  if (!afterPromotion(state)) return undefined;
  const promoted = state.canaryRevision ?? state.tag;
  const previous = state.stableRevision ?? 'the previous revision';
  switch (state.status) {
    case 'watching':
      return `post-promotion watch: ${promoted} serves 100 %, rolls back to ${previous} if a gate fails`;
    case 'paused':
      return `post-promotion watch paused: ${promoted} serves 100 %`;
    case 'shifting':
      return releasing(state)
        ? `post-promotion watch over: releasing ${previous}`
        : `promoted: keeping ${previous} warm before the post-promotion watch`;
    default:
      return undefined;
  }
}

/** In the post-promotion stage and not rolling back or ended: the new revision is the one serving. */
export function afterPromotion(state: CanaryState): boolean {
  return (
    inPostPromotion(state) &&
    !isTerminal(state) &&
    state.status !== 'rolling-back' &&
    !(state.status === 'needs-attention' && attentionOf(state)?.cause === 'rollback')
  );
}

/** The post-promotion watch is over and its tag is being removed. */
function releasing(state: CanaryState): boolean {
  return state.pending?.payload?.type === 'tag-revision' && state.pending.payload.revision === undefined;
}

function rollbackWords(state: StandaloneRollbackState): string {
  const to = state.rollback.toRevision;
  switch (state.status) {
    case 'rolling-back':
      return `rolling back to ${to}`;
    case 'needs-attention':
      return `rollback to ${to} needs attention`;
    case 'rolled-back':
      return `rolled back to ${to}`;
    case 'failed':
      return `rollback to ${to} stopped`;
  }
}

/** "control prod v1.42.0" and the like, for fallback texts (escaped: Slack parses them too). */
export function plainTitle(state: RunbookState): Mrkdwn {
  const what =
    state.kind === 'canary'
      ? ` ${state.tag}`
      : state.kind === 'rollback'
        ? ' rollback'
        : state.kind === 'stream-cutover'
          ? ' stream cutover'
          : ` flag ${state.mode === 'off' ? 'off' : 'canary'} ${state.config}`;
  return escapeText(`${state.service} ${state.env}${what}${state.dryRun ? ' (dry run)' : ''}`);
}

/** What the rollout is doing now (or how it ended), in mrkdwn, with the person and the reason. */
export function statusText(state: CanaryState, now: number, required?: number): Mrkdwn {
  const stage = currentStage(state);
  const at = stage ? stageLabel(stage) : md`stage ${state.stage}`;
  const emoji = STATUS_EMOJI[state.status];
  const watch = postWatchText(state, now);
  if (watch !== undefined) return watch;
  switch (state.status) {
    case 'deploying':
      return md`${emoji} *Deploying ${code(state.tag)} as a revision with no traffic*`;
    case 'checking':
      return md`${emoji} *Running the checks of ${at}*`;
    case 'awaiting-approval': {
      const count = stage?.approvals.length ?? 0;
      const of = required === undefined ? md`${count} so far` : md`${count} of ${required}`;
      const expires = stage?.approvalExpiresAt ? md`, expires ${when(stage.approvalExpiresAt, now)}` : '';
      return md`${emoji} *Waiting for approval to shift to ${stage?.traffic ?? '?'} % (stage ${stage?.name ?? '?'})*: approvals ${of}${expires}`;
    }
    case 'shifting':
      return md`${emoji} *Shifting traffic: ${stage?.traffic ?? '?'} % to the canary (stage ${stage?.name ?? '?'})*`;
    case 'watching': {
      const wait = stage ? waitLine(stage, stage.ticks.at(-1) ?? []) : undefined;
      return md`${emoji} *Watching the gates of ${at}*${stage ? md`: ${windowText(stage, now)}` : ''}${wait ? md`\n${wait}` : ''}`;
    }
    case 'paused': {
      const hold = state.hold?.kind === 'paused' ? state.hold : undefined;
      const by = hold?.by;
      const from = hold?.from === 'awaiting-approval' ? 'waiting for approval' : (hold?.from ?? '');
      const since = hold ? md` ${relative(hold.at, now)}` : '';
      return md`${emoji} *Paused* at ${at}${by ? md` by ${mention(by)}` : ''}${since}${from ? md` (was ${from})` : ''}`;
    }
    case 'needs-attention': {
      const attention = attentionOf(state);
      const reason = attention?.reason ?? 'see the thread';
      const hint = attention ? md`\n${ATTENTION[attention.cause].hint}` : '';
      return md`${emoji} *Needs attention* at ${at}: ${escapeText(reason)}${hint}`;
    }
    case 'rolling-back': {
      const rb = state.rollback;
      const why = rb ? md`: ${escapeText(rb.reason)}` : '';
      return md`${emoji} *Rolling back to ${code(rb?.toRevision ?? 'stable')}*${why}`;
    }
    default:
      return endedText(state);
  }
}

/** The post-promotion stage while it watches or tags: what serves, what it rolls back to, time left. */
function postWatchText(state: CanaryState, now: number): Mrkdwn | undefined {
  if (!afterPromotion(state)) return undefined;
  const stage = currentStage(state);
  const promoted = code(state.canaryRevision ?? state.tag);
  const previous = code(state.stableRevision ?? 'previous');
  const warm = state.postPromotion?.warm;
  const kept = warm ? md` (kept warm as tag ${code(warm.tag)})` : '';
  const emoji = STATUS_EMOJI[state.status];
  switch (state.status) {
    case 'watching':
      return md`${emoji} *Post-promotion watch*: ${promoted} serves 100 %; a failing gate rolls back to ${previous}${kept}${
        stage
          ? md`
${windowText(stage, now)}`
          : ''
      }`;
    case 'shifting':
      return releasing(state)
        ? md`${emoji} *Post-promotion watch over*: releasing ${previous} (removing its tag)`
        : md`${emoji} *Promoted*: ${promoted} serves 100 %; keeping ${previous} warm before the post-promotion watch`;
    default:
      return undefined;
  }
}

/** How a finished rollout ended: what, when, who and why. */
export function endedText(state: CanaryState): Mrkdwn {
  const emoji = STATUS_EMOJI[state.status];
  const ended = state.endedAt ? md` ${slackDate(state.endedAt)}` : '';
  const took = state.endedAt ? durationOf(state.startedAt, state.endedAt) : '';
  const rb = state.rollback;
  switch (state.status) {
    case 'promoted':
      return md`${emoji} *Promoted*${ended}: ${code(state.canaryRevision ?? state.tag)} is the stable revision, serving 100 %${took}${watchEnd(state)}`;
    case 'rolled-back': {
      const trigger =
        rb?.trigger === 'gate'
          ? md`a gate failed${rb.failedStage ? md` at stage ${escapeText(rb.failedStage)}` : ''}`
          : md`rolled back by ${rb?.by ? mention(rb.by) : 'a person'}`;
      const attention = attentionOf(state);
      const checks =
        attention?.cause === 'rollback-checks' ? md`\n:warning: ${escapeText(attention.reason)}` : '';
      return md`${emoji} *Rolled back* to ${code(rb?.toRevision ?? 'stable')}${ended} (${trigger}): ${escapeText(rb?.reason ?? '')}${checks}`;
    }
    case 'aborted': {
      const by = state.aborted ? md` by ${mention(state.aborted.by)}` : '';
      const why = state.aborted?.reason ? md`: ${escapeText(state.aborted.reason)}` : '';
      const back = rb ? md`\nTraffic returned to ${code(rb.toRevision)}.` : '';
      return md`${emoji} *Aborted*${by}${ended}${why}${back}`;
    }
    case 'failed': {
      const last = state.timeline.findLast((t) => /^(failed|stopped)/.test(t.what));
      const by = last?.by ? md` by ${mention(last.by)}` : '';
      return md`${emoji} *Failed*${ended}${by}: ${escapeText(last?.what ?? 'see the thread')}`;
    }
    default:
      return md`${emoji} *${state.status}*`;
  }
}

/** How the post-promotion watch ended, for a promoted rollout that had one. */
function watchEnd(state: CanaryState): Mrkdwn | string {
  const p = state.postPromotion;
  if (p?.previousRevision === undefined) return '';
  const early = p.endedEarly
    ? md`ended early by ${mention(p.endedEarly.by)}${p.endedEarly.reason ? md` (${escapeText(p.endedEarly.reason)})` : ''}`
    : md`passed`;
  const tag = p.warm?.tag ?? p.tagAsked;
  const released =
    p.releaseFailed !== undefined && tag
      ? md`; tag ${code(tag)} is still on ${code(p.previousRevision)}: remove it by hand`
      : md`; ${code(p.previousRevision)} released`;
  return md`
Post-promotion watch ${early}${released}.`;
}

function durationOf(from: string, to: string): Mrkdwn | string {
  const took = between(from, to);
  return took === undefined ? '' : md`, after ${took}`;
}

/** "tick 3, window ends <date> (in 7 min)". */
export function windowText(stage: StageProgress, now: number): Mrkdwn {
  const tick = md`tick ${stage.ticks.length}`;
  const ext = stage.extensionsUsed > 0 ? md`, extended ${stage.extensionsUsed}×` : '';
  if (!stage.windowEndsAt) return md`${tick}${ext}`;
  const verb = Date.parse(stage.windowEndsAt) > now ? 'ends' : 'ended';
  return md`${tick}, window ${verb} ${when(stage.windowEndsAt, now)}${ext}`;
}

/** Which revision plays which part: once promoted, the canary is the stable revision. */
export interface RevisionRoles {
  stable?: string;
  canary?: string;
  /** The stable revision before a promotion. */
  previous?: string;
}

export function revisionRoles(state: CanaryState): RevisionRoles {
  const roles = (r: RevisionRoles) =>
    Object.fromEntries(Object.entries(r).filter(([, v]) => v !== undefined)) as RevisionRoles;
  if (state.status === 'promoted' || afterPromotion(state))
    return roles({ stable: state.canaryRevision, previous: state.stableRevision });
  return roles({ stable: state.stableRevision, canary: state.canaryRevision });
}

/** One line per revision, largest share first, naming which is stable and which the canary. */
export function splitText(split: Split | undefined, roles: RevisionRoles = {}, separator = '\n'): Mrkdwn {
  const entries = splitEntries(split ?? {});
  if (entries.length === 0) return md`no traffic reported yet`;
  return mdJoin(
    entries.map(([rev, pct]) => {
      const role =
        rev === roles.stable
          ? ' (stable)'
          : rev === roles.canary
            ? ' (canary)'
            : rev === roles.previous
              ? ' (previous stable)'
              : '';
      return md`${code(rev)} ${pct} %${role}`;
    }),
    separator,
  );
}

/** Share of traffic on the canary now, as Cloud Run reported it. */
export function canaryShare(state: CanaryState): number {
  if (state.status === 'promoted') return 0;
  return state.canaryRevision === undefined ? 0 : (state.trafficNow?.[state.canaryRevision] ?? 0);
}
