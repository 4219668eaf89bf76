import { describe, expect, it } from 'vitest';
import { ACTIONS } from '../../src/blocks/actions.ts';
import { LIMITS } from '../../src/blocks/limits.ts';
import {
  button,
  code,
  context,
  escapeText,
  fields,
  header,
  lineSections,
  link,
  md,
  mention,
  section,
  truncate,
  truncateMrkdwn,
} from '../../src/blocks/message.ts';
import { humanDuration, relative, slackDate } from '../../src/blocks/time.ts';

describe('escaping', () => {
  it("escapes Slack's control characters so typed text cannot mention or link", () => {
    expect(escapeText('<!channel> & <https://evil|click>').text).toBe(
      '&lt;!channel&gt; &amp; &lt;https://evil|click&gt;',
    );
  });

  it('keeps user text inside its code span', () => {
    expect(code('a`b<c>').text).toBe("`a'b&lt;c&gt;`");
  });

  it('mentions user ids only; anything else is shown as text', () => {
    expect(mention('U0APPROVE1').text).toBe('<@U0APPROVE1>');
    expect(mention('cli <!here>').text).toBe('cli &lt;!here&gt;');
  });

  it('links only URLs Slack can carry', () => {
    expect(link('https://slack.example/archives/C1/p1', 'thread').text).toBe(
      '<https://slack.example/archives/C1/p1|thread>',
    );
    expect(link('https://x.example/a|b>', 'thread').text).toBe('thread');
    expect(link(undefined, 'a <b>').text).toBe('a &lt;b&gt;');
  });
});

describe('truncate', () => {
  it('leaves short text alone and cuts long text with an ellipsis, to the limit exactly', () => {
    expect(truncate('short', 10)).toBe('short');
    const cut = truncate('x'.repeat(200), 150);
    expect(cut).toHaveLength(150);
    expect(cut.endsWith('…')).toBe(true);
  });

  it('never splits an emoji', () => {
    const cut = truncate(`${'a'.repeat(8)}😀😀`, 10);
    expect(cut).toBe(`${'a'.repeat(8)}…`);
  });

  it('in mrkdwn, never leaves half an entity or half a <...> token', () => {
    expect(truncateMrkdwn(`${'a'.repeat(7)}&amp;bbbb`, 10)).toBe(`${'a'.repeat(7)}…`);
    expect(truncateMrkdwn(`ab <@U0APPROVE1> cd`, 10)).toBe('ab …');
  });
});

describe('builders stay within their limits whatever they are given', () => {
  const long = 'é'.repeat(10_000);

  it('header, section, fields, context, button', () => {
    expect(header(long).text.text).toHaveLength(LIMITS.headerText);
    expect(section(escapeText(long)).text?.text.length).toBeLessThanOrEqual(LIMITS.sectionText);
    const f = fields(Array.from({ length: 14 }, () => escapeText(long)));
    expect(f.fields).toHaveLength(LIMITS.fields);
    expect(f.fields?.every((t) => t.text.length <= LIMITS.fieldText)).toBe(true);
    const c = context(...Array.from({ length: 12 }, () => escapeText(long)));
    expect(c.elements).toHaveLength(LIMITS.contextElements);
    const b = button(long, ACTIONS.pause, '{}', 'danger', { title: long, text: long, confirm: long });
    expect(b.text.text).toHaveLength(LIMITS.buttonText);
    expect(b.confirm?.title?.text).toHaveLength(LIMITS.confirmTitle);
    expect(b.confirm?.text.text).toHaveLength(LIMITS.confirmText);
    expect(b.confirm?.confirm?.text).toHaveLength(LIMITS.confirmButton);
  });

  it('never emits empty text, which Slack refuses', () => {
    expect(section(md`  `).text?.text).toBe('-');
    expect(header('').text.text).toBe('-');
  });

  it('lineSections packs lines into sections of at most 3,000 chars and counts what it leaves out', () => {
    const lines = Array.from({ length: 100 }, (_, i) => `line ${i} ${'x'.repeat(200)}`);
    const all = lineSections(lines.map((l) => escapeText(l)));
    expect(all.every((s) => (s.text?.text.length ?? 0) <= LIMITS.sectionText)).toBe(true);
    expect(all.map((s) => s.text?.text).join('\n')).toContain('line 99');
    const some = lineSections(
      lines.map((l) => escapeText(l)),
      { maxLines: 10, more: 'see the list' },
    );
    expect(some.map((s) => s.text?.text).join('\n')).toContain('and 90 more: see the list');
    const capped = lineSections(
      lines.map((l) => escapeText(l)),
      { maxSections: 2 },
    );
    expect(capped).toHaveLength(2);
    const last = capped.at(-1)?.text?.text ?? '';
    const shown = capped
      .map((s) => s.text?.text)
      .join('\n')
      .split('\n')
      .filter((l) => l.startsWith('line')).length;
    expect(last).toContain(`and ${100 - shown} more`);
  });
});

describe('times', () => {
  it('formats with Slack date formatting, the ISO time as fallback', () => {
    expect(slackDate('2026-11-23T10:00:00.000Z').text).toBe(
      '<!date^1795428000^{date_short_pretty} {time}|2026-11-23T10:00:00.000Z>',
    );
    expect(slackDate('not a <time>').text).toBe('not a &lt;time&gt;');
  });

  it('says durations in words', () => {
    expect(humanDuration(45_000)).toBe('45 s');
    expect(humanDuration(12 * 60_000)).toBe('12 min');
    expect(humanDuration(125 * 60_000)).toBe('2 h 5 min');
    expect(humanDuration(28 * 3_600_000)).toBe('1 d 4 h');
    const now = Date.parse('2026-11-23T10:12:00.000Z');
    expect(relative('2026-11-23T10:00:00.000Z', now)).toBe('12 min ago');
    expect(relative('2026-11-23T10:30:00.000Z', now)).toBe('in 18 min');
  });
});
