import type { WebClient } from '@slack/web-api';
import type { SlackMessage } from '../../blocks/message.ts';
import { crashPoint } from '../../faults/crash-point.ts';
import type { MessageRef, MessageRefs } from './message-refs.ts';

// Posting the bot's messages. `upsert` keeps one message per (owner, purpose): the first call posts it
// and records its ts, every later call (a new tick, a retried or redriven notification) edits it.
// A replica can die after Slack answered a post and before its ts was recorded. So every upserted post
// carries message metadata naming its owner and purpose, and a marker is written before posting: a later
// upsert that finds the marker but no ts looks for the message in the channel's recent history (or the
// thread's replies) and adopts it instead of posting a second copy.

/** The metadata event type of the bot's own messages. */
export const MESSAGE_EVENT_TYPE = 'shiftgate_message';
/** How far back a lost post is looked for. */
const LOOKBACK = 100;

export interface Poster {
  upsert(
    owner: string,
    purpose: string,
    where: { channel: string; threadTs?: string },
    message: SlackMessage,
  ): Promise<MessageRef>;
  /** Edits a message recorded earlier; false when there is none. */
  update(owner: string, purpose: string, message: SlackMessage): Promise<boolean>;
  post(where: { channel: string; threadTs?: string }, message: SlackMessage): Promise<MessageRef>;
  ref(owner: string, purpose: string): Promise<MessageRef | undefined>;
  permalink(ref: MessageRef): Promise<string | undefined>;
  /**
   * Uploads files into a channel or thread (files.uploadV2) once per (owner, purpose): a retried or
   * redriven step finds the upload recorded and sends nothing again. Two callers at the same moment are
   * not told apart: callers that may race (replicas) hold a claim first. Returns the first file's id.
   */
  attach(
    owner: string,
    purpose: string,
    where: { channel: string; threadTs?: string },
    upload: { comment?: string; files: readonly AttachedFile[] },
  ): Promise<string>;
  /**
   * A file's permalink (files.info, scope files:read), for linking an upload from a message; undefined
   * when Slack will not say (no such file, or the scope is missing).
   */
  filePermalink(fileId: string): Promise<string | undefined>;
  /**
   * Joins a public channel (conversations.join), so Slack delivers its messages to the bot; false where
   * it cannot (a private channel: someone has to invite it).
   */
  join(channel: string): Promise<boolean>;
  /** A message only `user` sees (chat.postEphemeral), in the channel or a thread. */
  ephemeral(where: { channel: string; threadTs?: string }, user: string, text: string): Promise<void>;
}

export interface AttachedFile {
  filename: string;
  title?: string;
  /** Text is sent as UTF-8; bytes (a chart's PNG) as they are. */
  content: string | Uint8Array;
}

/** A file's content as the bytes to upload or keep. */
export function fileBytes(content: AttachedFile['content']): Buffer {
  return typeof content === 'string' ? Buffer.from(content, 'utf8') : Buffer.from(content);
}

