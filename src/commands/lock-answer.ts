import { lockRefusal } from '../blocks/index.ts';
import type { Freeze, Lock } from '../runbooks/locks.ts';
import type { Reply, Surface } from './surface.ts';

// The answer to a start refused by the deploy lock or a freeze: who holds it, why, since when, and a link
// to the holder's thread.

export async function lockAnswer(
  surface: Surface,
  scope: { service: string; env: string },
  refused: { reason: 'held'; holder: Lock } | { reason: 'frozen'; freeze: Freeze },
  viewer: string,
): Promise<Reply> {
  if (refused.reason === 'frozen') return lockRefusal({ ...scope, viewer, freeze: refused.freeze });
  const card = await surface.poster.ref(refused.holder.rolloutId, 'card');
  const threadLink = card ? await surface.poster.permalink(card) : undefined;
  return lockRefusal({ ...scope, viewer, holder: refused.holder, ...(threadLink ? { threadLink } : {}) });
}
