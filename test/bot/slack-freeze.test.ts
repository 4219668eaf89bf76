import { describe, expect, it, vi } from 'vitest';
import { eventCallbackBody, sendToBot } from '../../sandbox/twins/slack/sign.ts';
import { ACTIONS } from '../../src/blocks/actions.ts';
import type { ShiftgateConfig } from '../../src/config/schema.ts';
import type { CanaryState } from '../../src/runbooks/types.ts';
import {
  ADMIN,
  APPROVERS,
  ENV,
  ON_CALL,
  REQUESTER,
  SERVICE,
  STABLE_REVISION,
  testConfig,
} from '../helpers/engine-world.ts';
import { buttonsOf, firstReply, SIGNING_SECRET, textsOf, useSlackWorld } from '../helpers/slack-world.ts';

// Scheduled freeze windows through Slack (issue 19): prod freezes from Friday 16:00 to Monday 09:00 New
// York time. The bot's clock is moved to chosen instants (the weekend of the March 2026 DST change): a new
// rollout is refused during the window, naming it and when it ends; an admin may start anyway with a reason
// (audited, said in the thread); a rollback runs; a rollout already running when the window begins cannot
// shift traffic forward until an admin lets it go on; /deploy locks and App Home list the windows ahead.

const s = useSlackWorld('slack-freeze');
const { world, slack } = s;

/** The clock the engine and the command surface read: real time moved to a chosen instant, and ticking. */
function movableClock() {
  let offset = 0;
  return {
    now: () => new Date(Date.now() + offset),
    set(iso: string) {
      offset = Date.parse(iso) - Date.now();
    },
  };
}

function freezeConfig(): ShiftgateConfig {
  const config = testConfig();
  const prod = config.environments[ENV];
  const web = config.services[SERVICE]?.environments[ENV];
  if (!prod || !web) throw new Error('no prod');
  prod.freezes = [
    {
      name: 'weekend',
      description: 'No prod changes over the weekend',
      timeZone: 'America/New_York',
      oneTimeWindows: [],
      weeklyWindows: [
        { daysOfWeek: ['FRIDAY'], startTime: '16:00', endTime: '24:00' },
        { daysOfWeek: ['SATURDAY', 'SUNDAY'], startTime: '00:00', endTime: '24:00' },
        { daysOfWeek: ['MONDAY'], startTime: '00:00', endTime: '09:00' },
      ],
    },
  ];
  web.freezes = [
    {
      name: 'launch',
      timeZone: 'Europe/Paris',
      oneTimeWindows: [{ start: '2026-03-10 14:00', end: '2026-03-10 18:00' }],
      weeklyWindows: [],
    },
  ];
  return config;
}

async function startBot(at: string) {
  const clock = movableClock();
  clock.set(at);
  await s.start(freezeConfig(), { engine: { now: clock.now }, now: clock.now });
  return clock;
}

