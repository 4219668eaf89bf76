import { createHash } from 'node:crypto';

// The twin workspace's fixed identity, shared by the Web API twin and the request builders in sign.ts,
// so a slash command "from" the twin's team names the same team and app the bot's auth.test reports.

export const TWIN_TEAM_ID = 'T0TWIN0001';
export const TWIN_TEAM_DOMAIN = 'twin';
export const TWIN_BOT_USER_ID = 'U0TWINBOT1';
export const TWIN_BOT_ID = 'B0TWINBOT1';
export const TWIN_APP_ID = 'A0TWINAPP1';
/** The deprecated verification token Slack still puts in every payload. */
export const TWIN_VERIFICATION_TOKEN = 'twin-verification-token';
export const TWIN_WORKSPACE_URL = 'https://twin.slack.com/';

const hashId = (prefix: string, seed: string) =>
  prefix + createHash('sha1').update(seed).digest('hex').slice(0, 10).toUpperCase();

/**
 * A channel's id as Slack would answer it: ids pass through, a user id stands for the bot's DM with
 * that user, and a name ('#deploys' or 'deploys') maps to a stable fake 'C…' id ('G…' for a name
 * starting 'private-': a private channel, which the bot cannot join).
 */
export function channelIdOf(channel: string): string {
  if (/^[CGD][A-Z0-9]+$/.test(channel)) return channel;
  if (/^[UW][A-Z0-9]{2,}$/.test(channel)) return hashId('D', channel);
  const name = channel.replace(/^#/, '').toLowerCase();
  return hashId(name.startsWith('private-') ? 'G' : 'C', name);
}

/**
 * Strictly increasing message timestamps in Slack's 'seconds.micros' form, from 1700000000.000100.
 * Deterministic rather than wall-clock so tests can predict them; with `wall` (the sandbox, where people
 * read the times) never earlier than now.
 */
export class TsClock {
  private micros = 1_700_000_000_000_000n;
  private readonly wall: boolean;

  constructor(options: { wall?: boolean } = {}) {
    this.wall = options.wall ?? false;
  }

  next(): string {
    this.micros += 100n;
    const now = this.wall ? BigInt(Date.now()) * 1000n : 0n;
    if (now > this.micros) this.micros = now;
    const text = this.micros.toString();
    return `${text.slice(0, -6)}.${text.slice(-6)}`;
  }

  reset(): void {
    this.micros = 1_700_000_000_000_000n;
  }
}
