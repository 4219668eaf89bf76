import { help, usage } from '../blocks/index.ts';
import { code, md, withMentions } from '../blocks/message.ts';
import type { CutoverIntent } from './cutover-args.ts';
import { lockAnswer } from './lock-answer.ts';
import { resolveScope } from './scope.ts';
import { type Invocation, type Reply, type Surface, say } from './surface.ts';

// /cutover stream: starts the stream cutover train of seed 004. The train runs on the engine; its card
// goes in the service's channel and every step in the card's thread. Dry-run unless --live.

export async function runCutover(intent: CutoverIntent, who: Invocation, surface: Surface): Promise<Reply> {
  if (intent.sub === 'help') return help('/cutover');
  const scope = resolveScope(surface.config, intent, who.channel);
  if (!scope.ok) return say(md`${scope.error}\n${usage('/cutover')}`);
  const { service, env } = scope;
  const dryRun = !intent.live;
  const started = await surface.engine.startCutover({
    service,
    env,
    requestedBy: who.userId,
    dryRun,
    stableRevision: intent.stableRevision,
    canaryRevision: intent.canaryRevision,
    applyRouteFlip: intent.applyRouteFlip,
    ...(intent.legacyUrl === undefined ? {} : { legacyUrl: intent.legacyUrl }),
    ...(intent.errorBudgetConsumed === undefined ? {} : { errorBudgetConsumed: intent.errorBudgetConsumed }),
    ...(intent.duringFreeze === undefined ? {} : { duringFreeze: intent.duringFreeze }),
  });
  if (!started.ok) {
    if (started.reason === 'held' || started.reason === 'frozen')
      return lockAnswer(surface, { service, env }, started, who.userId);
    return say(md`Not started: ${withMentions(started.message)}`);
  }
  const mode = dryRun
    ? ' as a dry run (nothing will change; add `--live` to run it for real)'
    : ': it asks for approval before its first change';
  return say(
    md`Started the stream cutover of ${code(service)} in ${code(env)}${mode}: ${code(started.rolloutId)}. The card is in the service's channel; every step goes in its thread.`,
  );
}