const idOf = (text: string) => /: `([^`]+)`\./.exec(text)?.[1] as string;
const replyTo = (url: string) => firstReply(slack, url);

describe('a new rollout during a freeze window', () => {
  it('is refused with the window and its end; a deployer may not override; an admin may, audited', async () => {
    // Saturday 7 March 2026, 10:00 in New York (EST): the window ends Monday 09:00 EDT, after the change.
    await startBot('2026-03-07T15:00:00Z');
    world.seed();
    const before = world.cloudRun.service({
      project: 'proj-test',
      region: 'us-central1',
      service: 'web-prod',
    }).revisions.length;
    const refused = await s.command(REQUESTER, '/canary', `start ${SERVICE} v9.0.0 ${ENV}`);
    expect(refused.text).toContain(
      'web in prod is in freeze window weekend (No prod changes over the weekend), which ends Mon 9 Mar 09:00 America/New_York, in 1 d 22 h: new rollouts wait until then; rollbacks still run. An admin may start anyway with --during-freeze',
    );
    const deployer = await s.command(
      REQUESTER,
      '/canary',
      `start ${SERVICE} v9.0.0 ${ENV} --during-freeze "hotfix for the outage"`,
    );
    expect(deployer.text).toContain('only admins may start during a freeze window');
    expect(world.patches()).toHaveLength(0);
    expect(
      world.cloudRun.service({ project: 'proj-test', region: 'us-central1', service: 'web-prod' }).revisions,
    ).toHaveLength(before);

    // Typed text is data: a broadcast in the reason (as Slack delivers it) is shown, never sent.
    const admin = await s.command(
      ADMIN,
      '/canary',
      `start ${SERVICE} v9.0.0 ${ENV} --during-freeze "hotfix for the login outage &lt;!channel&gt;"`,
    );
    expect(admin.text).toContain('Started web v9.0.0 in prod');
    const id = idOf(admin.text);
    world.feed(world.canaryRevision(id, 'v9.0.0'));
    // The thread says who let it start during which window, and why.
    const line = await s.waitForMessage((m) => m.text.includes('Started during freeze window'));
    expect(line.text).toContain(
      `Started during freeze window weekend (until Mon 9 Mar 09:00 America/New_York) by <@${ADMIN}>'s override: hotfix for the login outage &lt;!channel&gt;`,
    );
    expect(JSON.stringify(line)).not.toContain('<!channel>');
    const audit = (await world.store.audit.read({ limit: 100 })).entries;
    expect(audit.find((e) => e.what === 'rollout.freeze-override')).toMatchObject({
      who: ADMIN,
      rolloutId: id,
      reason: 'hotfix for the login outage <!channel>',
    });
    expect(audit.some((e) => e.what === 'rollout.freeze-override.refused' && e.who === REQUESTER)).toBe(true);
    // Its approvals count: the override holds for this window.
    const view = await world.until(s.current.engine, id, (v) => {
      expect(v.status).toBe('awaiting-approval');
      expect((v.state as CanaryState).stage).toBe(1);
    });
    expect((view.state as CanaryState).freezeOverrides?.[0]?.windows[0]?.name).toBe('weekend');
    const sent = await s.current.engine.send(id, { type: 'approve', userId: APPROVERS[0], stage: 1 });
    expect(sent.ok).toBe(true);
    await vi.waitFor(() => expect(world.split()[world.canaryRevision(id, 'v9.0.0')]).toBe(5), {
      timeout: 10_000,
      interval: 20,
    });
  });

  it('a dry run is not refused: it changes nothing', async () => {
    await startBot('2026-03-07T15:00:00Z');
    world.seed();
    const dry = await s.command(REQUESTER, '/canary', `start ${SERVICE} v9.0.0 ${ENV} --dry-run`);
    expect(dry.text).toContain('as a dry-run');
  });

  it('a rollback runs during the window', async () => {
    await startBot('2026-03-07T15:00:00Z');
    world.seedBadRelease();
    const ran = await s.command(
      ON_CALL,
      '/rollback',
      `${SERVICE} ${ENV} --to ${STABLE_REVISION} --reason "login errors"`,
    );
    expect(ran.text).toContain('Rolling back');
    await vi.waitFor(() => expect(world.split()).toEqual({ [STABLE_REVISION]: 100 }), {
      timeout: 10_000,
      interval: 20,
    });
  });
});

