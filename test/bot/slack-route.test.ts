import { describe, expect, it, vi } from 'vitest';
import { ROUTE_SPLIT_TWIN_OPERATOR } from '../../sandbox/twins/route-split/index.ts';
import type { TwinMessage } from '../../sandbox/twins/slack/index.ts';
import { eventCallbackBody, sendToBot } from '../../sandbox/twins/slack/sign.ts';
import { ACTIONS } from '../../src/blocks/actions.ts';
import type { ShiftgateConfig } from '../../src/config/schema.ts';
import type { CanaryState } from '../../src/runbooks/types.ts';
import {
  APPROVERS,
  ENV,
  ON_CALL,
  OUTSIDER,
  REF,
  REQUESTER,
  SERVICE,
  STABLE_REVISION,
  testConfig,
} from '../helpers/engine-world.ts';
import { buttonsOf, firstReply, SIGNING_SECRET, textsOf, useSlackWorld } from '../helpers/slack-world.ts';

// /route through Slack alone, down to the route-split twin: status with evaluate for the route gates'
// paths and cohorts, a change by approval (self-approval refused), break-glass alone, and the lifecycle of
// the legacy override a rollback leaves: a new canary is refused until the route is cleared.

const s = useSlackWorld('slack-route');
const { world, slack } = s;

/** The test config with route-split gates in the canary's stage B, as seed 000's post-stage checks. */
function routeConfig(): ShiftgateConfig {
  const config = testConfig();
  config.gates['route-login'] = { kind: 'route-split', path: '/login', expect: 'rust_shell' };
  config.gates['route-l402'] = {
    kind: 'route-split',
    path: '/l402/paywalls',
    expect: 'rust_shell',
    cohortKey: 'user-42',
  };
  const runbook = config.runbooks.canary;
  if (runbook?.kind !== 'canary') throw new Error('no canary runbook');
  runbook.stages[1]?.checks?.push('route-login', 'route-l402');
  return config;
}

const responseText = (url: string) => firstReply(slack, url);

/** Opens App Home as REQUESTER (a signed app_home_opened event); resolves to the published view's text. */
async function openHome(eventId: string): Promise<string> {
  const before = slack.recorder.requests.filter((r) => r.path.endsWith('views.publish')).length;
  const body = eventCallbackBody({
    eventId,
    event: { type: 'app_home_opened', user: REQUESTER, channel: 'D0HOME', tab: 'home', event_ts: '1.2' },
  });
  expect((await sendToBot(s.url, SIGNING_SECRET, body)).status).toBe(200);
  await vi.waitFor(
    () =>
      expect(slack.recorder.requests.filter((r) => r.path.endsWith('views.publish')).length).toBe(before + 1),
    { timeout: 10_000, interval: 20 },
  );
  return textsOf((slack.home(REQUESTER) as { blocks?: unknown })?.blocks).join('\n');
}

const overrideUpdates = () =>
  world.routeSplit.audit.filter((e) => e.event === 'route.split.override.updated');

