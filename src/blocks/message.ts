import type {
  ActionsBlock,
  Button,
  ContextBlock,
  DividerBlock,
  HeaderBlock,
  KnownBlock,
  SectionBlock,
} from '@slack/types';
import type { ActionId } from './actions.ts';
import { LIMITS } from './limits.ts';

// What every builder returns, and the small builders they are made of. Each builder cuts its text to
// Slack's limit itself, so no state (a long reason, 40 gates) can produce a message Slack refuses.
// Text given to `section`, `fields` and `context` is mrkdwn the caller composed: anything a person typed
// goes through `escapeText` (or `code`) first.

/** A chat.postMessage / chat.update body: `text` is the notification fallback, plain and short. */
export interface SlackMessage {
  text: string;
  blocks: KnownBlock[];
}

export function message(text: string, blocks: KnownBlock[]): SlackMessage {
  return { text: truncate(text, 300), blocks };
}

/** Slack's mrkdwn control characters; without this a reason could hold `<!channel>` or a fake link. */
export function escapeText(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}

/**
 * Text as a person typed it, from text as Slack delivers it (command text, message events): Slack sends
 * `&`, `<` and `>` typed by people as `&amp;`, `&lt;`, `&gt;`. Its own markup (`<@U1>`, `<#C1|x>`, links)
 * stays as it is. Stored text is the person's; it is escaped again where it is shown.
 */
export function unescapeText(text: string): string {
  return text.replaceAll('&lt;', '<').replaceAll('&gt;', '>').replaceAll('&amp;', '&');
}

/** Inline code of user text: escaped, and a backtick in it cannot close the code span early. */
export function code(text: string): string {
  return `\`${escapeText(text).replaceAll('`', "'")}\``;
}

/** A user mention for a Slack user id; anything else ("cli", a name) is shown as escaped text. */
export function mention(userId: string): string {
  return /^[UW][A-Z0-9]{2,}$/.test(userId) ? `<@${userId}>` : escapeText(userId);
}

/** A link when the URL is one Slack can carry (no spaces, `|` or `>`), else just the label. */
export function link(url: string | undefined, label: string): string {
  return url !== undefined && /^https?:\/\/[^\s<>|]+$/.test(url)
    ? `<${url}|${escapeText(label)}>`
    : escapeText(label);
}

/** Cut to at most `max` chars, ending with an ellipsis; never splits an emoji's surrogate pair. */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  if (max < 1) return '';
  let cut = text.slice(0, max - 1);
  if (/[\uD800-\uDBFF]$/.test(cut)) cut = cut.slice(0, -1);
  return `${cut}…`;
}

/** `truncate` for mrkdwn: also never leaves half an entity (`&am`) or half a `<...>` token behind. */
export function truncateMrkdwn(text: string, max: number): string {
  if (text.length <= max) return text;
  let cut = truncate(text, max).slice(0, -1);
  const amp = cut.lastIndexOf('&');
  if (amp >= 0 && cut.length - amp < 8 && !cut.includes(';', amp)) cut = cut.slice(0, amp);
  const open = cut.lastIndexOf('<');
  if (open > cut.lastIndexOf('>')) cut = cut.slice(0, open);
  return `${cut}…`;
}

export function header(text: string): HeaderBlock {
  return {
    type: 'header',
    text: { type: 'plain_text', text: nonEmpty(truncate(text, LIMITS.headerText)), emoji: true },
  };
}

export function section(mrkdwn: string): SectionBlock {
  return {
    type: 'section',
    text: { type: 'mrkdwn', text: nonEmpty(truncateMrkdwn(mrkdwn, LIMITS.sectionText)) },
  };
}

/** Two columns of short mrkdwn texts; at most 10 (the rest are dropped: callers pass fewer). */
export function fields(items: string[]): SectionBlock {
  return {
    type: 'section',
    fields: items.slice(0, LIMITS.fields).map((text) => ({
      type: 'mrkdwn',
      text: nonEmpty(truncateMrkdwn(text, LIMITS.fieldText)),
    })),
  };
}

