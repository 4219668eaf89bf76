import { describe, expect, it } from 'vitest';
import { ACTIONS, decodeValue } from '../../src/blocks/actions.ts';
import { appHome } from '../../src/blocks/home.ts';
import { blockKitProblems } from '../../src/blocks/limits.ts';
import { rolloutCard } from '../../src/blocks/rollout-card.ts';
import { listLine, rolloutStatus } from '../../src/blocks/status.ts';
import { postPromotion } from '../../src/config/post-promotion.ts';
import type { CanaryRunbook } from '../../src/config/runbooks.ts';
import { renderGate } from '../../src/gates/render.ts';
import { rolloutSummary } from '../../src/reports/rollout-summary.ts';
import { summaryMarkdown } from '../../src/reports/summary-md.ts';
import { canaryStep } from '../../src/runbooks/canary/index.ts';
import type { CanaryState } from '../../src/runbooks/types.ts';
import {
  actionIds,
  at,
  buttons,
  CANARY,
  Canary,
  NOW,
  policy as policyOf,
  REQUESTER,
  result,
  runbook,
  SCENARIOS,
  type Scenario,
  STABLE,
  scenario,
  textOf,
  unescapeMrkdwn,
} from './fixtures.ts';

const card = (name: Scenario) => rolloutCard(scenario(name), runbook, NOW);

describe('the rollout card', () => {
  it.each(Object.keys(SCENARIOS) as Scenario[])('is within Block Kit limits when %s', (name) => {
    expect(blockKitProblems(card(name))).toEqual([]);
  });

  it('names the service, tag, environment, requester, revisions and traffic now', () => {
    const m = card('watching');
    const text = textOf(m);
    expect(m.blocks[0]).toMatchObject({ type: 'header', text: { text: 'Canary control v1.42.0 → prod' } });
    expect(text).toContain(`<@${REQUESTER}>`);
    expect(text).toContain(`stable \`${STABLE}\``);
    expect(text).toContain(`canary \`${CANARY}\``);
    expect(text).toContain(`\`${STABLE}\` 95 % (stable)`);
    expect(text).toContain(`\`${CANARY}\` 5 % (canary)`);
    expect(m.text).toBe('control prod v1.42.0: watching the gates of stage B (5 %)');
    // The image as deployed, its tag once.
    expect(text).toContain(
      'image `us-central1-docker.pkg.dev/openagentsgemini/openagents-control-service/control:v1.42.0`',
    );
  });

  it('once promoted, calls the new revision the stable one everywhere (never "100 % (canary)")', () => {
    const state = scenario('promoted');
    const views = [
      textOf(rolloutCard(state, runbook, NOW)),
      textOf(rolloutStatus(state, runbook, NOW)),
      listLine(state, NOW.now.getTime()).text,
      textOf(appHome({ ...NOW, rollouts: [state], locks: [], freezes: [], incidents: [], history: [] })),
      summaryMarkdown(rolloutSummary({ state })),
    ];
    for (const view of views) {
      expect(view).not.toMatch(/\(canary\)|canary \d+ %|Canary revision/);
      expect(view).toMatch(/stable/);
    }
    expect(views[0]).toContain(`\`${CANARY}\` 100 % (stable)`);
    expect(views[0]).toContain(`stable \`${CANARY}\` (promoted)`);
    expect(views[0]).toContain(`previous stable \`${STABLE}\``);
    expect(views[1]).toContain(`\`${CANARY}\` 100 % (stable)`);
    expect(views[4]).toContain('Stable revision (promoted)');
  });

  it('shows the stage bar: done, current, pending', () => {
    expect(textOf(card('watching'))).toContain('A 0 % ✓ → *B 5 % ●* → C 25 % → D 50 % → E 100 %');
    expect(textOf(card('promoted'))).toContain('A 0 % ✓ → B 5 % ✓ → C 25 % ✓ → D 50 % ✓ → E 100 % ✓');
  });

  it('marks the failed stage', () => {
    expect(textOf(card('rolling-back'))).toContain('A 0 % ✓ → *B 5 % ✗* → C 25 %');
    expect(textOf(card('failed'))).toContain('A 0 % ✗ → B 5 %');
  });

  it("summarises the current stage's gates at the last tick, and shows what fails with value and threshold", () => {
    const watching = textOf(card('watching'));
    expect(watching).toContain('stage B, tick 3 of 10: 5 pass');
    expect(watching).toContain('stage B checks: 1 pass');
    const failing = textOf(card('rolling-back'));
    expect(failing).toContain('tick 4 of 10: 1 fail · 4 pass');
    const line = renderGate(result('latency-p95', 'fail'));
    expect(unescapeMrkdwn(failing)).toContain(line);
    expect(failing).toContain('412 ms');
    expect(failing).toContain('+20 %');
  });

  it('says what it is doing in words, with the reason when people must decide', () => {
    expect(textOf(card('awaiting-approval'))).toContain('Waiting for approval to shift to 5 % (stage B)');
    expect(textOf(card('paused'))).toMatch(/Paused\* at stage B \(5 %\) by <@UREQUEST1>/);
    const expired = textOf(card('needs-attention (approval expired)'));
    expect(expired).toContain('Needs attention');
    expect(expired).toContain('expired after 30m (0 of 2 approvals)');
    expect(expired).toContain('Resume asks for approval again.');
  });

  it('says how it ended, and shows no buttons once it has', () => {
    const endings: [Scenario, RegExp][] = [
      ['promoted', /Promoted\*.*`control-00042-new` is the stable revision, serving 100 %, after \d+ min/],
      ['rolled-back', /Rolled back\* to `control-00041-old`.*\(a gate failed at stage B\)/],
      [
        'rolled-back (checks failing after)',
        /rollback checks on control-00041-old did not pass: auth-session/,
      ],
      ['aborted (before traffic)', /Aborted\* by <@UREQUEST1>.*: wrong tag &lt;!here&gt;/],
      ['aborted (traffic returned)', /Traffic returned to `control-00041-old`/],
      ['failed', /Failed\*.*stage A checks failed/],
    ];
    for (const [name, said] of endings) {
      const m = card(name);
      expect(textOf(m), name).toMatch(said);
      expect(buttons(m), name).toEqual([]);
    }
    expect(buttons(card('rolling-back'))).toEqual([]);
  });

  it("shows the rollback's route-split override while it stands, and who lifted it once lifted", () => {
    expect(textOf(card('rolled-back'))).toContain('override to `legacy` stands until `/route clear control');
    expect(textOf(card('promoted'))).not.toContain('override to');
    const lifted = rolloutCard(scenario('rolled-back'), runbook, {
      ...NOW,
      routeLifted: { by: 'UONCALL', at: '2026-11-23T10:30:00.000Z' },
    });
    expect(textOf(lifted)).toContain('override to `legacy` was lifted by <@UONCALL>');
    expect(textOf(lifted)).not.toContain('stands until');
  });

  it('marks a dry run in the header and says nothing changes', () => {
    const m = card('dry run');
    expect(m.blocks[0]).toMatchObject({ text: { text: 'Canary control v1.42.0 → prod (dry run)' } });
    expect(textOf(m)).toContain('Dry run: nothing is changed on Cloud Run');
    expect(m.text).toContain('(dry run)');
  });

  it('escapes what people typed', () => {
    const text = textOf(card('aborted (before traffic)'));
    expect(text).not.toContain('<!here>');
  });
});

