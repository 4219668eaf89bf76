import { describe, expect, it, vi } from 'vitest';
import { ACTIONS } from '../../src/blocks/actions.ts';
import {
  ADMIN,
  APPROVERS,
  BAD_REVISION,
  ENV,
  ON_CALL,
  REQUESTER,
  SERVICE,
  STABLE_REVISION,
} from '../helpers/engine-world.ts';
import { buttonsOf, firstReply, useSlackWorld } from '../helpers/slack-world.ts';

// Rollbacks, incidents and deploy freezes through Slack alone.

const s = useSlackWorld('slack-rollback');
const { world, slack } = s;

const responseText = (url: string) => firstReply(slack, url);

describe('/rollback through Slack', () => {
  it('by a deployer posts a request; an approver clicks it; traffic goes back and an incident opens', async () => {
    await s.start();
    world.seedBadRelease();
    const asked = await s.command(
      REQUESTER,
      '/rollback',
      `${SERVICE} --to ${STABLE_REVISION} --reason "5xx spike"`,
    );
    expect(asked.text).toContain('needs 1 approval from');
    expect(world.split()).toEqual({ [BAD_REVISION]: 100 });
    const request = await s.waitForMessage((m) =>
      buttonsOf(m).some((b) => b.action_id === ACTIONS.rollbackApprove),
    );

    const own = await s.click(REQUESTER, request, ACTIONS.rollbackApprove);
    expect(await responseText(own)).toContain('someone else has to approve it');
    await s.click(APPROVERS[0], request, ACTIONS.rollbackApprove);

    await vi.waitFor(() => expect(world.split()).toEqual({ [STABLE_REVISION]: 100 }), {
      timeout: 10_000,
      interval: 20,
    });
    const edited = slack.message(request.channel, request.ts);
    expect(buttonsOf(edited as never)).toEqual([]);
    // The incident card, with its Resolve button, opens a thread of its own.
    const incident = await s.waitForMessage((m) => buttonsOf(m).some((b) => b.action_id === ACTIONS.resolve));
    expect(JSON.stringify(incident.blocks)).toContain('5xx spike');

    // Notes from anywhere in the channel land on it; the Resolve button closes it.
    expect((await s.command(APPROVERS[1], '/incident', 'note restarted the pods')).text).toContain('Noted');
    await s.click(APPROVERS[1], incident, ACTIONS.resolve);
    // Resolved: no Resolve any more; the rollback's legacy override still stands, so Restore route is offered.
    await vi.waitFor(
      () =>
        expect(
          buttonsOf(slack.message(incident.channel, incident.ts) as never).map((b) => b.action_id),
        ).toEqual([ACTIONS.restoreRoute]),
      {
        timeout: 10_000,
        interval: 20,
      },
    );
    const open = await s.current.side.incidents.openIn(incident.channel);
    expect(open).toBeUndefined();
    expect((await s.command(APPROVERS[1], '/incident', 'close')).text).toContain('No incident is open');
  });

  it('by break-glass runs at once, during a freeze', async () => {
    await s.start();
    world.seedBadRelease();
    expect((await s.command(REQUESTER, '/deploy', `lock ${SERVICE} release freeze`)).text).toContain(
      'frozen',
    );
    expect((await s.command(REQUESTER, '/canary', 'start v9')).text).toMatch(/frozen/i);
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
    expect((await s.command(REQUESTER, '/deploy', 'locks')).text).toContain(SERVICE);
    expect((await s.command(ADMIN, '/deploy', `unlock ${SERVICE}`)).text).toContain('open again');
  });

  it('/incident open, note and close by command', async () => {
    await s.start();
    world.seed();
    expect((await s.command(REQUESTER, '/incident', `open ${SERVICE} checkout is slow`)).text).toContain(
      'is open',
    );
    expect((await s.command(REQUESTER, '/incident', 'note looking at the database')).text).toContain('Noted');
    const incident = await s.waitForMessage((m) => buttonsOf(m).some((b) => b.action_id === ACTIONS.resolve));
    expect((await s.command(REQUESTER, '/incident', 'close db failover done')).text).toContain('Closed');
    const id = (await s.current.side.incidents.listOpen()).length;
    expect(id).toBe(0);
    const timeline = await world.store.timelines.list(
      JSON.parse(buttonsOf(incident)[0]?.value ?? '{}').i as string,
    );
    expect(timeline.map((e) => e.text)).toEqual(
      expect.arrayContaining(['looking at the database', expect.stringContaining('db failover done')]),
    );
  });
});
