import type { WebClient } from '@slack/web-api';
import { appHome } from '../blocks/index.ts';
import type { Incidents } from '../incidents/incidents.ts';
import type { RunbookState } from '../runbooks/types.ts';
import type { Store } from '../store/index.ts';
import { activeStates } from './surface.ts';

// App Home: what is going on now (active rollouts, locks and freezes, open incidents) and what ended
// lately. Published when a user opens the tab; everything is read from the store at that moment.

const HISTORY = 20;

export function createHome(deps: { client: WebClient; store: Store; incidents: Incidents }) {
  const { store } = deps;
  const historyKey = () => store.keys.history();

  return {
    /** Remembers a finished rollout for the history list (idempotent: a rollout is listed once). */
    async ended(state: RunbookState): Promise<void> {
      const at = Date.parse(state.endedAt ?? new Date().toISOString());
      await store.redis
        .multi()
        .zadd(historyKey(), at, state.id)
        .zremrangebyrank(historyKey(), 0, -201)
        .exec();
    },

    async publish(userId: string): Promise<void> {
      const [rollouts, locks, freezes, incidents, ids] = await Promise.all([
        activeStates(store),
        store.locks.listLocks(),
        store.locks.listFreezes(),
        deps.incidents.listOpen(),
        store.redis.zrevrange(historyKey(), 0, HISTORY - 1),
      ]);
      const ended = await Promise.all(ids.map((id) => store.rollouts.get<{ state: RunbookState }>(id)));
      const history = ended.flatMap((record) => {
        const state = record?.data.state;
        return state
          ? [
              {
                id: state.id,
                service: state.service,
                env: state.env,
                status: state.status,
                endedAt: state.endedAt ?? '',
              },
            ]
          : [];
      });
      await deps.client.views.publish({
        user_id: userId,
        view: appHome({
          rollouts,
          locks,
          freezes,
          incidents: incidents.map((i) => ({
            id: i.id,
            service: i.service,
            env: i.env,
            symptom: i.symptom,
            at: i.openedAt,
          })),
          history,
        }),
      });
    },
  };
}
