import { ACTIONS, type ActionId, decodeValue } from '../blocks/actions.ts';
import { approvalCount } from '../blocks/approval.ts';
import { rollbackRequestCard, routeRequestCard } from '../blocks/index.ts';
import { code, md, mdJoin, mention, withMentions } from '../blocks/message.ts';
import { noTargetText, targetText } from '../blocks/rollback-target.ts';
import { clockTime } from '../blocks/time.ts';
import { ROLLBACK_REQUEST_PURPOSE, ROUTE_REQUEST_PURPOSE } from '../platform/slack/approval-purposes.ts';
import { staleAsk } from '../runbooks/canary/advisory.ts';
import { isTerminalStatus } from '../runbooks/status.ts';
import type { CanaryState } from '../runbooks/types.ts';
import { closedAnswer, mayNotResolve } from './incident.ts';
import { lockAnswer } from './lock-answer.ts';
import { postRequest } from './rollback.ts';
import { changeRoute, markLifted } from './route.ts';
import { type Reply, type Surface, say } from './surface.ts';

// Button clicks. The value only names the rollout, stage, request or incident; whether this person may,
// whether the stage is still the current one and whether it was decided already is checked by the engine
// against the store. A refused click is answered to the clicker alone; an accepted one shows in the
// messages the notifier edits.

export interface Click {
  actionId: string;
  value: string | undefined;
  userId: string;
  channelId: string;
  /** Slack's action_ts: with the user, it makes a retried delivery of one click apply once. */
  actionTs: string;
}

