import type { Logger } from 'pino';
import { type Mrkdwn, type SlackMessage, textMessage } from '../blocks/message.ts';
import type { Principals } from '../config/environments.ts';
import type { ShiftgateConfig } from '../config/schema.ts';
import type { Capture } from '../incidents/capture.ts';
import type { Incidents } from '../incidents/incidents.ts';
import type { Poster } from '../platform/slack/poster.ts';
import type { Engine } from '../runbooks/engine.ts';
import type { ReportSink } from '../runbooks/ports/report-sink.ts';
import { isMember } from '../runbooks/principals.ts';
import type { RouteControl } from '../runbooks/route/index.ts';
import type { RunbookState } from '../runbooks/types.ts';
import type { Store } from '../store/index.ts';
import type { Validation } from '../validation/index.ts';
import type { Channel } from './scope.ts';

// What the command and button handlers work with. They turn Slack input into engine calls and answer the
// person; the rules (who may, what is allowed now) live in the engine.

export interface Surface {
  config: ShiftgateConfig;
  engine: Engine;
  store: Store;
  incidents: Incidents;
  /** Incident notes from thread replies and :memo: reactions. */
  capture: Capture;
  poster: Poster;
  /** The route split (/route, and the check before /canary start); absent without a route-split port. */
  route?: RouteControl;
  /** Validation runs (/validate); absent in a replica built without their ports. */
  validation?: Validation;
  /** Where an environment keeps reports beyond Redis (/report); absent: nowhere. */
  reportSinks?: (env: string) => Promise<ReportSink | undefined>;
  /** The config's Slack user groups the user belongs to. */
  groupsOf(userId: string): Promise<string[]>;
  /** Publishes the App Home of a user. */
  publishHome(userId: string): Promise<void>;
  log: Logger;
  /** The clock of lists that say "now" and "in 2 h" (the scheduled freeze windows); default the real one. */
  now?: () => Date;
}

export interface Invocation {
  userId: string;
  channel: Channel;
}

/**
 * An answer to the person who acted: ephemeral unless `inChannel`. A SlackMessage, so it is built by the
 * blocks' builders and its text escaped (blocks/message.ts): there is no way to answer with raw text.
 */
export type Reply = SlackMessage & { inChannel?: boolean };

export const say = (text: Mrkdwn): Reply => textMessage(text);

/** The same answer, posted in the channel for everyone. */
export const toChannel = (reply: SlackMessage): Reply => ({ ...reply, inChannel: true });

/** Whether the user is in any of these roles, Slack user groups included (checked at the moment of asking). */
export async function isAnyOf(
  surface: Surface,
  userId: string,
  roles: readonly Principals[],
): Promise<boolean> {
  const person = { userId, groups: await surface.groupsOf(userId) };
  return roles.some((role) => isMember(role, person));
}

/** The active rollouts (of one service, in one environment when given). */
export async function activeStates(store: Store, service?: string, env?: string): Promise<RunbookState[]> {
  const records = await store.rollouts.listActive(service, service === undefined ? undefined : env);
  return records.map((r) => (r.data as { state: RunbookState }).state).filter((s) => s !== undefined);
}
