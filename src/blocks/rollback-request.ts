import type { RollbackRequest } from '../runbooks/rollback-requests.ts';
import { ACTIONS, encodeValue } from './actions.ts';
import {
  actions,
  button,
  code,
  context,
  escapeText,
  mention,
  message,
  type SlackMessage,
  section,
} from './message.ts';
import { slackDate } from './time.ts';

// A manual /rollback waiting for approval, with one-click Approve and Cancel while pending; edited to
// its outcome (started, cancelled, failed) once decided.

export function rollbackRequestCard(request: RollbackRequest, options: { now?: Date } = {}): SlackMessage {
  const expired =
    request.status === 'pending' && (options.now ?? new Date()).getTime() >= Date.parse(request.expiresAt);
  const target = request.toRevision ? ` to ${code(request.toRevision)}` : ' to the previous revision';
  const ask = `${mention(request.requestedBy)} asks to roll back *${escapeText(request.service)}* in *${escapeText(request.env)}*${target} (${request.mode ?? 'full'}): ${escapeText(request.reason)}`;
  const approvals = request.approvals.map((a) => mention(a.userId)).join(', ');
  const state =
    request.status === 'started'
      ? `:white_check_mark: Approved${approvals ? ` by ${approvals}` : ''}: started as \`${request.rolloutId}\``
      : request.status === 'cancelled'
        ? `:heavy_minus_sign: Cancelled by ${mention(request.decidedBy ?? '')}`
        : request.status === 'failed'
          ? `:x: Approved but could not start: ${escapeText(request.message ?? '')}`
          : expired
            ? `:hourglass: Expired ${slackDate(request.expiresAt)}: ask again with /rollback`
            : `Approvals ${request.approvals.length} of ${request.required}${approvals ? ` (${approvals})` : ''} from ${request.approvers}; expires ${slackDate(request.expiresAt)}`;
  const value = encodeValue({ q: request.id });
  return message(`Rollback of ${request.service} ${request.env} ${request.status}`, [
    section(`:leftwards_arrow_with_hook: ${ask}`),
    context(state),
    ...(request.status === 'pending' && !expired
      ? actions([
          button('Approve rollback', ACTIONS.rollbackApprove, value, 'primary'),
          button('Cancel', ACTIONS.rollbackCancel, value),
        ])
      : []),
  ]);
}