export function context(...items: string[]): ContextBlock {
  return {
    type: 'context',
    elements: items.slice(0, LIMITS.contextElements).map((text) => ({
      type: 'mrkdwn',
      text: nonEmpty(truncateMrkdwn(text, LIMITS.contextText)),
    })),
  };
}

export function divider(): DividerBlock {
  return { type: 'divider' };
}

export interface ConfirmText {
  title: string;
  text: string;
  confirm: string;
}

export function button(
  label: string,
  actionId: ActionId,
  value: string,
  style?: 'primary' | 'danger',
  confirm?: ConfirmText,
): Button {
  const b: Button = {
    type: 'button',
    text: { type: 'plain_text', text: truncate(label, LIMITS.buttonText), emoji: true },
    action_id: actionId,
    value,
  };
  if (style) b.style = style;
  if (confirm) {
    b.confirm = {
      title: { type: 'plain_text', text: truncate(confirm.title, LIMITS.confirmTitle) },
      text: { type: 'plain_text', text: truncate(confirm.text, LIMITS.confirmText) },
      confirm: { type: 'plain_text', text: truncate(confirm.confirm, LIMITS.confirmButton) },
      deny: { type: 'plain_text', text: 'Cancel' },
      ...(style === 'danger' ? { style: 'danger' as const } : {}),
    };
  }
  return b;
}

/** An actions block, or nothing when there is no button to show (Slack refuses an empty one). */
export function actions(buttons: Button[]): ActionsBlock[] {
  return buttons.length === 0 ? [] : [{ type: 'actions', elements: buttons.slice(0, LIMITS.actionElements) }];
}

/**
 * Lines joined into as few sections as fit (3,000 chars each). Each line is cut to `maxLine` first; past
 * `maxLines` lines (or `maxSections` sections) the rest become "and N more", so a long list never
 * breaks a message.
 */
export function lineSections(
  lines: string[],
  options: { maxLine?: number; maxLines?: number; maxSections?: number; more?: string } = {},
): SectionBlock[] {
  const maxLine = Math.min(options.maxLine ?? 500, LIMITS.sectionText);
  const maxSections = options.maxSections ?? Number.POSITIVE_INFINITY;
  const shown = lines.slice(0, options.maxLines ?? lines.length).map((l) => truncateMrkdwn(l, maxLine));
  const chunks: string[][] = [];
  let size = 0;
  for (const line of shown) {
    const last = chunks.at(-1);
    if (last && size + 1 + line.length <= LIMITS.sectionText) {
      last.push(line);
      size += 1 + line.length;
    } else {
      chunks.push([line]);
      size = line.length;
    }
  }
  const kept = chunks.slice(0, maxSections);
  const rest = lines.length - kept.reduce((n, c) => n + c.length, 0);
  if (rest > 0) {
    const more = (n: number) => `_and ${n} more${options.more ? `: ${options.more}` : ''}_`;
    const last = kept.at(-1);
    if (last && last.join('\n').length + 1 + more(rest).length <= LIMITS.sectionText) last.push(more(rest));
    else if (kept.length < maxSections || !last) kept.push([more(rest)]);
    else last[last.length - 1] = more(rest + 1);
  }
  return kept.map((c) => section(c.join('\n')));
}

/**
 * Blocks built with a shrinking budget (chars for their longest parts) until they fit the size ceiling
 * of a message: long content is shortened rather than the message refused.
 */
export function fitting(build: (budget: number) => KnownBlock[], start: number): KnownBlock[] {
  for (let budget = start; ; budget = Math.floor(budget * 0.75)) {
    const blocks = build(budget);
    if (JSON.stringify(blocks).length <= LIMITS.messageJson || budget < 200) return blocks;
  }
}

/** Slack refuses empty text objects. */
function nonEmpty(text: string): string {
  return text.trim().length === 0 ? '-' : text;
}
