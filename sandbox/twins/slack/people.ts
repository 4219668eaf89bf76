import { randomBytes } from 'node:crypto';
import { channelIdOf } from './ids.ts';
import type { SlackState, TwinMessage } from './state.ts';

// What people do in the twin workspace: say something (in a channel or a thread), edit or delete it,
// react to a message. Each lands in the twin's state (so the bot's conversations.history sees it) and
// returns the Events API event Slack would deliver for it, with a fresh event id, for the caller to sign
// and send to the bot (sign.ts: eventCallbackBody, sendToBot).

export interface DeliveredEvent {
  event: Record<string, unknown>;
  eventId: string;
}

const eventId = () => `Ev${randomBytes(6).toString('hex').toUpperCase()}`;

export function createPeople(state: SlackState, teamId: string) {
  const messageEvent = (m: TwinMessage): Record<string, unknown> => ({
    type: 'message',
    ...(m.subtype ? { subtype: m.subtype } : {}),
    channel: m.channel,
    channel_type: 'channel',
    user: m.user,
    text: m.text,
    ts: m.ts,
    event_ts: m.ts,
    team: teamId,
    ...(m.thread_ts ? { thread_ts: m.thread_ts } : {}),
  });

  function mustFind(channel: string, ts: string): TwinMessage {
    const found = state.find(channel, ts);
    if (!found) throw new Error(`no message ${ts} in ${channel}`);
    return found;
  }

  return {
    /** A person posts; with `threadTs` a reply in that thread. */
    say(user: string, channel: string, text: string, threadTs?: string) {
      const message = state.post({
        channel: channelIdOf(channel),
        user,
        text,
        ...(threadTs ? { thread_ts: threadTs } : {}),
      });
      return {
        message: structuredClone(message),
        delivered: { event: messageEvent(message), eventId: eventId() },
      };
    },

    /** Another app (an alerting tool) posts a message whose words are only in an attachment. */
    app(name: string, channel: string, fallback: string): TwinMessage {
      const botId = `B${name
        .toUpperCase()
        .replace(/[^A-Z0-9]/g, '')
        .slice(0, 9)}`;
      const message = state.post({
        channel: channelIdOf(channel),
        user: `U${botId.slice(1)}`,
        text: '',
        app: { botId, name, attachments: [{ fallback }] },
      });
      return structuredClone(message);
    },

    /** A person edits their message: `message_changed`, carrying the new and the previous message. */
    edit(channel: string, ts: string, text: string): DeliveredEvent {
      const message = mustFind(channel, ts);
      const previous = messageEvent(message);
      state.edit(message, text, undefined);
      const now = state.clock.next();
      return {
        eventId: eventId(),
        event: {
          type: 'message',
          subtype: 'message_changed',
          hidden: true,
          channel: message.channel,
          ts: now,
          event_ts: now,
          message: { ...messageEvent(message), edited: { user: message.user, ts: now } },
          previous_message: previous,
        },
      };
    },

    /** A person deletes their message: `message_deleted` with the deleted ts and the previous message. */
    remove(channel: string, ts: string): DeliveredEvent {
      const message = mustFind(channel, ts);
      const previous = messageEvent(message);
      state.remove(message);
      const now = state.clock.next();
      return {
        eventId: eventId(),
        event: {
          type: 'message',
          subtype: 'message_deleted',
          hidden: true,
          channel: message.channel,
          ts: now,
          event_ts: now,
          deleted_ts: message.ts,
          previous_message: previous,
        },
      };
    },

    /** A person reacts to a message: `reaction_added` (the twin keeps no reactions, only the event). */
    react(user: string, channel: string, ts: string, reaction: string): DeliveredEvent {
      const message = mustFind(channel, ts);
      return {
        eventId: eventId(),
        event: {
          type: 'reaction_added',
          user,
          reaction,
          item: { type: 'message', channel: message.channel, ts: message.ts },
          item_user: message.user,
          event_ts: state.clock.next(),
        },
      };
    },
  };
}
