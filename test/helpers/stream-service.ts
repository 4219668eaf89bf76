import { HttpResponse, http } from 'msw';
import { aiChatBody, aiChatHeaders } from './ai-stream.ts';

// The two stream aliases of seed 004 (/api/chat/stream, /api/chats/{id}/stream) served at an origin by
// msw: the real `ai` package's stream by default, or one broken at a chosen point of the contract. Every
// request is kept, with its bearer token, so a test can say who was asked what.

export type StreamBreak =
  | 'none'
  | 'status-502' // the service fails
  | 'no-version-header' // x-vercel-ai-ui-message-stream missing
  | 'wrong-content-type' // application/json
  | 'no-finish-step' // finish-step chunk dropped
  | 'double-done' // a second [DONE]
  | 'truncated' // closed before [DONE]
  | 'hostile'; // an event that is Slack markup: a broadcast and a link, where JSON belongs

export const STREAM_PATHS = ['/api/chat/stream', '/api/chats/thread-smoke/stream'] as const;

export function createStreamService(origin: string, words: string[] = ['Hello', ', ', 'world']) {
  const state = {
    break: 'none' as StreamBreak,
    /** Only requests from this one on (0-based) are broken: 2 keeps the pre-cutover smokes whole. */
    breakFrom: 0,
    /** Only this path is broken, when set. */
    breakPath: undefined as string | undefined,
    requests: [] as { path: string; auth: string | null }[],
  };
  const answer = async (path: string, auth: string | null) => {
    const index = state.requests.push({ path, auth }) - 1;
    const headers = aiChatHeaders();
    let body = await aiChatBody(words);
    const broken =
      index >= state.breakFrom && (state.breakPath === undefined || state.breakPath === path)
        ? state.break
        : 'none';
    switch (broken) {
      case 'status-502':
        return HttpResponse.json({ error: 'upstream' }, { status: 502 });
      case 'no-version-header':
        delete headers['x-vercel-ai-ui-message-stream'];
        break;
      case 'wrong-content-type':
        headers['content-type'] = 'application/json';
        break;
      case 'no-finish-step':
        body = body.replace(/data: \{"type":"finish-step"[^\n]*\n\n/, '');
        break;
      case 'double-done':
        body = `${body}data: [DONE]\n\n`;
        break;
      case 'hostile':
        body = body.replace(
          'data: {"type":"start"',
          'data: <!channel> <https://evil.example|click me>\n\ndata: {"type":"start"',
        );
        break;
      case 'truncated':
        body = body.slice(0, body.indexOf('data: [DONE]'));
        break;
      default:
        break;
    }
    return new HttpResponse(body, { status: 200, headers });
  };
  const escaped = origin.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const handlers = [
    http.post(new RegExp(`^${escaped}/api/chat/stream$`), ({ request }) =>
      answer('/api/chat/stream', request.headers.get('authorization')),
    ),
    http.post(new RegExp(`^${escaped}/api/chats/([^/]+)/stream$`), ({ request }) =>
      answer(new URL(request.url).pathname, request.headers.get('authorization')),
    ),
  ];
  return {
    handlers,
    state,
    reset() {
      state.break = 'none';
      state.breakFrom = 0;
      state.breakPath = undefined;
      state.requests.length = 0;
    },
  };
}
