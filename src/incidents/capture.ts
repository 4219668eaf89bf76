import { unescapeText } from '../blocks/message.ts';
import type { Incidents } from './incidents.ts';
import type { Incident } from './types.ts';

// Incident notes from Slack, as the Events API delivers them (platform-facts.md): a person's reply in an
// incident's thread is a note (author, time, Slack ts); `message_changed` edits it, `message_deleted`
// removes it; a :memo: reaction on any message in a channel adds that message to the incident open there.
// Notes are keyed by Slack ts, so a redelivered event or a second :memo: adds nothing; the thread index
// lives in Redis, so a restarted bot goes on capturing.

export interface MessageEvent {
  type: 'message';
  subtype?: string;
  channel: string;
  user?: string;
  bot_id?: string;
  text?: string;
  ts: string;
  thread_ts?: string;
  message?: {
    user?: string;
    bot_id?: string;
    text?: string;
    ts: string;
    thread_ts?: string;
    subtype?: string;
    edited?: { user?: string; ts: string };
  };
  previous_message?: { ts: string; thread_ts?: string; text?: string };
  deleted_ts?: string;
}

export interface ReactionEvent {
  type: 'reaction_added';
  user: string;
  reaction: string;
  item: { type: string; channel?: string; ts?: string };
}

/** A message as conversations.history or .replies answers it. */
export interface FetchedMessage {
  user?: string;
  bot_id?: string;
  /** Another app's name, for its messages. */
  bot_name?: string;
  text?: string;
  ts: string;
  thread_ts?: string;
}

export type Captured =
  | { kind: 'noted' | 'edited' | 'removed'; incidentId: string }
  | { kind: 'ignored'; why: string };

/** Subtypes that are still a person speaking (a reply also sent to the channel, a reply with a file). */
const SPOKEN = new Set([undefined, 'thread_broadcast', 'file_share', 'me_message']);

/** Slack's ts is seconds with microseconds: the time of the message. */
const timeOf = (ts: string) => new Date(Math.round(Number(ts) * 1000)).toISOString();

export const NOTE_REACTION = 'memo';

export function createCapture(deps: {
  incidents: Incidents;
  /** The message at `ts` in `channel` (top level or in a thread), read through the Web API. */
  fetchMessage(channel: string, ts: string): Promise<FetchedMessage | undefined>;
}) {
  const { incidents } = deps;
  /** A Slack message as a note: its author, its text, its time, keyed by its ts. */
  const noteOf = (incident: Incident, by: string, text: string, ts: string) =>
    incidents.note(incident, { by, text, at: timeOf(ts), ts });

  return {
    async message(event: MessageEvent): Promise<Captured> {
      if (event.subtype === 'message_changed') {
        const m = event.message;
        if (!m?.thread_ts || m.thread_ts === m.ts) return { kind: 'ignored', why: 'not a thread reply' };
        if (m.bot_id) return { kind: 'ignored', why: 'a bot message' };
        // Slack also sends message_changed when it unfurls a link: only a changed text is an edit.
        if (!m.edited && m.text === event.previous_message?.text)
          return { kind: 'ignored', why: 'not an edit of the text' };
        const incident = await incidents.ofThread(event.channel, m.thread_ts);
        if (!incident) return { kind: 'ignored', why: 'not an open incident thread' };
        const text = unescapeText(m.text ?? '');
        const edited = await incidents.edit(incident, m.ts, text, timeOf(m.edited?.ts ?? event.ts));
        // An edit of a reply never captured (sent while the bot was not subscribed) becomes a note.
        if (!edited && m.user) await noteOf(incident, m.user, text, m.ts);
        return { kind: 'edited', incidentId: incident.id };
      }
      if (event.subtype === 'message_deleted') {
        const previous = event.previous_message;
        const deleted = event.deleted_ts ?? previous?.ts;
        if (!previous?.thread_ts || !deleted) return { kind: 'ignored', why: 'not a thread reply' };
        const incident = await incidents.ofThread(event.channel, previous.thread_ts);
        if (!incident) return { kind: 'ignored', why: 'not an open incident thread' };
        await incidents.unnote(incident, deleted);
        return { kind: 'removed', incidentId: incident.id };
      }
      if (!SPOKEN.has(event.subtype) || event.bot_id || !event.user)
        return { kind: 'ignored', why: 'not a person' };
      if (!event.thread_ts || event.thread_ts === event.ts)
        return { kind: 'ignored', why: 'not a thread reply' };
      const incident = await incidents.ofThread(event.channel, event.thread_ts);
      if (!incident) return { kind: 'ignored', why: 'not an open incident thread' };
      await noteOf(incident, event.user, unescapeText(event.text ?? ''), event.ts);
      return { kind: 'noted', incidentId: incident.id };
    },

    async reaction(event: ReactionEvent): Promise<Captured> {
      const { channel, ts } = event.item;
      if (event.reaction !== NOTE_REACTION || event.item.type !== 'message' || !channel || !ts)
        return { kind: 'ignored', why: `not a :${NOTE_REACTION}: on a message` };
      const message = await deps.fetchMessage(channel, ts);
      if (!message?.text) return { kind: 'ignored', why: 'the message could not be read' };
      // A reply in an incident's thread belongs to that incident; anything else to the newest open here.
      const incident =
        (message.thread_ts ? await incidents.ofThread(channel, message.thread_ts) : undefined) ??
        (await incidents.openIn(channel));
      if (!incident) return { kind: 'ignored', why: 'no incident is open in this channel' };
      // An app's message is by the app (its name), a person's by the person.
      const author = message.bot_id
        ? (message.bot_name ?? message.user ?? `app ${message.bot_id}`)
        : (message.user ?? event.user);
      const text = unescapeText(message.text);
      const added =
        author === event.user ? text : `${text} (added by <@${event.user}> with :${NOTE_REACTION}:)`;
      await noteOf(incident, author, added, message.ts);
      return { kind: 'noted', incidentId: incident.id };
    },
  };
}

export type Capture = ReturnType<typeof createCapture>;
