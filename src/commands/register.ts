import type { App, BlockAction, ButtonAction, RespondFn } from '@slack/bolt';
import { ACTIONS } from '../blocks/actions.ts';
import { usage } from '../blocks/index.ts';
import { code, type Mrkdwn, md, unescapeText } from '../blocks/message.ts';
import type { Captured, MessageEvent, ReactionEvent } from '../incidents/capture.ts';
import type { AfterAck, InFlight } from './after-ack.ts';
import type { Parsed } from './args.ts';
import { runClick } from './buttons.ts';
import { runCanary } from './canary.ts';
import { parseCanary } from './canary-args.ts';
import { runCutover } from './cutover.ts';
import { parseCutover } from './cutover-args.ts';
import { runDeploy } from './deploy.ts';
import { parseDeploy } from './deploy-args.ts';
import { runFlag } from './flag.ts';
import { parseFlag } from './flag-args.ts';
import { parseGates, runGates } from './gates.ts';
import { runIncident } from './incident.ts';
import { parseIncident } from './incident-args.ts';
import { parseReport, runReport } from './report.ts';
import { runRollback } from './rollback.ts';
import { parseRollback } from './rollback-args.ts';
import { runRoute } from './route.ts';
import { parseRoute } from './route-args.ts';
import { type Invocation, type Reply, type Surface, say } from './surface.ts';
import { runValidate } from './validate.ts';
import { parseValidate } from './validate-args.ts';

// The Slack surface on Bolt: every slash command and button. Parsing is synchronous and cheap, so bad
// input is answered in the ack itself; good input is acked empty at once and the work answers through
// response_url afterwards (Slack wants the ack within 3 s), queued in `afterAck` so that a burst of work
// never delays the acks of later requests. Events API retries are dropped by event id.

export const COMMANDS = [
  '/canary',
  '/rollback',
  '/incident',
  '/deploy',
  '/validate',
  '/route',
  '/cutover',
  '/flag',
  '/report',
  '/gates',
] as const;
type CommandName = (typeof COMMANDS)[number];

const EVENT_DEDUPE_MS = 60 * 60_000; // Slack retries within 5 minutes
/** Slack refuses a signature older than 5 minutes: a replay after that never reaches the commands. */
const COMMAND_DEDUPE_MS = 10 * 60_000;
const REQUIRED_FIELDS = ['text', 'user_id', 'channel_id', 'trigger_id'] as const;

const ackText = (text: Mrkdwn) => ({ response_type: 'ephemeral' as const, text: text.text });

export function registerSurface(
  app: App,
  surface: Surface,
  afterAck: { people: AfterAck; events: AfterAck; inFlight: InFlight },
): void {
  // First of all middleware: every request counts as in flight until its work is done.
  app.use(({ next }) => afterAck.inFlight.track(next));

  // Events API retries carry the same event_id: only the first delivery is processed.
  app.use(async ({ body, next }) => {
    const eventId = (body as { event_id?: unknown }).event_id;
    if (
      typeof eventId === 'string' &&
      !(await surface.store.idempotency.claim(`event.${eventId}`, EVENT_DEDUPE_MS))
    ) {
      return;
    }
    await next();
  });

  for (const name of COMMANDS) {
    app.command(name, async ({ command, ack, respond }) => {
      // Slack sends each field once; a body with one repeated (a hand-made or mangled request) has an
      // array where a string belongs. Answered, never assumed.
      const repeated = REQUIRED_FIELDS.find(
        (field) => typeof command[field] !== 'string' || (field !== 'text' && command[field].length > 256),
      );
      if (repeated) {
        await ack(
          ackText(
            md`This command arrived with ${code(repeated)} missing or given more than once, so it was not run. Type it again.`,
          ),
        );
        return;
      }
      const parsed = parse(name, unescapeText(command.text), surface);
      if (!parsed.ok) {
        await ack(ackText(md`${parsed.error}\n${usage(name)}`));
        return;
      }
      // A signed request replayed within Slack's 5 minutes (same trigger_id, unique per invocation) runs
      // once, like an event or a click.
      if (!(await surface.store.idempotency.claim(`command.${command.trigger_id}`, COMMAND_DEDUPE_MS))) {
        await ack();
        return;
      }
      await ack();
      const who: Invocation = {
        userId: command.user_id,
        channel: { id: command.channel_id, name: command.channel_name },
      };
      await afterAck.people.run(() => answer(respond, () => run(name, parsed.value, who, surface), surface));
    });
  }

  for (const actionId of Object.values(ACTIONS)) {
    app.action<BlockAction<ButtonAction>>(actionId, async ({ ack, body, action, respond }) => {
      await ack();
      if (action.type !== 'button') return;
      const click = {
        actionId: action.action_id,
        value: action.value,
        userId: body.user.id,
        channelId: body.channel?.id ?? (body.container as { channel_id?: string }).channel_id ?? '',
        actionTs: action.action_ts,
      };
      await afterAck.people.run(() => answer(respond, () => runClick(click, surface), surface));
    });
  }

  // Incident notes: replies in an incident's thread (with their edits and deletions) and :memo: reactions.
  app.event('message', async ({ event }) => {
    const message = event as unknown as MessageEvent;
    await afterAck.events.run(() =>
      captured(surface, () => surface.capture.message(message), {
        ...(message.user ? { user: message.user } : {}),
        channel: message.channel,
        ...(message.thread_ts ? { threadTs: message.thread_ts } : {}),
      }),
    );
  });
  app.event('reaction_added', async ({ event }) => {
    const reaction = event as ReactionEvent;
    await afterAck.events.run(() =>
      captured(surface, () => surface.capture.reaction(reaction), {
        user: reaction.user,
        ...(reaction.item.channel ? { channel: reaction.item.channel } : {}),
      }),
    );
  });

  app.event('app_home_opened', async ({ event }) => {
    if (event.tab === 'home') await afterAck.events.run(() => surface.publishHome(event.user));
  });
}

