import { beforeEach, describe, expect, it } from 'vitest';
import {
  createFlagsTwin,
  FLAGS_TWIN_TOKEN,
  FLAGS_TWIN_URL,
  SEED_FLAGS_DOCUMENT,
} from '../../sandbox/twins/flags/index.ts';
import { createHttpJsonFlags, flagBackendOf } from '../../src/platform/flags/index.ts';
import { PlatformError } from '../../src/runbooks/ports/errors.ts';
import { useTwins } from '../helpers/msw.ts';

// The http-json flag backend (seed 003's feature_flags.json behind an HTTP API) against the flags twin:
// every change is checked against the twin's own document, not against what the backend says it did.

const twin = createFlagsTwin();
useTwins(...twin.handlers);
beforeEach(() => twin.reset());

const CATALOG = 'failure_catalog_runtime_integration';
const COST = 'cost_simulator_runtime_integration';

const backend = (overrides: Partial<Parameters<typeof createHttpJsonFlags>[0]> = {}) =>
  createHttpJsonFlags({
    url: FLAGS_TWIN_URL,
    token: FLAGS_TWIN_TOKEN,
    paths: {},
    flags: [CATALOG, COST],
    timeoutMs: 2_000,
    ...overrides,
  });

const puts = () => twin.recorder.requests.filter((r) => r.method === 'PUT');

async function failureOf(promise: Promise<unknown>): Promise<PlatformError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof PlatformError)) throw new Error(`expected a PlatformError, got ${String(error)}`);
  expect(error.system).toBe('flags');
  return error;
}

