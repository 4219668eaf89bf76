import { describe, expect, it, vi } from 'vitest';
import {
  eventCallbackBody,
  sendToBot,
  signRequest,
  slashCommandBody,
} from '../../sandbox/twins/slack/sign.ts';
import { ACTIONS } from '../../src/blocks/actions.ts';
import type { CanaryState } from '../../src/runbooks/types.ts';
import {
  APPROVERS,
  ENV,
  OUTSIDER,
  REQUESTER,
  SERVICE,
  startAtB,
  testConfig,
} from '../helpers/engine-world.ts';
import { canaryOf } from '../helpers/runbooks.ts';
import { buttonsOf, SIGNING_SECRET, useSlackWorld } from '../helpers/slack-world.ts';

// The canary through Slack alone: signed slash commands and button clicks to the real Bolt receiver, the
// bot's messages read back from the Slack twin, the traffic from the Cloud Run twin.

const s = useSlackWorld('slack-canary');
const { world, slack } = s;

describe('requests Slack did not sign', () => {
  it('are refused: forged, unsigned and replayed (over 5 minutes old)', async () => {
    await s.start();
    const body = slashCommandBody({ command: '/canary', text: 'list', userId: REQUESTER, channelId: 'C1' });
    const forged = await sendToBot(s.url, 'not-the-secret-0123456789abcdef00', body);
    expect(forged.status).toBe(401);
    const unsigned = await fetch(s.url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body,
    });
    expect(unsigned.status).toBe(401);
    const old = Math.floor(Date.now() / 1000) - 6 * 60;
    const replayed = await sendToBot(s.url, SIGNING_SECRET, body, { timestamp: old });
    expect(replayed.status).toBe(401);
    // Nothing reached the handlers (Bolt's own token check at start is the only call).
    expect(slack.recorder.requests.filter((r) => !r.path.endsWith('auth.test'))).toHaveLength(0);
    expect(signRequest(SIGNING_SECRET, body)['X-Slack-Signature']).toMatch(/^v0=[0-9a-f]{64}$/);
  });
});

