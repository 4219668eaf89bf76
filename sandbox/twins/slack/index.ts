import { randomBytes } from 'node:crypto';
import { delay, HttpResponse, http, type RequestHandler } from 'msw';
import { type Fault, Recorder } from '../recorder.ts';
import { channelIdOf, TWIN_APP_ID, TWIN_BOT_ID, TWIN_BOT_USER_ID, TWIN_TEAM_ID } from './ids.ts';
import { fileJson, methods, type Workspace } from './methods.ts';
import { createPeople } from './people.ts';
import { answerResponseUrl } from './respond.ts';
import {
  SlackState,
  type TwinEphemeral,
  type TwinFile,
  type TwinMessage,
  type TwinResponse,
} from './state.ts';
import { type Args, fail, ok, rateLimited, readArgs, SlackError, tokenOf } from './wire.ts';

// A stateful Slack twin for msw (and, through msw's getResponse, for the sandbox's HTTP server) that
// the real @slack/web-api WebClient and Bolt talk to through `slackApiUrl: twin.apiUrl`:
//   POST {apiUrl}{method}          Web API methods (see methods.ts), Slack's {ok, error} answers
//   POST {origin}/upload/v1/{id}   the upload_url of files.getUploadURLExternal (filesUploadV2's bytes)
//   GET  {origin}/files/{id}/{name} a file's url_private: its bytes, with the bot token
//   POST {origin}/response/{id}    response_urls handed out by responseUrl(), for the bot's respond()
// Faults: failNext(method, 'some_error') answers {ok: false, error} once; {status: 429, retryAfter}
// answers 429 with Retry-After, which the WebClient waits out before retrying.

export type { TwinEphemeral, TwinFile, TwinMessage, TwinResponse };
export { channelIdOf, TWIN_APP_ID, TWIN_BOT_ID, TWIN_BOT_USER_ID, TWIN_TEAM_ID };

export interface Usergroup {
  handle: string;
  users: string[];
}

export interface SlackTwinOptions {
  /** Where the WebClient's slackApiUrl points; default 'https://slack.twin/api/'. */
  apiUrl?: string;
  /** The one bot token the twin accepts; default 'xoxb-twin'. */
  botToken?: string;
  botUserId?: string;
  teamId?: string;
  /** User groups by id ('S…'), e.g. {S0APPROVERS: {handle: 'release-approvers', users: ['U1']}}. */
  usergroups?: Record<string, Usergroup>;
  /** A free workspace: usergroups.* answer plan_upgrade_required. */
  planUpgradeRequired?: boolean;
  /** Message ts from the wall clock (the sandbox, where people read them); default deterministic ones. */
  wallClock?: boolean;
}

/** An error code answered with HTTP 200, or an HTTP status (429 with Retry-After seconds). */
export type SlackFault = string | { status: number; retryAfter?: number; error?: string };

export const SLACK_TWIN_API_URL = 'https://slack.twin/api/';
export const SLACK_TWIN_TOKEN = 'xoxb-twin';

const clone = <T>(value: T): T => structuredClone(value);
const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** A recorded fault as the HTTP answer it stands for, or undefined to answer normally. */
async function faulted(fault: Fault | undefined): Promise<Response | undefined> {
  if (!fault) return undefined;
  if (fault.delayMs) await delay(fault.delayMs);
  if (fault.status === 429) return rateLimited(fault.retryAfter ?? 1);
  if (fault.status)
    return HttpResponse.json({ ok: false, error: fault.kind ?? 'internal_error' }, { status: fault.status });
  return fault.kind ? fail(new SlackError(fault.kind)) : undefined;
}

/** The file's bytes from a multipart form (the WebClient's `body` field, curl's -F) or a raw body. */
async function uploadedBytes(request: Request): Promise<Uint8Array> {
  if (request.headers.get('content-type')?.includes('multipart/form-data')) {
    const values = [...(await request.formData()).values()];
    const file = values.find((v): v is File => typeof v !== 'string');
    if (file) return new Uint8Array(await file.arrayBuffer());
    return new TextEncoder().encode(values.join(''));
  }
  return new Uint8Array(await request.arrayBuffer());
}

