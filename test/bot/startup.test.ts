import { describe, expect, it } from 'vitest';
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
  it('checks environment, config and Redis, and says what it found', async () => {
    const result = await start(VALID);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('examples/shiftgate.yaml valid (services: control), Redis answers');
  });

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