describe('a canary through Slack', () => {
  it('starts, asks for approval in the thread, shifts on each click and is promoted', async () => {
    await s.start();
    const stable = world.seed();
    const started = await s.command(REQUESTER, '/canary', 'start v2.0.0');
    expect(started.text).toContain('Started web v2.0.0 in prod');
    const id = /`([^`]+)`/.exec(started.text)?.[1] as string;
    world.feed(world.canaryRevision(id, 'v2.0.0'));

    const card = await s.waitForMessage((m) => m.thread_ts === undefined && m.text.includes('v2.0.0'));
    const expected = [5, 25, 50, 100];
    for (const [i, percent] of expected.entries()) {
      const stage = i + 1;
      const request = await s.waitForMessage(
        (m) =>
          m.thread_ts === card.ts &&
          buttonsOf(m).some((b) => b.action_id === ACTIONS.approve && JSON.parse(b.value).s === stage),
      );
      if (stage === 1) {
        // The request says who may approve, before anyone tries.
        expect(JSON.stringify(request.blocks)).toMatch(/May approve: [^"]*<@UAPPROVE1>/);
        // The requester may not approve their own rollout: answered to them alone, nothing changes.
        const mine = await s.click(REQUESTER, request, ACTIONS.approve);
        const refusal = await waitForResponse(mine);
        expect(refusal).toContain('someone else has to approve it');
        expect(world.split()).toEqual({ [stable]: 100 });
      }
      await s.click(APPROVERS[0], request, ACTIONS.approve);
      await world.until(s.current.engine, id, (v) => {
        const state = v.state as CanaryState;
        expect(state.stage >= stage && (state.status !== 'shifting' || state.stage > stage)).toBe(true);
        expect(state.trafficNow?.[world.canaryRevision(id, 'v2.0.0')] ?? 0).toBeGreaterThanOrEqual(percent);
      });
      // The decided request has lost its buttons and says who approved.
      const decided = slack.message(request.channel, request.ts);
      expect(buttonsOf(decided as never)).toEqual([]);
      expect(JSON.stringify(decided?.blocks)).toContain(`<@${APPROVERS[0]}>`);
      // A late second click on it is answered, not applied again.
      if (stage === 1) {
        const late = await s.click(APPROVERS[1], request, ACTIONS.approve);
        expect(await waitForResponse(late)).toMatch(/approv|stage/i);
      }
    }
    await world.until(s.current.engine, id, (v) => expect(v.status).toBe('promoted'));
    expect(world.split()).toEqual({ [world.canaryRevision(id, 'v2.0.0')]: 100 });
    await s.current.engine.idle();
    const final = slack.message(card.channel, card.ts);
    expect(buttonsOf(final as never)).toEqual([]);
    // One gate-results message per stage, edited in place, never one per tick.
    const gates = slack.thread(card.channel, card.ts).filter((m) => /gate/i.test(m.text));
    expect(gates.length).toBeLessThanOrEqual(8);
  });

  it('a second start is refused, telling the holder it is theirs, with a link to the thread', async () => {
    await s.start();
    world.seed();
    await s.command(REQUESTER, '/canary', 'start v2.0.0');
    await s.waitForMessage((m) => m.text.includes('v2.0.0'));
    const second = await s.command(REQUESTER, '/canary', 'start v3.0.0');
    // Said to the holder herself: "you hold it", not "locked by @you".
    expect(second.text).toContain('You hold the deploy lock of `web` in `prod` for a rollout');
    expect(second.text).not.toContain(`<@${REQUESTER}>`);
    expect(second.text).toMatch(/<https?:\/\/[^|]+\|Open its thread>/);
  });

  it('the card and /canary status show the runbook pinned at start, not the config reloaded since', async () => {
    await s.start();
    world.seed();
    const started = await s.command(REQUESTER, '/canary', 'start v2.0.0');
    const id = /`([^`]+)`/.exec(started.text)?.[1] as string;
    await world.until(s.current.engine, id, (v) => expect(v.status).toBe('awaiting-approval'));
    // A replica started on a config whose canary has three stages, while this rollout runs five.
    const reloaded = testConfig();
    const book = canaryOf(reloaded);
    const stages = book?.stages ?? [];
    if (book) book.stages = [stages[0], stages[1], stages[4]].flatMap((x) => (x ? [x] : []));
    await s.start(reloaded);
    expect((await s.command(REQUESTER, '/canary', 'status')).text).toContain('(stage 2 of 5)');
    expect((await s.command(REQUESTER, '/canary', 'pause')).text).toContain('Paused');
    await vi.waitFor(() => {
      const card = s.channelMessages().find((m) => m.thread_ts === undefined && m.text.includes('v2.0.0'));
      expect(JSON.stringify(card?.blocks)).toMatch(/Paused/i);
      for (const name of ['C', 'D']) expect(JSON.stringify(card?.blocks)).toContain(`${name} `);
    });
  });

  it('pause, resume, status, list, abort; promote is for admins', async () => {
    await s.start();
    world.seed();
    const started = await s.command(REQUESTER, '/canary', 'start v2.0.0');
    const id = /`([^`]+)`/.exec(started.text)?.[1] as string;
    await world.until(s.current.engine, id, (v) => expect(v.status).toBe('awaiting-approval'));
    expect((await s.command(REQUESTER, '/canary', 'status')).text).toContain('v2.0.0');
    expect((await s.command(OUTSIDER, '/canary', 'list')).text).toContain(SERVICE);
    expect((await s.command(REQUESTER, '/canary', 'promote')).text).toContain('only admins may promote now');
    expect((await s.command(OUTSIDER, '/canary', 'pause')).text).toContain('or an admin may pause it');
    expect((await s.command(REQUESTER, '/canary', 'pause')).text).toContain('Paused');
    expect((await s.command(REQUESTER, '/canary', 'resume')).text).toContain('Resumed');
    expect((await s.command(REQUESTER, '/canary', 'abort wrong tag')).text).toContain('Aborting');
    await world.until(s.current.engine, id, (v) => expect(v.status).toBe('aborted'));
  });
});

describe('/canary status with no rollout active', () => {
  it('answers what Cloud Run serves now: revisions, split, tags, latest created and ready (seed 000)', async () => {
    s.world.seedBadRelease();
    await s.start();
    const status = await s.command(REQUESTER, '/canary', `status ${SERVICE}`);
    expect(status.text).toContain('No rollout of `web` in `prod` is active; Cloud Run serves:');
    expect(status.text).toContain('`web-prod-00002-bad` 100 %');
    expect(status.text).toContain('`web-prod-00001-stb` 0 %');
    expect(status.text).toMatch(/Latest created `web-prod-[^`]+` · latest ready `web-prod-[^`]+`/);
  });
});

describe('bad input gets an ephemeral answer with the right form', () => {
  it.each([
    ['/canary', 'start', 'Give the image tag'],
    ['/canary', 'start v1/2', 'Bad image tag'],
    ['/canary', 'start v1 --force', 'Unknown flag `--force`'],
    ['/canary', 'start nosuch v1 prod', 'Unexpected'],
    ['/canary', 'launch', 'Unknown subcommand `launch`'],
    ['/rollback', 'web', 'needs `--reason'],
    ['/rollback', 'wbe --reason "x y z"', 'Put the reason'],
    ['/deploy', 'lock web', 'needs a reason'],
    ['/incident', 'note', 'Give the note'],
  ])('%s %s', async (command, text, expected) => {
    await s.start();
    const answer = await s.command(REQUESTER, command, text);
    expect(answer.text).toContain(expected);
    expect(answer.text).toContain(command); // the right form follows
  });

  it('a command from a channel not allowed for the service', async () => {
    await s.start();
    world.seed();
    const answer = await s.command(REQUESTER, '/canary', `start ${SERVICE} v1 ${ENV}`, '#random');
    expect(answer.text).toContain('is run from #deploys, not from this channel');
    expect(world.patches()).toHaveLength(0);
  });
});

