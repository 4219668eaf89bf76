import type { CanaryState } from '../types.ts';

// Where the post-promotion stage sits in a canary's record: last in `stages`, after the 100 % stage. Pure
// lookups, shared by the procedure, the commands and the renderers.

/** The rollout is in its post-promotion stage (watching, paused, tagging or rolling back from it). */
export function inPostPromotion(s: Pick<CanaryState, 'stage' | 'postPromotion'>): boolean {
  return s.postPromotion !== undefined && s.stage === s.postPromotion.stage;
}

/** The index of the stage that promotes (100 %): the last one with a traffic shift. */
export function promotingStage(s: Pick<CanaryState, 'stages' | 'postPromotion'>): number {
  return s.postPromotion === undefined ? s.stages.length - 1 : s.postPromotion.stage - 1;
}
