import { randomBytes } from 'node:crypto';
import { blockProblems } from './blocks.ts';
import { channelIdOf, TWIN_WORKSPACE_URL } from './ids.ts';
import type { SlackState, TwinFile, TwinMessage } from './state.ts';
import { type Args, bool, invalidArguments, jsonArg, SlackError, str } from './wire.ts';

// The Web API methods the bot uses, each taking decoded arguments and returning the body of Slack's
// {ok: true, ...} answer or throwing the SlackError Slack would answer.

export interface Workspace {
  state: SlackState;
  origin: string;
  botUserId: string;
  botId: string;
  teamId: string;
  appId: string;
  usergroups: Map<string, { handle: string; users: string[] }>;
  planUpgradeRequired: boolean;
}

export type Method = (args: Args, ws: Workspace) => Record<string, unknown>;

const MAX_TEXT = 40_000;

function requireChannel(args: Args, key = 'channel'): string {
  const channel = str(args, key);
  if (!channel) throw new SlackError('channel_not_found');
  return channelIdOf(channel);
}

/** text and blocks as sent, validated like Slack; both undefined when absent. */
function content(args: Args): { text?: string; blocks?: unknown[] } {
  const text = str(args, 'text');
  const blocks = jsonArg(args, 'blocks', () => new SlackError('invalid_blocks_format'));
  if (text !== undefined && text.length > MAX_TEXT) throw new SlackError('msg_too_long');
  if (blocks === undefined) return text === undefined ? {} : { text };
  if (!Array.isArray(blocks)) throw new SlackError('invalid_blocks_format');
  const problems = blockProblems(blocks, 50);
  if (problems.length > 0) {
    throw new SlackError('invalid_blocks', {
      errors: problems,
      response_metadata: { messages: problems.map((p) => `[ERROR] ${p}`) },
    });
  }
  return { ...(text === undefined ? {} : { text }), blocks };
}

function requireContent(args: Args): { text?: string; blocks?: unknown[] } {
  const found = content(args);
  if (!found.text && !found.blocks?.length && args.attachments === undefined) throw new SlackError('no_text');
  return found;
}

/** What Slack infers from a file's name (the bot sends no filetype). */
const MIMETYPES: Record<string, [filetype: string, mimetype: string]> = {
  png: ['png', 'image/png'],
  json: ['json', 'application/json'],
  md: ['markdown', 'text/markdown'],
  tsv: ['text', 'text/tab-separated-values'],
};

function typeOf(name: string): { filetype: string; mimetype: string } {
  const [filetype, mimetype] = MIMETYPES[name.split('.').at(-1)?.toLowerCase() ?? ''] ?? [
    'text',
    'text/plain',
  ];
  return { filetype, mimetype };
}

export const fileJson = (file: TwinFile | undefined, ws: Workspace) =>
  file && {
    id: file.id,
    name: file.name,
    title: file.title,
    size: file.length,
    ...typeOf(file.name),
    user: ws.botUserId,
    url_private: `${ws.origin}/files/${file.id}/${encodeURIComponent(file.name)}`,
    permalink: `${TWIN_WORKSPACE_URL}files/${ws.botUserId}/${file.id}/${encodeURIComponent(file.name)}`,
  };

export function messageJson(m: TwinMessage, ws: Workspace, withMetadata = false): Record<string, unknown> {
  const byBot = m.user === ws.botUserId;
  return {
    ...(withMetadata && m.metadata ? { metadata: m.metadata } : {}),
    type: 'message',
    ...(m.subtype ? { subtype: m.subtype } : {}),
    text: m.text,
    user: m.user,
    ...(byBot ? { bot_id: ws.botId, app_id: ws.appId } : {}),
    ...(m.app
      ? {
          bot_id: m.app.botId,
          bot_profile: { id: m.app.botId, name: m.app.name },
          attachments: m.app.attachments,
        }
      : {}),
    team: ws.teamId,
    ts: m.ts,
    ...(m.blocks ? { blocks: m.blocks } : {}),
    ...(m.thread_ts ? { thread_ts: m.thread_ts, parent_user_id: ws.botUserId } : {}),
    ...(m.files ? { files: m.files.map((f) => fileJson(ws.state.files.get(f.id), ws)), upload: true } : {}),
  };
}