describe('a rollout running when a window begins', () => {
  it('holds its traffic until an admin lets it go on; the override is in the thread, audit and report', async () => {
    // Friday 6 March 2026, 15:30 EST: half an hour before the window.
    const clock = await startBot('2026-03-06T20:30:00Z');
    const stable = world.seed();
    const started = await s.command(REQUESTER, '/canary', `start ${SERVICE} v9.1.0 ${ENV}`);
    expect(started.text).toContain('Started web v9.1.0 in prod');
    const id = idOf(started.text);
    world.feed(world.canaryRevision(id, 'v9.1.0'));
    const card = await s.waitForMessage((m) => m.thread_ts === undefined && m.text.includes('v9.1.0'));
    const request = await s.waitForMessage(
      (m) => m.thread_ts === card.ts && buttonsOf(m).some((b) => b.action_id === ACTIONS.approve),
    );

    // Its expiry timer is scheduled before the clock moves (the request is posted just before it).
    await s.current.engine.idle();
    // 16:05 EST, before the request expires: the window holds. The approval is refused, said to the
    // approver alone; nothing moves.
    clock.set('2026-03-06T21:05:00Z');
    const refusal = await replyTo(await s.click(APPROVERS[0], request, ACTIONS.approve));
    expect(refusal).toContain(
      'web in prod is in freeze window weekend (No prod changes over the weekend), which ends Mon 9 Mar 09:00 America/New_York, in 2 d 15 h: no traffic goes forward until then.',
    );
    expect(refusal).toContain('rollback and abort still work');
    expect(refusal).toContain(`/canary resume ${SERVICE} ${ENV} --during-freeze`);
    expect(world.split()).toEqual({ [stable]: 100 });
    const held = await s.current.engine.get(id);
    expect(held?.status).toBe('awaiting-approval');
    // Promote-now (an admin's) does not skip the freeze either.
    const promote = await s.command(ADMIN, '/canary', `promote ${SERVICE} ${ENV}`);
    expect(promote.text).toContain('no traffic goes forward until then');

    // Only an admin lets it go on, with a reason.
    const deployer = await s.command(
      REQUESTER,
      '/canary',
      `resume ${SERVICE} ${ENV} --during-freeze "the fix must land today"`,
    );
    expect(deployer.text).toContain('only admins may let a rollout go on during a freeze window');
    const admin = await s.command(
      ADMIN,
      '/canary',
      `resume ${SERVICE} ${ENV} --during-freeze "the fix must land today"`,
    );
    expect(admin.text).toContain('goes on during the freeze window');
    const line = await s.waitForMessage(
      (m) => m.thread_ts === card.ts && m.text.includes('lets this rollout go on'),
    );
    expect(line.text).toContain(
      `<@${ADMIN}> lets this rollout go on during freeze window weekend (until Mon 9 Mar 09:00 America/New_York): the fix must land today`,
    );
    const audit = (await world.store.audit.read({ limit: 100 })).entries;
    expect(audit.find((e) => e.what === 'rollout.freeze-override')).toMatchObject({
      who: ADMIN,
      rolloutId: id,
      reason: 'the fix must land today',
    });
    expect(
      audit.filter((e) => e.what === 'rollout.approve.refused' && e.who === APPROVERS[0]).length,
    ).toBeGreaterThan(0);

    // The same click counts now.
    await s.click(APPROVERS[0], request, ACTIONS.approve);
    await vi.waitFor(() => expect(world.split()[world.canaryRevision(id, 'v9.1.0')]).toBe(5), {
      timeout: 10_000,
      interval: 20,
    });
    // Abort always runs; the report keeps the override.
    expect((await s.command(REQUESTER, '/canary', `abort ${SERVICE} ${ENV} done testing`)).text).toContain(
      'Aborting',
    );
    const report = await s.reportFiles<{ freezeOverrides: { by: string; reason: string }[] }>();
    expect(report.summary.freezeOverrides).toMatchObject([{ by: ADMIN, reason: 'the fix must land today' }]);
    expect(report.md).toContain('## Freeze overrides');
    expect(report.md).toContain('the fix must land today');
    await vi.waitFor(() => expect(world.split()).toEqual({ [stable]: 100 }), {
      timeout: 10_000,
      interval: 20,
    });
  });
});

describe('the schedule', () => {
  it('/deploy locks and App Home list the windows of the next 7 days, in their time zones', async () => {
    // Thursday 5 March 2026, 07:00 in New York.
    await startBot('2026-03-05T12:00:00Z');
    const locks = await s.command(REQUESTER, '/deploy', 'locks');
    expect(locks.text).toContain('Freeze windows, next 7 days (2)');
    expect(locks.text).toContain(
      '`prod` (every service): freeze window *weekend* from Fri 6 Mar 16:00 to Mon 9 Mar 09:00 America/New_York (starts in 1 d 9 h) · No prod changes over the weekend',
    );
    expect(locks.text).toContain(
      '`web` `prod`: freeze window *launch* from Tue 10 Mar 14:00 to Tue 10 Mar 18:00 Europe/Paris (starts in 5 d 1 h)',
    );

    const body = eventCallbackBody({
      eventId: 'Ev0FREEZEHOME',
      event: { type: 'app_home_opened', user: REQUESTER, channel: 'D0HOME', tab: 'home', event_ts: '1.2' },
    });
    expect((await sendToBot(s.url, SIGNING_SECRET, body)).status).toBe(200);
    const home = await vi.waitFor(
      () => {
        const view = slack.home(REQUESTER) as { blocks?: unknown } | undefined;
        expect(view).toBeDefined();
        return textsOf(view?.blocks).join('\n');
      },
      { timeout: 10_000, interval: 20 },
    );
    expect(home).toContain('Freeze windows, next 7 days (2)');
    expect(home).toContain(
      'freeze window *weekend* from Fri 6 Mar 16:00 to Mon 9 Mar 09:00 America/New_York',
    );
    expect(home).toContain('freeze window *launch* from Tue 10 Mar 14:00');
  });

  it('a window in effect says when it ends', async () => {
    await startBot('2026-03-07T15:00:00Z');
    const locks = await s.command(REQUESTER, '/deploy', 'locks');
    expect(locks.text).toContain(
      ':snowflake: `prod` (every service): freeze window *weekend* holds now, ends Mon 9 Mar 09:00 America/New_York (in 1 d 22 h)',
    );
  });
});
