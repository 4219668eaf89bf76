import { describe, expect, it } from 'vitest';
import { gateResultsMessage } from '../../src/blocks/gate-results.ts';
import { recordEntryOf } from '../../src/runbooks/gate-record.ts';
import type { Effect } from '../../src/runbooks/types.ts';
import { CANARY, Rollout, runbookWith, T0, t } from '../helpers/canary-driver.ts';

// Gate modes in the canary's procedure, event by event with no I/O: a shadow gate is shown and recorded
// but never rolls back or holds a stage; an advisory gate that would have failed the stage stops the
// rollout and asks for one click (continue, which waives it for the stage, or roll back).

const types = (effects: Effect[]) =>
  effects.map((e) => (e.type === 'notify' ? `notify:${e.notification.kind}` : e.type));

describe('a shadow gate', () => {
  it('fails every tick of every stage and the rollout is promoted: shown, noted, recorded, never rolled back', () => {
    const r = new Rollout(runbookWith({ logs: 'shadow' }));
    expect(r.ctx.runbook.gateModes).toEqual({ 'error-logs': 'shadow' });
    r.throughStageA();
    for (const _stage of ['B', 'C']) {
      r.approveAndShift();
      r.answer();
      r.watch({ 'error-logs': 'fail' });
    }
    expect(r.state.status).toBe('promoted');
    expect(r.state.rollback).toBeUndefined();
    expect(r.last).toContainEqual({ type: 'write-report' });
    // Every tick carried the failing result, stamped shadow; the judge saw only the enforce gates.
    const b = r.state.stages[1];
    expect(b?.ticks).toHaveLength(3);
    expect(
      b?.ticks.every((tick) =>
        tick.some((x) => x.gate === 'error-logs' && x.status === 'fail' && x.mode === 'shadow'),
      ),
    ).toBe(true);
    expect(b?.verdict).toBe('pass');
    expect(b?.flagged).toEqual(['error-logs']);
    expect(r.state.stages[2]?.flagged).toEqual(['error-logs']);
    // One timeline line per stage, not one per tick.
    const said = r.state.timeline.filter((l) =>
      l.what.includes('shadow gate error-logs would have rolled back'),
    );
    expect(said.map((l) => l.what.slice(0, 7))).toEqual(['stage B', 'stage C']);
    // The thread's gate line says so beside the gate's name.
    const text = JSON.stringify(
      gateResultsMessage(r.state, 1, { phase: 'gates', tick: 3, results: b?.ticks[2] ?? [], verdict: 'pass' })
        .blocks,
    );
    expect(text).toContain('*error-logs* _(shadow: would have rolled back)_');
    // The record: the gate would have blocked B and C of a rollout that was promoted.
    expect(recordEntryOf(r.state)).toMatchObject({
      outcome: 'promoted',
      revision: CANARY,
      gates: {
        'error-logs': { mode: 'shadow', blocked: ['B', 'C'] },
        'error-rate': { mode: 'enforce', blocked: [] },
        healthz: { mode: 'enforce', blocked: [] },
      },
    });
  });

  it('the same failure of the same gate in enforce mode rolls back at once', () => {
    const r = new Rollout(runbookWith({}));
    expect(r.ctx.runbook.gateModes).toBeUndefined();
    r.throughStageA();
    r.approveAndShift();
    r.answer();
    const failed = r.tick({ 'error-logs': 'fail' });
    expect(types(failed)).toContain('notify:rolling-back');
    expect(r.state.status).toBe('rolling-back');
    expect(r.state.rollback).toMatchObject({ trigger: 'gate', failedStage: 'B' });
    expect(r.stage.flagged).toEqual(['error-logs']);
  });

  it('a shadow check failing at stage A does not fail the rollout', () => {
    const r = new Rollout(runbookWith({ smoke: 'shadow' }));
    const effects = r.throughStageA({ smoke: 'fail' });
    expect(types(effects)).toContain('notify:approval-requested');
    expect(r.state.status).toBe('awaiting-approval');
    expect(r.state.stages[0]?.flagged).toEqual(['smoke']);
  });

  it('errors of a shadow gate, however many in a row, never hold the stage; its judge counts only fails', () => {
    const r = new Rollout(runbookWith({ logs: 'shadow' }, 1));
    r.throughStageA();
    r.approveAndShift();
    r.answer();
    r.watch({ 'error-logs': 'error' });
    expect(r.state.stage).toBe(2);
    expect(r.state.stages[1]?.flagged).toBeUndefined();
    // With failureLimit 1, one failing tick of the gate alone is tolerated: not "would have blocked".
    r.approveAndShift();
    r.answer();
    r.tick({ 'error-logs': 'fail' });
    expect(r.stage.flagged).toBeUndefined();
    r.tick({ 'error-logs': 'fail' });
    expect(r.stage.flagged).toEqual(['error-logs']);
    expect(r.state.status).toBe('watching');
  });
});

