import { describe, expect, it } from 'vitest';
import { ACTIONS, decodeValue } from '../../src/blocks/actions.ts';
import { gateLine } from '../../src/blocks/gate-lines.ts';
import { blockKitProblems } from '../../src/blocks/limits.ts';
import { incidentCard, rollingBackMessage } from '../../src/blocks/rollback.ts';
import { rollbackRequestCard } from '../../src/blocks/rollback-request.ts';
import type { RollbackRequest } from '../../src/runbooks/rollback-requests.ts';
import {
  actionIds,
  at,
  buttons,
  CANARY,
  NOW,
  result,
  STABLE,
  scenario,
  standalone,
  textOf,
} from './fixtures.ts';

describe('the rollback procedure message', () => {
  it('shows each step of the procedure as it runs', () => {
    const m = rollingBackMessage(scenario('rolling-back'));
    const text = textOf(m);
    expect(text).toContain(`*Rolling back* to \`${STABLE}\` (a gate failed at stage B)`);
    expect(text).toContain(':arrows_counterclockwise: *1. Route override*: overriding the route split');
    expect(text).toContain(`:white_circle: *2. Traffic back*: 100 % to \`${STABLE}\``);
    expect(text).toContain(':white_circle: *4. Health and auth checks*');
    expect(m.text).toBe(`control prod v1.42.0: rolling back to ${STABLE}`);
    expect(blockKitProblems(m)).toEqual([]);
  });

  it('once done: the override, what Cloud Run reports, the verified split and every check with its threshold', () => {
    const state = scenario('rolled-back (checks failing after)');
    const text = textOf(rollingBackMessage(state));
    expect(text).toContain('*Rolled back*');
    expect(text).toContain(':white_check_mark: *1. Route override*: override to `legacy`');
    expect(text).toContain(`:white_check_mark: *2. Traffic back*: Cloud Run reports \`${STABLE}\` 100 %`);
    expect(text).toContain(`:white_check_mark: *3. Verify the split*: \`${STABLE}\` serves 100 %`);
    expect(text).toContain(':x: *4. Health and auth checks*: 1 fail · 1 pass');
    for (const r of state.rollback?.checks ?? []) expect(text).toContain(gateLine(r, 400).text);
    expect(text).toContain('status 200');
    expect(text).toContain('rollback checks on control-00041-old did not pass: auth-session (fail)');
  });

  it('when stuck, marks the step people must look at', () => {
    const text = textOf(rollingBackMessage(scenario('needs-attention (rollback stuck)')));
    expect(text).toContain('Rollback needs attention');
    expect(text).toContain(`:x: *3. Verify the split*: expected \`${STABLE}\` 100 %`);
    expect(text).toContain(`after the rollback Cloud Run reports ${STABLE} 90 %, ${CANARY} 10 %`);
  });

  it('an abort returning traffic skips the route override', () => {
    const text = textOf(rollingBackMessage(scenario('aborted (traffic returned)')));
    expect(text).toContain(':heavy_minus_sign: *1. Route override*: traffic-only rollback');
  });

  it('a manual rollback is its own card: header, who asked, escaped reason; Retry and Stop only when stuck', () => {
    const running = standalone();
    const m = rollingBackMessage(running.state);
    const text = textOf(m);
    expect(m.blocks[0]).toMatchObject({ type: 'header', text: { text: 'Rollback control → prod' } });
    expect(text).toContain('asked by <@UONCALL01>');
    expect(text).toContain('5xx spike after v1.42.0 &lt;!channel&gt;');
    expect(text).not.toContain('<!channel>');
    expect(buttons(m)).toEqual([]);

    running.send({ type: 'route-overridden', target: 'legacy' });
    const stuck = running.send({ type: 'traffic-set', traffic: { [STABLE]: 50, [CANARY]: 50 } });
    expect(stuck.status).toBe('needs-attention');
    const attention = rollingBackMessage(stuck);
    expect(actionIds(attention)).toEqual([ACTIONS.resume, ACTIONS.abort]);
    for (const b of buttons(attention)) expect(decodeValue(b.value)).toEqual({ r: stuck.id });
    expect(blockKitProblems(attention)).toEqual([]);

    running.send({ type: 'resume', by: 'UONCALL01' });
    running.send({ type: 'traffic-set', traffic: { [STABLE]: 100 } });
    const done = running.send({
      type: 'checks-done',
      results: [result('healthz', 'pass'), result('auth-session', 'pass')],
    });
    expect(done.status).toBe('rolled-back');
    expect(buttons(rollingBackMessage(done))).toEqual([]);
    expect(textOf(rollingBackMessage(done))).toContain('*4. Health and auth checks*: 2 pass');
  });

  it('route-only and dry-run rollbacks say so', () => {
    const routeOnly = textOf(rollingBackMessage(standalone('route-only').state));
    expect(routeOnly).toContain('*2. Traffic back*: route-only rollback');
    const dry = rollingBackMessage(standalone('full', true).state);
    expect(dry.blocks[0]).toMatchObject({ text: { text: 'Rollback control → prod (dry run)' } });
    expect(textOf(dry)).toContain('Dry run: nothing was changed');
  });

  it('stays within limits with 40 checks and a long reason', () => {
    const state = scenario('rolled-back');
    if (state.rollback) {
      state.rollback.reason = 'r'.repeat(20_000);
      state.rollback.checks = Array.from({ length: 40 }, (_, i) => ({
        ...result('healthz', 'fail'),
        gate: `check-${i}`,
      }));
    }
    expect(blockKitProblems(rollingBackMessage(state))).toEqual([]);
  });
});

