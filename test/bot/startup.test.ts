import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { createSecretManagerTwin } from '../../sandbox/twins/secret-manager/index.ts';
import { checkStartup } from '../../src/bot/startup.ts';
import { EnvError } from '../../src/config/index.ts';
import { createSecretManager, createSecretResolver } from '../../src/platform/secret-manager/index.ts';
import { useTwins } from '../helpers/msw.ts';
import { REDIS_URL } from '../helpers/redis.ts';
import { runNode } from '../helpers/run-node.ts';

const VALID = {
  SLACK_BOT_TOKEN: 'xoxb-1-2-abc',
  SLACK_SIGNING_SECRET: '0123456789abcdef0123456789abcdef',
  REDIS_URL,
  GOOGLE_CLOUD_PROJECT: 'shiftgate-test',
  SHIFTGATE_CONFIG: 'examples/shiftgate.yaml',
};

const start = (env: Record<string, string>) =>
  runNode(['src/bot/main.ts'], { PATH: process.env.PATH, ...env });

describe('start-up', () => {
  it('stops with one line naming a missing variable', async () => {
    const { SLACK_SIGNING_SECRET: _, ...rest } = VALID;
    const result = await start(rest);
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n')).toEqual([
      "shiftgate: SLACK_SIGNING_SECRET is not set: expected the Slack app's signing secret or a Secret Manager reference sm://projects/P/secrets/S/versions/V",
    ]);
  });

  it('stops with the located errors of a broken config', async () => {
    const result = await start({ ...VALID, SHIFTGATE_CONFIG: 'package.json' });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^shiftgate: package\.json:\d+:\d+: name: unknown key/m);
  });

  it('stops when Redis does not answer, naming REDIS_URL but not its password', async () => {
    const result = await start({ ...VALID, REDIS_URL: 'redis://:hunter2@127.0.0.1:1' });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^shiftgate: REDIS_URL: Redis does not answer/);
    expect(result.stderr).not.toContain('hunter2');
  });
});

describe('start-up with Secret Manager references', () => {
  const twin = createSecretManagerTwin();
  useTwins(...twin.handlers);
  beforeEach(() => twin.reset());

  const secretManager = createSecretManager({
    target: {
      projectId: 'shiftgate-test',
      endpoint: { host: 'secretmanager.twin', port: 80, protocol: 'http' },
    },
    retryDelayMs: 1,
  });
  afterAll(() => secretManager.close());
  const secrets = () => createSecretResolver({ secretManager });

  const ref = (name: string) => `sm://projects/shiftgate-test/secrets/${name}/versions/latest`;

  async function refusal(env: Record<string, string>): Promise<string[]> {
    const error = await checkStartup(env, { secrets }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(EnvError);
    return (error as EnvError).lines;
  }

  it('resolves the references, REDIS_URL included, before reaching Redis', async () => {
    twin.addVersion('projects/shiftgate-test/secrets/slack-bot-token', `${VALID.SLACK_BOT_TOKEN}\n`);
    twin.addVersion('projects/shiftgate-test/secrets/redis-url', REDIS_URL);
    const { env } = await checkStartup(
      { ...VALID, SLACK_BOT_TOKEN: ref('slack-bot-token'), REDIS_URL: ref('redis-url') },
      { secrets },
    );
    expect(env.SLACK_BOT_TOKEN).toBe(VALID.SLACK_BOT_TOKEN);
    expect(env.REDIS_URL).toBe(REDIS_URL);
    expect(twin.recorder.requests).toHaveLength(2);
  });

  it('stops with one line naming the variable and the reference of a missing secret, never a value', async () => {
    twin.addVersion('projects/shiftgate-test/secrets/other', 'xoxb-other-value');
    // Redis is unreachable too, but the secret is resolved first and is what stops the start.
    const lines = await refusal({
      ...VALID,
      SLACK_BOT_TOKEN: ref('slack-bot-token'),
      REDIS_URL: 'redis://127.0.0.1:1',
    });
    expect(lines).toEqual([
      `SLACK_BOT_TOKEN: ${ref('slack-bot-token')}: no such secret or version (Secret Manager: Secret [projects/shiftgate-test/secrets/slack-bot-token] not found or has no versions.)`,
    ]);
  });

  it('names every variable whose secret cannot be read', async () => {
    twin.addVersion('projects/shiftgate-test/secrets/signing', 'a'.repeat(32));
    twin.deny('projects/shiftgate-test/secrets/signing');
    const lines = await refusal({
      ...VALID,
      SLACK_BOT_TOKEN: ref('nope'),
      SLACK_SIGNING_SECRET: ref('signing'),
    });
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(
      /^SLACK_BOT_TOKEN: sm:\/\/projects\/shiftgate-test\/secrets\/nope\/versions\/latest: no such/,
    );
    expect(lines[1]).toMatch(
      /^SLACK_SIGNING_SECRET: sm:\/\/.*\/signing\/versions\/latest: permission denied/,
    );
    expect(lines.join('\n')).not.toContain('a'.repeat(32));
  });

  it('checks a resolved value as if it had been given directly, without repeating it', async () => {
    twin.addVersion('projects/shiftgate-test/secrets/slack-bot-token', 'not-a-bot-token');
    const lines = await refusal({ ...VALID, SLACK_BOT_TOKEN: ref('slack-bot-token') });
    expect(lines).toEqual([
      `SLACK_BOT_TOKEN is malformed: expected a Slack bot token (xoxb-...) or a Secret Manager reference sm://projects/P/secrets/S/versions/V (the value of ${ref('slack-bot-token')})`,
    ]);
  });
});