describe('http-json flags', () => {
  it('reads each flag at flags.<flag>.enabled, with the ETag as the version', async () => {
    twin.setFlag(`flags.${CATALOG}.enabled`, true);
    const reading = await backend().read();
    expect(reading).toEqual({
      values: { [CATALOG]: true, [COST]: false },
      version: twin.etag,
      where: FLAGS_TWIN_URL,
    });
    const [get] = twin.recorder.requests;
    expect(get?.headers.authorization).toBe(`Bearer ${FLAGS_TWIN_TOKEN}`);
  });

  it('reads a configured path; a missing one is undefined, a value not a boolean is refused', async () => {
    const staging = backend({
      paths: { [CATALOG]: `environments.staging.${CATALOG}`, [COST]: 'environments.prod.cost' },
    });
    expect((await staging.read()).values).toEqual({ [CATALOG]: false, [COST]: undefined });

    twin.setFlag(`flags.${COST}.enabled`, 'yes');
    const error = await failureOf(backend().read());
    expect(error.kind).toBe('invalid');
    expect(error.message).toContain(`flag '${COST}' at flags.${COST}.enabled`);
    expect(error.message).toContain('"yes"');
  });

  it('enables: one PUT with If-Match of the version read, only the flags paths changed, read back', async () => {
    const flags = backend();
    const before = await flags.read();
    const result = await flags.set({ values: { [CATALOG]: true, [COST]: true }, ifVersion: before.version });

    expect(result).toEqual({
      values: { [CATALOG]: true, [COST]: true },
      version: twin.etag,
      where: FLAGS_TWIN_URL,
      written: true,
    });
    const expected = structuredClone(SEED_FLAGS_DOCUMENT);
    expected.flags[CATALOG].enabled = true;
    expected.flags[COST].enabled = true;
    expect(twin.document).toEqual(expected); // descriptions and environments untouched
    const [put] = puts();
    expect(put?.headers['if-match']).toBe(before.version);
    expect(put?.headers['content-type']).toBe('application/json');
    expect(put?.headers.authorization).toBe(`Bearer ${FLAGS_TWIN_TOKEN}`);
    // read, PUT, read back
    expect(twin.recorder.requests.map((r) => r.method)).toEqual(['GET', 'GET', 'PUT', 'GET']);
  });

  it('a second identical set writes nothing, even with the version it read before the first', async () => {
    const flags = backend();
    const before = await flags.read();
    await flags.set({ values: { [CATALOG]: true }, ifVersion: before.version });
    const again = await flags.set({ values: { [CATALOG]: true }, ifVersion: before.version });
    expect(again.written).toBe(false);
    expect(again.values[CATALOG]).toBe(true);
    expect(again.version).toBe(twin.etag);
    expect(twin.writes).toBe(1);
    expect(puts()).toHaveLength(1);
  });

  it('disables by writing false; restore means nothing here', async () => {
    twin.setFlag(`flags.${CATALOG}.enabled`, true);
    const result = await backend().set({ values: { [CATALOG]: false }, restore: 'anything' });
    expect(result.written).toBe(true);
    expect(result.restore).toBeUndefined();
    expect(twin.flag(`flags.${CATALOG}.enabled`)).toBe(false);
  });

  it('another writer between the read and the PUT: conflict, their change stays', async () => {
    twin.recorder.inject({ match: 'PUT /api/feature-flags', kind: 'concurrent-write' });
    const error = await failureOf(backend().set({ values: { [CATALOG]: true } }));
    expect(error.kind).toBe('conflict');
    expect(error.message).toContain('changed since it was read');
    expect(twin.flag(`flags.${CATALOG}.enabled`)).toBe(false);
    expect(twin.writes).toBe(0);
  });

  it('a stale ifVersion is a conflict, without a PUT', async () => {
    const flags = backend();
    const before = await flags.read();
    twin.setFlag(`flags.${COST}.enabled`, true); // someone else, after our read
    const error = await failureOf(flags.set({ values: { [CATALOG]: true }, ifVersion: before.version }));
    expect(error.kind).toBe('conflict');
    expect(error.message).toContain(before.version);
    expect(puts()).toHaveLength(0);
    expect(twin.flag(`flags.${CATALOG}.enabled`)).toBe(false);
  });

  it('a write that does not read back as asked is verify-failed', async () => {
    twin.recorder.inject({ match: 'PUT /api/feature-flags', kind: 'lost-write' });
    const error = await failureOf(backend().set({ values: { [CATALOG]: true } }));
    expect(error.kind).toBe('verify-failed');
    expect(error.message).toContain(`${CATALOG} reads false, not true`);
  });

  it('refuses to set a flag the document does not have, and writes nothing', async () => {
    const error = await failureOf(backend().set({ values: { new_flag: true } }));
    expect(error.kind).toBe('invalid');
    expect(error.message).toContain("no flag 'new_flag' at flags.new_flag.enabled");
    expect(puts()).toHaveLength(0);
  });

  it('a server without ETags is refused: no write without If-Match', async () => {
    twin.recorder.inject({ match: 'GET /api/feature-flags', kind: 'no-etag' });
    const error = await failureOf(backend().set({ values: { [CATALOG]: true } }));
    expect(error.kind).toBe('invalid');
    expect(error.message).toContain('without an ETag');
    expect(puts()).toHaveLength(0);
  });

  it('an answer that is not JSON is invalid', async () => {
    twin.recorder.inject({ match: 'GET /api/feature-flags', kind: 'malformed' });
    expect((await failureOf(backend().read())).kind).toBe('invalid');
  });

  it.each([
    [401, 'unauthorized'],
    [403, 'permission-denied'],
    [404, 'not-found'],
    [429, 'rate-limited'],
    [500, 'unavailable'],
    [503, 'unavailable'],
  ] as const)('HTTP %i is %s', async (status, kind) => {
    twin.recorder.inject({ match: 'GET /api/feature-flags', status, message: 'the server says so' });
    const error = await failureOf(backend().read());
    expect(error.kind).toBe(kind);
    expect(error.message).toContain(`${status}: the server says so`);
    expect(error.message).toContain(FLAGS_TWIN_URL);
  });

  it('a revoked token and a read-only token are told apart', async () => {
    twin.revokeToken(FLAGS_TWIN_TOKEN);
    expect((await failureOf(backend().read())).kind).toBe('unauthorized');
    twin.setToken('reader', 'read');
    const error = await failureOf(backend({ token: 'reader' }).set({ values: { [CATALOG]: true } }));
    expect(error.kind).toBe('permission-denied');
    expect(twin.flag(`flags.${CATALOG}.enabled`)).toBe(false);
  });

  it('a failed PUT is mapped too and leaves the document alone', async () => {
    twin.recorder.inject({ match: 'PUT /api/feature-flags', status: 503 });
    expect((await failureOf(backend().set({ values: { [CATALOG]: true } }))).kind).toBe('unavailable');
    expect(twin.flag(`flags.${CATALOG}.enabled`)).toBe(false);
  });

  it('no answer in time is a timeout; an unreachable server is unavailable', async () => {
    twin.recorder.inject({ match: 'GET /api/feature-flags', delayMs: 1_000 });
    const slow = await failureOf(backend({ timeoutMs: 50 }).read());
    expect(slow.kind).toBe('timeout');
    expect(slow.message).toContain('within 50 ms');

    const down = backend({
      fetch: () => Promise.reject(new TypeError('fetch failed')),
    });
    const error = await failureOf(down.read());
    expect(error.kind).toBe('unavailable');
    expect(error.message).toContain('could not be reached (fetch failed)');
  });

  it('never puts the token in an error message, even when the server or the network repeats it', async () => {
    const token = 'sk-flags-0123456789abcdef';
    twin.setToken(token, 'write');
    for (const status of [401, 403, 500]) {
      twin.recorder.inject({ match: 'GET /api/feature-flags', status, kind: 'echo-auth' });
      const error = await failureOf(backend({ token }).read());
      expect(error.message).toContain('[redacted]');
      expect(error.message).not.toContain(token);
    }
    const leaky = backend({ token, fetch: () => Promise.reject(new Error(`socket closed, sent ${token}`)) });
    expect((await failureOf(leaky.read())).message).not.toContain(token);
  });

  it('shows the URL without its query or user info', async () => {
    const url = 'https://user:pw-secret@flags.twin/api/feature-flags?key=q-secret';
    const error = await failureOf(backend({ url, fetch: () => Promise.reject(new Error('down')) }).read());
    expect(error.message).toContain(`${FLAGS_TWIN_URL} could not be reached`);
    expect(error.message).not.toContain('secret');
  });
});