describe('the incident card', () => {
  const input = {
    incidentId: 'incident-control-prod-20261123T103000',
    service: 'control',
    env: 'prod',
    failedStage: 'B',
    symptom: 'stage B: p95 latency 412 ms vs stable 300 ms <!channel>',
    revisions: { from: CANARY, to: STABLE },
    trafficBefore: { [STABLE]: 95, [CANARY]: 5 },
    trafficAfter: { [STABLE]: 100 },
    routeOverride: 'legacy',
    status: 'open' as const,
    at: at(30),
  };

  it('shows failed stage, symptom, revisions, traffic before and after, and a Resolve button while open', () => {
    const m = incidentCard(input);
    const text = textOf(m);
    expect(text).toContain('p95 latency 412 ms vs stable 300 ms &lt;!channel&gt;');
    expect(text).not.toContain('<!channel>');
    expect(text).toContain(`\`${CANARY}\` → \`${STABLE}\``);
    expect(text).toContain(`*Traffic before*\n\`${STABLE}\` 95 %\n\`${CANARY}\` 5 %`);
    expect(text).toContain('*Failed stage*\nB');
    expect(text).toContain('override to `legacy`');
    expect(text).toContain('every reply is an incident note');
    const [resolve, ...rest] = buttons(m);
    expect(rest).toEqual([]);
    expect(resolve?.action_id).toBe(ACTIONS.resolve);
    expect(decodeValue(resolve?.value)).toEqual({ i: input.incidentId });
    expect(blockKitProblems(m)).toEqual([]);
  });

  it('once resolved: who resolved it; only "Restore route" while the override of its rollback stands', () => {
    const resolved = { ...input, status: 'resolved' as const, resolvedBy: 'UONCALL01', resolvedAt: at(90) };
    const m = incidentCard(resolved);
    expect(textOf(m)).toContain('Resolved by <@UONCALL01> <!date^');
    expect(buttons(m).map((b) => b.action_id)).toEqual(input.routeOverride ? [ACTIONS.restoreRoute] : []);
    expect(blockKitProblems(m)).toEqual([]);
    const { routeOverride: _, ...noOverride } = resolved;
    expect(buttons(incidentCard(noOverride))).toEqual([]);
  });

  it('stays within limits with a very long symptom', () => {
    expect(blockKitProblems(incidentCard({ ...input, symptom: 'x'.repeat(50_000) }))).toEqual([]);
  });
});

