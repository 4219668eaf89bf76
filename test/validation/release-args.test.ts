import { beforeAll, describe, expect, it } from 'vitest';
import { parseValidate } from '../../src/commands/validate-args.ts';
import { loadConfig } from '../../src/config/index.ts';
import type { ShiftgateConfig } from '../../src/config/schema.ts';

// `/validate <env> --phase <phase> --sha <commit> | --image <tag>` against examples/shiftgate.yaml, whose
// matrices hold one phase, legacy-deletion (the legacy DB backup lane).

let example: ShiftgateConfig;
beforeAll(async () => {
  example = await loadConfig('examples/shiftgate.yaml');
});

const SHA = '0123456789abcdef0123456789abcdef01234567';

describe('the release flags of /validate', () => {
  it('reads a phase and a commit or an image', () => {
    expect(parseValidate(`prod --phase legacy-deletion --sha ${SHA.toUpperCase()}`, example)).toEqual({
      ok: true,
      value: { sub: 'run', envs: ['prod'], baseline: false, phase: 'legacy-deletion', sha: SHA },
    });
    expect(parseValidate('staging --image v1.42.0 --baseline', example)).toEqual({
      ok: true,
      value: { sub: 'run', envs: ['staging'], baseline: true, image: 'v1.42.0' },
    });
    expect(
      parseValidate(
        'staging --image us-central1-docker.pkg.dev/openagentsgemini/runtime/runtime:v2.3.0',
        example,
      ),
    ).toMatchObject({
      ok: true,
      value: { image: 'us-central1-docker.pkg.dev/openagentsgemini/runtime/runtime:v2.3.0' },
    });
    expect(parseValidate('staging --sha 1a2b3c4', example)).toMatchObject({
      ok: true,
      value: { sha: '1a2b3c4' },
    });
  });

  it.each([
    ['prod --phase cleanup', 'Unknown phase `cleanup`. Phases of the `prod` matrix: `legacy-deletion`.'],
    ['prod --phase legacy-deleton', 'Did you mean `legacy-deletion`?'],
    ['prod --sha 12345', '`12345` is not a commit SHA: 7 to 40 hexadecimal characters, like `1a2b3c4`.'],
    ['prod --sha nothex1', '`nothex1` is not a commit SHA'],
    ['prod --image "v1 2"', '`v1 2` is not an image: give its tag'],
    [`prod --sha ${SHA} --image v1`, 'Give `--sha` or `--image`, not both'],
    ['prod --phase', '`--phase` needs a value.'],
    ['--sha 1a2b3c4', '`--sha` goes with a run'],
    ['help --image v1', '`--image` goes with a run'],
  ])('refuses %s', (text, message) => {
    const parsed = parseValidate(text, example);
    expect(parsed.ok).toBe(false);
    expect(parsed.ok ? '' : parsed.error.text).toContain(message);
  });
});
