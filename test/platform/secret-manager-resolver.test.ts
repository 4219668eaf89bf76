import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { createSecretManagerTwin } from '../../sandbox/twins/secret-manager/index.ts';
import { createSecretManager, createSecretResolver } from '../../src/platform/secret-manager/index.ts';
import { PlatformError } from '../../src/runbooks/ports/errors.ts';
import { useTwins } from '../helpers/msw.ts';

const twin = createSecretManagerTwin();
useTwins(...twin.handlers);

const secretManager = createSecretManager({
  target: { projectId: 'p', endpoint: { host: 'secretmanager.twin', port: 80, protocol: 'http' } },
  retryDelayMs: 1,
});
afterAll(() => secretManager.close());
beforeEach(() => twin.reset());

const REF = 'sm://projects/p/secrets/redis-url/versions/latest';
const VALUE = 'redis://:hunter2@10.0.0.3:6379';

describe('the secret resolver', () => {
  it('reads each sm:// reference once, sharing concurrent asks', async () => {
    twin.addVersion('projects/p/secrets/redis-url', VALUE);
    twin.addVersion('projects/p/secrets/other', 'other-value');
    const resolver = createSecretResolver({ secretManager });
    expect(await Promise.all([resolver.resolve(REF), resolver.resolve(REF)])).toEqual([VALUE, VALUE]);
    expect(await resolver.resolve(REF)).toBe(VALUE);
    expect(twin.recorder.requests).toHaveLength(1);

    // A reference the config schema parsed resolves the same way, from the same cache.
    expect(await resolver.resolve({ source: 'secret-manager', name: REF.slice(5), ref: REF })).toBe(VALUE);
    expect(await resolver.resolve('sm://projects/p/secrets/other/versions/latest')).toBe('other-value');
    expect(twin.recorder.requests).toHaveLength(2);
  });

  it('does not remember a failure: the next ask tries again', async () => {
    const resolver = createSecretResolver({ secretManager });
    const error = await resolver.resolve(REF).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PlatformError);
    expect((error as PlatformError).message).toMatch(new RegExp(`^${REF}: no such secret`));
    twin.addVersion('projects/p/secrets/redis-url', VALUE);
    expect(await resolver.resolve(REF)).toBe(VALUE);
    expect(twin.recorder.requests).toHaveLength(2);
  });

  it('reads env:NAME from the environment and names NAME when it is unset', async () => {
    const resolver = createSecretResolver({ env: { CONTROL_ACCESS_TOKEN: 'tok-123', EMPTY: '' } });
    expect(await resolver.resolve('env:CONTROL_ACCESS_TOKEN')).toBe('tok-123');
    await expect(resolver.resolve('env:MISSING_TOKEN')).rejects.toThrow(
      'env:MISSING_TOKEN: the environment variable MISSING_TOKEN is not set',
    );
    await expect(resolver.resolve('env:EMPTY')).rejects.toThrow('EMPTY is not set');
  });

  it('refuses what is not a reference without repeating it', async () => {
    const resolver = createSecretResolver({ secretManager });
    const error = (await resolver.resolve('xoxb-plain-token').catch((e: unknown) => e)) as Error;
    expect(error.message).toMatch(/^not a secret reference/);
    expect(error.message).not.toContain('xoxb-plain-token');
    await expect(createSecretResolver().resolve(REF)).rejects.toThrow(`${REF}: no Secret Manager client`);
  });
});
