import { readFileSync } from 'node:fs';
import { expect } from 'vitest';
import { type ConfigIssue, parseConfig } from '../../src/config/index.ts';

// The example config with a few edits that break it, and the issues the loader finds in it: the tests
// of config errors name what a person would type wrong, in the file they would start from.

const EXAMPLE = readFileSync('examples/shiftgate.yaml', 'utf8');

/** The example with each [from, to] replacement applied once, refused by the loader. */
export function brokenExample(...edits: [string, string][]): { issues: ConfigIssue[]; text: string } {
  let text = EXAMPLE;
  for (const [from, to] of edits) {
    expect(text, `the example contains ${from}`).toContain(from);
    text = text.replace(from, to);
  }
  const result = parseConfig(text, 'broken.yaml');
  if (result.ok) throw new Error('expected the broken config to be refused');
  return { issues: result.issues, text };
}

/** The issues of the broken example as `path: message` lines. */
export function issueLines(...edits: [string, string][]): string[] {
  return brokenExample(...edits).issues.map((i) => `${i.path}: ${i.message}`);
}