describe('the rollout card buttons', () => {
  const expected: Record<Scenario, string[]> = {
    deploying: [ACTIONS.promote, ACTIONS.abort],
    checking: [ACTIONS.promote, ACTIONS.abort],
    'awaiting-approval': [ACTIONS.pause, ACTIONS.promote, ACTIONS.abort],
    shifting: [ACTIONS.promote, ACTIONS.abort],
    watching: [ACTIONS.pause, ACTIONS.promote, ACTIONS.rollback, ACTIONS.abort],
    paused: [ACTIONS.resume, ACTIONS.promote, ACTIONS.rollback, ACTIONS.abort],
    'needs-attention (approval expired)': [ACTIONS.resume, ACTIONS.promote, ACTIONS.abort],
    'needs-attention (gate failed, policy asks)': [ACTIONS.rollback, ACTIONS.abort],
    'needs-attention (inconclusive)': [ACTIONS.resume, ACTIONS.promote, ACTIONS.rollback, ACTIONS.abort],
    'needs-attention (rollback stuck)': [ACTIONS.resume, ACTIONS.abort],
    'needs-attention (effect failed)': [ACTIONS.resume, ACTIONS.abort],
    'rolling-back': [],
    'rolled-back': [],
    'rolled-back (checks failing after)': [],
    promoted: [],
    'aborted (before traffic)': [],
    'aborted (traffic returned)': [],
    failed: [],
    'dry run': [ACTIONS.pause, ACTIONS.promote, ACTIONS.rollback, ACTIONS.abort],
    'promote-now': [ACTIONS.pause, ACTIONS.rollback, ACTIONS.abort],
  };

  it.each(Object.keys(expected) as Scenario[])('are exactly the ones the rollout accepts when %s', (name) => {
    expect(actionIds(card(name))).toEqual(expected[name]);
  });

  it('carry the rollout id, which decodeValue reads back', () => {
    const state = scenario('watching');
    for (const b of buttons(rolloutCard(state, runbook, NOW))) {
      expect(decodeValue(b.value)).toEqual({ r: state.id });
    }
  });

  it('are labelled by what they do', () => {
    const label = (name: Scenario, action: string) =>
      buttons(card(name)).find((b) => b.action_id === action)?.text?.text;
    expect(label('needs-attention (gate failed, policy asks)', ACTIONS.rollback)).toBe(
      'Roll back now (gate failed)',
    );
    expect(label('watching', ACTIONS.rollback)).toBe('Roll back');
    expect(label('needs-attention (approval expired)', ACTIONS.resume)).toBe('Ask for approval again');
    expect(label('needs-attention (inconclusive)', ACTIONS.resume)).toBe('Accept stage and go on');
    expect(label('needs-attention (rollback stuck)', ACTIONS.abort)).toBe('Stop and take over');
    expect(label('paused', ACTIONS.resume)).toBe('Resume');
  });

  it('offer no promote-now at the last stage', () => {
    const c = new Canary().deploy();
    while (c.state.stage < 4) c.approveAll().shifted().checked().watchThrough();
    expect(c.state.status).toBe('awaiting-approval');
    expect(actionIds(rolloutCard(c.state, runbook, NOW))).toEqual([
      ACTIONS.pause,
      ACTIONS.rollback,
      ACTIONS.abort,
    ]);
  });

  it('ask for confirmation before aborting, rolling back or promoting', () => {
    for (const b of buttons(card('watching'))) {
      if (b.action_id === ACTIONS.pause) continue;
      expect(b, b.action_id).toHaveProperty('confirm');
    }
  });
});

