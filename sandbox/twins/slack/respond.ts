import { HttpResponse } from 'msw';
import { blockProblems } from './blocks.ts';
import type { Workspace } from './methods.ts';
import type { TwinResponse } from './state.ts';
import { type Args, bool, str } from './wire.ts';

// A POST to a response_url the twin handed out (Bolt's respond() sends JSON). Like Slack: at most five
// uses, then 404 used_url; an unknown url is 404 expired_url; a bad body is 400 and the bot's
// respond() throws. The response lands where Slack would show it: the user's ephemerals by default,
// the channel with response_type 'in_channel', or in place of the interaction's message with
// replace_original / delete_original.

export const RESPONSE_URL_USES = 5;

const refuse = (status: number, error: string) => HttpResponse.json({ ok: false, error }, { status });

export function answerResponseUrl(ws: Workspace, id: string, url: string, body: Args): Response {
  const { state } = ws;
  const target = state.responseUrls.get(id);
  if (!target) return refuse(404, 'expired_url');
  if (target.uses >= RESPONSE_URL_USES) return refuse(404, 'used_url');

  const text = str(body, 'text');
  let blocks = body.blocks;
  if (typeof blocks === 'string') {
    try {
      blocks = JSON.parse(blocks);
    } catch {
      return refuse(400, 'invalid_blocks_format');
    }
  }
  if (blocks !== undefined && blockProblems(blocks, 50).length > 0) return refuse(400, 'invalid_blocks');
  const list = Array.isArray(blocks) ? blocks : undefined;
  const deleteOriginal = bool(body, 'delete_original');
  if (!deleteOriginal && !text && !list?.length) return refuse(400, 'no_text');
  target.uses += 1;

  const response: TwinResponse = {
    url,
    user: target.user,
    channel: target.channel,
    ...(target.message_ts ? { message_ts: target.message_ts } : {}),
    response_type: body.response_type === 'in_channel' ? 'in_channel' : 'ephemeral',
    replace_original: bool(body, 'replace_original'),
    delete_original: deleteOriginal,
    ...(text === undefined ? {} : { text }),
    ...(list ? { blocks: list } : {}),
    ...(str(body, 'thread_ts') ? { thread_ts: str(body, 'thread_ts') } : {}),
    body,
  };
  state.responses.push(response);

  const original = target.message_ts ? state.find(target.channel, target.message_ts) : undefined;
  const ephemeral = state.ephemerals.get(target.user)?.find((e) => e.ts === target.message_ts);
  if (response.delete_original || response.replace_original) {
    if (original && response.delete_original) state.remove(original);
    else if (original) state.edit(original, text ?? '', list ?? []);
    else if (ephemeral && response.delete_original) {
      const all = state.ephemerals.get(target.user) ?? [];
      all.splice(all.indexOf(ephemeral), 1);
    } else if (ephemeral) Object.assign(ephemeral, { text: text ?? '', blocks: list ?? [] });
  } else if (response.response_type === 'in_channel') {
    state.post({
      channel: target.channel,
      user: ws.botUserId,
      text: text ?? '',
      ...(list ? { blocks: list } : {}),
      ...(response.thread_ts ? { thread_ts: response.thread_ts } : {}),
    });
  } else {
    state.addEphemeral({
      channel: target.channel,
      user: target.user,
      text: text ?? '',
      ...(list ? { blocks: list } : {}),
      ...(response.thread_ts ? { thread_ts: response.thread_ts } : {}),
      source: 'response_url',
    });
  }
  return HttpResponse.json({ ok: true });
}
