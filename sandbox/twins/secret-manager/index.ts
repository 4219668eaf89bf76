import { delay, HttpResponse, http, type RequestHandler } from 'msw';
import { googleError } from '../google-rest.ts';
import { Recorder } from '../recorder.ts';
import { SecretStore, type VersionState } from './secrets.ts';

// Secret Manager's REST surface as @google-cloud/secret-manager calls it with `fallback: true`:
// GET /v1/{name=projects/*/secrets/*/versions/*}:access (and the locations/* binding) answering
// AccessSecretVersionResponse {name, payload: {data: base64, dataCrc32c: int64 as a string}}.
// Anything else under the origin is left unhandled, so msw fails the test loudly.

export interface SecretManagerTwinOptions {
  /** Where the client is pointed: googleClientOptions({endpoint: {host, port, protocol}}). */
  origin?: string;
}

export interface SecretManagerTwin {
  handlers: RequestHandler[];
  /** Requests in order, and faults: {match: 'GET /v1/...', status} or {kind: 'bad-checksum'}. */
  recorder: Recorder;
  /** `secret` is `projects/P/secrets/S`; returns the new version's name (`.../versions/N`). */
  addVersion(secret: string, data: string | Uint8Array): string;
  /** A secret with no versions yet. */
  createSecret(secret: string): void;
  disable(version: string): void;
  enable(version: string): void;
  destroy(version: string): void;
  setState(version: string, state: VersionState): void;
  /** The bot's service account lacks secretAccessor on this secret: access answers 403. */
  deny(secret: string): void;
  /** Forgets every secret, request and pending fault. */
  reset(): void;
}

export const SECRET_MANAGER_TWIN_ORIGIN = 'http://secretmanager.twin';

const ACCESS = /^\/v1\/(projects\/[^/]+(?:\/locations\/[^/]+)?\/secrets\/[^/]+\/versions\/[^/:]+):access$/;

export function createSecretManagerTwin(options: SecretManagerTwinOptions = {}): SecretManagerTwin {
  const origin = options.origin ?? SECRET_MANAGER_TWIN_ORIGIN;
  const store = new SecretStore();
  const recorder = new Recorder();

  const access = http.get(`${origin}/v1/*`, async ({ request }) => {
    const match = ACCESS.exec(decodeURIComponent(new URL(request.url).pathname));
    if (!match) return undefined; // not something this twin speaks: unhandled, loudly
    const recorded = await recorder.record(request);
    const fault = recorder.takeFault(recorded.method, recorded.path);
    if (fault?.delayMs) await delay(fault.delayMs);
    if (fault?.status) {
      const headers: Record<string, string> = fault.retryAfter
        ? { 'retry-after': String(fault.retryAfter) }
        : {};
      return googleError(fault.status, fault.message ?? `twin: injected ${fault.status}`, headers);
    }
    const answer = store.access(match[1] as string);
    if (!answer.ok) return googleError(answer.code, answer.message, {}, answer.status);
    const checksum = fault?.kind === 'bad-checksum' ? (answer.crc32c + 1) >>> 0 : answer.crc32c;
    return HttpResponse.json({
      name: answer.name,
      payload: { data: answer.data.toString('base64'), dataCrc32c: String(checksum) },
    });
  });

  return {
    handlers: [access],
    recorder,
    addVersion: (secret, data) => store.addVersion(secret, data),
    createSecret: (secret) => store.create(secret),
    disable: (version) => store.setState(version, 'DISABLED'),
    enable: (version) => store.setState(version, 'ENABLED'),
    destroy: (version) => store.setState(version, 'DESTROYED'),
    setState: (version, state) => store.setState(version, state),
    deny: (secret) => store.deny(secret),
    reset() {
      store.clear();
      recorder.reset();
    },
  };
}
