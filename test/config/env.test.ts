import { describe, expect, it } from 'vitest';
import { EnvError, loadEnv, resolveSecrets } from '../../src/config/index.ts';

const VALID = {
  SLACK_BOT_TOKEN: 'xoxb-1111-2222-abcdef',
  SLACK_SIGNING_SECRET: '8f742231b10e8888abcd99eeeeee85a5',
  REDIS_URL: 'redis://10.0.0.3:6379',
  GOOGLE_CLOUD_PROJECT: 'openagentsgemini',
  SHIFTGATE_CONFIG: '/etc/shiftgate/shiftgate.yaml',
};

function errorLines(env: Record<string, string | undefined>): string[] {
  try {
    loadEnv(env);
  } catch (error) {
    expect(error).toBeInstanceOf(EnvError);
    return (error as EnvError).lines;
  }
  throw new Error('expected loadEnv to refuse this environment');
}

describe('the environment', () => {
  it('accepts a complete environment and fills the defaults', () => {
    expect(loadEnv(VALID)).toMatchObject({
      ...VALID,
      PORT: 8080,
      LOG_LEVEL: 'info',
      SLACK_APP_TOKEN: undefined,
    });
    expect(
      loadEnv({ ...VALID, PORT: '3000', LOG_LEVEL: 'debug', SLACK_APP_TOKEN: 'xapp-1-A0-1-ff' }),
    ).toMatchObject({
      PORT: 3000,
      LOG_LEVEL: 'debug',
    });
  });

  it('accepts Secret Manager references for the secrets', () => {
    const ref = 'sm://projects/openagentsgemini/secrets/slack-bot-token/versions/latest';
    expect(loadEnv({ ...VALID, SLACK_BOT_TOKEN: ref }).SLACK_BOT_TOKEN).toBe(ref);
  });

  it('names each missing variable on its own line with what it expects', () => {
    expect(errorLines({ ...VALID, SLACK_BOT_TOKEN: undefined, SHIFTGATE_CONFIG: '' })).toEqual([
      'SLACK_BOT_TOKEN is not set: expected a Slack bot token (xoxb-...) or a Secret Manager reference sm://projects/P/secrets/S/versions/V',
      'SHIFTGATE_CONFIG is not set: expected the path of the runbook config (YAML)',
    ]);
  });

  it('names a malformed variable without echoing a secret value', () => {
    const leaked = 'xoxp-user-token-that-must-not-leak';
    const lines = errorLines({
      ...VALID,
      SLACK_BOT_TOKEN: leaked,
      REDIS_URL: 'http://secret-host:1',
      PORT: '99999',
    });
    expect(lines).toEqual([
      'SLACK_BOT_TOKEN is malformed: expected a Slack bot token (xoxb-...) or a Secret Manager reference sm://projects/P/secrets/S/versions/V',
      'REDIS_URL is malformed: expected a Redis URL like redis://10.0.0.3:6379 or a Secret Manager reference sm://projects/P/secrets/S/versions/V',
      'PORT is malformed: expected a TCP port number from 1 to 65535',
    ]);
    expect(lines.join('\n')).not.toContain('must-not-leak');
    expect(lines.join('\n')).not.toContain('secret-host');
  });

  it('resolves sm:// references and leaves plain values alone', async () => {
    const asked: string[] = [];
    const env = loadEnv({
      ...VALID,
      SLACK_SIGNING_SECRET: 'sm://projects/p1/secrets/signing/versions/3',
      REDIS_URL: 'sm://projects/p1/secrets/redis-url/versions/latest',
    });
    const resolved = await resolveSecrets(env, async (ref) => {
      asked.push(ref);
      return ref.includes('signing') ? 'abcdef0123456789abcdef0123456789' : 'redis://10.1.2.3:6379';
    });
    expect(asked.sort()).toEqual([
      'sm://projects/p1/secrets/redis-url/versions/latest',
      'sm://projects/p1/secrets/signing/versions/3',
    ]);
    expect(resolved).toMatchObject({
      SLACK_BOT_TOKEN: VALID.SLACK_BOT_TOKEN,
      SLACK_SIGNING_SECRET: 'abcdef0123456789abcdef0123456789',
      REDIS_URL: 'redis://10.1.2.3:6379',
    });
  });
});