/** The messages within `oldest`..`latest` (ts strings of equal width compare as numbers). */
function inRange(messages: TwinMessage[], args: Args): TwinMessage[] {
  const inclusive = bool(args, 'inclusive');
  const latest = str(args, 'latest');
  const oldest = str(args, 'oldest');
  return messages.filter(
    (m) =>
      (latest === undefined || (inclusive ? m.ts <= latest : m.ts < latest)) &&
      (oldest === undefined || (inclusive ? m.ts >= oldest : m.ts > oldest)),
  );
}

function usergroupsAllowed(ws: Workspace): void {
  // Free workspaces have no user groups at all.
  if (ws.planUpgradeRequired) throw new SlackError('plan_upgrade_required');
}

/** chat.postMessage `metadata`: JSON with a string event_type and an object event_payload, as Slack checks. */
function metadataOf(args: Args): TwinMessage['metadata'] {
  const value = jsonArg(args, 'metadata', () => new SlackError('invalid_metadata_format'));
  if (value === undefined) return undefined;
  const m = value as { event_type?: unknown; event_payload?: unknown };
  if (
    typeof m !== 'object' ||
    m === null ||
    typeof m.event_type !== 'string' ||
    typeof m.event_payload !== 'object' ||
    m.event_payload === null ||
    Array.isArray(m.event_payload)
  ) {
    throw new SlackError('invalid_metadata_schema');
  }
  return { event_type: m.event_type, event_payload: m.event_payload as Record<string, unknown> };
}

