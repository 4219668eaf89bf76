import { describe, expect, it } from 'vitest';
import { blockActionsBody, sendToBot, slashCommandBody } from '../../sandbox/twins/slack/sign.ts';
import { ACTIONS } from '../../src/blocks/actions.ts';
import type { CanaryState } from '../../src/runbooks/types.ts';
import { APPROVERS, REQUESTER } from '../helpers/engine-world.ts';
import { buttonsOf, CHANNEL, firstReply, SIGNING_SECRET, useSlackWorld } from '../helpers/slack-world.ts';

// Inputs a person (or a mangled request) can produce, each answered in plain words and run at most once:
// a field repeated, a replayed command, a button naming an id the store would refuse, a reason too long,
// a click delivered twice, a second click on an approval already decided.

const s = useSlackWorld('slack-answers');
const { world, slack } = s;

const responseTo = (url: string) => firstReply(slack, url);

describe('commands', () => {
  it('a field given twice is acked with what was wrong, not left without an answer', async () => {
    await s.start();
    const body = `${slashCommandBody({
      command: '/deploy',
      text: 'locks',
      userId: REQUESTER,
      channelId: slack.channelId(CHANNEL),
    })}&text=help`;
    const response = await sendToBot(s.url, SIGNING_SECRET, body);
    expect(response.status).toBe(200);
    const ack = (await response.json()) as { text: string };
    expect(ack.text).toContain('This command arrived with `text` missing or given more than once');
  });

  it('a signed command replayed (same trigger_id) runs once', async () => {
    await s.start();
    const channelId = slack.channelId(CHANNEL);
    const responseUrl = slack.responseUrl(REQUESTER, channelId);
    const body = slashCommandBody({
      command: '/deploy',
      text: 'lock web prod end of quarter',
      userId: REQUESTER,
      channelId,
      responseUrl,
    });
    for (let i = 0; i < 3; i++) expect((await sendToBot(s.url, SIGNING_SECRET, body)).status).toBe(200);
    await s.current.bot.idle();
    const answers = slack.responses(responseUrl).map((r) => r.text);
    // Run twice, the second would answer "already frozen".
    expect(answers).toHaveLength(1);
    expect(answers[0]).toContain('are frozen by <@UDEPLOYER>: end of quarter');
  });

  it('a reason that is too long says so, with the limit', async () => {
    await s.start();
    const lock = await s.command(REQUESTER, '/deploy', `lock web prod ${'x'.repeat(501)}`);
    expect(lock.text).toContain('the reason is too long (500 characters at most)');
    expect(lock.text).not.toContain('needs a reason');
    expect(lock.text).not.toContain('x'.repeat(100));
    const rollback = await s.command(REQUESTER, '/rollback', `web --reason "${'y'.repeat(600)}"`);
    expect(rollback.text).toContain('too long (500 characters at most)');
  });
});

describe('buttons', () => {
  it('a value naming an id the store would refuse answers "No such rollout"', async () => {
    await s.start();
    const channelId = slack.channelId(CHANNEL);
    for (const [value, words] of [
      [{ r: 'no such/../id' }, 'No such rollout.'],
      [{ r: 'r-unknown-1' }, 'No such rollout.'],
      [{ q: 'a b' }, 'No such rollback request.'],
      [{ i: '<!channel>' }, 'No such incident.'],
    ] as const) {
      const responseUrl = slack.responseUrl(APPROVERS[0], channelId);
      const body = blockActionsBody({
        userId: APPROVERS[0],
        channelId,
        messageTs: '1700000000.000100',
        actionId: 'r' in value ? ACTIONS.pause : 'q' in value ? ACTIONS.rollbackCancel : ACTIONS.resolve,
        value: JSON.stringify(value),
        responseUrl,
      });
      expect((await sendToBot(s.url, SIGNING_SECRET, body)).status).toBe(200);
      const answer = await responseTo(responseUrl);
      expect(answer).toBe(words);
    }
  });

  it('a click delivered twice, and a second click on a decided approval, are answered in plain words', async () => {
    await s.start();
    world.seed();
    const started = await s.command(REQUESTER, '/canary', 'start v2.0.0');
    const id = /`([^`]+)`/.exec(started.text)?.[1] as string;
    const request = await s.waitForMessage((m) =>
      buttonsOf(m).some((b) => b.action_id === ACTIONS.approve && JSON.parse(b.value).s === 1),
    );
    const button = buttonsOf(request).find((b) => b.action_id === ACTIONS.approve);
    const click = (responseUrl: string) =>
      blockActionsBody({
        userId: APPROVERS[0],
        channelId: request.channel,
        messageTs: request.ts,
        actionId: ACTIONS.approve,
        value: button?.value ?? '',
        responseUrl,
        message: request,
        ...(request.thread_ts ? { threadTs: request.thread_ts } : {}),
      });
    const first = slack.responseUrl(APPROVERS[0], request.channel, request.ts);
    const body = click(first);
    expect((await sendToBot(s.url, SIGNING_SECRET, body)).status).toBe(200);
    await world.until(s.current.engine, id, (v) =>
      expect((v.state as CanaryState).stages[1]?.approvals.map((a) => a.userId)).toEqual([APPROVERS[0]]),
    );
    // Slack delivering the same click again (same action_ts): applied once, said so.
    const again = slack.responseUrl(APPROVERS[0], request.channel, request.ts);
    const payload = JSON.parse(new URLSearchParams(body).get('payload') ?? '{}');
    const redelivered = new URLSearchParams({ payload: JSON.stringify({ ...payload, response_url: again }) });
    expect((await sendToBot(s.url, SIGNING_SECRET, redelivered.toString())).status).toBe(200);
    const repeated = await responseTo(again);
    expect(repeated).toBe('That click was applied already: nothing more to do.');
    // A new click from the view the approver still had open: what was decided, by whom and when.
    const late = slack.responseUrl(APPROVERS[0], request.channel, request.ts);
    const lateBody = click(late);
    expect((await sendToBot(s.url, SIGNING_SECRET, lateBody)).status).toBe(200);
    const answer = await responseTo(late);
    expect(answer).toMatch(
      /^You approved stage B \(5 %\) already, <!date\^\d+\^\{date_short_pretty\} at \{time\}\|[^>]+>\. Nothing more to do\.$/,
    );
  });
});
