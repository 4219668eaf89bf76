import type { RollbackRequest } from '../runbooks/rollback-requests.ts';
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
import { targetPlain, targetText } from './rollback-target.ts';
import { type Clock, nowOf, slackDate, when } from './time.ts';

// A manual /rollback waiting for approval, with one-click Approve and Cancel while pending; edited to
// its outcome (started, cancelled, expired, failed to start) once decided, without buttons.

const MODE: Record<NonNullable<RollbackRequest['mode']>, string> = {
  full: 'route override, traffic back, verify, checks',
  'route-only': 'route-split override only',
  'traffic-only': 'traffic back only (no route override)',
};

/** Why an approved request did not start: the lock that stood in the way, or the engine's reason. */
function failedWhy(request: RollbackRequest, now: number): Mrkdwn {
  const h = request.lockedBy;
  if (h) {
    const kind = h.kind === 'rollback' ? 'a rollback' : 'a rollout';
    return md`${code(request.service)} in ${code(request.env)} is locked by ${mention(h.author)} for ${kind} since ${when(h.since, now)} (${code(h.rolloutId)}): ${escapeText(h.reason)}`;
  }
  return escapeText(request.message ?? 'no reason given');
}

/** The approve button's dialog: the last thing an approver reads before the traffic moves. */
function confirmText(request: RollbackRequest): string {
  const where = request.target
    ? targetPlain(request.target)
    : (request.toRevision ?? 'the stable revision of the canary under way');
  return request.mode === 'route-only'
    ? `${request.service} in ${request.env}: route-split override only; the traffic stays on ${where}.`
    : `${request.service} in ${request.env} goes back to ${where}: 100 % of its traffic.`;
}

export function rollbackRequestCard(request: RollbackRequest, options: Clock = {}): SlackMessage {
  const now = nowOf(options);
  const expired = request.status === 'pending' && now >= Date.parse(request.expiresAt);
  const target = request.target
    ? code(request.target.revision)
    : request.toRevision
      ? code(request.toRevision)
      : 'the stable revision of the canary under way';
  const approvals = mdJoin(
    request.approvals.map((a) => md`${mention(a.userId)} ${slackDate(a.at)}`),
    ', ',
  );
  const outcome =
    request.status === 'started'
      ? md`:white_check_mark: *Approved*${approvals.length > 0 ? md` by ${approvals}` : ''}: started as ${code(request.rolloutId ?? '?')}`
      : request.status === 'cancelled'
        ? md`:heavy_minus_sign: *Cancelled* by ${mention(request.decidedBy ?? 'someone')}`
        : request.status === 'failed'
          ? md`:x: *Approved but failed to start*: ${failedWhy(request, now)}`
          : expired
            ? md`:hourglass: *Expired* ${slackDate(request.expiresAt)} with ${request.approvals.length} of ${request.required} approvals: ask again with \`/rollback\``
            : undefined;
  const open = outcome === undefined;
  const value = encodeValue({ q: request.id });
  return message(
    md`Rollback of ${escapeText(`${request.service} ${request.env}`)}: ${open ? 'waiting for approval' : expired ? 'expired' : request.status}`,
    [
      section(
        md`:leftwards_arrow_with_hook: ${mention(request.requestedBy)} asks to roll back ${code(request.service)} in ${code(request.env)} to ${target}: ${escapeText(request.reason)}`,
      ),
      fields([
        md`*Approvals*\n${request.approvals.length} of ${request.required}${approvals ? md`: ${approvals}` : ''}`,
        md`*${open ? 'Expires' : 'Expiry'}*\n${open ? when(request.expiresAt, now) : slackDate(request.expiresAt)}`,
        md`*Procedure*\n${MODE[request.mode ?? 'full']}`,
        md`*Asked*\n${slackDate(request.at)}`,
      ]),
      ...(request.target ? [section(md`*Target*\n${targetText(request.target)}`)] : []),
      ...(open ? [context(md`May approve: ${withMentions(request.approvers)}`)] : [section(outcome)]),
      ...(open
        ? actions([
            button('Approve rollback', ACTIONS.rollbackApprove, value, 'primary', {
              title: 'Approve the rollback?',
              text: confirmText(request),
              confirm: 'Approve',
            }),
            button('Cancel', ACTIONS.rollbackCancel, value),
          ])
        : []),
    ],
  );
}
