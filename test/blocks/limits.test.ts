import type { KnownBlock } from '@slack/types';
import { describe, expect, it } from 'vitest';
import {
  appHome,
  approvalDecided,
  approvalRequest,
  blockKitProblems,
  gateResultsMessage,
  help,
  incidentCard,
  lockRefusal,
  locksList,
  rollbackRequestCard,
  rollingBackMessage,
  rolloutCard,
  rolloutList,
  rolloutStatus,
} from '../../src/blocks/index.ts';
import type { CanaryState } from '../../src/runbooks/types.ts';
import { at, GATES, result, runbook, SCENARIOS, type Scenario, scenario, standalone } from './fixtures.ts';

// blockKitProblems finds every limit of platform-facts.md; then every message the bot can build, from
// every state the engine reaches and from extreme input, has none.

const msg = (blocks: unknown[], text = 'fallback') => ({ text, blocks: blocks as KnownBlock[] });
const plain = (text: string) => ({ type: 'plain_text', text });
const mrkdwn = (text: string) => ({ type: 'mrkdwn', text });
const btn = (label: string, id = 'a', value = '{}') => ({
  type: 'button',
  text: plain(label),
  action_id: id,
  value,
});

describe('blockKitProblems', () => {
  it('accepts a plain valid message', () => {
    expect(blockKitProblems(msg([{ type: 'section', text: mrkdwn('hi') }]))).toEqual([]);
  });

  it.each([
    ['51 blocks', msg(Array.from({ length: 51 }, () => ({ type: 'divider' }))), '51 blocks, limit 50'],
    [
      'a long header',
      msg([{ type: 'header', text: plain('h'.repeat(151)) }]),
      'text is 151 chars, limit 150',
    ],
    ['a mrkdwn header', msg([{ type: 'header', text: mrkdwn('h') }]), 'must be plain_text'],
    ['a long section', msg([{ type: 'section', text: mrkdwn('s'.repeat(3001)) }]), 'limit 3000'],
    ['an empty section', msg([{ type: 'section', text: mrkdwn(' ') }]), 'text is empty'],
    [
      '11 fields',
      msg([{ type: 'section', fields: Array.from({ length: 11 }, () => mrkdwn('f')) }]),
      '11 fields, limit 10',
    ],
    ['a long field', msg([{ type: 'section', fields: [mrkdwn('f'.repeat(2001))] }]), 'field 0 is 2001 chars'],
    [
      'a long button label',
      msg([{ type: 'actions', elements: [btn('b'.repeat(76))] }]),
      'button text is 76 chars',
    ],
    [
      '26 buttons',
      msg([{ type: 'actions', elements: Array.from({ length: 26 }, (_, i) => btn('b', `a${i}`)) }]),
      '26 elements, limit 25',
    ],
    [
      'a long value',
      msg([{ type: 'actions', elements: [btn('b', 'a', 'v'.repeat(2001))] }]),
      'value is 2001 chars',
    ],
    [
      'a long action_id',
      msg([{ type: 'actions', elements: [btn('b', 'a'.repeat(256))] }]),
      'action_id longer',
    ],
    ['a repeated action_id', msg([{ type: 'actions', elements: [btn('b'), btn('c')] }]), 'used twice'],
    ['an empty actions block', msg([{ type: 'actions', elements: [] }]), 'no elements'],
    [
      '11 context elements',
      msg([{ type: 'context', elements: Array.from({ length: 11 }, () => mrkdwn('c')) }]),
      '11 elements, limit 10',
    ],
    ['a long block_id', msg([{ type: 'divider', block_id: 'b'.repeat(256) }]), 'block_id longer than 255'],
    [
      'too many chars of blocks',
      msg(Array.from({ length: 5 }, () => ({ type: 'section', text: mrkdwn('x'.repeat(2900)) }))),
      'chars of JSON, limit 12000',
    ],
    ['no fallback text', msg([{ type: 'divider' }], ''), 'no fallback text'],
    [
      'a long confirm text',
      msg([
        {
          type: 'actions',
          elements: [{ ...btn('b'), confirm: { title: plain('t'), text: plain('x'.repeat(301)) } }],
        },
      ]),
      'confirm text is 301 chars',
    ],
  ])('finds %s', (_, message, problem) => {
    const problems = blockKitProblems(message);
    expect(problems.join('\n')).toContain(problem);
  });

  it('allows App Home 100 blocks, not 101, and no size ceiling', () => {
    const home = (n: number) => ({
      type: 'home' as const,
      blocks: Array.from({ length: n }, () => ({ type: 'divider' })),
    });
    expect(blockKitProblems(home(100))).toEqual([]);
    expect(blockKitProblems(home(101))).toEqual(['101 blocks, limit 100']);
  });
});

