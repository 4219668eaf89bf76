import type { IncomingMessage } from 'node:http';
import { parse } from 'node:querystring';
import { type CustomRoute, HTTPModuleFunctions, HTTPReceiver, type Logger } from '@slack/bolt';

// Bolt's HTTP receiver, guarded. Bolt parses a request's body and reads `body.ssl_check` inside a promise
// nobody awaits: a body that parses to something other than an object (`payload=null`, a JSON `null`, a
// number) throws there, the rejection is unhandled and Node exits. Here the body is read first; one
// Bolt could not handle is answered 400 and never reaches it. Everything else goes to Bolt as it came
// (Bolt reuses the buffered body instead of reading the stream again).

export interface GuardedReceiverOptions {
  signingSecret: string;
  customRoutes: CustomRoute[];
  logger: Logger;
}

export function guardedReceiver(options: GuardedReceiverOptions): HTTPReceiver {
  const receiver = new HTTPReceiver({
    signingSecret: options.signingSecret,
    customRoutes: options.customRoutes,
    logger: options.logger,
    // Bolt reads fields of a body it has not checked (`body.user.id` of an action, `event.user`): a signed
    // body missing them throws a TypeError while being routed. That is bad input, answered 400; anything
    // else stays Bolt's answer (401 for authorization, 500 so that Slack retries an event).
    processEventErrorHandler: async (args) => {
      if (!(args.error instanceof TypeError) || args.response.headersSent) {
        return HTTPModuleFunctions.defaultProcessEventErrorHandler(args);
      }
      args.logger.warn(`Slack request refused: a malformed body (${args.error.message})`);
      HTTPModuleFunctions.buildNoBodyResponse(args.response, 400);
      return false;
    },
  });
  const bolt = receiver.requestListener;
  receiver.requestListener = (req, res) => {
    if (req.method !== 'POST' || !isSlackEndpoint(req)) return bolt(req, res);
    void HTTPModuleFunctions.bufferIncomingMessage(req, HTTPModuleFunctions.defaultBodyLimit)
      .then((buffered) => {
        if (!objectBody(buffered.rawBody.toString(), req.headers['content-type'])) {
          options.logger.warn('Slack request refused: its body is not an object');
          return HTTPModuleFunctions.buildNoBodyResponse(res, 400);
        }
        bolt(req, res);
      })
      .catch((error: unknown) => {
        const status = HTTPModuleFunctions.isRawBodyError(error) && error.statusCode === 413 ? 413 : 400;
        options.logger.warn(`Slack request refused: ${(error as Error).message}`);
        if (!res.headersSent) HTTPModuleFunctions.buildNoBodyResponse(res, status);
      });
  };
  return receiver;
}

function isSlackEndpoint(req: IncomingMessage): boolean {
  return (req.url ?? '').split('?')[0] === '/slack/events';
}

/**
 * Whether Bolt's own parse of this body gives an object (or fails to parse, which Bolt answers 400 by
 * itself): a form whose `payload` is JSON, a form, or JSON.
 */
function objectBody(text: string, contentType: string | undefined): boolean {
  let parsed: unknown;
  try {
    if (contentType === 'application/x-www-form-urlencoded') {
      const form = parse(text);
      if (typeof form.payload !== 'string') return true; // a form: always an object
      parsed = JSON.parse(form.payload);
    } else {
      parsed = JSON.parse(text);
    }
  } catch {
    return true; // Bolt answers a body it cannot parse with 400 itself
  }
  return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed);
}
