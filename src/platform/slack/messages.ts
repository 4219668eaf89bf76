import type { WebClient } from '@slack/web-api';
import type { FetchedMessage } from '../../incidents/capture.ts';

// One message by its ts, for a :memo: reaction: a top-level message is in the channel's history; a reply
// is only in its thread, which conversations.replies finds from the reply's own ts.

export async function fetchMessage(
  client: WebClient,
  channel: string,
  ts: string,
): Promise<FetchedMessage | undefined> {
  const top = await client.conversations.history({
    channel,
    latest: ts,
    oldest: ts,
    inclusive: true,
    limit: 1,
  });
  const found = top.messages?.find((m) => m.ts === ts);
  const message =
    found ??
    (await client.conversations.replies({ channel, ts, limit: 200 })).messages?.find((m) => m.ts === ts);
  if (!message?.ts) return undefined;
  // Alerts from other apps often carry their words only in attachments: their fallback text stands in.
  const text =
    message.text ||
    (message.attachments ?? [])
      .map((a) => a.fallback ?? a.text ?? '')
      .filter(Boolean)
      .join('\n');
  const botName = message.bot_profile?.name;
  return {
    ts: message.ts,
    ...(message.user ? { user: message.user } : {}),
    ...(message.bot_id ? { bot_id: message.bot_id } : {}),
    ...(botName ? { bot_name: botName } : {}),
    ...(text ? { text } : {}),
    ...(message.thread_ts ? { thread_ts: message.thread_ts } : {}),
  };
}