/**
 * Events have no one waiting for an answer, and Slack does not redeliver an event that was acknowledged:
 * a note that could not be captured is logged and said to the person who wrote or marked it, so that they
 * can add it with `/incident note`.
 */
async function captured(
  surface: Surface,
  work: () => Promise<Captured>,
  who: { user?: string; channel?: string; threadTs?: string },
): Promise<void> {
  try {
    const result = await work();
    if (result.kind !== 'ignored')
      surface.log.info({ incidentId: result.incidentId }, `incident note ${result.kind}`);
  } catch (error) {
    const why = (error as Error).message;
    surface.log.error(
      { error: why, user: who.user, channel: who.channel },
      'an incident note could not be captured',
    );
    if (!who.user || !who.channel) return;
    await surface.poster
      .ephemeral(
        { channel: who.channel, ...(who.threadTs ? { threadTs: who.threadTs } : {}) },
        who.user,
        md`:warning: shiftgate could not add that to the incident (${why}). Add it with ${code('/incident note <text>')}.`
          .text,
      )
      .catch(() => {});
  }
}

function parse(name: CommandName, text: string, surface: Surface): Parsed<unknown> {
  switch (name) {
    case '/canary':
      return parseCanary(text, surface.config);
    case '/rollback':
      return parseRollback(text, surface.config);
    case '/incident':
      return parseIncident(text, surface.config);
    case '/deploy':
      return parseDeploy(text, surface.config);
    case '/validate':
      return parseValidate(text, surface.config);
    case '/route':
      return parseRoute(text, surface.config);
    case '/cutover':
      return parseCutover(text, surface.config);
    case '/flag':
      return parseFlag(text, surface.config);
    case '/report':
      return parseReport(text);
    case '/gates':
      return parseGates(text, surface.config);
  }
}

function run(
  name: CommandName,
  intent: unknown,
  who: Invocation,
  surface: Surface,
): Promise<Reply | undefined> {
  switch (name) {
    case '/canary':
      return runCanary(intent as Parameters<typeof runCanary>[0], who, surface);
    case '/rollback':
      return runRollback(intent as Parameters<typeof runRollback>[0], who, surface);
    case '/incident':
      return runIncident(intent as Parameters<typeof runIncident>[0], who, surface);
    case '/deploy':
      return runDeploy(intent as Parameters<typeof runDeploy>[0], who, surface);
    case '/validate':
      return runValidate(intent as Parameters<typeof runValidate>[0], who, surface);
    case '/route':
      return runRoute(intent as Parameters<typeof runRoute>[0], who, surface);
    case '/cutover':
      return runCutover(intent as Parameters<typeof runCutover>[0], who, surface);
    case '/flag':
      return runFlag(intent as Parameters<typeof runFlag>[0], who, surface);
    case '/report':
      return runReport(intent as Parameters<typeof runReport>[0], who, surface);
    case '/gates':
      return runGates(intent as Parameters<typeof runGates>[0], who, surface);
  }
}

/** Runs the work after the ack and answers the person; a failure is answered too, never swallowed. */
async function answer(
  respond: RespondFn | undefined,
  work: () => Promise<Reply | undefined>,
  surface: Surface,
): Promise<void> {
  let reply: Reply | undefined;
  try {
    reply = await work();
  } catch (error) {
    surface.log.error({ error: (error as Error).message }, 'command failed');
    reply = say(
      md`Something went wrong on shiftgate's side: ${(error as Error).message}. Nothing was changed by this request unless its thread says so.`,
    );
  }
  if (!reply || !respond) return;
  await respond({
    response_type: reply.inChannel ? 'in_channel' : 'ephemeral',
    replace_original: false,
    text: reply.text,
    ...(reply.blocks.length > 0 ? { blocks: reply.blocks } : {}),
  }).catch((error: unknown) => surface.log.warn({ error: (error as Error).message }, 'respond failed'));
}