describe('the rollback request card', () => {
  const request: RollbackRequest = {
    id: 'rbq-control-prod-1',
    service: 'control',
    env: 'prod',
    requestedBy: 'UDEPLOYR1',
    reason: '5xx spike <!here>',
    mode: 'full',
    status: 'pending',
    required: 1,
    at: at(0),
    expiresAt: at(30),
    approvers: '<@UAPPROVE1>, members of @release-approvers',
    approvals: [],
  };

  it('names the target before anyone approves: revision, image and when it last served, in the dialog too', () => {
    const m = rollbackRequestCard(
      {
        ...request,
        target: {
          revision: 'control-00041-old',
          image: 'europe-docker.pkg.dev/p/control:v1.41.0',
          lastServed: at(-5),
          why: 'the stable revision before rollout r2 (v1.42.0) was promoted',
        },
      },
      NOW,
    );
    const text = textOf(m);
    expect(text).toContain('asks to roll back `control` in `prod` to `control-00041-old`');
    expect(text).toContain(
      '`control-00041-old` (image `europe-docker.pkg.dev/p/control:v1.41.0`), last served <!date^',
    );
    expect(text).toContain('the stable revision before rollout r2 (v1.42.0) was promoted');
    const approve = buttons(m).find((b) => b.action_id === ACTIONS.rollbackApprove) as {
      confirm?: { text: { type: string; text: string } };
    };
    expect(approve.confirm?.text).toEqual({
      type: 'plain_text',
      text: `control in prod goes back to control-00041-old (image europe-docker.pkg.dev/p/control:v1.41.0), last served ${at(-5).slice(0, 16).replace('T', ' ')} UTC: 100 % of its traffic.`,
    });
  });

  it('while pending: who asks, why, approvals, who may approve, expiry, Approve rollback and Cancel', () => {
    const m = rollbackRequestCard(request, NOW);
    const text = textOf(m);
    expect(text).toContain(
      '<@UDEPLOYR1> asks to roll back `control` in `prod` to the stable revision of the canary under way: 5xx spike &lt;!here&gt;',
    );
    expect(text).toContain('*Approvals*\n0 of 1');
    expect(text).toContain('May approve: <@UAPPROVE1>, members of @release-approvers');
    expect(text).toContain('(in 18 min)');
    const [approve, cancel, ...rest] = buttons(m);
    expect(rest).toEqual([]);
    expect(approve).toMatchObject({ action_id: ACTIONS.rollbackApprove, style: 'primary' });
    expect(cancel?.action_id).toBe(ACTIONS.rollbackCancel);
    expect(decodeValue(approve?.value)).toEqual({ q: request.id });
    expect(decodeValue(cancel?.value)).toEqual({ q: request.id });
    expect(blockKitProblems(m)).toEqual([]);
  });

  it('once decided: started, cancelled, expired or failed, without buttons', () => {
    const approvals = [{ userId: 'UAPPROVE1', at: at(5) }];
    const cases: [RollbackRequest, string][] = [
      [
        { ...request, status: 'started', approvals, rolloutId: 'rollback-control-prod-7f3e' },
        'started as `rollback-control-prod-7f3e`',
      ],
      [{ ...request, status: 'cancelled', decidedBy: 'UDEPLOYR1' }, 'Cancelled* by <@UDEPLOYR1>'],
      [
        { ...request, status: 'failed', approvals, message: 'the lock is held <by> someone' },
        'failed to start*: the lock is held &lt;by&gt; someone',
      ],
      [
        {
          ...request,
          status: 'failed',
          approvals,
          lockedBy: {
            service: 'control',
            env: 'prod',
            rolloutId: 'rb-1',
            author: 'UONCALL01',
            reason: 'rollback: <!channel> down',
            since: at(1),
            kind: 'rollback',
            token: 7,
          },
        },
        'failed to start*: `control` in `prod` is locked by <@UONCALL01> for a rollback since <!date^',
      ],
      [request, 'Expired* <!date^'],
    ];
    for (const [r, said] of cases) {
      const m = rollbackRequestCard(r, { now: new Date(at(45)) });
      expect(textOf(m), r.status).toContain(said);
      expect(buttons(m), r.status).toEqual([]);
      expect(blockKitProblems(m)).toEqual([]);
    }
    const started = rollbackRequestCard(cases[0]?.[0] as RollbackRequest);
    expect(textOf(started)).toContain('Approved* by <@UAPPROVE1>');
  });

  it('names the revision and the mode asked for', () => {
    const text = textOf(
      rollbackRequestCard({ ...request, toRevision: 'control-00039-abc', mode: 'traffic-only' }, NOW),
    );
    expect(text).toContain('to `control-00039-abc`');
    expect(text).toContain('traffic back only');
  });
});