describe('the post-promotion watch on the card and in /canary status', () => {
  const withWatch: CanaryRunbook = { ...runbook, postPromotion: postPromotion.parse({ watch: '30m' }) };
  /** Promoted through E, the previous revision tagged, two ticks into the 30-minute watch. */
  function watching(): { state: CanaryState; clock: { now: Date } } {
    const c = new Canary({ runbook: withWatch }).deploy().promote();
    c.send({ type: 'revision-tagged', tag: 'previous', revision: STABLE }).tick().tick();
    return { state: c.state, clock: { now: new Date(at(c.min)) } };
  }

  it('shows the stage, what serves, what it rolls back to, the time left, and End watch instead of Abort', () => {
    const { state, clock } = watching();
    const m = rolloutCard(state, withWatch, clock);
    expect(blockKitProblems(m)).toEqual([]);
    const text = textOf(m);
    expect(text).toContain('E 100 % ✓ → *post-promotion 100 % ●*');
    expect(text).toContain(
      `*Post-promotion watch*: \`${CANARY}\` serves 100 %; a failing gate rolls back to \`${STABLE}\` (kept warm as tag \`previous\`)`,
    );
    expect(text).toMatch(/tick 2, window ends <!date\^\d+\^[^>]+> \(in 28 min\)/);
    expect(text).toContain(`stable \`${CANARY}\` (promoted)`);
    expect(text).toContain(`previous stable \`${STABLE}\` (warm: tag \`previous\`)`);
    expect(text).toContain('stage post-promotion, tick 2 of 30');
    expect(actionIds(m)).toEqual([ACTIONS.pause, ACTIONS.endWatch, ACTIONS.rollback]);
    expect(m.text).toBe(
      `control prod v1.42.0: post-promotion watch: ${CANARY} serves 100 %, rolls back to ${STABLE} if a gate fails`,
    );
    const status = textOf(rolloutStatus(state, withWatch, clock));
    expect(status).toContain('*Post-promotion watch*');
    expect(status).toContain('(stage 6 of 6)');
    expect(listLine(state, clock.now.getTime()).text).not.toContain('canary 100 %');
  });

  it('says how the watch ended once done', () => {
    const { state } = watching();
    const ended = canaryStep(
      state,
      { type: 'end-watch', at: at(60), by: 'UADMIN01', reason: 'all good' },
      { runbook: withWatch, policy: { ...policyOf() } },
    ).state;
    const done = canaryStep(
      ended,
      { type: 'revision-tagged', at: at(61), tag: 'previous' },
      { runbook: withWatch, policy: policyOf() },
    ).state;
    expect(done.status).toBe('promoted');
    expect(textOf(rolloutCard(done, withWatch, NOW))).toContain(
      `Post-promotion watch ended early by <@UADMIN01> (all good); \`${STABLE}\` released.`,
    );
  });
});