export function createPoster(client: WebClient, refs: MessageRefs): Poster {
  async function post(
    where: { channel: string; threadTs?: string },
    message: SlackMessage,
    owned?: { owner: string; purpose: string },
  ) {
    const posted = await client.chat.postMessage({
      channel: where.channel,
      text: message.text,
      blocks: message.blocks,
      ...(where.threadTs ? { thread_ts: where.threadTs } : {}),
      ...(owned ? { metadata: { event_type: MESSAGE_EVENT_TYPE, event_payload: owned } } : {}),
      unfurl_links: false,
    });
    crashPoint('after-slack-post');
    if (!posted.ts || !posted.channel) throw new Error('chat.postMessage answered without channel or ts');
    return { channel: posted.channel, ts: posted.ts };
  }

  /** A message posted earlier for (owner, purpose) whose ts was never recorded. */
  async function lost(
    where: { channel: string; threadTs?: string },
    owner: string,
    purpose: string,
  ): Promise<MessageRef | undefined> {
    const answer = where.threadTs
      ? await client.conversations.replies({
          channel: where.channel,
          ts: where.threadTs,
          include_all_metadata: true,
          limit: 1000,
        })
      : await client.conversations.history({
          channel: where.channel,
          include_all_metadata: true,
          limit: LOOKBACK,
        });
    const found = (answer.messages ?? []).find((m) => {
      const meta = m.metadata as { event_type?: string; event_payload?: Record<string, unknown> } | undefined;
      return (
        meta?.event_type === MESSAGE_EVENT_TYPE &&
        meta.event_payload?.owner === owner &&
        meta.event_payload?.purpose === purpose
      );
    });
    return found?.ts ? { channel: where.channel, ts: found.ts } : undefined;
  }

  /** The id of a file titled `title` shared in the thread (or the channel's recent history), if any. */
  async function uploaded(where: { channel: string; threadTs?: string }, title: string) {
    const answer = where.threadTs
      ? await client.conversations.replies({ channel: where.channel, ts: where.threadTs, limit: 1000 })
      : await client.conversations.history({ channel: where.channel, limit: LOOKBACK });
    const messages = (answer.messages ?? []) as { files?: { id?: string; title?: string }[] }[];
    return messages.flatMap((m) => m.files ?? []).find((f) => f.title === title)?.id;
  }

  async function edit(ref: MessageRef, message: SlackMessage): Promise<void> {
    await client.chat.update({
      channel: ref.channel,
      ts: ref.ts,
      text: message.text,
      blocks: message.blocks,
    });
  }

  return {
    post,
    ref: (owner, purpose) => refs.get(owner, purpose),

    async upsert(owner, purpose, where, message) {
      const known = await refs.get(owner, purpose);
      if (known) {
        await edit(known, message);
        return known;
      }
      if (!(await refs.markPosting(owner, purpose))) {
        // Posted before, maybe, by a replica that died before recording the ts: adopt that message.
        const found = await lost(where, owner, purpose).catch(() => undefined);
        if (found) {
          const adopted = (await refs.setFirst(owner, purpose, found))
            ? found
            : ((await refs.get(owner, purpose)) as MessageRef);
          await edit(adopted, message);
          return adopted;
        }
      }
      const ref = await post(where, message, { owner, purpose });
      if (await refs.setFirst(owner, purpose, ref)) return ref;
      // Another replica posted the same purpose at the same moment: its message is the one kept.
      const winner = (await refs.get(owner, purpose)) as MessageRef;
      await edit(winner, message);
      await client.chat.delete({ channel: ref.channel, ts: ref.ts }).catch(() => {});
      return winner;
    },

    async update(owner, purpose, message) {
      const known = await refs.get(owner, purpose);
      if (!known) return false;
      await edit(known, message);
      return true;
    },

    async attach(owner, purpose, where, { comment, files }) {
      const known = await refs.get(owner, purpose);
      if (known) return known.ts;
      // Uploaded before, maybe, by a replica that died before recording it: files carry no metadata, so
      // the upload is found in the thread by its first file's title and adopted instead of sent again.
      const first = files[0] ? (files[0].title ?? files[0].filename) : undefined;
      if (!(await refs.markPosting(owner, purpose)) && first !== undefined) {
        const found = await uploaded(where, first).catch(() => undefined);
        if (found) {
          await refs.setFirst(owner, purpose, { channel: where.channel, ts: found });
          return found;
        }
      }
      const answer = await client.filesUploadV2({
        channel_id: where.channel,
        ...(where.threadTs ? { thread_ts: where.threadTs } : {}),
        ...(comment ? { initial_comment: comment } : {}),
        file_uploads: files.map((f) => ({
          file: fileBytes(f.content),
          filename: f.filename,
          title: f.title ?? f.filename,
        })),
      });
      const completions = answer.files as unknown as { files?: { id?: string }[] }[] | undefined;
      const fileId = completions?.[0]?.files?.[0]?.id;
      if (!fileId) throw new Error('files.uploadV2 answered without a file id');
      // The file id stands in for a ts: the purpose is recorded as done.
      await refs.setFirst(owner, purpose, { channel: where.channel, ts: fileId });
      return fileId;
    },

    async ephemeral(where, user, text) {
      await client.chat.postEphemeral({
        channel: where.channel,
        user,
        text,
        ...(where.threadTs ? { thread_ts: where.threadTs } : {}),
      });
    },

    async join(channel) {
      try {
        await client.conversations.join({ channel });
        return true;
      } catch {
        return false;
      }
    },

    async filePermalink(fileId) {
      try {
        const answer = await client.files.info({ file: fileId, count: 1 });
        return answer.file?.permalink;
      } catch {
        return undefined;
      }
    },

    async permalink(ref) {
      try {
        const answer = await client.chat.getPermalink({ channel: ref.channel, message_ts: ref.ts });
        return answer.permalink;
      } catch {
        return undefined;
      }
    },
  };
}
