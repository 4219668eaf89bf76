import { ask } from '../in-flight.ts';
import { note } from '../timeline.ts';
import type { CanaryDraft } from './shared.ts';

// The previous revision's warm tag, released as the post-promotion watch ends: passed, ended early by a
// person, or rolled back to that revision (it serves everything again, and needs no tag to stay up). The
// procedure (procedure.ts) and the rollback (rolling-back.ts) both end through here, then wait for
// revision-tagged before the rollout ends.

/**
 * Asks Cloud Run to remove the warm tag, when one is on and not yet released. Returns false when there is
 * nothing to release: the caller ends the rollout at once.
 */
export function releasePrevious(d: CanaryDraft, at: string): boolean {
  const p = d.s.postPromotion;
  if (p === undefined || p.released !== undefined || p.releaseFailed !== undefined) return false;
  // Asked for but never confirmed (a rollback overtook it): removed all the same; removing is idempotent.
  const tag = p.warm?.tag ?? (p.warmFailed === undefined ? p.tagAsked : undefined);
  if (tag === undefined) return false;
  note(d.s, at, `release ${p.previousRevision ?? 'the previous revision'}: remove its tag ${tag}`);
  ask(d, { type: 'tag-revision', tag });
  return true;
}

/** The command a person runs when the bot could not remove the tag. */
export function removeTagByHand(tag: string): string {
  return `gcloud run services update-traffic <service> --remove-tags ${tag}`;
}
