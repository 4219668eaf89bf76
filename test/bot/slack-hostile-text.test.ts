import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { blockActionsBody, sendToBot } from '../../sandbox/twins/slack/sign.ts';
import { ACTIONS } from '../../src/blocks/actions.ts';
import { ADMIN, APPROVERS, DEPLOYER_2, OUTSIDER, REQUESTER } from '../helpers/engine-world.ts';
import { CHANNEL, SIGNING_SECRET, useSlackWorld } from '../helpers/slack-world.ts';

// Nothing a person types reaches a channel as markup. Generated hostile strings (special mentions, user
// group and user mentions, channel references, disguised links, mrkdwn, 10,000 characters, unusual
// unicode) go through every command and button that echoes text, delivered as Slack delivers them; then
// every text the Slack twin holds (messages and their earlier versions, thread replies, ephemerals,
// response_url answers, App Home) is read back: each `<…>` in it must be markup the bot means (a mention
// of a configured person, the channel, a date, a link to a Slack permalink), never a live broadcast,
// mention or link that came from the typed text.

const s = useSlackWorld('slack-hostile-text');
const { world, slack } = s;

const PEOPLE = new Set([REQUESTER, DEPLOYER_2, ADMIN, OUTSIDER, ...APPROVERS]);

const HOSTILE = [
  '<!channel>',
  '<!here>',
  '<!everyone>',
  '<!subteam^S1>',
  '<!subteam^S0TEAM|@oncall>',
  '<@U123>',
  '<@U0EVIL|boss>',
  '<#C1|x>',
  '<#C0GENERAL>',
  '<https://evil.example|click>',
  '<mailto:a@evil.example|mail>',
  '<!date^1^{date}|x>',
  '*bold* _it_ ~st~ `code` ```block```',
  '&lt;!channel&gt;',
  '&amp;lt;',
  '> quote',
  '\u202Eevil\u202C',
  '\u200B<\u200B!channel>',
  '👩‍👩‍👧 ｜＜＞',
  '"',
  "'",
];

/** A hostile text: hostile pieces, words and unicode, joined by spaces. */
const hostileText = fc
  .array(
    fc.oneof(
      { weight: 4, arbitrary: fc.constantFrom(...HOSTILE) },
      { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 12 }) },
      { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 8 }) },
    ),
    { minLength: 1, maxLength: 8 },
  )
  .map((parts) => parts.join(' '))
  .filter((text) => HOSTILE.some((h) => text.includes(h)));

/** As Slack delivers typed text: `&`, `<`, `>` as entities; a real mention (chosen from the list) as is. */
function asDelivered(text: string, typed: boolean): string {
  return typed ? text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;') : text;
}

/** Every text the twin holds, with where it is. */
function everythingSlackHolds(channelId: string): { where: string; text: string }[] {
  const out: { where: string; text: string }[] = [];
  const add = (where: string, m: { text?: string; blocks?: unknown[] }) => {
    if (m.text) out.push({ where: `${where} text`, text: m.text });
    for (const t of mrkdwnTexts(m.blocks)) out.push({ where: `${where} blocks`, text: t });
  };
  for (const m of slack.channel(channelId)) {
    for (const v of [m, ...m.history]) add(`message ${m.ts}`, v);
    for (const r of slack.thread(channelId, m.ts)) for (const v of [r, ...r.history]) add(`reply ${r.ts}`, v);
  }
  for (const user of PEOPLE) {
    for (const e of slack.ephemerals(user)) add(`ephemeral to ${user}`, e);
    const home = slack.home(user) as { blocks?: unknown[] } | undefined;
    if (home) add(`home of ${user}`, home);
  }
  for (const r of slack.responses()) add(`response to ${r.user}`, r);
  return out;
}

/** The texts of mrkdwn text objects: plain_text is never parsed for mentions or links. */
function mrkdwnTexts(blocks: unknown): string[] {
  const out: string[] = [];
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(walk);
    else if (node && typeof node === 'object') {
      const o = node as Record<string, unknown>;
      if (o.type === 'mrkdwn' && typeof o.text === 'string') out.push(o.text);
      for (const value of Object.values(o)) if (typeof value === 'object') walk(value);
    }
  };
  walk(blocks);
  return out;
}

/** The `<…>` tokens Slack would act on that the bot did not mean: anything but its own markup. */
function liveMarkup(text: string, channelId: string): string[] {
  const tokens = text.match(/<[^<>]*>/g) ?? [];
  return tokens.filter((token) => {
    const user = /^<@([A-Z0-9]+)>$/.exec(token);
    if (user) return !PEOPLE.has(user[1] as string);
    if (token === `<#${channelId}>`) return false;
    if (/^<!date\^\d+\^[^|<>]*\|[0-9TZ:.-]+>$/.test(token)) return false;
    if (/^<https:\/\/twin\.slack\.com\/archives\/[A-Z0-9]+\/p\d+(\?[^|]*)?\|[^|]*>$/.test(token))
      return false;
    return true;
  });
}