describe('events', () => {
  it('Events API retries are processed once (by event id): App Home published once', async () => {
    await s.start();
    const body = eventCallbackBody({
      eventId: 'Ev0HOME1',
      event: { type: 'app_home_opened', user: REQUESTER, channel: 'D0HOME', tab: 'home', event_ts: '1.2' },
    });
    expect((await sendToBot(s.url, SIGNING_SECRET, body)).status).toBe(200);
    expect((await sendToBot(s.url, SIGNING_SECRET, body, { retryNum: 1 })).status).toBe(200);
    const home = await waitFor(() => slack.home(REQUESTER));
    expect(home).toBeDefined();
    await s.current.engine.idle();
    expect(slack.recorder.requests.filter((r) => r.path.endsWith('views.publish'))).toHaveLength(1);
  });
});

async function waitForResponse(url: string): Promise<string> {
  return waitFor(() => slack.responses(url)[0]?.text);
}

function waitFor<T>(read: () => T | undefined): Promise<T> {
  return vi.waitFor(
    () => {
      const value = read();
      expect(value).toBeDefined();
      return value as T;
    },
    { timeout: 10_000, interval: 20 },
  );
}

describe('a notification redriven after a crash', () => {
  it('posts its line in the thread once: the same notification (same step) is the same message', async () => {
    await s.start();
    const { id } = await startAtB(s.world, s.current.engine, 'v6.0.0');
    const card = await s.waitForMessage((m) => m.thread_ts === undefined && m.text.includes('v6.0.0'));
    const paused = { kind: 'paused', by: REQUESTER } as const;
    // The step's notify effect, run by the replica that died and again by the one that took it over.
    await s.current.side.notify(id, paused, '17');
    await s.current.side.notify(id, paused, '17');
    const lines = () => s.thread(card.ts).filter((m) => /Paused by/.test(m.text));
    expect(lines()).toHaveLength(1);
    // A later pause (another step) is another line.
    await s.current.side.notify(id, paused, '23');
    expect(lines()).toHaveLength(2);
  });
});
