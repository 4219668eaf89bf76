import { approvalCount } from '../blocks/approval.ts';
import { help, rollbackRequestCard, usage } from '../blocks/index.ts';
import { code, md, withMentions } from '../blocks/message.ts';
import { noTargetText, targetText } from '../blocks/rollback-target.ts';
import { ROLLBACK_REQUEST_PURPOSE } from '../platform/slack/approval-purposes.ts';
import type { RollbackRequest } from '../runbooks/rollback-requests.ts';
import { lockAnswer } from './lock-answer.ts';
import type { RollbackIntent } from './rollback-args.ts';
import { resolveScope } from './scope.ts';
import { type Invocation, type Reply, type Surface, say } from './surface.ts';

// /rollback: the deterministic rollback procedure, by the environment's rollback policy. Someone who may
// not roll back alone gets a request card in the channel that approvers answer with one click.

export async function runRollback(
  intent: RollbackIntent | { sub: 'help' },
  who: Invocation,
  surface: Surface,
): Promise<Reply> {
  if (intent.sub === 'help') return help('/rollback');
  const scope = resolveScope(surface.config, intent, who.channel);
  if (!scope.ok) return say(md`${scope.error}\n${usage('/rollback')}`);
  const started = await surface.engine.startRollback({
    service: scope.service,
    env: scope.env,
    requestedBy: who.userId,
    reason: intent.reason,
    mode: intent.mode,
    dryRun: intent.dryRun,
    ...(intent.toRevision ? { toRevision: intent.toRevision } : {}),
  });
  if (!started.ok) {
    if (started.reason === 'held' || started.reason === 'frozen')
      return lockAnswer(surface, scope, started, who.userId);
    if (started.reason === 'no-target') return say(noTargetText(started));
    return say(withMentions(started.message));
  }
  if ('pending' in started) {
    await postRequest(surface, started.request, who.channel.id);
    const to = started.request.target ? md`\nTarget: ${targetText(started.request.target)}` : '';
    return say(
      md`Your rollback of ${code(scope.service)} in ${code(scope.env)} needs ${approvalCount(started.request.required)} from ${withMentions(started.request.approvers)}: the request is posted in this channel.${to}`,
    );
  }
  const into = started.via === 'rollout' ? ' (the active canary rolls itself back)' : '';
  const dry = intent.dryRun ? ' as a dry-run: nothing will change' : '';
  const to = started.target ? md`\nTarget: ${targetText(started.target)}` : '';
  return say(
    md`Rolling back ${code(scope.service)} in ${code(scope.env)}${into}${dry}: ${code(started.rolloutId)}. Follow it in the thread.${to}`,
  );
}

/** Posts (or updates) the card of a rollback request. */
export async function postRequest(
  surface: Surface,
  request: RollbackRequest,
  channel: string,
): Promise<void> {
  await surface.poster.upsert(
    request.id,
    ROLLBACK_REQUEST_PURPOSE,
    { channel },
    rollbackRequestCard(request),
  );
}
