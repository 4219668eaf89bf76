import { describe, expect, it, vi } from 'vitest';
import { ACTIONS } from '../../src/blocks/actions.ts';
import type { CanaryState } from '../../src/runbooks/types.ts';
import { APPROVERS, IMAGE_REPO, ON_CALL, REQUESTER, SERVICE } from '../helpers/engine-world.ts';
import { buttonsOf, textsOf, useSlackWorld } from '../helpers/slack-world.ts';

// Issue 14, defect 0: after a canary aborted at 5 % and a later promoted one, /rollback without --to went
// to the aborted canary's revision ("the newest ready revision older than the one serving"). It must go
// to the revision that was stable before the promotion, and the approver sees that target first.

const s = useSlackWorld('slack-rollback-target');
const { world, slack } = s;
const WAIT = { timeout: 15_000, interval: 20 };

const idOf = (text: string) => /`([^`]+)`/.exec(text)?.[1] as string;

/** The stage-`stage` approval request in the rollout's thread, clicked by an approver. */
async function approveStage(cardTs: string, stage: number) {
  const request = await s.waitForMessage(
    (m) =>
      m.thread_ts === cardTs &&
      buttonsOf(m).some((b) => b.action_id === ACTIONS.approve && JSON.parse(b.value).s === stage),
    15_000,
  );
  await s.click(APPROVERS[0], request, ACTIONS.approve);
}

async function startCanary(tag: string) {
  const started = await s.command(REQUESTER, '/canary', `start ${tag}`);
  const id = idOf(started.text);
  const revision = world.canaryRevision(id, tag);
  world.feed(revision);
  const card = await s.waitForMessage((m) => m.thread_ts === undefined && m.text.includes(tag));
  return { id, revision, card };
}

describe('/rollback without --to, after an aborted canary and a promoted one', () => {
  it('goes to the stable revision before the promotion, and the approver sees it before approving', async () => {
    await s.start();
    const stable = world.seed();
    const engine = s.current.engine;

    // 1. A canary aborted at 5 %: its revision is a bad build.
    const aborted = await startCanary('v2.0.0');
    await approveStage(aborted.card.ts, 1);
    await world.until(engine, aborted.id, (v) =>
      expect((v.state as CanaryState).trafficNow?.[aborted.revision]).toBe(5),
    );
    expect((await s.command(REQUESTER, '/canary', 'abort bad build')).text).toContain('Aborting');
    await world.until(engine, aborted.id, (v) => expect(v.status).toBe('aborted'));
    await engine.idle();
    expect(world.split()).toEqual({ [stable]: 100 });
    // The rollback's progress message in the thread ends where the procedure ended.
    const steps = s
      .thread(aborted.card.ts)
      .map((m) => textsOf(m.blocks).join('\n'))
      .find((text) => text.includes('1. Route override'));
    expect(steps).toContain(':leftwards_arrow_with_hook: *Rolled back*');
    expect(steps).toContain(`:white_check_mark: *3. Verify the split*: \`${stable}\` serves 100 %`);
    expect(steps).toContain(`*Traffic after*\n\`${stable}\` 100 %`);
    expect(steps).not.toMatch(/:arrows_counterclockwise:|:white_circle:/);

    // 2. A canary promoted through every stage.
    const promoted = await startCanary('v2.1.0');
    for (const stage of [1, 2, 3, 4]) await approveStage(promoted.card.ts, stage);
    await world.until(engine, promoted.id, (v) => expect(v.status).toBe('promoted'), 20_000);
    await engine.idle();
    expect(world.split()).toEqual({ [promoted.revision]: 100 });
    // Cloud Run lists the aborted canary as the newest ready revision older than the serving one.
    const listed = world.cloudRun.service({
      project: 'proj-test',
      region: 'us-central1',
      service: 'web-prod',
    });
    expect(listed.split).toEqual({ [promoted.revision]: 100 });

    // 3. /rollback without --to by a deployer: a request that names the target.
    const asked = await s.command(REQUESTER, '/rollback', `${SERVICE} --reason "5xx after v2.1.0"`);
    expect(asked.text).toContain('needs 1 approval from');
    expect(asked.text).toContain(stable);
    expect(asked.text).not.toContain(aborted.revision);
    const request = await s.waitForMessage((m) =>
      buttonsOf(m).some((b) => b.action_id === ACTIONS.rollbackApprove),
    );
    // What the approver reads before clicking: the card and the Approve button's confirm dialog.
    const shown = textsOf(request.blocks).join('\n');
    expect(shown).toContain(`\`${stable}\``);
    expect(shown).toContain(`${IMAGE_REPO}:v1.0.0`);
    expect(shown).toContain('last served');
    expect(shown).not.toContain(aborted.revision);
    const approve = (
      request.blocks as { type: string; elements?: { action_id: string; confirm?: unknown }[] }[]
    )
      .flatMap((b) => b.elements ?? [])
      .find((e) => e.action_id === ACTIONS.rollbackApprove);
    expect(JSON.stringify(approve?.confirm)).toContain(stable);
    expect(world.split()).toEqual({ [promoted.revision]: 100 });

    // 4. Approved: the traffic lands on the previous stable, never on the aborted canary.
    const reply = await s.click(APPROVERS[1], request, ACTIONS.rollbackApprove);
    await vi.waitFor(() => expect(world.split()).toEqual({ [stable]: 100 }), WAIT);
    expect(world.patchedSplits().some((split) => (split[aborted.revision] ?? 0) > 5)).toBe(false);
    const confirmation = await vi.waitFor(() => {
      const text = slack.responses(reply)[0]?.text;
      expect(text).toBeDefined();
      return text as string;
    }, WAIT);
    expect(confirmation).toContain(stable);

    // The rollback's own card ends with every step checked; it and the incident card give the split
    // Cloud Run served before the first change.
    await s.current.engine.idle();
    const rollback = await s.waitForMessage((m) =>
      textsOf(m.blocks).some((t) => t.startsWith('Rollback web → prod')),
    );
    const card = textsOf(rollback.blocks).join('\n');
    expect(card).toContain(`:white_check_mark: *3. Verify the split*: \`${stable}\` serves 100 %`);
    expect(card).toContain(`*Traffic before*\n\`${promoted.revision}\` 100 %`);
    const incident = await s.waitForMessage((m) => buttonsOf(m).some((b) => b.action_id === ACTIONS.resolve));
    const facts = textsOf(incident.blocks).join('\n');
    expect(facts).toContain(`*Traffic before*\n\`${promoted.revision}\` 100 %`);
    expect(facts).toContain(`*Failed stage*\nnone: <@${REQUESTER}> rolled back by hand`);
    expect(facts).not.toContain('no traffic reported yet');
  }, 60_000);

  it('with no promoted rollout in the history, refuses and says what to type', async () => {
    await s.start();
    world.seedBadRelease();
    const refused = await s.command(ON_CALL, '/rollback', `${SERVICE} --reason "5xx"`);
    expect(refused.text).toContain('--to');
    expect(refused.text).toMatch(/promoted rollout/);
    expect(world.patches()).toHaveLength(0);
  });
});
