import { describe, expect, it } from 'vitest';
import { type Command, help, usage } from '../../src/blocks/help.ts';
import { blockKitProblems } from '../../src/blocks/limits.ts';
import { textOf } from './fixtures.ts';

const COMMANDS: Command[] = ['/canary', '/rollback', '/incident', '/deploy'];

describe('help', () => {
  it.each(COMMANDS)('%s: every form with what it does, and examples, within limits', (command) => {
    const m = help(command);
    expect(blockKitProblems(m)).toEqual([]);
    expect(textOf(m)).toContain('*Examples*');
    expect(textOf(m)).toContain(`\`${command} help\``);
  });

  it('shows the forms people type, angle brackets escaped for mrkdwn', () => {
    const canary = textOf(help('/canary'));
    for (const form of [
      '/canary start [service] &lt;tag&gt; [env] [--dry-run] [--without-go "&lt;reason&gt;"] [--during-freeze "&lt;reason&gt;"]',
      '/canary status [service] [env]',
      '/canary list',
      '/canary pause [service] [env]',
      '/canary resume [service] [env] [--during-freeze "&lt;reason&gt;"]',
      '/canary abort [service] [env] [reason]',
      '/canary promote [service] [env]',
      '/canary done [service] [env] [reason]',
    ]) {
      expect(canary).toContain(`\`${form}\``);
    }
    expect(canary).not.toMatch(/<tag>/);
    expect(canary).toContain('/canary start control v1.42.0 prod --dry-run');
    expect(textOf(help('/rollback'))).toContain(
      '/rollback &lt;service&gt; [env] [--to &lt;revision&gt;] [--route-only | --traffic-only] [--dry-run] --reason "&lt;text&gt;"',
    );
    const incident = textOf(help('/incident'));
    expect(incident).toContain('/incident open &lt;service&gt; [env] &lt;summary&gt;');
    expect(incident).toContain('/incident note &lt;text&gt;');
    expect(incident).toContain('/incident close [summary]');
    const deploy = textOf(help('/deploy'));
    expect(deploy).toContain('/deploy lock &lt;service&gt; [env] &lt;reason&gt;');
    expect(deploy).toContain('/deploy unlock &lt;service&gt; [env]');
    expect(deploy).toContain('/deploy locks');
  });
});

describe('usage', () => {
  it('gives the one right form of a subcommand, for error messages', () => {
    expect(usage('/canary', 'start').text).toBe(
      'Usage: `/canary start [service] &lt;tag&gt; [env] [--dry-run] [--without-go "&lt;reason&gt;"] [--during-freeze "&lt;reason&gt;"]`',
    );
    expect(usage('/deploy', 'unlock').text).toBe('Usage: `/deploy unlock &lt;service&gt; [env]`');
    expect(usage('/incident', 'note').text).toBe('Usage: `/incident note &lt;text&gt;`');
    expect(usage('/rollback').text).toContain('Usage: `/rollback &lt;service&gt; [env]');
    expect(usage('/rollback', 'whatever').text).toBe(usage('/rollback').text);
  });

  it('without a known subcommand, lists every form, one a line', () => {
    const all = usage('/canary', 'frobnicate').text;
    expect(all.split('\n')).toHaveLength(1 + 9);
    expect(all).toContain('`/canary list`');
    expect(usage('/deploy').text).toContain('`/deploy locks`');
  });
});
