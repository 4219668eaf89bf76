import { beforeAll, describe, expect, it } from 'vitest';
import { parseGates } from '../../src/commands/gates.ts';
import { loadConfig } from '../../src/config/index.ts';
import type { ShiftgateConfig } from '../../src/config/schema.ts';

// `/gates report [service] [env] [--last <n>]` against the example config (services control and runtime,
// environments staging and prod).

let config: ShiftgateConfig;
beforeAll(async () => {
  config = await loadConfig('examples/shiftgate.yaml');
});

const parse = (text: string) => {
  const r = parseGates(text, config);
  return r.ok ? r : { ok: false, error: r.error.text };
};

describe('/gates', () => {
  it('takes a service, an environment, both, or neither; help by default', () => {
    expect(parse('')).toEqual({ ok: true, value: { sub: 'help' } });
    expect(parse('report')).toEqual({ ok: true, value: { sub: 'report', last: 40 } });
    expect(parse('report control prod --last 100')).toEqual({
      ok: true,
      value: { sub: 'report', service: 'control', env: 'prod', last: 100 },
    });
    expect(parse('report staging')).toEqual({ ok: true, value: { sub: 'report', env: 'staging', last: 40 } });
  });

  it('says what was wrong', () => {
    expect(parse('show')).toMatchObject({ ok: false, error: expect.stringContaining('has `report`') });
    expect(parse('report contrl')).toMatchObject({
      ok: false,
      error: expect.stringContaining('Did you mean `control`?'),
    });
    expect(parse('report control prod prod')).toMatchObject({ ok: false });
    expect(parse('report --last 1.5')).toMatchObject({
      ok: false,
      error: expect.stringContaining('whole number'),
    });
    expect(parse('report --last 501')).toMatchObject({ ok: false });
    expect(parse('report --since 3d')).toMatchObject({ ok: false, error: expect.stringContaining('--last') });
  });
});
