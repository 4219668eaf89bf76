import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { formatIssue, parseConfig } from '../../src/config/index.ts';
import type { CanaryRunbook } from '../../src/config/runbooks.ts';
import { withGateModes } from '../../src/config/runbooks.ts';
import { configWarnings } from '../../src/config/warnings.ts';

// A gate's `mode` in the config: enforce when left out, shadow or advisory when said; anything else is
// refused with what was expected. The stream cutover and the others that do not run the stage judge are
// warned about, since they enforce whatever the mode says.

const EXAMPLE = readFileSync('examples/shiftgate.yaml', 'utf8');

function parsed(text: string) {
  const result = parseConfig(text, 'modes.yaml');
  if (!result.ok) throw new Error(result.issues.map(formatIssue).join('\n'));
  return result.config;
}

const withMode = (gate: string, mode: string) =>
  EXAMPLE.replace(
    new RegExp(`^  ${gate}:\\n    kind: ([^\\n]+)\\n`, 'm'),
    `  ${gate}:\n    kind: $1\n    mode: ${mode}\n`,
  );

describe('gate modes in the config', () => {
  it('defaults to enforce, and pins only the others with the runbook', () => {
    const plain = parsed(EXAMPLE);
    expect(plain.gates['error-rate']?.mode).toBeUndefined();
    expect(withGateModes(plain.runbooks.canary as CanaryRunbook, plain.gates).gateModes).toBeUndefined();
    const config = parsed(withMode('error-rate', 'shadow'));
    expect(config.gates['error-rate']?.mode).toBe('shadow');
    expect(withGateModes(config.runbooks.canary as CanaryRunbook, config.gates).gateModes).toEqual({
      'error-rate': 'shadow',
    });
  });

  it('refuses another word, saying which are meant', () => {
    const result = parseConfig(withMode('error-rate', 'quiet'), 'modes.yaml');
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.issues.map(formatIssue).join('\n')).toMatch(
      /gates\.error-rate\.mode: .*"enforce".*"shadow".*"advisory"/,
    );
  });

  it('warns when a train names a shadow or advisory gate: it enforces every gate it names', () => {
    const config = parsed(withMode('chat-stream', 'shadow'));
    expect(configWarnings(config)).toContainEqual(
      expect.stringMatching(
        /^runbooks\.[\w-]+: gate chat-stream is shadow, but the stream cutover enforces every gate it names/,
      ),
    );
    expect(
      configWarnings(parsed(EXAMPLE)).some((w) => w.includes(' is shadow') || w.includes(' is advisory')),
    ).toBe(false);
  });
});
