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
//
// One way out to Slack for text: every mrkdwn text (a section, a field, a context element, a message's
// fallback `text`, which Slack parses as mrkdwn too) is a `Mrkdwn`, and a `Mrkdwn` is only made here: by
// the `md` template, which escapes every string it interpolates, or by the helpers below (escapeText,
// code, mention, link), which escape what they are given. A string a person typed cannot reach Slack as
// markup without the compiler objecting: there is no way to turn a plain string into `Mrkdwn` unescaped.

/** The one door from a string to Mrkdwn, for the text this module itself composed (set just below). */
let trusted: (text: string) => Mrkdwn;

/** Slack mrkdwn that is safe to send: made only by `md` and the helpers of this module. */
export class Mrkdwn {
  readonly text: string;
  private constructor(text: string) {
    this.text = text;
  }
  get length(): number {
    return this.text.length;
  }
  toString(): string {
    return this.text;
  }
  static {
    trusted = (text) => new Mrkdwn(text);
  }
}

/** What `md` interpolates: Mrkdwn as it is, strings escaped, numbers as digits. */
export type MdValue = Mrkdwn | string | number;

/**
 * mrkdwn from a template: its formatting is kept (`*bold*`, `:emoji:`, `\n`, backticks) and every
 * interpolated string is escaped, so `md`*Reason:* ${reason}`` is safe whatever
 * the reason holds. Interpolate Mrkdwn (code(x), mention(id), another md) to keep its markup.
 */
export function md(strings: TemplateStringsArray, ...values: MdValue[]): Mrkdwn {
  // The literal parts are escaped too: `<service>` in a usage line is text, never a link. Markup that
  // Slack reads in angle brackets comes only from mention, channelRef, link and slackDateToken.
  let out = escapeText(strings[0] ?? '').text;
  values.forEach((value, i) => {
    out += piece(value) + escapeText(strings[i + 1] ?? '').text;
  });
  return trusted(out);
}

function piece(value: MdValue): string {
  if (value instanceof Mrkdwn) return value.text;
  if (typeof value === 'number') return String(value);
  return escapeText(value).text;
}

/** Mrkdwn pieces joined by a separator (itself escaped, as any string is). */
export function mdJoin(parts: readonly MdValue[], separator = ''): Mrkdwn {
  return trusted(parts.map(piece).join(piece(separator)));
}

declare const built: unique symbol;

/**
 * A fallback `text` and its blocks: a chat.postMessage / chat.update body. Only `message` and
 * `textMessage` make one (the brand exists for the compiler alone), so its text was escaped.
 */
export interface SlackMessage {
  text: string;
  blocks: KnownBlock[];
  readonly [built]: true;
}

/** `text` is the notification fallback: short, and mrkdwn like any other text Slack shows. */
export function message(text: Mrkdwn, blocks: KnownBlock[]): SlackMessage {
  return { text: truncateMrkdwn(text.text, 300), blocks } as SlackMessage;
}

/** Longest answer a text-only reply carries (Slack takes 40,000 chars; a person reads far fewer). */
const TEXT_REPLY_MAX = 4000;

/** A message that is its text alone (an answer to a command or a click). */
export function textMessage(text: Mrkdwn): SlackMessage {
  return { text: truncateMrkdwn(text.text, TEXT_REPLY_MAX), blocks: [] as KnownBlock[] } as SlackMessage;
}

/** Text shown as it is: Slack's control characters escaped, so it cannot mention, link or broadcast. */
export function escapeText(text: string): Mrkdwn {
  return trusted(text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;'));
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
export function code(text: string): Mrkdwn {
  return trusted(`\`${escapeText(text.replaceAll('`', "'")).text}\``);
}

/** A user mention for a Slack user id; anything else ("cli", a name) is shown as escaped text. */
export function mention(userId: string): Mrkdwn {
  return /^[UW][A-Z0-9]{2,}$/.test(userId) ? trusted(`<@${userId}>`) : escapeText(userId);
}

/**
 * Text the engine composed for people (a refusal, who may approve): its user mentions (`<@U1>`, from the
 * config or the store) stay mentions, everything else is escaped. Only user ids are kept, never `<!…>`
 * broadcasts, channel references or links.
 */
export function withMentions(text: string): Mrkdwn {
  return mdJoin(
    text.split(/(<@[UW][A-Z0-9]{2,}>)/).map((part, i) => (i % 2 === 1 ? mention(part.slice(2, -1)) : part)),
  );
}

/** A channel reference for a Slack channel id; anything else (a "#name") is shown as escaped text. */
export function channelRef(channel: string): Mrkdwn {
  return /^[CG][A-Z0-9]{2,}$/.test(channel) ? trusted(`<#${channel}>`) : escapeText(channel);
}

/** `<!date^…>`: Slack shows the time in each reader's own time zone, `fallback` where it cannot. */
export function slackDateToken(unixSeconds: number, format: string, fallback: string): Mrkdwn {
  return trusted(
    `<!date^${Math.trunc(unixSeconds)}^${escapeText(format).text}|${escapeText(fallback).text}>`,
  );
}

/** A link when the URL is one Slack can carry (no spaces, `|` or `>`), else just the label. */
export function link(url: string | undefined, label: string): Mrkdwn {
  return url !== undefined && /^https?:\/\/[^\s<>|]+$/.test(url)
    ? trusted(`<${url}|${escapeText(label).text}>`)
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
export function truncateMrkdwn(text: string, max: number): string;
export function truncateMrkdwn(text: Mrkdwn, max: number): Mrkdwn;
export function truncateMrkdwn(text: string | Mrkdwn, max: number): string | Mrkdwn {
  if (text instanceof Mrkdwn) return trusted(truncateMrkdwn(text.text, max));
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

export function section(mrkdwn: Mrkdwn): SectionBlock {
  return {
    type: 'section',
    text: { type: 'mrkdwn', text: nonEmpty(truncateMrkdwn(mrkdwn.text, LIMITS.sectionText)) },
  };
}

/** Two columns of short mrkdwn texts; at most 10 (the rest are dropped: callers pass fewer). */
export function fields(items: Mrkdwn[]): SectionBlock {
  return {
    type: 'section',
    fields: items.slice(0, LIMITS.fields).map((text) => ({
      type: 'mrkdwn',
      text: nonEmpty(truncateMrkdwn(text.text, LIMITS.fieldText)),
    })),
  };
}

export function context(...items: Mrkdwn[]): ContextBlock {
  return {
    type: 'context',
    elements: items.slice(0, LIMITS.contextElements).map((text) => ({
      type: 'mrkdwn',
      text: nonEmpty(truncateMrkdwn(text.text, LIMITS.contextText)),
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
  lines: Mrkdwn[],
  options: { maxLine?: number; maxLines?: number; maxSections?: number; more?: string } = {},
): SectionBlock[] {
  const maxLine = Math.min(options.maxLine ?? 500, LIMITS.sectionText);
  const maxSections = options.maxSections ?? Number.POSITIVE_INFINITY;
  const shown = lines.slice(0, options.maxLines ?? lines.length).map((l) => truncateMrkdwn(l.text, maxLine));
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
    const more = (n: number) => md`_and ${n} more${options.more ? md`: ${options.more}` : ''}_`.text;
    const last = kept.at(-1);
    if (last && last.join('\n').length + 1 + more(rest).length <= LIMITS.sectionText) last.push(more(rest));
    else if (kept.length < maxSections || !last) kept.push([more(rest)]);
    else last[last.length - 1] = more(rest + 1);
  }
  return kept.map((c) => section(trusted(c.join('\n'))));
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
