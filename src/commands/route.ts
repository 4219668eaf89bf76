import { approvalCount } from '../blocks/approval.ts';
import {
  help,
  kindCard,
  rollingBackMessage,
  routeRequestCard,
  routeStatusMessage,
  usage,
} from '../blocks/index.ts';
import { code, md, withMentions } from '../blocks/message.ts';
import { ROUTE_REQUEST_PURPOSE } from '../platform/slack/approval-purposes.ts';
import { incidentId } from '../runbooks/effects.ts';
import type { RouteAsk, RouteRequest } from '../runbooks/route/index.ts';
import type { RouteIntent } from './route-args.ts';
import { resolveScope } from './scope.ts';
import { type Invocation, type Reply, type Surface, say } from './surface.ts';

// /route: the route split of seed 000. Status for anyone; a change by the environment's policy (a request
// card that approvers answer with one click, or break-glass alone). The rules live in runbooks/route.

export async function runRoute(intent: RouteIntent, who: Invocation, surface: Surface): Promise<Reply> {
  if (intent.sub === 'help') return help('/route');
  const route = surface.route;
  if (!route) return say(md`The route-split control is not wired in this replica.`);
  const scope = resolveScope(surface.config, intent, who.channel);
  if (!scope.ok) return say(md`${scope.error}\n${usage('/route')}`);
  const { service, env } = scope;
  if (intent.sub === 'status') {
    const status = await route.status(service, env);
    if (!status.ok) return say(md`Could not read the route split: ${withMentions(status.message)}`);
    return routeStatusMessage(status.view);
  }
  return changeRoute(
    surface,
    { service, env, change: intent.change, requestedBy: who.userId, reason: intent.reason },
    who.channel.id,
  );
}

/**
 * A person's change of the route split (/route override|clear, or "Restore route" on a resolved
 * incident): done alone, or a request card posted in `channel` for the environment's approvers.
 */
export async function changeRoute(surface: Surface, ask: RouteAsk, channel: string): Promise<Reply> {
  const route = surface.route;
  if (!route) return say(md`The route-split control is not wired in this replica.`);
  const { service, env } = ask;
  const changed = await route.change(ask);
  if (!changed.ok) return say(md`Not changed: ${withMentions(changed.message)}`);
  if ('pending' in changed) {
    await postRouteRequest(surface, changed.request, channel);
    return say(
      md`Your route change of ${code(service)} in ${code(env)} needs ${approvalCount(changed.request.required)} from ${withMentions(changed.request.approvers)}: the request is posted in this channel.`,
    );
  }
  if (changed.liftedRollback) await markLifted(surface, changed.liftedRollback, ask.requestedBy);
  return say(
    md`Done: the route split of ${code(service)} in ${code(env)} now reads override ${code(changed.override ?? 'none')} (read back after the change, and audited).`,
  );
}

export async function postRouteRequest(
  surface: Surface,
  request: RouteRequest,
  channel: string,
): Promise<void> {
  await surface.poster.upsert(request.id, ROUTE_REQUEST_PURPOSE, { channel }, routeRequestCard(request));
}

/** The rollback whose override was lifted: its message says so instead of "stays until lifted". */
export async function markLifted(surface: Surface, rolloutId: string, by: string): Promise<void> {
  const view = await surface.engine.get(rolloutId);
  if (!view || view.state.kind === 'stream-cutover' || view.state.kind === 'flag-canary') return;
  const routeLifted = { by, at: new Date().toISOString() };
  const lifted = rollingBackMessage(view.state, { routeLifted });
  await surface.poster.update(rolloutId, 'rollback', lifted).catch(() => false);
  const card = view.state.kind === 'rollback' ? lifted : kindCard(view.state, view.runbook, { routeLifted });
  await surface.poster.update(rolloutId, 'card', card).catch(() => false);
  // The incident card's Route field, and its Restore route button, follow.
  await surface.incidents.routeLifted(incidentId(rolloutId), routeLifted).catch(() => {});
}