/** The bot started, a bad release rolled back by break-glass, and the legacy override it leaves set. */
async function rollbackLeavingLegacy(): Promise<string> {
  await s.start(routeConfig());
  world.seedBadRelease();
  const ran = await s.command(
    ON_CALL,
    '/rollback',
    `${SERVICE} --to ${STABLE_REVISION} --reason "5xx spike"`,
  );
  expect(ran.text).toContain('Rolling back');
  await vi.waitFor(() => expect(world.routeSplit.override).toBe('legacy'), { timeout: 10_000, interval: 20 });
  return /`([^`]+)`\. Follow/.exec(ran.text)?.[1] as string;
}

/** Resolves the incident as the requester; resolves to its card once it offers Restore route. */
async function resolveOffering(incident: TwinMessage): Promise<TwinMessage> {
  await s.click(REQUESTER, incident, ACTIONS.resolve);
  return vi.waitFor(
    () => {
      const now = slack.message(incident.channel, incident.ts) as TwinMessage;
      expect(buttonsOf(now).some((b) => b.action_id === ACTIONS.restoreRoute)).toBe(true);
      return now;
    },
    { timeout: 10_000, interval: 20 },
  );
}

describe('/route through Slack', () => {
  it('status shows the mode, the override and what evaluate answers for each route gate', async () => {
    await s.start(routeConfig());
    const status = await s.command(OUTSIDER, '/route', `status ${SERVICE} ${ENV}`);
    expect(status.text).toContain('`rust`');
    expect(status.text).toContain('none: the mode decides');
    expect(status.text).toMatch(
      /`\/login` → `rust_shell` \(mode_rust\); gate `route-login` expects `rust_shell`/,
    );
    expect(status.text).toContain('`/l402/paywalls` (cohort `user-42`) → `rust_shell`');
    // The evaluations were real requests with the gate's cohort key.
    const decisions = world.routeSplit.audit.filter((e) => e.event === 'route.split.decision');
    expect(decisions.map((d) => d.subject).sort()).toEqual(['/l402/paywalls', '/login']);
  });

  it('an override by a deployer waits for an approver (not the asker), is applied, read back and audited', async () => {
    await s.start(routeConfig());
    const asked = await s.command(
      REQUESTER,
      '/route',
      `override ${SERVICE} legacy --reason "login errors on rust"`,
    );
    expect(asked.text).toContain('needs 1 approval from');
    expect(world.routeSplit.override).toBeNull();
    const card = await s.waitForMessage((m) =>
      buttonsOf(m).some((b) => b.action_id === ACTIONS.routeApprove),
    );
    expect(JSON.stringify(card.blocks)).toContain('login errors on rust');

    const own = await s.click(REQUESTER, card, ACTIONS.routeApprove);
    expect(await responseText(own)).toContain('someone else has to approve it');
    const outsider = await s.click(OUTSIDER, card, ACTIONS.routeApprove);
    expect(await responseText(outsider)).toContain('you are not an approver here');
    expect(world.routeSplit.override).toBeNull();

    const approved = await s.click(APPROVERS[0], card, ACTIONS.routeApprove);
    expect(await responseText(approved)).toContain('now reads override legacy');
    expect(world.routeSplit.override).toBe('legacy');
    // The twin keeps who changed what: the operator behind the token, the scope, before and after.
    expect(overrideUpdates()).toEqual([
      expect.objectContaining({
        subject: 'global',
        target: 'legacy',
        actor: 'operator',
        user: ROUTE_SPLIT_TWIN_OPERATOR,
        before: null,
      }),
    ]);
    const edited = slack.message(card.channel, card.ts);
    expect(buttonsOf(edited as never)).toEqual([]);
    expect(JSON.stringify(edited?.blocks)).toContain('Approved');

    // shiftgate's audit: who asked, who approved, before and after.
    const { entries } = await world.store.audit.read({ limit: 20 });
    const applied = entries.find((e) => e.what === 'route.override.applied');
    expect(applied).toMatchObject({
      who: REQUESTER,
      service: SERVICE,
      env: ENV,
      reason: 'login errors on rust',
      before: { override: null },
      after: { override: 'legacy', change: 'legacy', approvedBy: [APPROVERS[0]] },
    });
    expect(entries.some((e) => e.what === 'route.request.approve.refused' && e.who === REQUESTER)).toBe(true);

    // Status names who set it.
    const status = await s.command(OUTSIDER, '/route', `status ${SERVICE}`);
    expect(status.text).toContain(`<@${REQUESTER}>`);
    expect(status.text).toContain('login errors on rust');
    expect(status.text).toMatch(/`\/login` → `legacy` \(runtime_override\)/);
    // A second click on the decided card changes nothing.
    const late = await s.click(APPROVERS[1], card, ACTIONS.routeApprove);
    expect(await responseText(late)).toContain('already applied');
    expect(overrideUpdates()).toHaveLength(1);
  });

  it('a request whose approving replica died holding the claim is applied by the next click once it lapses', async () => {
    await s.start(routeConfig());
    await s.command(REQUESTER, '/route', `override ${SERVICE} legacy --reason "login errors"`);
    const card = await s.waitForMessage((m) =>
      buttonsOf(m).some((b) => b.action_id === ACTIONS.routeApprove),
    );
    const id = (JSON.parse(buttonsOf(card)[0]?.value ?? '{}') as { q: string }).q;
    // What a replica leaves when it dies after counting the approval that completes the request and taking
    // the claim, before it set anything: the approval stands, the claim is held, nothing is applied.
    await world.store.approvals.add(id, 'route', { userId: APPROVERS[0] });
    expect(await world.store.idempotency.claim(`route-request:${id}`, 400)).toBe(true);

    await s.click(APPROVERS[1], card, ACTIONS.routeApprove);
    // The click was counted (the card shows both approvals) but the claim is held: nothing is set.
    await vi.waitFor(
      () => expect(JSON.stringify(slack.message(card.channel, card.ts)?.blocks)).toContain('2 of 1'),
      { timeout: 10_000, interval: 20 },
    );
    expect(world.routeSplit.override).toBeNull();
    // Once the dead replica's claim lapses, the next click applies it, once.
    await vi.waitFor(
      async () =>
        expect(await world.store.redis.exists(world.store.keys.idempotency(`route-request:${id}`))).toBe(0),
      { timeout: 5_000, interval: 50 },
    );
    const retried = await s.click(APPROVERS[0], card, ACTIONS.routeApprove);
    expect(await responseText(retried)).toContain('now reads override legacy');
    expect(world.routeSplit.override).toBe('legacy');
    expect(overrideUpdates()).toHaveLength(1);
    expect(buttonsOf(slack.message(card.channel, card.ts) as never)).toEqual([]);
  });

  it('break-glass acts alone; clear lifts the override; outsiders are refused', async () => {
    await s.start(routeConfig());
    const refused = await s.command(OUTSIDER, '/route', `override ${SERVICE} legacy --reason "just because"`);
    expect(refused.text).toContain('you may not change the route split here');
    expect(world.routeSplit.override).toBeNull();

    const set = await s.command(ON_CALL, '/route', `override ${SERVICE} legacy --reason "paged: login down"`);
    expect(set.text).toContain('now reads override `legacy`');
    expect(world.routeSplit.override).toBe('legacy');
    const cleared = await s.command(ON_CALL, '/route', `clear ${SERVICE} --reason "fixed"`);
    expect(cleared.text).toContain('now reads override `none`');
    expect(world.routeSplit.override).toBeNull();
    expect(overrideUpdates().map((e) => [e.before, e.target])).toEqual([
      [null, 'legacy'],
      ['legacy', 'clear'],
    ]);

    const missing = await s.command(ON_CALL, '/route', `clear ${SERVICE}`);
    expect(missing.text).toContain('needs `--reason');
  });

  it('after a rollback set the legacy override, a new canary is refused until the route is cleared', async () => {
    const rollbackId = await rollbackLeavingLegacy();
    await vi.waitFor(() => expect(world.split()).toEqual({ [STABLE_REVISION]: 100 }), {
      timeout: 10_000,
      interval: 20,
    });
    await vi.waitFor(async () => expect(await world.store.locks.get(SERVICE, ENV)).toBeUndefined(), {
      timeout: 10_000,
      interval: 50,
    });

    const revisionsBefore = world.cloudRun.service(REF).revisions.length;
    const refused = await s.command(REQUESTER, '/canary', `start v3.0.0`);
    expect(refused.text).toContain('Not started');
    expect(refused.text).toContain('overridden to `legacy`');
    expect(refused.text).toContain(`by the rollback \`${rollbackId}\``);
    expect(refused.text).toContain('`route-login` expects `rust_shell` on `/login`');
    expect(refused.text).toContain(`/route clear ${SERVICE} ${ENV}`);
    expect(world.cloudRun.service(REF).revisions).toHaveLength(revisionsBefore);

    // The rollback's card says the override stays, and how to lift it; App Home lists it while it stands.
    const card = await s.waitForMessage((m) => JSON.stringify(m.blocks ?? []).includes('stays until lifted'));
    expect(JSON.stringify(card.blocks)).toContain(`/route clear ${SERVICE} ${ENV}`);
    const home = await openHome('Ev0ROUTE1');
    expect(home).toContain('Route-split overrides (1)');
    expect(home).toContain(`by the rollback \`${rollbackId}\``);

    // Status shows the rollback as the one that set it.
    expect((await s.command(REQUESTER, '/route', `status ${SERVICE}`)).text).toContain(`by the rollback`);

    const cleared = await s.command(
      ON_CALL,
      '/route',
      `clear ${SERVICE} --reason "rollback done, v3 fixes it"`,
    );
    expect(cleared.text).toContain('now reads override `none`');
    // The rollback's message no longer says the override stands.
    await vi.waitFor(
      () => {
        const now = JSON.stringify(slack.message(card.channel, card.ts)?.blocks);
        expect(now).toContain(`was lifted by <@${ON_CALL}>`);
        expect(now).not.toContain('stays until lifted');
      },
      { timeout: 10_000, interval: 20 },
    );
    const started = await s.command(REQUESTER, '/canary', `start v3.0.0`);
    expect(started.text).toContain('Started web v3.0.0 in prod');
    expect(await openHome('Ev0ROUTE2')).not.toContain('Route-split overrides');

    // ...and passes the stage B route checks that would have failed on the override.
    const id = /: `([^`]+)`\./.exec(started.text)?.[1] as string;
    const engine = s.current.engine;
    world.feed(world.canaryRevision(id, 'v3.0.0'));
    await world.until(engine, id, (v) => expect(v.status).toBe('awaiting-approval'));
    expect((await engine.send(id, { type: 'approve', userId: APPROVERS[0], stage: 1 })).ok).toBe(true);
    const view = await world.until(engine, id, (v) =>
      expect((v.state as CanaryState).stages[1]?.checks?.length).toBeGreaterThan(0),
    );
    const checks = (view.state as CanaryState).stages[1]?.checks ?? [];
    expect(checks.filter((c) => c.gate.startsWith('route-')).map((c) => [c.gate, c.status])).toEqual([
      ['route-login', 'pass'],
      ['route-l402', 'pass'],
    ]);
  });

  it('a resolved incident whose rollback left the override offers "Restore route", with the same approvals', async () => {
    await rollbackLeavingLegacy();
    const incident = await s.waitForMessage((m) => buttonsOf(m).some((b) => b.action_id === ACTIONS.resolve));
    expect(JSON.stringify(incident.blocks)).toContain('override to `legacy`');
    expect(buttonsOf(incident).some((b) => b.action_id === ACTIONS.restoreRoute)).toBe(false);

    const resolved = await resolveOffering(incident);

    // Clicked by a deployer: a request for the environment's approvers, not a change.
    const asked = await responseText(await s.click(REQUESTER, resolved, ACTIONS.restoreRoute));
    expect(asked).toContain('needs 1 approval');
    expect(world.routeSplit.override).toBe('legacy');
    const request = await s.waitForMessage((m) =>
      buttonsOf(m).some((b) => b.action_id === ACTIONS.routeApprove),
    );
    expect(JSON.stringify(request.blocks)).toContain(`restore the route split after incident`);
    // An outsider's click changes nothing and says why.
    const refused = await responseText(await s.click(OUTSIDER, resolved, ACTIONS.restoreRoute));
    expect(refused).toContain('you may not change the route split here');

    await s.click(APPROVERS[0], request, ACTIONS.routeApprove);
    await vi.waitFor(() => expect(world.routeSplit.override).toBeNull(), { timeout: 10_000, interval: 20 });
    // The incident card follows: its Route field says who lifted the override, and the button goes.
    await vi.waitFor(
      () => {
        const now = slack.message(incident.channel, incident.ts) as typeof incident;
        expect(JSON.stringify(now.blocks)).toContain(`lifted by <@${REQUESTER}>`);
        expect(buttonsOf(now).some((b) => b.action_id === ACTIONS.restoreRoute)).toBe(false);
      },
      { timeout: 10_000, interval: 20 },
    );
    // Restored: a click on a view from before has nothing left to do.
    const again = await responseText(await s.click(ON_CALL, resolved, ACTIONS.restoreRoute));
    expect(again).toContain('Nothing to restore');
  });

  it('"Restore route" does not clear an override set since by someone else (a /route, a cutover train)', async () => {
    await rollbackLeavingLegacy();
    const incident = await s.waitForMessage((m) => buttonsOf(m).some((b) => b.action_id === ACTIONS.resolve));
    const resolved = await resolveOffering(incident);
    await s.command(ON_CALL, '/route', `override ${SERVICE} rust --reason "rust fixed, back on it"`);
    expect(world.routeSplit.override).toBe('rust_shell');
    const refused = await responseText(await s.click(ON_CALL, resolved, ACTIONS.restoreRoute));
    expect(refused).toContain("Not this incident's to restore");
    expect(world.routeSplit.override).toBe('rust_shell');
  });
});