export const methods: Record<string, Method> = {
  'auth.test': (_, ws) => ({
    url: TWIN_WORKSPACE_URL,
    team: 'Twin Workspace',
    user: 'shiftgate',
    team_id: ws.teamId,
    user_id: ws.botUserId,
    bot_id: ws.botId,
    is_enterprise_install: false,
  }),

  'chat.postMessage': (args, ws) => {
    const channel = requireChannel(args);
    const { text, blocks } = requireContent(args);
    const thread_ts = str(args, 'thread_ts') || undefined;
    const metadata = metadataOf(args);
    const message = ws.state.post({
      channel,
      user: ws.botUserId,
      text: text ?? '',
      ...(blocks ? { blocks } : {}),
      ...(metadata ? { metadata } : {}),
      ...(thread_ts ? { thread_ts } : {}),
      broadcast: bool(args, 'reply_broadcast'),
    });
    return { channel, ts: message.ts, message: messageJson(message, ws, true) };
  },

  'chat.update': (args, ws) => {
    const channel = requireChannel(args);
    const message = ws.state.find(channel, str(args, 'ts') ?? '');
    if (!message) throw new SlackError('message_not_found');
    const { text, blocks } = content(args);
    if (text === undefined && blocks === undefined && args.attachments === undefined) {
      throw new SlackError('no_text');
    }
    // Like Slack, blocks left out are kept; an empty array removes them.
    ws.state.edit(message, text, blocks);
    return { channel, ts: message.ts, text: message.text, message: messageJson(message, ws) };
  },

  'chat.delete': (args, ws) => {
    const channel = requireChannel(args);
    const message = ws.state.find(channel, str(args, 'ts') ?? '');
    if (!message) throw new SlackError('message_not_found');
    ws.state.remove(message);
    return { channel, ts: message.ts };
  },

  'chat.postEphemeral': (args, ws) => {
    const channel = requireChannel(args);
    const user = str(args, 'user');
    if (!user) throw invalidArguments('missing required field: user');
    const { text, blocks } = requireContent(args);
    const thread_ts = str(args, 'thread_ts') || undefined;
    const ephemeral = ws.state.addEphemeral({
      channel,
      user,
      text: text ?? '',
      ...(blocks ? { blocks } : {}),
      ...(thread_ts ? { thread_ts } : {}),
      source: 'chat.postEphemeral',
    });
    return { message_ts: ephemeral.ts };
  },

  'chat.getPermalink': (args, ws) => {
    const channel = requireChannel(args);
    const message = ws.state.find(channel, str(args, 'message_ts') ?? '');
    if (!message) throw new SlackError('message_not_found');
    const thread = message.thread_ts ? `?thread_ts=${message.thread_ts}&cid=${channel}` : '';
    const permalink = `${TWIN_WORKSPACE_URL}archives/${channel}/p${message.ts.replace('.', '')}${thread}`;
    return { channel, permalink };
  },

  'views.publish': (args, ws) => {
    const user = str(args, 'user_id');
    if (!user) throw invalidArguments('missing required field: user_id');
    const view = jsonArg(args, 'view', () => invalidArguments('invalid JSON [json-pointer:/view]'));
    if (typeof view !== 'object' || view === null) throw invalidArguments('missing required field: view');
    const { type, blocks } = view as { type?: unknown; blocks?: unknown };
    if (type !== 'home') throw invalidArguments('must be a valid enum value [json-pointer:/view/type]');
    const problems = blockProblems(blocks, 100, '/view/blocks');
    if (problems.length > 0) throw invalidArguments(...problems);
    const previous = ws.state.homes.get(user);
    const hash = str(args, 'hash');
    if (hash && previous && hash !== previous.hash) throw new SlackError('hash_conflict');
    const id =
      (previous?.id as string | undefined) ?? `V0TWIN${String(ws.state.homes.size + 1).padStart(4, '0')}`;
    const stored = {
      private_metadata: '',
      callback_id: '',
      external_id: '',
      ...(view as Record<string, unknown>),
      id,
      team_id: ws.teamId,
      state: { values: {} },
      hash: `${Math.floor(Date.now() / 1000)}.${randomBytes(4).toString('hex')}`,
      root_view_id: id,
      previous_view_id: null,
      app_id: ws.appId,
      bot_id: ws.botId,
    };
    ws.state.homes.set(user, stored);
    return { view: stored };
  },

  'usergroups.list': (args, ws) => {
    usergroupsAllowed(ws);
    const withUsers = bool(args, 'include_users');
    const withCount = bool(args, 'include_count');
    const usergroups = [...ws.usergroups].map(([id, group]) => ({
      id,
      team_id: ws.teamId,
      is_usergroup: true,
      name: group.handle,
      description: '',
      handle: group.handle,
      is_external: false,
      date_create: 1_700_000_000,
      date_update: 1_700_000_000,
      date_delete: 0,
      ...(withUsers ? { users: [...group.users] } : {}),
      ...(withCount ? { user_count: group.users.length } : {}),
    }));
    return { usergroups };
  },

  // History, newest first, as Slack answers it: `latest`/`oldest` bound the ts range (exclusive unless
  // `inclusive`); replies of a thread only come through conversations.replies.
  'conversations.history': (args, ws) => {
    const channel = requireChannel(args);
    const messages = inRange(ws.state.channel(channel), args).reverse();
    const limit = Number(str(args, 'limit') ?? 100) || 100;
    return {
      // Metadata only when asked for, as Slack answers.
      messages: messages.slice(0, limit).map((m) => messageJson(m, ws, bool(args, 'include_all_metadata'))),
      has_more: messages.length > limit,
    };
  },

  // Public channels (C…) may be joined; private ones (G…) need an invitation, as in Slack.
  'conversations.join': (args) => {
    const channel = requireChannel(args);
    if (channel.startsWith('G')) throw new SlackError('method_not_supported_for_channel_type');
    return { channel: { id: channel, is_channel: true, is_member: true } };
  },

  'conversations.replies': (args, ws) => {
    const channel = requireChannel(args);
    const ts = str(args, 'ts');
    if (!ts) throw invalidArguments('missing required field: ts');
    const found = ws.state.find(channel, ts);
    if (!found) throw new SlackError('thread_not_found');
    // A reply's ts stands for its thread: Slack answers the parent, then the replies, oldest first.
    const parentTs = found.thread_ts ?? found.ts;
    const parent = ws.state.find(channel, parentTs);
    const thread = [...(parent ? [parent] : []), ...ws.state.thread(channel, parentTs)];
    const messages = inRange(thread, args);
    const limit = Number(str(args, 'limit') ?? 1000) || 1000;
    return {
      messages: messages.slice(0, limit).map((m) => messageJson(m, ws, bool(args, 'include_all_metadata'))),
      has_more: messages.length > limit,
    };
  },

  'usergroups.users.list': (args, ws) => {
    usergroupsAllowed(ws);
    const id = str(args, 'usergroup');
    if (!id) throw invalidArguments('missing required field: usergroup');
    const group = ws.usergroups.get(id);
    if (!group) throw new SlackError('no_such_subteam');
    return { users: [...group.users] };
  },

  'files.getUploadURLExternal': (args, ws) => {
    const name = str(args, 'filename');
    const length = Number(str(args, 'length'));
    if (!name) throw invalidArguments('missing required field: filename');
    if (!Number.isInteger(length) || length <= 0) throw invalidArguments('invalid length');
    const id = `F0TWIN${String(ws.state.files.size + 1).padStart(4, '0')}`;
    ws.state.files.set(id, { id, name, title: name, length, content: '', completed: false });
    return { upload_url: `${ws.origin}/upload/v1/${id}`, file_id: id };
  },

  // Needs files:read. An upload not completed yet is a file Slack does not show anyone: file_not_found.
  'files.info': (args, ws) => {
    const id = str(args, 'file');
    if (!id) throw invalidArguments('missing required field: file');
    const file = ws.state.files.get(id);
    if (!file?.completed) throw new SlackError('file_not_found');
    return { file: fileJson(file, ws), comments: [], response_metadata: { next_cursor: '' } };
  },

  'files.completeUploadExternal': (args, ws) => {
    const list = jsonArg(args, 'files', () => invalidArguments('invalid JSON [json-pointer:/files]'));
    if (!Array.isArray(list) || list.length === 0) throw invalidArguments('missing required field: files');
    const channel = str(args, 'channel_id') ? requireChannel(args, 'channel_id') : undefined;
    const thread_ts = str(args, 'thread_ts') || undefined;
    if (thread_ts && !channel) throw invalidArguments('thread_ts requires channel_id');
    const files = list.map((entry: { id?: unknown; title?: unknown }) => {
      const file = typeof entry?.id === 'string' ? ws.state.files.get(entry.id) : undefined;
      // A file whose bytes never arrived is unknown to Slack.
      if (!file?.bytes) throw new SlackError('file_not_found');
      return { file, title: typeof entry.title === 'string' ? entry.title : file.title };
    });
    const initial_comment = str(args, 'initial_comment');
    for (const { file, title } of files) {
      Object.assign(file, {
        title,
        completed: true,
        ...(channel ? { channel } : {}),
        ...(thread_ts ? { thread_ts } : {}),
        ...(initial_comment === undefined ? {} : { initial_comment }),
      });
    }
    if (channel) {
      const { blocks } = content(args);
      ws.state.post({
        channel,
        user: ws.botUserId,
        text: initial_comment ?? '',
        ...(blocks ? { blocks } : {}),
        ...(thread_ts ? { thread_ts } : {}),
        files: files.map(({ file }) => ({ id: file.id, name: file.name, title: file.title })),
      });
    }
    return { files: files.map(({ file }) => ({ id: file.id, title: file.title })) };
  },
};
