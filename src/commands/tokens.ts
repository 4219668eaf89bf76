import { type Mrkdwn, md } from '../blocks/message.ts';

// Words of a slash command's text. Quotes group words (`--reason "5xx spike"`); Slack clients often turn
// straight quotes into typographic ones, so those count too.

const OPEN_TO_CLOSE: Record<string, string> = { '"': '"', "'": "'", '“': '”', '”': '”', '‘': '’', '’': '’' };

export type Tokens = { ok: true; tokens: string[] } | { ok: false; error: Mrkdwn };

export function tokenize(text: string): Tokens {
  const tokens: string[] = [];
  let current = '';
  let inToken = false;
  let close: string | undefined;
  for (const char of text.trim()) {
    if (close !== undefined) {
      if (char === close) close = undefined;
      else current += char;
    } else if (OPEN_TO_CLOSE[char] !== undefined) {
      close = OPEN_TO_CLOSE[char];
      inToken = true;
    } else if (/\s/.test(char)) {
      if (inToken) tokens.push(current);
      current = '';
      inToken = false;
    } else {
      current += char;
      inToken = true;
    }
  }
  if (close !== undefined) return { ok: false, error: md`a quote is not closed: add the closing ${close}` };
  if (inToken) tokens.push(current);
  return { ok: true, tokens };
}
