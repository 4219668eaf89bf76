import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { createSecretManagerTwin } from '../../sandbox/twins/secret-manager/index.ts';
import { crc32c, createSecretManager } from '../../src/platform/secret-manager/index.ts';
import { PlatformError } from '../../src/runbooks/ports/errors.ts';
import { useTwins } from '../helpers/msw.ts';

const twin = createSecretManagerTwin();
useTwins(...twin.handlers);

const target = {
  projectId: 'p',
  endpoint: { host: 'secretmanager.twin', port: 80, protocol: 'http' as const },
};
const secretManager = createSecretManager({ target, attempts: 3, retryDelayMs: 1 });
afterAll(() => secretManager.close());
beforeEach(() => twin.reset());

const SECRET = 'projects/p/secrets/slack-bot-token';
const VALUE = 'xoxb-1111-2222-s3cr3t';

async function failure(promise: Promise<unknown>): Promise<PlatformError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(PlatformError);
  const platform = error as PlatformError;
  expect(platform.system).toBe('secret-manager');
  expect(platform.message).not.toContain(VALUE);
  return platform;
}

describe('Secret Manager, through @google-cloud/secret-manager', () => {
  it('reads a version over REST and drops the trailing newline of an echoed secret', async () => {
    twin.addVersion(SECRET, `${VALUE}\n`);
    expect(await secretManager.access(`${SECRET}/versions/1`)).toBe(VALUE);
    expect(twin.recorder.requests.map((r) => `${r.method} ${r.path.split('?')[0]}`)).toEqual([
      `GET /v1/${SECRET}/versions/1:access`,
    ]);
  });

  it('reads latest as the newest version', async () => {
    twin.addVersion(SECRET, 'xoxb-old');
    twin.addVersion(SECRET, 'xoxb-new');
    expect(await secretManager.access(`${SECRET}/versions/latest`)).toBe('xoxb-new');
    expect(await secretManager.access(`${SECRET}/versions/1`)).toBe('xoxb-old');
  });

  it('refuses latest when the newest version is disabled, as the real service does, and says why', async () => {
    twin.addVersion(SECRET, 'xoxb-old');
    twin.disable(twin.addVersion(SECRET, VALUE));
    const error = await failure(secretManager.access(`${SECRET}/versions/latest`));
    expect(error.kind).toBe('not-found');
    expect(error.message).toMatch(new RegExp(`^sm://${SECRET}/versions/latest: the version is disabled`));
    expect(error.message).toContain('is in DISABLED state');
  });

  it('names the reference of a missing secret or version, never a value', async () => {
    twin.addVersion(SECRET, VALUE);
    const missing = await failure(secretManager.access('projects/p/secrets/nope/versions/latest'));
    expect(missing.kind).toBe('not-found');
    expect(missing.message).toMatch(/^sm:\/\/projects\/p\/secrets\/nope\/versions\/latest: no such secret/);
    const version = await failure(secretManager.access(`${SECRET}/versions/7`));
    expect(version.kind).toBe('not-found');
    expect(version.message).toContain(`sm://${SECRET}/versions/7`);
  });

  it('names the reference and the missing role when access is denied', async () => {
    twin.addVersion(SECRET, VALUE);
    twin.deny(SECRET);
    const error = await failure(secretManager.access(`${SECRET}/versions/latest`));
    expect(error.kind).toBe('permission-denied');
    expect(error.message).toMatch(new RegExp(`^sm://${SECRET}/versions/latest: permission denied`));
    expect(error.message).toContain('roles/secretmanager.secretAccessor');
  });

  it('retries UNAVAILABLE a bounded number of times', async () => {
    twin.addVersion(SECRET, VALUE);
    twin.recorder.inject({ match: ':access', status: 503, times: 2 });
    expect(await secretManager.access(`${SECRET}/versions/1`)).toBe(VALUE);
    expect(twin.recorder.requests).toHaveLength(3);

    twin.recorder.inject({ match: ':access', status: 503, times: 3 });
    const error = await failure(secretManager.access(`${SECRET}/versions/1`));
    expect(error.kind).toBe('unavailable');
    expect(error.message).toContain('3 attempt(s)');
    expect(twin.recorder.requests).toHaveLength(6);
  });

  it('reports an exhausted quota, and rejected credentials', async () => {
    twin.addVersion(SECRET, VALUE);
    twin.recorder.inject({ match: ':access', status: 429, retryAfter: 1, times: 3 });
    expect((await failure(secretManager.access(`${SECRET}/versions/1`))).kind).toBe('rate-limited');
    twin.recorder.inject({ match: ':access', status: 401 });
    const unauthorized = await failure(secretManager.access(`${SECRET}/versions/1`));
    expect(unauthorized.kind).toBe('unauthorized');
    expect(unauthorized.message).toContain('Application Default Credentials');
  });

  it('gives up on a slow answer after the bound', async () => {
    twin.addVersion(SECRET, VALUE);
    const quick = createSecretManager({ target, timeoutMs: 50, attempts: 1 });
    twin.recorder.inject({ match: ':access', delayMs: 2_000 });
    const error = await failure(quick.access(`${SECRET}/versions/1`));
    expect(error.kind).toBe('timeout');
    expect(error.message).toBe(`sm://${SECRET}/versions/1: Secret Manager did not answer within 50 ms`);
    await quick.close();
  });

  it('refuses a payload whose CRC32C does not match, or that is not text', async () => {
    twin.addVersion(SECRET, VALUE);
    twin.recorder.inject({ match: ':access', kind: 'bad-checksum' });
    const damaged = await failure(secretManager.access(`${SECRET}/versions/1`));
    expect(damaged.kind).toBe('invalid');
    expect(damaged.message).toContain('CRC32C');

    twin.addVersion(SECRET, Uint8Array.of(0xff, 0xfe, 0x00));
    expect((await failure(secretManager.access(`${SECRET}/versions/2`))).message).toContain('not UTF-8');
  });
});

describe('crc32c', () => {
  it('matches the published check value', () => {
    expect(crc32c(new TextEncoder().encode('123456789'))).toBe(0xe3069283);
    expect(crc32c(new Uint8Array(0))).toBe(0);
  });
});
