import type { RollbackRequest } from '../runbooks/rollback-requests.ts';
import { ACTIONS, encodeValue } from './actions.ts';
import {
  actions,
  button,
  code,
  context,
  escapeText,
  fields,
  mention,
  message,
  type SlackMessage,
  section,
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
function failedWhy(request: RollbackRequest, now: number): string {
  const h = request.lockedBy;
  if (h) {
    const kind = h.kind === 'rollback' ? 'a rollback' : 'a rollout';
    return `${code(request.service)} in ${code(request.env)} is locked by ${mention(h.author)} for ${kind} since ${when(h.since, now)} (${code(h.rolloutId)}): ${escapeText(h.reason)}`;
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
  const approvals = request.approvals.map((a) => `${mention(a.userId)} ${slackDate(a.at)}`).join(', ');
  const outcome =
    request.status === 'started'
      ? `:white_check_mark: *Approved*${approvals ? ` by ${approvals}` : ''}: started as ${code(request.rolloutId ?? '?')}`
      : request.status === 'cancelled'
        ? `:heavy_minus_sign: *Cancelled* by ${mention(request.decidedBy ?? 'someone')}`
        : request.status === 'failed'
          ? `:x: *Approved but failed to start*: ${failedWhy(request, now)}`
          : expired
            ? `:hourglass: *Expired* ${slackDate(request.expiresAt)} with ${request.approvals.length} of ${request.required} approvals: ask again with \`/rollback\``
            : undefined;
  const open = outcome === undefined;
  const value = encodeValue({ q: request.id });
  return message(
    `Rollback of ${escapeText(`${request.service} ${request.env}`)}: ${open ? 'waiting for approval' : expired ? 'expired' : request.status}`,
    [
      section(
        `:leftwards_arrow_with_hook: ${mention(request.requestedBy)} asks to roll back ${code(request.service)} in ${code(request.env)} to ${target}: ${escapeText(request.reason)}`,
      ),
      fields([
        `*Approvals*\n${request.approvals.length} of ${request.required}${approvals ? `: ${approvals}` : ''}`,
        `*${open ? 'Expires' : 'Expiry'}*\n${open ? when(request.expiresAt, now) : slackDate(request.expiresAt)}`,
        `*Procedure*\n${MODE[request.mode ?? 'full']}`,
        `*Asked*\n${slackDate(request.at)}`,
      ]),
      ...(request.target ? [section(`*Target*\n${targetText(request.target)}`)] : []),
      ...(open ? [context(`May approve: ${request.approvers}`)] : [section(outcome)]),
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