describe('an advisory gate', () => {
  it('asks for one click; continue waives it for the stage, the next stage asks again, roll back rolls back as the gate', () => {
    const r = new Rollout(runbookWith({ logs: 'advisory' }));
    r.throughStageA();
    r.approveAndShift();
    r.answer();
    const asked = r.tick({ 'error-logs': 'fail' });
    expect(types(asked)).toEqual(['notify:gates', 'notify:needs-attention']);
    expect(r.state).toMatchObject({
      status: 'needs-attention',
      hold: { kind: 'attention', cause: 'advisory-failed', from: 'watching' },
    });
    expect(r.stage.asks).toEqual([
      {
        gates: ['error-logs'],
        reason: expect.stringMatching(/^stage B: advisory gate failed: error-logs/),
        at: r.state.hold?.at,
      },
    ]);
    // Nothing moves traffic, and no tick is scheduled while it waits.
    expect(
      asked.some((e) => e.type === 'schedule' || e.type === 'set-traffic' || e.type === 'rollback-traffic'),
    ).toBe(false);
    expect(r.refuse({ type: 'promote-now', at: r.at(r.now + 1), by: 'UADMIN' })).toMatch(/needs attention/);
    // A click naming another ask is refused.
    expect(
      r.refuse({ type: 'resume', at: r.at(r.now + 1), by: 'UAPP', advisory: { stage: 1, ask: 5 } }),
    ).toMatch(/no such advisory ask/);

    // Continue: the stage goes on where it stopped, its window extended by the wait for the click.
    const windowEnd = r.stage.windowEndsAt as string;
    const askedAt = Date.parse(r.state.hold?.at as string);
    const ref = r.ask();
    const resumed = r.send({ type: 'resume', at: r.at(r.now + 60), by: 'UAPP', advisory: ref });
    expect(types(resumed)).toEqual(['notify:resumed', 'schedule']);
    expect(r.state.status).toBe('watching');
    expect(r.stage.windowEndsAt).toBe(
      new Date(Date.parse(windowEnd) + (T0 + r.now * 1000 - askedAt)).toISOString(),
    );
    expect(r.stage.asks?.[0]?.decision).toEqual({ choice: 'continue', by: 'UAPP', at: t(r.now) });
    // The same click again (a second click on the same button) is refused with what was decided.
    expect(r.refuse({ type: 'resume', at: r.at(r.now + 1), by: 'UAPP2', advisory: ref })).toMatch(
      /decided already: continued by <@UAPP>/,
    );
    // Waived for the rest of stage B: it fails again, nobody is asked again, the stage passes.
    r.watch({ 'error-logs': 'fail' });
    expect(r.state.stages[1]?.asks).toHaveLength(1);
    expect(r.state).toMatchObject({ status: 'awaiting-approval', stage: 2 });

    // Stage C asks again; this time the click rolls back, as the gate's own rollback.
    r.approveAndShift();
    r.answer();
    r.tick({ 'error-logs': 'fail' });
    expect(r.state.hold).toMatchObject({ cause: 'advisory-failed' });
    const rolled = r.send({
      type: 'rollback',
      at: r.at(r.now + 30),
      by: 'UREQ',
      reason: 'x',
      advisory: r.ask(),
    });
    expect(types(rolled)).toContain('notify:rolling-back');
    expect(r.state.rollback).toMatchObject({ trigger: 'gate', by: 'UREQ', failedStage: 'C' });
    expect(r.state.rollback?.reason).toMatch(/advisory gate failed: error-logs/);
    expect(r.stage.asks?.[0]?.decision).toMatchObject({ choice: 'roll back', by: 'UREQ' });
    expect(r.state.stages[1]?.flagged).toEqual(['error-logs']);
  });

  it('a failing advisory check at stage A asks; roll back ends the rollout there, with no rollback procedure', () => {
    const r = new Rollout(runbookWith({ smoke: 'advisory' }));
    r.throughStageA({ smoke: 'fail' });
    expect(r.state).toMatchObject({
      status: 'needs-attention',
      hold: { cause: 'advisory-failed', from: 'checking' },
    });
    const ended = r.send({
      type: 'rollback',
      at: r.at(r.now + 30),
      by: 'UAPP',
      reason: 'x',
      advisory: r.ask(),
    });
    expect(types(ended)).toEqual(['notify:failed', 'write-report', 'release-lock']);
    expect(r.state.status).toBe('failed');
    expect(r.state.rollback).toBeUndefined();
    expect(recordEntryOf(r.state)).toMatchObject({
      outcome: 'stopped',
      gates: { smoke: { mode: 'advisory', blocked: ['A'] } },
    });
  });

  it('a failing advisory check: continue goes on to the next stage', () => {
    const r = new Rollout(runbookWith({ smoke: 'advisory' }));
    r.throughStageA({ smoke: 'fail' });
    r.send({ type: 'resume', at: r.at(r.now + 30), by: 'UAPP', advisory: r.ask() });
    expect(r.state).toMatchObject({ status: 'awaiting-approval', stage: 1 });
  });

  it('an enforce gate failing at the same tick rolls back: it is not asked about', () => {
    const r = new Rollout(runbookWith({ logs: 'advisory' }));
    r.throughStageA();
    r.approveAndShift();
    r.answer();
    r.tick({ 'error-logs': 'fail', 'error-rate': 'fail' });
    expect(r.state.status).toBe('rolling-back');
    expect(r.stage.asks).toBeUndefined();
    expect(r.stage.flagged).toEqual(['error-rate', 'error-logs']);
  });

  it('abort while it asks is an abort (traffic back, no incident), recorded as the ask decision', () => {
    const r = new Rollout(runbookWith({ logs: 'advisory' }));
    r.throughStageA();
    r.approveAndShift();
    r.answer();
    r.tick({ 'error-logs': 'fail' });
    r.send({ type: 'abort', at: r.at(r.now + 5), by: 'UREQ' });
    expect(r.state.rollback).toMatchObject({ trigger: 'manual', mode: 'traffic-only', incident: false });
    expect(r.stage.asks?.[0]?.decision).toMatchObject({ choice: 'abort', by: 'UREQ' });
  });
});
