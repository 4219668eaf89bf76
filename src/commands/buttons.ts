import { ACTIONS, type ActionId, decodeValue } from '../blocks/actions.ts';
import { rollbackRequestCard } from '../blocks/index.ts';
import { md, withMentions } from '../blocks/message.ts';
import { ROLLBACK_REQUEST_PURPOSE } from '../platform/slack/approval-purposes.ts';
import { closedAnswer, mayNotResolve } from './incident.ts';
import { lockAnswer } from './lock-answer.ts';
import { postRequest } from './rollback.ts';
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
  const by = click.userId;
  const eventId = `click.${click.actionId}.${by}.${click.actionTs}`;
  const { engine } = surface;
  const answer = (result: { ok: boolean; message?: string }) =>
    result.ok ? undefined : say(withMentions(result.message ?? 'refused'));

  switch (click.actionId as ActionId) {
    case ACTIONS.approve:
      if (!value.r || value.s === undefined) return say(md`This approval button names no stage.`);
      return answer(await engine.send(value.r, { type: 'approve', userId: by, stage: value.s }, { eventId }));
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
    case ACTIONS.rollback: {
      if (!value.r) break;
      const reason = 'rolled back from the rollout card';
      const sent = await engine.send(value.r, { type: 'rollback', by, reason }, { eventId });
      if (sent.ok || sent.reason !== 'needs-approval') return answer(sent);
      // Not one to roll back alone: ask the approvers, as /rollback would.
      const view = await engine.get(value.r);
      if (!view) return say(md`No rollout ${value.r}.`);
      const asked = await engine.startRollback({
        service: view.state.service,
        env: view.state.env,
        requestedBy: by,
        reason,
      });
      if (!asked.ok) {
        if (asked.reason === 'held' || asked.reason === 'frozen')
          return lockAnswer(surface, view.state, asked);
        return say(withMentions(asked.message));
      }
      if ('pending' in asked) {
        await postRequest(surface, asked.request, click.channelId);
        return say(
          md`Your rollback needs ${asked.request.required} approval(s) from ${asked.request.approvers}: the request is posted in the channel.`,
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
          return lockAnswer(surface, decided.request, run);
        return say(md`The rollback could not start: ${run.message}`);
      }
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
  }
  return say(md`This button is missing what it is about: use the slash command.`);
}
