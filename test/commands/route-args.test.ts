import { beforeAll, describe, expect, it } from 'vitest';
import type { Mrkdwn } from '../../src/blocks/message.ts';
import { parseRoute } from '../../src/commands/route-args.ts';
import { loadConfig } from '../../src/config/index.ts';
import type { ShiftgateConfig } from '../../src/config/schema.ts';

// /route's parser against the example config (service `control`, staging and prod).

let config: ShiftgateConfig;
beforeAll(async () => {
  config = await loadConfig('examples/shiftgate.yaml');
});
const parse = (text: string) => {
  const r = parseRoute(text, config);
  return r.ok ? r : { ok: false, error: (r.error as Mrkdwn).text };
};

describe('/route arguments', () => {
  it('reads status, override and clear with their scope and reason', () => {
    expect(parse('status control prod')).toEqual({
      ok: true,
      value: { sub: 'status', service: 'control', env: 'prod' },
    });
    expect(parse('override control legacy --reason "login errors"')).toEqual({
      ok: true,
      value: { sub: 'change', change: 'legacy', reason: 'login errors', service: 'control' },
    });
    expect(parse('clear control prod --reason "fixed in v2"')).toEqual({
      ok: true,
      value: { sub: 'change', change: 'clear', reason: 'fixed in v2', service: 'control', env: 'prod' },
    });
    expect(parse('')).toEqual({ ok: true, value: { sub: 'help' } });
  });

  it('says what is wrong', () => {
    expect(parse('override control --reason "x y z"')).toMatchObject({ ok: false, error: /legacy.*rust/ });
    expect(parse('override control rust_shell --reason "x y z"')).toMatchObject({
      ok: false,
      error: /`rust_shell`\?/,
    });
    expect(parse('clear control')).toMatchObject({ ok: false, error: /needs `--reason/ });
    expect(parse('flip control')).toMatchObject({ ok: false, error: /Unknown subcommand `flip`/ });
    expect(parse('clear control because --reason "x y z"')).toMatchObject({
      ok: false,
      error: /Unexpected `because`/,
    });
    expect(parse('status control --reason "x y z"')).toMatchObject({ ok: false, error: /takes no reason/ });
  });
});