describe('every message the bot builds is within the limits', () => {
  const LONG = `<!channel> ${'a very long reason & more '.repeat(800)}`;
  const forty = Array.from({ length: 40 }, (_, i) => ({
    ...result(GATES[i % GATES.length] as string, i % 3 === 0 ? 'fail' : 'pass', at(i)),
    gate: `gate-${i}`,
    reason: LONG,
    evidence: LONG,
  }));

  /** Every message about one canary state, the extreme ones included. */
  function messages(state: CanaryState) {
    const stage = Math.max(1, state.stage);
    const details = { required: 2, expiresAt: at(30), onGateFailure: 'automatic' as const, approvers: LONG };
    return [
      rolloutCard(state, runbook),
      rolloutStatus(state, runbook),
      rolloutList([state]),
      rollingBackMessage(state),
      approvalRequest(state, stage, details),
      approvalDecided(state, stage, { kind: 'approved', by: state.stages[stage]?.approvals ?? [] }),
      approvalDecided(state, stage, { kind: 'aborted', by: 'UREQUEST1', at: at(1) }),
      approvalDecided(state, stage, { kind: 'expired', at: at(30) }),
      approvalDecided(state, stage, { kind: 'superseded', why: LONG }),
      gateResultsMessage(state, stage, { phase: 'gates', tick: 40, results: forty, verdict: 'fail' }),
      gateResultsMessage(state, stage, { phase: 'checks', results: forty }),
      gateResultsMessage(state, stage, { phase: 'rollback-checks', results: forty }),
    ];
  }

  it.each(Object.keys(SCENARIOS) as Scenario[])('%s', (name) => {
    for (const m of messages(scenario(name))) expect(blockKitProblems(m)).toEqual([]);
  });

  it('with long user text everywhere', () => {
    const state = scenario('rolled-back');
    state.requestedBy = LONG;
    state.tag = 'v'.repeat(128);
    state.service = 's'.repeat(200);
    if (state.rollback) {
      state.rollback.reason = LONG;
      state.rollback.checks = forty;
    }
    state.aborted = { by: LONG, reason: LONG, at: at(5) };
    state.hold = {
      kind: 'attention',
      cause: 'rollback-checks',
      reason: LONG,
      at: at(5),
      from: 'rolling-back',
    };
    const stage = state.stages[1];
    if (stage) stage.ticks = Array.from({ length: 40 }, () => forty);
    messages(state).forEach((m, i) => {
      expect(blockKitProblems(m), `message ${i}`).toEqual([]);
    });
    const s = standalone().state;
    s.rollback.reason = LONG;
    s.rollback.checks = forty;
    expect(blockKitProblems(rollingBackMessage(s))).toEqual([]);
    expect(blockKitProblems(rolloutStatus(s))).toEqual([]);
    const lock = {
      service: LONG,
      env: 'prod',
      rolloutId: 'r',
      author: LONG,
      reason: LONG,
      since: at(0),
      kind: 'rollout',
      token: 1,
    } as const;
    const freeze = { service: LONG, env: 'prod', author: LONG, reason: LONG, since: at(0) };
    // A scheduled freeze window of every length of name the config lets through, many of them.
    const schedule = Array.from({ length: 100 }, () => ({
      env: 'prod',
      service: LONG,
      window: {
        name: 'a'.repeat(40),
        description: 'd'.repeat(200),
        timeZone: 'America/Argentina/ComodRivadavia',
        start: at(0),
        end: at(60),
      },
    }));
    for (const m of [
      lockRefusal({
        service: LONG,
        env: LONG,
        holder: lock,
        threadLink: `https://x.example/${'p'.repeat(5000)}`,
      }),
      lockRefusal({ service: LONG, env: LONG, freeze }),
      locksList(
        Array.from({ length: 100 }, () => lock),
        Array.from({ length: 100 }, () => freeze),
        { schedule },
      ),
      incidentCard({
        incidentId: 'i',
        service: LONG,
        env: LONG,
        failedStage: LONG,
        symptom: LONG,
        revisions: { from: LONG, to: LONG },
        routeOverride: LONG,
        status: 'open',
        at: at(0),
      }),
      rollbackRequestCard({
        id: 'q',
        service: LONG,
        env: LONG,
        requestedBy: LONG,
        reason: LONG,
        status: 'failed',
        message: LONG,
        required: 1,
        at: at(0),
        expiresAt: at(30),
        approvers: LONG,
        approvals: [],
      }),
      help('/rollback'),
    ]) {
      expect(blockKitProblems(m)).toEqual([]);
    }
    const home = appHome({
      rollouts: Array.from({ length: 100 }, () => state),
      locks: Array.from({ length: 100 }, () => lock),
      freezes: [freeze],
      incidents: [{ id: 'i', service: LONG, env: LONG, symptom: LONG, at: at(0), link: LONG }],
      history: [{ id: LONG, service: LONG, env: LONG, status: LONG, endedAt: at(0) }],
      schedule,
    });
    expect(blockKitProblems(home)).toEqual([]);
  });
});