describe('flagBackendOf (http-json)', () => {
  it('puts a path on the publicUrl, keeping its own path', async () => {
    const seen: string[] = [];
    const flags = flagBackendOf(
      { kind: 'http-json', url: '/api/feature-flags', paths: {} },
      {
        flags: [CATALOG],
        publicUrl: 'https://flags.twin/',
        ref: { project: 'p', region: 'r', service: 's' },
        cloudRun: undefined as never,
        token: FLAGS_TWIN_TOKEN,
        fetch: (input, init) => {
          seen.push(String(input));
          return globalThis.fetch(input, init);
        },
      },
    );
    expect((await flags.read()).values).toEqual({ [CATALOG]: false });
    expect(seen).toEqual([FLAGS_TWIN_URL]);
  });
});

describe('flags twin', () => {
  const put = (headers: Record<string, string>, body: unknown = twin.document) =>
    fetch(FLAGS_TWIN_URL, {
      method: 'PUT',
      headers: {
        authorization: `Bearer ${FLAGS_TWIN_TOKEN}`,
        'content-type': 'application/json',
        ...headers,
      },
      body: JSON.stringify(body),
    });

  it('GET answers the document with a strong ETag that moves with every change', async () => {
    const first = await fetch(FLAGS_TWIN_URL, { headers: { authorization: `Bearer ${FLAGS_TWIN_TOKEN}` } });
    expect(first.status).toBe(200);
    const etag = first.headers.get('etag');
    expect(etag).toMatch(/^"v1-[0-9a-f]{12}"$/);
    expect(await first.json()).toEqual(SEED_FLAGS_DOCUMENT);
    twin.setFlag(`flags.${CATALOG}.enabled`, true);
    expect(twin.etag).not.toBe(etag);
  });

  it('PUT: 428 without If-Match, 412 with a stale one, 200 with the current one or *', async () => {
    const stale = twin.etag;
    expect((await put({})).status).toBe(428);
    expect((await put({ 'if-match': stale }, { flags: {} })).status).toBe(200);
    expect((await put({ 'if-match': stale })).status).toBe(412);
    expect(twin.document).toEqual({ flags: {} });
    expect((await put({ 'if-match': '*' }, { flags: { x: { enabled: true } } })).status).toBe(200);
    expect(twin.flag('flags.x.enabled')).toBe(true);
    expect(twin.writes).toBe(2);
  });

  it('PUT refuses a body that is not a JSON object', async () => {
    expect((await put({ 'if-match': twin.etag }, [1, 2])).status).toBe(400);
    expect((await put({ 'if-match': twin.etag, 'content-type': 'text/plain' })).status).toBe(415);
  });
});