export function createSlackTwin(options: SlackTwinOptions = {}) {
  const apiUrl = (options.apiUrl ?? SLACK_TWIN_API_URL).replace(/\/?$/, '/');
  const { origin, pathname: apiPath } = new URL(apiUrl);
  const botToken = options.botToken ?? SLACK_TWIN_TOKEN;
  const recorder = new Recorder();
  const state = new SlackState({ wallClock: options.wallClock ?? false });
  const ws: Workspace = {
    state,
    origin,
    botUserId: options.botUserId ?? TWIN_BOT_USER_ID,
    botId: TWIN_BOT_ID,
    teamId: options.teamId ?? TWIN_TEAM_ID,
    appId: TWIN_APP_ID,
    usergroups: new Map(),
    planUpgradeRequired: false,
  };
  const configure = (change: Pick<SlackTwinOptions, 'usergroups' | 'planUpgradeRequired'>) => {
    if (change.usergroups) {
      ws.usergroups = new Map(Object.entries(clone(change.usergroups)));
    }
    if (change.planUpgradeRequired !== undefined) ws.planUpgradeRequired = change.planUpgradeRequired;
  };
  const configureDefaults = () =>
    configure({
      usergroups: options.usergroups ?? {},
      planUpgradeRequired: options.planUpgradeRequired ?? false,
    });
  configureDefaults();

  const handlers: RequestHandler[] = [
    http.all(`${apiUrl}:method`, async ({ request, params }) => {
      const method = String(params.method);
      const entry = await recorder.record(request);
      let parsed: { args: Args; json: boolean };
      try {
        parsed = await readArgs(request);
      } catch (error) {
        if (error instanceof SlackError) return fail(error);
        throw error;
      }
      entry.body = parsed.args;
      const injected = await faulted(recorder.takeFault(entry.method, entry.path));
      if (injected) return injected;
      const implementation = methods[method];
      if (!implementation) return fail(new SlackError('unknown_method', { req_method: method }));
      const token = tokenOf(request, parsed.args, parsed.json);
      if (!token) return fail(new SlackError('not_authed'));
      if (token !== botToken) return fail(new SlackError('invalid_auth'));
      try {
        return ok(implementation(parsed.args, ws));
      } catch (error) {
        if (error instanceof SlackError) return fail(error);
        throw error;
      }
    }),

    http.post(`${origin}/upload/v1/:fileId`, async ({ request, params }) => {
      const entry = await recorder.record(request);
      const injected = await faulted(recorder.takeFault(entry.method, entry.path));
      if (injected) return injected;
      const file = state.files.get(String(params.fileId));
      if (!file) return new HttpResponse('Not Found', { status: 404 });
      const bytes = await uploadedBytes(request);
      entry.body = { file_id: file.id, filename: file.name, length: bytes.byteLength };
      Object.assign(file, { bytes, content: new TextDecoder().decode(bytes) });
      return new HttpResponse(`OK - ${bytes.byteLength}`, { headers: { 'Content-Type': 'text/plain' } });
    }),

    // url_private: a file's bytes, to the bot token only (as Slack asks for its token in Authorization).
    http.get(`${origin}/files/:fileId/:name`, async ({ request, params }) => {
      const entry = await recorder.record(request);
      const injected = await faulted(recorder.takeFault(entry.method, entry.path));
      if (injected) return injected;
      if (request.headers.get('authorization') !== `Bearer ${botToken}`) {
        return new HttpResponse('Unauthorized', { status: 401 });
      }
      const file = state.files.get(String(params.fileId));
      if (!file?.bytes || !file.completed) return new HttpResponse('Not Found', { status: 404 });
      const type = (fileJson(file, ws) as { mimetype: string }).mimetype;
      return new HttpResponse(file.bytes.slice().buffer, { headers: { 'Content-Type': type } });
    }),

    http.post(`${origin}/response/:id`, async ({ request, params }) => {
      const entry = await recorder.record(request);
      const injected = await faulted(recorder.takeFault(entry.method, entry.path));
      if (injected) return injected;
      let body: Args;
      try {
        body = (await readArgs(request)).args;
        // Incoming-webhook style: form-encoded with the JSON in `payload`.
        if (typeof body.payload === 'string') body = JSON.parse(body.payload) as Args;
      } catch {
        return HttpResponse.json({ ok: false, error: 'invalid_payload' }, { status: 400 });
      }
      entry.body = body;
      return answerResponseUrl(ws, String(params.id), request.url, body);
    }),
  ];

  return {
    apiUrl,
    botToken,
    botUserId: ws.botUserId,
    teamId: ws.teamId,
    handlers,
    /** Every request in order, bodies decoded to the method's arguments. */
    recorder,

    /** The id Slack answers for a channel id, '#name' or user id (the bot's DM). */
    channelId: channelIdOf,
    /** Top-level messages in order (thread replies only when broadcast). */
    channel: (channel: string): TwinMessage[] => clone(state.channel(channel)),
    /** Replies in the thread of `ts`, in order. */
    thread: (channel: string, ts: string): TwinMessage[] => clone(state.thread(channel, ts)),
    message: (channel: string, ts: string): TwinMessage | undefined => clone(state.find(channel, ts)),
    ephemerals: (user: string): TwinEphemeral[] => clone(state.ephemerals.get(user) ?? []),
    /** The last Home view published for the user, as views.publish answered it. */
    home: (user: string): Record<string, unknown> | undefined => clone(state.homes.get(user)),
    /** Files whose bytes were uploaded; `completed` once files.completeUploadExternal shared them. */
    files: (): TwinFile[] => clone([...state.files.values()].filter((f) => f.bytes)),

    /** People saying, editing, deleting and reacting; each returns the event Slack would deliver. */
    people: createPeople(state, ws.teamId),

    /**
     * A body in the bot's ack of a slash command, as Slack shows it: to `user` alone, or in the channel
     * with response_type 'in_channel' (the sandbox page, which plays Slack, hands acks over here).
     */
    ackReply(
      user: string,
      channel: string,
      body: { text?: string; blocks?: unknown[]; response_type?: string },
    ) {
      const shown = { text: body.text ?? '', ...(Array.isArray(body.blocks) ? { blocks: body.blocks } : {}) };
      if (body.response_type === 'in_channel') {
        state.post({ channel: channelIdOf(channel), user: ws.botUserId, ...shown });
      } else state.addEphemeral({ channel: channelIdOf(channel), user, ...shown, source: 'ack' });
    },

    /** A response_url for an interaction of `user` in `channel` (on the message `messageTs`, if any). */
    responseUrl(user: string, channel: string, messageTs?: string): string {
      const id = randomBytes(9).toString('base64url');
      state.responseUrls.set(id, {
        user,
        channel: channelIdOf(channel),
        ...(messageTs ? { message_ts: messageTs } : {}),
        uses: 0,
      });
      return `${origin}/response/${id}`;
    },
    /** What the bot sent to response_urls, in order; only those to `url` when given. */
    responses: (url?: string): TwinResponse[] =>
      clone(state.responses.filter((r) => url === undefined || r.url === url)),

    /** The next `times` calls of `method` fail with this error code or HTTP status. */
    failNext(method: string, fault: SlackFault, times = 1): void {
      const match = new RegExp(`^[A-Z]+ ${escapeRegExp(apiPath + method)}$`);
      if (typeof fault === 'string') recorder.inject({ match, kind: fault, times });
      else {
        recorder.inject({
          match,
          status: fault.status,
          times,
          ...(fault.retryAfter === undefined ? {} : { retryAfter: fault.retryAfter }),
          ...(fault.error === undefined ? {} : { kind: fault.error }),
        });
      }
    },
    configure,

    /** Empties every channel, ephemeral, Home, file and response, the requests and pending faults. */
    reset(): void {
      state.clear();
      recorder.reset();
      configureDefaults();
    },
  };
}

export type SlackTwin = ReturnType<typeof createSlackTwin>;
