import type { RouteConflict, RouteRequest, RouteView, SetBy } from '../runbooks/route/index.ts';
import { ACTIONS, encodeValue } from './actions.ts';
import {
  actions,
  button,
  code,
  context,
  escapeText,
  fields,
  fitting,
  lineSections,
  type Mrkdwn,
  md,
  mdJoin,
  mention,
  message,
  type SlackMessage,
  section,
  truncateMrkdwn,
  withMentions,
} from './message.ts';
import { type Clock, nowOf, slackDate, when } from './time.ts';

// /route: the route split's status, a change waiting for approval (one-click Approve and Cancel, edited
// to its outcome once decided), and the refusal /canary start gives while an override stands against the
// service's route gates. Everything the control API or a person said is escaped.

const CHANGE: Record<RouteRequest['change'], string> = {
  legacy: 'override the route split to legacy',
  rust: 'override the route split to rust',
  clear: 'clear the route-split override',
};

/** "by <@U1> 2 min ago: reason" or "by the rollback `r-1` 2 min ago". */
export function setByText(setBy: SetBy | undefined, now: number): Mrkdwn {
  if (!setBy) return md`(no shiftgate audit entry: set outside shiftgate, or before its audit trail)`;
  const who = setBy.byRollback
    ? md`by the rollback ${code(setBy.rolloutId ?? '?')}`
    : md`by ${mention(setBy.who)}`;
  const why = setBy.reason ? md`: ${escapeText(setBy.reason)}` : '';
  return md`${who} ${when(setBy.at, now)}${why}`;
}

/** One line for the rollout card and App Home while an override stands. */
export function overrideLine(
  standing: { override: string; setBy?: SetBy },
  scope: { service: string; env: string },
  options: Clock = {},
): Mrkdwn {
  return md`:construction: Route-split override to ${code(standing.override)} stands on ${code(scope.service)} in ${code(scope.env)}, set ${setByText(standing.setBy, nowOf(options))}. Lift it with ${code(`/route clear ${scope.service} ${scope.env} --reason "..."`)}.`;
}

export function routeStatusMessage(view: RouteView, options: Clock = {}): SlackMessage {
  const now = nowOf(options);
  const { status } = view;
  const override = status.override
    ? md`${code(status.override)}, set ${setByText(view.setBy, now)}`
    : md`none: the mode decides`;
  const domains = Object.entries(status.domainOverrides);
  const lines = view.checks.map((c) => {
    const cohort = c.cohortKey ? md` (cohort ${code(c.cohortKey)})` : '';
    if (!c.decision)
      return md`:x: ${code(c.path)}${cohort}: evaluate failed: ${escapeText(c.error ?? 'no answer')}`;
    const ok = c.decision.target === c.expect;
    return md`${ok ? ':white_check_mark:' : ':warning:'} ${code(c.path)}${cohort} → ${code(c.decision.target)} (${escapeText(c.decision.reason || 'no reason given')}); gate ${code(c.gate)} expects ${code(c.expect)}`;
  });
  const domainText = domains.length
    ? mdJoin(
        domains.map(([d, t]) => md`${code(d)} → ${code(t)}`),
        ', ',
      )
    : md`none`;
  // Many gates, domains or long answers from the service are shortened rather than the message refused.
  const blocks = fitting(
    (budget) => [
      section(md`*Route split of ${code(view.service)} in ${code(view.env)}*`),
      fields([
        md`*Mode*\n${code(status.mode)}${status.enabled ? '' : ' (disabled)'}${status.mode === 'cohort' && status.cohortPercentage !== undefined ? md`, ${status.cohortPercentage} % to rust` : ''}`,
        md`*Override*\n${truncateMrkdwn(override, Math.min(1_900, budget / 2))}`,
        md`*Force legacy*\n${status.forceLegacy ? 'yes (configuration on the service)' : 'no'}`,
        md`*Domain overrides*\n${truncateMrkdwn(domainText, Math.min(1_900, budget / 2))}`,
      ]),
      ...(lines.length
        ? [
            section(md`*evaluate for the route-split gates*`),
            ...lineSections(lines, {
              maxLine: Math.min(400, Math.max(120, budget / 8)),
              maxSections: Math.max(1, Math.floor(budget / 1_000)),
              more: "see the runbook's route gates",
            }),
          ]
        : [section(md`*evaluate*: the service's runbook has no route-split gate, so no path is checked.`)]),
    ],
    6_000,
  );
  return message(
    md`Route split of ${escapeText(`${view.service} ${view.env}`)}: override ${status.override ?? 'none'}`,
    blocks,
  );
}

export function routeRequestCard(request: RouteRequest, options: Clock = {}): SlackMessage {
  const now = nowOf(options);
  const expired = request.status === 'pending' && now >= Date.parse(request.expiresAt);
  const approvals = mdJoin(
    request.approvals.map((a) => md`${mention(a.userId)} ${slackDate(a.at)}`),
    ', ',
  );
  const outcome =
    request.status === 'applied'
      ? md`:white_check_mark: *Approved*${approvals.length > 0 ? md` by ${approvals}` : ''}: applied, the status reads override ${code(request.readBack ?? 'none')}`
      : request.status === 'cancelled'
        ? md`:heavy_minus_sign: *Cancelled* by ${mention(request.decidedBy ?? 'someone')}`
        : request.status === 'failed'
          ? md`:x: *Approved but not applied*: ${escapeText(request.message ?? 'no reason given')}`
          : expired
            ? md`:hourglass: *Expired* ${slackDate(request.expiresAt)} with ${request.approvals.length} of ${request.required} approvals: ask again with \`/route\``
            : undefined;
  const open = outcome === undefined;
  const value = encodeValue({ q: request.id });
  const what = CHANGE[request.change];
  return message(
    md`Route change of ${escapeText(`${request.service} ${request.env}`)}: ${open ? 'waiting for approval' : expired ? 'expired' : request.status}`,
    [
      section(
        md`:twisted_rightwards_arrows: ${mention(request.requestedBy)} asks to ${what} of ${code(request.service)} in ${code(request.env)}: ${escapeText(request.reason)}`,
      ),
      fields([
        md`*Approvals*\n${request.approvals.length} of ${request.required}${approvals ? md`: ${approvals}` : ''}`,
        md`*${open ? 'Expires' : 'Expiry'}*\n${open ? when(request.expiresAt, now) : slackDate(request.expiresAt)}`,
      ]),
      ...(open ? [context(md`May approve: ${withMentions(request.approvers)}`)] : [section(outcome)]),
      ...(open
        ? actions([
            button('Approve route change', ACTIONS.routeApprove, value, 'primary', {
              title: 'Approve the route change?',
              text: `${request.service} in ${request.env}: ${what}.`,
              confirm: 'Approve',
            }),
            button('Cancel', ACTIONS.routeCancel, value),
          ])
        : []),
    ],
  );
}

/** Why /canary start refuses: the override, who set it and when, and the /route clear to ask for. */
export function routeConflictText(conflict: RouteConflict, options: Clock = {}): Mrkdwn {
  const gates = mdJoin(
    conflict.gates.map((g) => md`${code(g.name)} expects ${code(g.expect)} on ${code(g.path)}`),
    ', ',
  );
  return md`Not started: the route split of ${code(conflict.service)} in ${code(conflict.env)} is overridden to ${code(conflict.override)}, set ${setByText(conflict.setBy, nowOf(options))}, and this canary's route gates would fail (${gates}). Nothing was deployed. Ask for ${code(`/route clear ${conflict.service} ${conflict.env} --reason "..."`)} first.`;
}