describe('user text never reaches Slack as markup', () => {
  it('through every command and button that echoes it', async () => {
    await s.start();
    world.seed();
    const channelId = slack.channelId(CHANNEL);
    let run = 0;

    const echo = async (hostile: string, typed: boolean) => {
      run += 1;
      const h = asDelivered(hostile, typed);
      // A freeze: its reason in the channel, to whoever is refused by it, and in the list.
      await s.command(REQUESTER, '/deploy', `lock web prod ${h}`);
      await s.command(DEPLOYER_2, '/canary', 'start v9.0.0');
      await s.command(OUTSIDER, '/deploy', 'locks');
      await s.command(REQUESTER, '/deploy', 'lock web prod second reason');
      await s.command(REQUESTER, '/deploy', 'unlock web prod');
      // A text too long for a freeze reason froze nothing, and that start went through: end it.
      if ((await world.store.rollouts.listActive('web', 'prod')).length > 0) {
        await s.command(DEPLOYER_2, '/canary', 'abort web prod cleanup');
        await vi.waitFor(
          async () => expect(await world.store.rollouts.listActive('web', 'prod')).toEqual([]),
          {
            timeout: 10_000,
          },
        );
        await s.current.engine.idle();
      }
      // A rollout aborted with the text as its reason: the thread line and the card.
      const started = await s.command(REQUESTER, '/canary', `start v2.0.${run}`);
      const id = /`([^`]+)`/.exec(started.text)?.[1] as string;
      expect(started.text).toContain('Started');
      // A reason with an unclosed quote, or past 500 characters, is refused: then the first 400
      // characters without quotes go in, and a plain word if even that is refused.
      for (const reason of [h, asDelivered(hostile.replace(/["'“”‘’]/g, '').slice(0, 400), typed), 'x']) {
        const abort = await s.command(REQUESTER, '/canary', `abort web prod ${reason}`);
        if (abort.text.includes('Aborting')) break;
      }
      await world.until(s.current.engine, id, (v) => expect(v.status).toBe('aborted'));
      await s.current.engine.idle();
      // Words the parsers echo back.
      await s.command(REQUESTER, '/canary', `start ${h}`);
      await s.command(REQUESTER, '/canary', h);
      await s.command(REQUESTER, '/deploy', h);
      await s.command(REQUESTER, '/validate', h);
      await s.command(REQUESTER, '/rollback', `web prod --to ${h} --reason "x"`);
      await s.command(REQUESTER, '/rollback', `${h} --reason x`);
      // A route change request: its reason on the card; words the /route parser echoes.
      await s.command(REQUESTER, '/route', `override web prod legacy --reason ${h}`);
      await s.command(REQUESTER, '/route', `clear web ${h}`);
      await s.command(REQUESTER, '/route', h);
      // An incident: summary, a note, the closing summary.
      await s.command(REQUESTER, '/incident', `open web prod ${h}`);
      await s.command(REQUESTER, '/incident', `note ${h}`);
      await s.command(REQUESTER, '/incident', `close ${h}`);
      // Buttons whose value names something with the text in it.
      for (const value of [{ r: hostile }, { q: hostile }, { i: hostile }, { r: 'r1', s: 1 }]) {
        const responseUrl = slack.responseUrl(APPROVERS[0], channelId);
        const body = blockActionsBody({
          userId: APPROVERS[0],
          channelId,
          messageTs: '1700000000.000100',
          actionId: value.s === undefined ? ACTIONS.abort : ACTIONS.approve,
          value: JSON.stringify(value).slice(0, 2000),
          responseUrl,
        });
        expect((await sendToBot(s.url, SIGNING_SECRET, body)).status).toBe(200);
      }
      await s.current.bot.idle();

      const live = everythingSlackHolds(channelId).flatMap(({ where, text }) =>
        liveMarkup(text, channelId).map((token) => `${where}: ${token}`),
      );
      expect(live, `after ${JSON.stringify(hostile).slice(0, 200)}`).toEqual([]);
    };

    // The longest text a person can type (Slack sends up to 4,000 characters... and more by the API).
    await echo(`${'<!channel> '.repeat(900)}${'x'.repeat(100)}`.slice(0, 10_000), false);
    await fc.assert(
      fc.asyncProperty(hostileText, fc.boolean(), (hostile, typed) => echo(hostile, typed)),
      { numRuns: 20, endOnFailure: true },
    );
    // The texts did reach Slack, escaped: abort reasons in the threads, freeze reasons in the answers.
    const replies = slack.channel(channelId).flatMap((m) => slack.thread(channelId, m.ts));
    expect(
      replies.some((r) => r.text.startsWith(':no_entry_sign: Aborted by') && r.text.includes('&lt;')),
    ).toBe(true);
    expect(slack.responses().some((r) => /are frozen by <@UDEPLOYER>: .*&lt;/.test(r.text ?? ''))).toBe(true);
  }, 120_000);
});
