import { describe, expect, it } from 'vitest';
import { ACTIONS } from '../../src/blocks/actions.ts';
import { advisoryAskMessage } from '../../src/blocks/advisory.ts';
import { gateLine } from '../../src/blocks/gate-lines.ts';
import { blockKitProblems, gateReport, rolloutCard } from '../../src/blocks/index.ts';
import type { GateResult } from '../../src/gates/result.ts';
import type { GateTally } from '../../src/runbooks/gate-tally.ts';
import { Rollout, runbookWith } from '../helpers/canary-driver.ts';
import { actionIds, result, textOf } from './fixtures.ts';

// What Slack shows of gate modes: the mode beside a gate's name (and what its failure did instead), the
// advisory ask with its two buttons and its decided form, and /gates report within Slack's limits.

function askingAtB(): Rollout {
  const r = new Rollout(runbookWith({ logs: 'advisory' }));
  r.throughStageA();
  r.approveAndShift();
  r.answer();
  r.tick({ 'error-logs': 'fail' });
  return r;
}

describe('gate lines', () => {
  it('name the mode beside the gate; a failing shadow gate would have rolled back, an advisory one asks', () => {
    const shadow = (status: GateResult['status']): GateResult => ({
      ...result('error-logs', status),
      mode: 'shadow',
    });
    expect(gateLine(shadow('pass')).text).toMatch(/^:white_check_mark: \*error-logs\* _\(shadow\)_ /);
    expect(gateLine(shadow('fail')).text).toMatch(
      /^:x: \*error-logs\* _\(shadow: would have rolled back\)_ /,
    );
    expect(gateLine({ ...result('error-logs', 'fail'), mode: 'advisory' }).text).toContain(
      '_(advisory: asks instead of rolling back)_',
    );
    expect(gateLine(result('error-logs', 'fail')).text).not.toContain('_(');
  });
});

describe('the advisory ask', () => {
  it('shows the failing gate, who may continue, and two buttons naming the ask', () => {
    const r = askingAtB();
    const ask = advisoryAskMessage(r.state, 1, 0, { approvers: '<@UAPP>', allowSelfApproval: false });
    expect(blockKitProblems(ask)).toEqual([]);
    expect(actionIds(ask)).toEqual([ACTIONS.advisoryContinue, ACTIONS.advisoryRollback]);
    const text = textOf(ask);
    expect(text).toContain('Advisory gate failed');
    expect(text).toContain('error-logs');
    expect(text).toContain('<@UAPP>');
    expect(text).toContain('not <@UREQ> who asked for the rollout');
    // The buttons name the rollout, the stage and the ask, nothing the server would trust.
    const values = JSON.stringify(ask.blocks);
    expect(values).toContain(JSON.stringify(JSON.stringify({ r: r.state.id, s: 1, a: 0 })).slice(1, -1));
    // The card offers the same two ways on: continue (resume) and roll back.
    const card = rolloutCard(r.state, r.ctx.runbook, { requiredApprovals: 1 });
    expect(actionIds(card)).toEqual(expect.arrayContaining([ACTIONS.resume, ACTIONS.rollback]));
    expect(JSON.stringify(card.blocks)).toContain('Continue past advisory gate');
  });

  it('once decided says who decided what, with no buttons', () => {
    const r = askingAtB();
    r.send({ type: 'resume', at: r.at(r.now + 30), by: 'UAPP', advisory: r.ask() });
    const decided = advisoryAskMessage(r.state, 1, 0);
    expect(actionIds(decided)).toEqual([]);
    expect(textOf(decided)).toMatch(/Continued\* past advisory `error-logs` at stage B \(5 %\).*by <@UAPP>/);
  });

  it('an ask the rollout moved past without a click says so', () => {
    const r = askingAtB();
    r.send({ type: 'abort', at: r.at(r.now + 30), by: 'UREQ' });
    expect(textOf(advisoryAskMessage(r.state, 1, 0))).toContain('Aborted* at advisory');
  });
});

describe('/gates report', () => {
  const tally = (gate: string, extra: Partial<GateTally> = {}): GateTally => ({
    gate,
    mode: 'shadow',
    evaluated: 40,
    blocked: 2,
    rightly: 1,
    laterCause: 1,
    falseAlarms: 1,
    blockedOther: 0,
    forCause: 3,
    missed: 2,
    modes: { enforce: 0, shadow: 40, advisory: 0 },
    blockedBy: { enforce: 0, shadow: 2, advisory: 0 },
    latestAt: '2026-11-02T10:00:00.000Z',
    ...extra,
  });

  it('says each count in words', () => {
    const reply = gateReport({
      service: 'control',
      last: 40,
      rollouts: 123,
      tallies: [
        tally('error-logs'),
        tally('error-rate', {
          mode: 'enforce',
          blockedBy: { enforce: 2, shadow: 0, advisory: 0 },
          modes: { enforce: 30, shadow: 10, advisory: 0 },
        }),
      ],
      modeNow: { 'error-logs': 'shadow', 'error-rate': 'enforce' },
      unrecorded: ['route-login'],
    });
    const text = textOf(reply);
    expect(text).toContain(
      '*error-logs* _shadow_: would have blocked *2* of the last 40 rollouts: 1 was rolled back for cause (1 of them after promotion), 1 promoted healthy (1 false alarm); missed 2 of 3 rollbacks for cause.',
    );
    expect(text).toContain('*error-rate* _enforce_ (recorded enforce in 30, shadow in 10)');
    expect(text).toContain('2 of its blocks were enforced');
    expect(text).toContain('Not evaluated in any recorded rollout yet:_ `route-login`');
    expect(text).toContain('123 rollouts recorded');
  });

  it('stays within Slack limits with hundreds of gates', () => {
    const tallies = Array.from({ length: 400 }, (_, i) =>
      tally(`gate-${String(i).padStart(3, '0')}-${'x'.repeat(40)}`),
    );
    const reply = gateReport({ last: 40, rollouts: 500, tallies, modeNow: {}, unrecorded: [] });
    expect(blockKitProblems(reply)).toEqual([]);
    expect(textOf(reply)).toContain('name a service to see fewer');
  });
});
