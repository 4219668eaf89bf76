import { channelIdOf, TsClock } from './ids.ts';

// What the twin workspace holds: channel timelines with threads, ephemerals, Home tabs, files and the
// responses sent to response_urls. The Web API methods and the test accessors both work on this.

export interface TwinFileRef {
  id: string;
  name: string;
  title: string;
}

export interface TwinMessage {
  channel: string;
  ts: string;
  /** The bot user for what the bot posts; a person's id for what people say (people.ts). */
  user: string;
  text: string;
  blocks?: unknown[];
  thread_ts?: string;
  /** 'thread_broadcast' for a reply also sent to the channel. */
  subtype?: string;
  /** How many times chat.update (or a replace_original response) changed it. */
  edits: number;
  /** The earlier versions, oldest first. */
  history: { text: string; blocks?: unknown[] }[];
  files?: TwinFileRef[];
  /** Another app's message (people.ts `app`): its bot and its attachments. */
  app?: { botId: string; name: string; attachments: { fallback: string }[] };
  reply_count?: number;
  /** Message metadata as posted (chat.postMessage `metadata`); returned only where Slack returns it. */
  metadata?: { event_type: string; event_payload: Record<string, unknown> };
}

export interface TwinEphemeral {
  channel: string;
  user: string;
  ts: string;
  text: string;
  blocks?: unknown[];
  thread_ts?: string;
  /** 'ack': the body of an ack, which Slack shows the user who typed or clicked (ackReply). */
  source: 'chat.postEphemeral' | 'response_url' | 'ack';
}

export interface TwinFile extends TwinFileRef {
  /** The declared length (files.getUploadURLExternal). */
  length: number;
  /** The uploaded bytes as UTF-8 text ('' before the upload). */
  content: string;
  bytes?: Uint8Array;
  completed: boolean;
  channel?: string;
  thread_ts?: string;
  initial_comment?: string;
}

export interface TwinResponse {
  url: string;
  user: string;
  channel: string;
  /** The message the response_url belongs to (an interaction's), if any. */
  message_ts?: string;
  response_type: 'ephemeral' | 'in_channel';
  replace_original: boolean;
  delete_original: boolean;
  text?: string;
  blocks?: unknown[];
  thread_ts?: string;
  body: Record<string, unknown>;
}

export interface ResponseUrl {
  user: string;
  channel: string;
  message_ts?: string;
  uses: number;
}

export class SlackState {
  readonly clock: TsClock;
  private readonly top = new Map<string, TwinMessage[]>();
  private readonly replies = new Map<string, TwinMessage[]>();
  private readonly index = new Map<string, TwinMessage>();
  readonly ephemerals = new Map<string, TwinEphemeral[]>();
  readonly homes = new Map<string, Record<string, unknown>>();
  readonly files = new Map<string, TwinFile>();
  readonly responseUrls = new Map<string, ResponseUrl>();
  readonly responses: TwinResponse[] = [];

  constructor(options: { wallClock?: boolean } = {}) {
    this.clock = new TsClock({ wall: options.wallClock ?? false });
  }

  /** Posts at the top level, or into a thread (and the channel too with `broadcast`). */
  post(fields: Omit<TwinMessage, 'ts' | 'edits' | 'history'> & { broadcast?: boolean }): TwinMessage {
    const { broadcast, ...rest } = fields;
    const message: TwinMessage = { ...rest, ts: this.clock.next(), edits: 0, history: [] };
    if (broadcast && message.thread_ts) message.subtype = 'thread_broadcast';
    if (message.thread_ts) {
      // Like Slack, a thread_ts naming no message is accepted: the reply is stored, but no parent counts it.
      push(this.replies, `${message.channel} ${message.thread_ts}`, message);
      const parent = this.find(message.channel, message.thread_ts);
      if (parent) parent.reply_count = (parent.reply_count ?? 0) + 1;
    }
    if (!message.thread_ts || broadcast) push(this.top, message.channel, message);
    this.index.set(`${message.channel} ${message.ts}`, message);
    return message;
  }

  find(channel: string, ts: string): TwinMessage | undefined {
    return this.index.get(`${channelIdOf(channel)} ${ts}`);
  }

  edit(message: TwinMessage, text: string | undefined, blocks: unknown[] | undefined): void {
    message.history.push({ text: message.text, ...(message.blocks ? { blocks: message.blocks } : {}) });
    if (text !== undefined) message.text = text;
    if (blocks !== undefined) message.blocks = blocks;
    message.edits += 1;
  }

  remove(message: TwinMessage): void {
    this.index.delete(`${message.channel} ${message.ts}`);
    drop(this.top, message.channel, message);
    if (message.thread_ts) drop(this.replies, `${message.channel} ${message.thread_ts}`, message);
  }

  channel(channel: string): TwinMessage[] {
    return this.top.get(channelIdOf(channel)) ?? [];
  }

  thread(channel: string, ts: string): TwinMessage[] {
    return this.replies.get(`${channelIdOf(channel)} ${ts}`) ?? [];
  }

  addEphemeral(ephemeral: Omit<TwinEphemeral, 'ts'>): TwinEphemeral {
    const stored = { ...ephemeral, ts: this.clock.next() };
    push(this.ephemerals, stored.user, stored);
    return stored;
  }

  clear(): void {
    this.clock.reset();
    for (const map of [this.top, this.replies, this.index, this.ephemerals, this.homes, this.files]) {
      map.clear();
    }
    this.responseUrls.clear();
    this.responses.length = 0;
  }
}

function push<T>(map: Map<string, T[]>, key: string, value: T): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

function drop<T>(map: Map<string, T[]>, key: string, value: T): void {
  const list = map.get(key);
  const at = list?.indexOf(value) ?? -1;
  if (list && at >= 0) list.splice(at, 1);
}
