import type { WebClient } from '@slack/web-api';
import type { Logger } from 'pino';
import { createHome } from '../commands/home.ts';
import type { Surface } from '../commands/surface.ts';
import type { ShiftgateConfig } from '../config/schema.ts';
import { type Capture, createCapture } from '../incidents/capture.ts';
import { createIncidents, type Incidents } from '../incidents/incidents.ts';
import { createMessageRefs } from '../platform/slack/message-refs.ts';
import { fetchMessage } from '../platform/slack/messages.ts';
import { createSlackNotifier } from '../platform/slack/notifier.ts';
import { createPoster, type Poster } from '../platform/slack/poster.ts';
import { createGroupResolver } from '../platform/slack/usergroups.ts';
import type { Notify } from '../runbooks/effects.ts';
import type { Engine } from '../runbooks/engine.ts';
import type { ReportSink } from '../runbooks/ports/report-sink.ts';
import type { RouteSplitControl } from '../runbooks/ports/route-split.ts';
import { createRouteControl } from '../runbooks/route/index.ts';
import type { Store } from '../store/index.ts';
import { createValidation, type ValidationDeps } from '../validation/index.ts';
import { engineLogger } from './log.ts';

// The Slack side of a replica, built before the engine (which notifies through it and opens incidents
// with it) and completed into the command surface once the engine exists. main.ts, the tests and the
// sandbox build a replica the same way.

export interface SlackSide {
  poster: Poster;
  incidents: Incidents;
  capture: Capture;
  notify: Notify;
  groupsOf(userId: string): Promise<string[]>;
  home: ReturnType<typeof createHome>;
}

export function buildSlackSide(deps: {
  config: ShiftgateConfig;
  store: Store;
  client: WebClient;
  log: Logger;
  groupsTtlMs?: number;
  /** Where an environment keeps reports beyond Redis (the platform's reportSinks). */
  sinks?: (env: string) => Promise<ReportSink | undefined>;
}): SlackSide {
  const { config, store, client } = deps;
  const log = engineLogger(deps.log);
  const poster = createPoster(client, createMessageRefs(store.redis, store.keys));
  const incidents = createIncidents({
    store,
    redis: store.redis,
    config,
    poster,
    log,
    ...(deps.sinks ? { sinks: deps.sinks } : {}),
  });
  const home = createHome({ client, store, incidents, config });
  const notify = createSlackNotifier({
    store,
    poster,
    config,
    log,
    ended: (state) => home.ended(state),
    ...(deps.sinks ? { sinks: deps.sinks } : {}),
  });
  const groups = createGroupResolver({
    client,
    config,
    log,
    ...(deps.groupsTtlMs === undefined ? {} : { ttlMs: deps.groupsTtlMs }),
  });
  const capture = createCapture({
    incidents,
    fetchMessage: (channel, ts) => fetchMessage(client, channel, ts),
  });
  return { poster, incidents, capture, notify, groupsOf: (userId) => groups.groupsOf(userId), home };
}

export function surfaceOf(
  slack: SlackSide,
  deps: {
    config: ShiftgateConfig;
    store: Store;
    engine: Engine;
    log: Logger;
    /** The ports /validate runs through; without them the command says it is not available. */
    validation?: Omit<ValidationDeps, 'config' | 'store' | 'log'>;
    /** The route-split control per service and environment, for /route; without it /route says so. */
    routeSplit?: (service: string, env: string) => RouteSplitControl | undefined;
    /** Where an environment keeps reports beyond Redis, for /report. */
    reportSinks?: (env: string) => Promise<ReportSink | undefined>;
    /** The clock of the freeze schedule in /deploy locks and App Home; default the real one (tests move it). */
    now?: () => Date;
  },
): Surface {
  const route = deps.routeSplit
    ? createRouteControl({
        store: deps.store,
        config: deps.config,
        routeSplit: deps.routeSplit,
        log: engineLogger(deps.log),
        personOf: async (userId) => ({ userId, groups: await slack.groupsOf(userId) }),
      })
    : undefined;
  const validation = deps.validation
    ? createValidation({
        ...deps.validation,
        config: deps.config,
        store: deps.store,
        log: engineLogger(deps.log),
      })
    : undefined;
  return {
    config: deps.config,
    store: deps.store,
    engine: deps.engine,
    incidents: slack.incidents,
    capture: slack.capture,
    poster: slack.poster,
    ...(validation ? { validation } : {}),
    ...(route ? { route } : {}),
    ...(deps.reportSinks ? { reportSinks: deps.reportSinks } : {}),
    groupsOf: slack.groupsOf,
    publishHome: (userId) =>
      slack.home.publish(userId, {
        ...(route ? { routes: () => route.standingAll() } : {}),
        ...(deps.now ? { now: deps.now } : {}),
      }),
    log: deps.log,
    ...(deps.now ? { now: deps.now } : {}),
  };
}
