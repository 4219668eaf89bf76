import type { WebClient } from '@slack/web-api';
import type { HomeInput } from '../blocks/home.ts';
import { appHome } from '../blocks/index.ts';
import type { ShiftgateConfig } from '../config/schema.ts';
import type { Incidents } from '../incidents/incidents.ts';
import { freezeSchedule } from '../runbooks/freeze/scope.ts';
import type { RunbookState } from '../runbooks/types.ts';

type RouteOverrides = NonNullable<HomeInput['routeOverrides']>;

import type { Store } from '../store/index.ts';
import { activeStates } from './surface.ts';

// App Home: what is going on now (active rollouts, locks and freezes, the scheduled freeze windows of the
// next 7 days, open incidents) and what ended lately. Published when a user opens the tab; everything is
// read from the store (and the config's schedule) at that moment.

const HISTORY = 20;

export function createHome(deps: {
  client: WebClient;
  store: Store;
  incidents: Incidents;
  config: ShiftgateConfig;
}) {
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

    /** `routes`: the standing route-split overrides, when this replica has the route-split control. */
    async publish(
      userId: string,
      more: { routes?: () => Promise<RouteOverrides>; now?: () => Date } = {},
    ): Promise<void> {
      const now = more.now?.() ?? new Date();
      const [rollouts, locks, freezes, incidents, ids, routeOverrides] = await Promise.all([
        activeStates(store),
        store.locks.listLocks(),
        store.locks.listFreezes(),
        deps.incidents.listOpen(),
        store.redis.zrevrange(historyKey(), 0, HISTORY - 1),
        more.routes?.(),
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
          ...(routeOverrides?.length ? { routeOverrides } : {}),
          now,
          schedule: freezeSchedule(deps.config, now),
        }),
      });
    },
  };
}