export async function runClick(click: Click, surface: Surface): Promise<Reply | undefined> {
  const value = decodeValue(click.value);
  if (!value)
    return say(
      md`This button is not one of shiftgate’s, or it is from an older version: use the slash command.`,
    );
  // An id the store would refuse (a crafted value) names nothing there: said so, not "something went wrong".
  if (value.r !== undefined && !STORE_ID.test(value.r)) return say(md`No such rollout.`);
  if (value.q !== undefined && !STORE_ID.test(value.q)) return say(md`No such rollback request.`);
  if (value.i !== undefined && !INCIDENT_ID.test(value.i)) return say(md`No such incident.`);
  const by = click.userId;
  const eventId = `click.${click.actionId}.${by}.${click.actionTs}`;
  const { engine } = surface;
  const answer = (result: { ok: true } | { ok: false; reason: string; message: string }) => {
    if (result.ok) return undefined;
    if (result.reason === 'duplicate') return say(md`That click was applied already: nothing more to do.`);
    if (result.reason === 'not-found') return say(md`No such rollout.`);
    return say(withMentions(result.message));
  };

  switch (click.actionId as ActionId) {
    case ACTIONS.approve: {
      if (!value.r || value.s === undefined) return say(md`This approval button names no stage.`);
      const sent = await engine.send(value.r, { type: 'approve', userId: by, stage: value.s }, { eventId });
      if (sent.ok || sent.reason === 'duplicate' || sent.reason === 'not-found') return answer(sent);
      // A click on a request decided since (a second click, a view out of date): say what was decided.
      return (await decidedApproval(surface, value.r, value.s, by)) ?? answer(sent);
    }
    case ACTIONS.approvalAbort:
    case ACTIONS.abort:
      if (!value.r) break;
      return answer(
        await engine.send(value.r, { type: 'abort', by, reason: 'aborted from Slack' }, { eventId }),
      );
    case ACTIONS.pause:
    case ACTIONS.resume:
      if (!value.r) break;
      return answer(
        await engine.send(
          value.r,
          { type: click.actionId === ACTIONS.pause ? 'pause' : 'resume', by },
          { eventId },
        ),
      );
    case ACTIONS.promote:
      if (!value.r) break;
      return answer(await engine.send(value.r, { type: 'promote-now', by }, { eventId }));
    case ACTIONS.endWatch:
      if (!value.r) break;
      return answer(
        await engine.send(value.r, { type: 'end-watch', by, reason: 'ended from Slack' }, { eventId }),
      );
    case ACTIONS.advisoryContinue: {
      if (!value.r || value.s === undefined || value.a === undefined)
        return say(md`This button names no advisory gate.`);
      // The engine refuses a click on an ask decided already, and checks the clicker is an approver.
      const advisory = { stage: value.s, ask: value.a };
      return answer(await engine.send(value.r, { type: 'resume', by, advisory }, { eventId }));
    }
    case ACTIONS.rollback:
    case ACTIONS.advisoryRollback: {
      if (!value.r) break;
      const atAsk = click.actionId === ACTIONS.advisoryRollback;
      if (atAsk && (value.s === undefined || value.a === undefined))
        return say(md`This button names no advisory gate.`);
      const reason = atAsk ? 'rolled back at the advisory gate' : 'rolled back from the rollout card';
      const event = {
        type: 'rollback' as const,
        by,
        reason,
        ...(atAsk ? { advisory: { stage: value.s as number, ask: value.a as number } } : {}),
      };
      const sent = await engine.send(value.r, event, { eventId });
      if (sent.ok || sent.reason !== 'needs-approval') return answer(sent);
      // Not one to roll back alone: ask the approvers, as /rollback would.
      const view = await engine.get(value.r);
      if (!view) return say(md`No rollout ${value.r}.`);
      // ...unless the click was on an ask decided since: that one is over, whatever comes next.
      const stale =
        'advisory' in event && view.state.kind === 'canary'
          ? staleAsk(view.state as CanaryState, event.advisory)
          : undefined;
      if (stale) return say(withMentions(stale));
      const asked = await engine.startRollback({
        service: view.state.service,
        env: view.state.env,
        requestedBy: by,
        reason,
      });
      if (!asked.ok) {
        if (asked.reason === 'held' || asked.reason === 'frozen')
          return lockAnswer(surface, view.state, asked, by);
        if (asked.reason === 'no-target') return say(noTargetText(asked));
        return say(withMentions(asked.message));
      }
      if ('pending' in asked) {
        await postRequest(surface, asked.request, click.channelId);
        return say(
          md`Your rollback needs ${approvalCount(asked.request.required)} from ${withMentions(asked.request.approvers)}: the request is posted in the channel.`,
        );
      }
      return undefined;
    }
    case ACTIONS.rollbackApprove:
    case ACTIONS.rollbackCancel: {
      if (!value.q) break;
      const decided =
        click.actionId === ACTIONS.rollbackApprove
          ? await engine.approveRollback(value.q, by)
          : await engine.cancelRollback(value.q, by);
      const request = decided.ok ? decided.request : await engine.rollbackRequest(value.q);
      if (request)
        await surface.poster.update(request.id, ROLLBACK_REQUEST_PURPOSE, rollbackRequestCard(request));
      if (decided.ok && decided.status === 'failed' && 'run' in decided && !decided.run.ok) {
        const run = decided.run;
        if (run.reason === 'held' || run.reason === 'frozen')
          return lockAnswer(surface, decided.request, run, by);
        return say(md`The rollback could not start: ${withMentions(run.message)}`);
      }
      // The approval that starts it confirms where the traffic goes.
      if (decided.ok && decided.status === 'started' && decided.request.target)
        return say(md`Approved: the rollback has started. Target: ${targetText(decided.request.target)}`);
      return decided.ok ? undefined : say(withMentions(decided.message));
    }
    case ACTIONS.routeApprove:
    case ACTIONS.routeCancel: {
      if (!value.q) break;
      const route = surface.route;
      if (!route) return say(md`The route-split control is not wired in this replica.`);
      const decided =
        click.actionId === ACTIONS.routeApprove
          ? await route.approve(value.q, by)
          : await route.cancel(value.q, by);
      const request = decided.ok ? decided.request : await route.request(value.q);
      if (request) await surface.poster.update(request.id, ROUTE_REQUEST_PURPOSE, routeRequestCard(request));
      if (decided.ok && decided.status === 'failed')
        return say(
          md`The route change was not applied: ${withMentions(decided.request.message ?? 'no reason given')}`,
        );
      if (decided.ok && decided.status === 'applied' && decided.request.liftedRollback)
        await markLifted(surface, decided.request.liftedRollback, decided.request.requestedBy);
      if (decided.ok && decided.status === 'applied')
        return say(md`Approved: the route split now reads override ${decided.request.readBack ?? 'none'}.`);
      return decided.ok ? undefined : say(withMentions(decided.message));
    }
    case ACTIONS.resolve: {
      if (!value.i) break;
      const incident = await surface.incidents.get(value.i);
      if (!incident) return say(md`No incident ${value.i}.`);
      const refused = await mayNotResolve(surface, incident, by);
      if (refused) return say(refused);
      const resolved = await surface.incidents.resolve(value.i, { by });
      // The card shows the outcome; only a report that could not be posted needs saying.
      if (resolved.ok) return resolved.report.uploadError ? closedAnswer(resolved) : undefined;
      return say(withMentions(resolved.message));
    }
    case ACTIONS.restoreRoute: {
      if (!value.i) break;
      const incident = await surface.incidents.get(value.i);
      if (!incident) return say(md`No incident ${value.i}.`);
      // Only the override this incident's rollback set: one changed since (cleared, or a cutover's flip)
      // is not this button's to clear.
      const standing = await surface.route?.standing(incident.service, incident.env);
      if (!standing)
        return say(
          md`Nothing to restore: the route split of ${code(incident.service)} in ${code(incident.env)} has no override now.`,
        );
      if (!standing.setBy?.byRollback || standing.setBy.rolloutId !== incident.rolloutId)
        return say(
          md`Not this incident's to restore: the route split now reads override ${code(standing.override)}, set since${standing.setBy ? md` by ${withMentions(standing.setBy.who)} ${clockTime(standing.setBy.at)}` : ''}. Use \`/route\` to change it.`,
        );
      // "Restore route": a /route clear by the clicker, under the same rules and approvals.
      const ask = {
        service: incident.service,
        env: incident.env,
        change: 'clear' as const,
        requestedBy: by,
        reason: `restore the route split after incident ${incident.id}`,
      };
      return changeRoute(surface, ask, incident.channel);
    }
  }
  return say(md`This button is missing what it is about: use the slash command.`);
}

