import { beforeAll, describe, expect, it } from 'vitest';
import type { Mrkdwn } from '../../src/blocks/message.ts';
import { parseCanary } from '../../src/commands/canary-args.ts';
import { parseCutover } from '../../src/commands/cutover-args.ts';
import { parseFlag } from '../../src/commands/flag-args.ts';
import { loadConfig } from '../../src/config/index.ts';
import type { ShiftgateConfig } from '../../src/config/schema.ts';

// `--during-freeze "<reason>"`: an admin's reason to start, or to let a running rollout go on, during a
// scheduled freeze window. It goes with the starts (/canary start, /cutover stream, /flag canary) and with
// /canary resume, needs a reason as any override does, and nowhere else.

let config: ShiftgateConfig;
beforeAll(async () => {
  config = await loadConfig('examples/shiftgate.yaml');
});
const plain = <T extends { ok: boolean }>(r: T) =>
  'error' in r ? { ...r, error: (r.error as Mrkdwn).text } : r;

describe('--during-freeze', () => {
  it('goes with /canary start and resume, with a reason', () => {
    expect(parseCanary('start control v1.42.0 prod --during-freeze "hotfix for the outage"', config)).toEqual(
      {
        ok: true,
        value: {
          sub: 'start',
          service: 'control',
          env: 'prod',
          tag: 'v1.42.0',
          dryRun: false,
          duringFreeze: 'hotfix for the outage',
        },
      },
    );
    expect(parseCanary('resume control prod --during-freeze "the fix must land"', config)).toEqual({
      ok: true,
      value: { sub: 'resume', service: 'control', env: 'prod', duringFreeze: 'the fix must land' },
    });
    expect(plain(parseCanary('start control v1 prod --during-freeze ""', config))).toMatchObject({
      ok: false,
      error: expect.stringContaining('the reason is too short'),
    });
    expect(plain(parseCanary('pause control prod --during-freeze "why not"', config))).toEqual({
      ok: false,
      error: '`--during-freeze` goes with `/canary start` and `/canary resume` only.',
    });
    expect(plain(parseCanary('start control v1 prod --during-freeze', config))).toMatchObject({
      ok: false,
      error: expect.stringContaining('needs a value'),
    });
  });

  it('goes with /cutover stream and /flag canary, not /flag off', () => {
    const cutover = parseCutover(
      'stream control prod control-00041-abc control-00042-def --live --during-freeze "incident fix"',
      config,
    );
    expect(cutover).toMatchObject({ ok: true, value: { live: true, duringFreeze: 'incident fix' } });
    expect(parseFlag('canary m4-canary prod --during-freeze "incident fix"', config)).toMatchObject({
      ok: true,
      value: { sub: 'canary', duringFreeze: 'incident fix' },
    });
    expect(plain(parseFlag('off m4-canary prod --reason "bad" --during-freeze "x y z"', config))).toEqual({
      ok: false,
      error: '`--during-freeze` does not go with `/flag off`.',
    });
  });
});
