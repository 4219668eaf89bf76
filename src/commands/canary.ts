import {
  help,
  rolloutList,
  rolloutStatus,
  routeConflictText,
  servingStatus,
  usage,
} from '../blocks/index.ts';
import { code, md, withMentions } from '../blocks/message.ts';
import type { CanaryRunbook } from '../config/runbooks.ts';
import type { RunbookState } from '../runbooks/types.ts';
import { type CanaryIntent, parseCanary } from './canary-args.ts';
import { findRollout } from './find-rollout.ts';
import { lockAnswer } from './lock-answer.ts';
import { resolveScope } from './scope.ts';
import { activeStates, type Invocation, type Reply, type Surface, say } from './surface.ts';

// /canary: start a rollout, show it, and the people's controls (pause, resume, abort, promote now, and
// done: end the post-promotion watch).

export function parseCanaryCommand(text: string, surface: Surface) {
  return parseCanary(text, surface.config);
}

export async function runCanary(intent: CanaryIntent, who: Invocation, surface: Surface): Promise<Reply> {
  const { engine, config } = surface;
  switch (intent.sub) {
    case 'help':
      return help('/canary');
    case 'list': {
      const states = await activeStates(surface.store);
      return rolloutList(states);
    }
    case 'start': {
      const scope = resolveScope(config, intent, who.channel);
      if (!scope.ok) return say(md`${scope.error}\n${usage('/canary', 'start')}`);
      // A standing override against the runbook's route gates (the legacy one a rollback left) would fail
      // the canary at its first route gate: refused before anything is deployed.
      const conflict = await surface.route
        ?.conflict(scope.service, scope.env)
        .catch((error: unknown) => error as Error);
      if (conflict instanceof Error)
        return say(
          md`Not started: the route split could not be read (${withMentions(conflict.message)}), and this canary's route gates need it.`,
        );
      if (conflict) return say(routeConflictText(conflict));
      const started = await engine.startCanary({
        service: scope.service,
        env: scope.env,
        tag: intent.tag,
        requestedBy: who.userId,
        dryRun: intent.dryRun,
        ...(intent.withoutGo ? { withoutGo: intent.withoutGo } : {}),
        ...(intent.duringFreeze ? { duringFreeze: intent.duringFreeze } : {}),
      });
      if (!started.ok) {
        if (started.reason === 'held' || started.reason === 'frozen')
          return lockAnswer(surface, scope, started, who.userId);
        return say(withMentions(started.message));
      }
      const dry = intent.dryRun ? ' as a dry-run (nothing will change)' : '';
      return say(
        md`Started ${scope.service} ${intent.tag} in ${scope.env}${dry}: ${code(started.rolloutId)}. The rollout card is in this channel; everything else goes in its thread.`,
      );
    }
    case 'status': {
      const found = await findRollout(surface, intent, who);
      if (!found.ok) {
        // No rollout active: what Cloud Run serves now, as the seed's `status` command answers.
        const scope = resolveScope(surface.config, intent, who.channel);
        if (!scope.ok) return say(found.error);
        const serving = await engine.serving(scope.service, scope.env);
        if (!serving.ok)
          return say(md`${found.error} Cloud Run could not be read: ${withMentions(serving.message)}`);
        return servingStatus(scope.service, scope.env, serving.state);
      }
      const state = found.state;
      if (state.kind === 'stream-cutover' || state.kind === 'flag-canary') return rolloutStatus(state);
      if (state.kind !== 'canary')
        return say(
          md`${code(state.service)} in ${code(state.env)} is rolling back: ${state.rollback.reason}`,
        );
      // The stages it runs are the ones pinned when it started, not the config as it is now.
      const view = await engine.get(state.id);
      return rolloutStatus(state, view?.runbook as CanaryRunbook | undefined);
    }
    default: {
      const found = await findRollout(surface, intent, who);
      if (!found.ok) return say(md`${found.error}\n${usage('/canary', intent.sub)}`);
      const id = found.state.id;
      if (intent.sub === 'resume' && intent.duringFreeze)
        return overrideFreeze(surface, found.state, who, intent.duringFreeze);
      const reason = 'reason' in intent && intent.reason ? { reason: intent.reason } : {};
      const sent = await engine.send(
        id,
        intent.sub === 'abort' || intent.sub === 'done'
          ? { type: intent.sub === 'done' ? 'end-watch' : 'abort', by: who.userId, ...reason }
          : { type: intent.sub === 'promote' ? 'promote-now' : intent.sub, by: who.userId },
      );
      if (!sent.ok) return say(withMentions(sent.message));
      const done: Record<string, string> = {
        pause: 'Paused',
        resume: 'Resumed',
        abort: 'Aborting',
        promote: 'Promoting now (gates still run)',
      };
      if (intent.sub === 'done')
        return say(
          md`Ending the post-promotion watch of ${code(id)}: the new revision stays, the previous one is released.`,
        );
      return say(md`${done[intent.sub] ?? intent.sub} ${code(id)}.`);
    }
  }
}

/**
 * `/canary resume … --during-freeze "<reason>"`: an admin lets a rollout held by a scheduled freeze window
 * go on (the engine checks the role and audits it; the thread says so). A paused rollout is resumed too.
 */
async function overrideFreeze(
  surface: Surface,
  state: RunbookState,
  who: Invocation,
  reason: string,
): Promise<Reply> {
  const { engine } = surface;
  const overridden = await engine.overrideFreeze(state.id, { by: who.userId, reason });
  if (!overridden.ok) return say(withMentions(overridden.message));
  if (overridden.status === 'paused') {
    const resumed = await engine.send(state.id, { type: 'resume', by: who.userId });
    if (!resumed.ok)
      return say(
        md`${code(state.id)} may go on during the freeze window, but it did not resume: ${withMentions(resumed.message)}`,
      );
  }
  return say(
    md`${code(state.id)} goes on during the freeze window: approvals of its next traffic shift count again. Audited, and said in its thread.`,
  );
}