/** Ids as the store takes them (store/keys.ts); incident ids are a little longer. */
const STORE_ID = /^[A-Za-z0-9._-]{1,128}$/;
const INCIDENT_ID = /^[A-Za-z0-9._-]{1,160}$/;

/**
 * Why an approval click is not needed any more, in plain words, when the stage it was for has been
 * decided: "You approved stage B (5 %) already, today at 18:06." Undefined when it is still open.
 */
async function decidedApproval(
  surface: Surface,
  rolloutId: string,
  index: number,
  by: string,
): Promise<Reply | undefined> {
  const view = await surface.engine.get(rolloutId);
  if (view?.state.kind !== 'canary') return undefined;
  const state = view.state;
  const stage = state.stages[index];
  if (!stage) return undefined;
  const name = md`stage ${stage.name} (${stage.traffic} %)`;
  const mine = stage.approvals.find((a) => a.userId === by);
  if (mine) return say(md`You approved ${name} already, ${clockTime(mine.at)}. Nothing more to do.`);
  const past = index < state.stage || isTerminalStatus(state.status);
  if (stage.approvals.length > 0 && past) {
    const who = mdJoin(
      stage.approvals.map((a) => md`${mention(a.userId)} ${clockTime(a.at)}`),
      ', ',
    );
    return say(md`${name} was approved already, by ${who}. Nothing more to do.`);
  }
  if (isTerminalStatus(state.status)) {
    return say(md`This rollout has ended (${state.status}): ${name} is no longer asked for.`);
  }
  return undefined;
}
