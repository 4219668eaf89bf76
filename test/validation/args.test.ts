import { beforeAll, describe, expect, it } from 'vitest';
import { parseValidate } from '../../src/commands/validate-args.ts';
import { loadConfig } from '../../src/config/index.ts';
import type { ShiftgateConfig } from '../../src/config/schema.ts';
import { matrixConfig } from './world.ts';

// `/validate <env> [<env>...] [--baseline]`, `files <run-id>` and `help`, against the example config
// (staging and prod, both with seed 002's matrix) and the test matrix (`dev` has none).

let example: ShiftgateConfig;
beforeAll(async () => {
  example = await loadConfig('examples/shiftgate.yaml');
});

describe('parseValidate', () => {
  it('reads an environment, with or without --baseline', () => {
    expect(parseValidate('staging', example)).toEqual({
      ok: true,
      value: { sub: 'run', envs: ['staging'], baseline: false },
    });
    expect(parseValidate('prod --baseline', example)).toEqual({
      ok: true,
      value: { sub: 'run', envs: ['prod'], baseline: true },
    });
    expect(parseValidate('--baseline staging', example)).toMatchObject({
      ok: true,
      value: { baseline: true },
    });
  });

  it('reads several environments as one run, in the order named', () => {
    expect(parseValidate('staging prod', example)).toEqual({
      ok: true,
      value: { sub: 'run', envs: ['staging', 'prod'], baseline: false },
    });
    expect(parseValidate('prod staging --baseline', example)).toEqual({
      ok: true,
      value: { sub: 'run', envs: ['prod', 'staging'], baseline: true },
    });
  });

  it('shows help for nothing or help', () => {
    expect(parseValidate('', example)).toEqual({ ok: true, value: { sub: 'help' } });
    expect(parseValidate('help', example)).toEqual({ ok: true, value: { sub: 'help' } });
  });

  it('reads files <run-id>', () => {
    expect(parseValidate('files val-staging-20261130T101500-1a2b', example)).toEqual({
      ok: true,
      value: { sub: 'files', runId: 'val-staging-20261130T101500-1a2b' },
    });
  });

  it.each([
    [
      'stagng',
      'Unknown environment `stagng`. Did you mean `staging`? Known environments: `staging`, `prod`.',
    ],
    ['qa', 'Unknown environment `qa`. Known environments: `staging`, `prod`.'],
    [
      'staging staging',
      '`staging` is named twice: name each environment once, e.g. `/validate staging prod`. Known environments: `staging`, `prod`.',
    ],
    ['staging prd', 'Unknown environment `prd`. Did you mean `prod`? Known environments: `staging`, `prod`.'],
    ['staging --gating', 'Unknown flag `--gating`. Flags here: `--baseline`, `--phase`, `--sha`, `--image`.'],
    ['--baseline', 'Name the environment to validate.'],
    ['files', 'Name the run: `/validate files &lt;run-id&gt;`.'],
    [
      'files ../../etc',
      '`../../etc` is not a validation run id (they look like `val-staging-20261130T101500-1a2b`).',
    ],
    ['files val-staging-20261130T101500-1a2b more', '`/validate files` takes one run id, not `more`.'],
    [
      'files val-staging-20261130T101500-1a2b --baseline',
      '`--baseline` goes with a run: `/validate &lt;env&gt; --baseline`.',
    ],
  ])('refuses %j clearly', (text, error) => {
    const parsed = parseValidate(text, example);
    expect(parsed.ok ? parsed : { ok: false, error: parsed.error.text }).toEqual({ ok: false, error });
  });

  it('refuses an environment without a matrix, naming the ones that have one', () => {
    for (const text of ['dev', 'staging dev']) {
      const parsed = parseValidate(text, matrixConfig());
      expect(parsed.ok ? parsed : { ok: false, error: parsed.error.text }).toEqual({
        ok: false,
        error:
          '`dev` has no validation matrix: add `environments.dev.validation.lanes` to the config. Environments with one: `staging`.',
      });
    }
  });
});
