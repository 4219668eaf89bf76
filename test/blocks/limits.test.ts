import { describe, expect, it } from 'vitest';
import { decodeValue } from '../../src/blocks/actions.ts';
import {
  ACTIONS,
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
import type { GateResult } from '../../src/gates/result.ts';
import type { RollbackRequest } from '../../src/runbooks/rollback-requests.ts';
import type { CanaryState, RolloutStatus, StandaloneRollbackState } from '../../src/runbooks/types.ts';
import { testConfig } from '../helpers/engine-world.ts';

// Every message the bot builds, from ordinary and extreme states, within Slack's Block Kit limits; and the
// content that matters: each gate's observed value and threshold, who decided, which buttons when.

const runbook = testConfig().runbooks.canary as never;
const LONG = `<!channel> ${'a very long reason '.repeat(400)}`;
const AT = '2026-11-23T10:00:00.000Z';

function gate(i: number, status: GateResult['status'] = 'pass'): GateResult {
  return {
    gate: `error-rate-${i}`,
    kind: 'cloud-monitoring',
    metric: '5xx rate',
    status,
    observed: { value: 0.4 + i, unit: '%' },
    threshold: `< ${i + 1} %`,
    samples: 5210,
    evidence: `https://console.cloud.google.com/monitoring?q=${'x'.repeat(300)}`,
    at: AT,
  } as GateResult;
}

function canary(status: RolloutStatus, extra: Partial<CanaryState> = {}): CanaryState {
  const stages = ['A', 'B', 'C', 'D', 'E'].map((name, index) => ({
    index,
    name,
    traffic: [0, 5, 25, 50, 100][index] as number,
    approvals: index === 1 ? [{ userId: 'UAPPROVE1', at: AT }] : [],
    ticks: index === 1 ? Array.from({ length: 40 }, () => Array.from({ length: 40 }, (_, i) => gate(i))) : [],
    extensionsUsed: 0,
    ...(index === 1
      ? { approvalRequestedAt: AT, approvalExpiresAt: AT, windowEndsAt: AT, startedAt: AT }
      : {}),
  }));
  return {
    kind: 'canary',
    id: 'web-prod-20261123T100000-abcd',
    service: 'web',
    env: 'prod',
    image: 'europe-docker.pkg.dev/p/web/web:v1.42.0',
    tag: 'v1.42.0',
    requestedBy: 'UDEPLOYER',
    dryRun: false,
    status,
    stage: 1,
    stages,
    stableRevision: 'web-prod-00001-stb',
    canaryRevision: 'web-prod-00002-can',
    trafficNow: { 'web-prod-00001-stb': 95, 'web-prod-00002-can': 5 },
    timeline: [],
    startedAt: AT,
    ...(status === 'rolling-back' || status === 'rolled-back'
      ? {
          rollback: {
            trigger: 'gate',
            reason: LONG,
            failedStage: 'B',
            toRevision: 'web-prod-00001-stb',
            mode: 'full',
            status: status === 'rolled-back' ? 'done' : 'shifting',
            routeOverride: 'legacy',
            checks: Array.from({ length: 40 }, (_, i) => gate(i, 'fail')),
            startedAt: AT,
          },
        }
      : {}),
    ...extra,
  } as CanaryState;
}

const STATUSES: RolloutStatus[] = [
  'deploying',
  'checking',
  'awaiting-approval',
  'shifting',
  'watching',
  'paused',
  'needs-attention',
  'rolling-back',
  'promoted',
  'rolled-back',
  'aborted',
  'failed',
];

type Msg = { blocks: unknown[] };
const buttons = (m: Msg) =>
  (m.blocks as { type: string; elements?: { type: string; action_id: string; value: string }[] }[])
    .filter((b) => b.type === 'actions')
    .flatMap((b) => b.elements ?? []);
const textOf = (m: Msg) => JSON.stringify(m.blocks);

describe('every message is within Block Kit limits', () => {
  it.each(STATUSES)('rollout card, status and gate results when %s', (status) => {
    const state = canary(status);
    for (const m of [
      rolloutCard(state, runbook),
      rolloutStatus(state, runbook),
      gateResultsMessage(state, 1, {
        phase: 'gates',
        tick: 40,
        results: Array.from({ length: 40 }, (_, i) => gate(i, 'fail')),
        verdict: 'fail',
      }),
      rollingBackMessage(state),
      approvalRequest(state, 1, { required: 2, expiresAt: AT, onGateFailure: 'automatic' }),
      approvalDecided(state, 1, { kind: 'approved', by: state.stages[1]?.approvals ?? [] }),
      approvalDecided(state, 1, { kind: 'superseded', why: LONG }),
    ]) {
      expect(blockKitProblems(m)).toEqual([]);
    }
  });

  it('lists, locks, requests, incidents, help and a crowded App Home', () => {
    const states = Array.from({ length: 60 }, (_, i) => canary('watching', { id: `r-${i}` }));
    const lock = {
      service: 'web',
      env: 'prod',
      rolloutId: 'r-1',
      author: 'UDEPLOYER',
      reason: LONG,
      since: AT,
      kind: 'rollout',
      token: 1,
    } as const;
    const freeze = { service: 'web', env: 'prod', author: 'UADMIN01', reason: LONG, since: AT };
    const request: RollbackRequest = {
      id: 'q1',
      service: 'web',
      env: 'prod',
      requestedBy: 'UDEPLOYER',
      reason: LONG,
      status: 'pending',
      required: 1,
      at: AT,
      expiresAt: '2099-01-01T00:00:00.000Z',
      approvers: '<@UAPPROVE1>',
      approvals: [],
    };
    const standalone: StandaloneRollbackState = {
      kind: 'rollback',
      id: 'rb1',
      service: 'web',
      env: 'prod',
      requestedBy: 'UONCALL1',
      dryRun: true,
      status: 'rolling-back',
      rollback: {
        trigger: 'manual',
        by: 'UONCALL1',
        reason: LONG,
        toRevision: 'web-prod-00001-stb',
        mode: 'full',
        status: 'overriding-route',
        startedAt: AT,
      },
      timeline: [],
      startedAt: AT,
    };
    const messages = [
      rolloutList(states),
      lockRefusal({
        service: 'web',
        env: 'prod',
        holder: lock,
        threadLink: 'https://slack.example/archives/C1/p1',
      }),
      lockRefusal({ service: 'web', env: 'prod', freeze }),
      locksList(
        Array.from({ length: 80 }, () => lock),
        Array.from({ length: 80 }, () => freeze),
      ),
      rollbackRequestCard(request),
      rollbackRequestCard({ ...request, status: 'started', rolloutId: 'q1' }),
      rollingBackMessage(standalone),
      incidentCard({
        incidentId: 'incident-r1',
        service: 'web',
        env: 'prod',
        symptom: LONG,
        revisions: { from: 'a', to: 'b' },
        status: 'open',
        at: AT,
      }),
      help('/canary'),
      help('/rollback'),
      help('/incident'),
      help('/deploy'),
    ];
    for (const m of messages) expect(blockKitProblems(m)).toEqual([]);
    const home = appHome({
      rollouts: states,
      locks: Array.from({ length: 80 }, () => lock),
      freezes: [freeze],
      incidents: Array.from({ length: 80 }, (_, i) => ({
        id: `i${i}`,
        service: 'web',
        env: 'prod',
        symptom: LONG,
        at: AT,
      })),
      history: Array.from({ length: 80 }, (_, i) => ({
        id: `h${i}`,
        service: 'web',
        env: 'prod',
        status: 'promoted',
        endedAt: AT,
      })),
    });
    expect(blockKitProblems(home)).toEqual([]);
  });
});

describe('content', () => {
  it('a gate line shows what was observed beside its threshold', () => {
    const m = gateResultsMessage(canary('watching'), 1, {
      phase: 'gates',
      tick: 3,
      results: [gate(0, 'fail')],
    });
    expect(textOf(m)).toContain('0.4 %');
    expect(textOf(m)).toContain('&lt; 1 %'); // escaped for mrkdwn
  });

  it('user text is escaped: no mention of the whole channel slips through', () => {
    const m = incidentCard({
      incidentId: 'i',
      service: 'web',
      env: 'prod',
      symptom: '<!channel> down',
      revisions: { to: 'b' },
      status: 'open',
      at: AT,
    });
    expect(textOf(m)).not.toContain('<!channel>');
    expect(textOf(m)).toContain('&lt;!channel&gt;');
  });

  it('buttons exactly where they belong, with values naming what they are about', () => {
    const request = approvalRequest(canary('awaiting-approval'), 1, {
      required: 1,
      expiresAt: AT,
      onGateFailure: 'automatic',
    });
    expect(buttons(request).map((b) => b.action_id)).toEqual([ACTIONS.approve, ACTIONS.approvalAbort]);
    expect(decodeValue(buttons(request)[0]?.value)).toEqual({ r: 'web-prod-20261123T100000-abcd', s: 1 });
    expect(textOf(request)).toContain('a failing gate rolls back on its own');
    expect(
      buttons(
        approvalDecided(canary('watching'), 1, { kind: 'approved', by: [{ userId: 'UAPPROVE1', at: AT }] }),
      ),
    ).toEqual([]);

    const watching = buttons(rolloutCard(canary('watching'), runbook)).map((b) => b.action_id);
    expect(watching).toEqual([ACTIONS.pause, ACTIONS.rollback, ACTIONS.abort, ACTIONS.promote]);
    const paused = buttons(rolloutCard(canary('paused'), runbook)).map((b) => b.action_id);
    expect(paused).toContain(ACTIONS.resume);
    for (const status of ['promoted', 'rolled-back', 'aborted', 'failed', 'rolling-back'] as const) {
      expect(buttons(rolloutCard(canary(status), runbook)), status).toEqual([]);
    }
    const open = incidentCard({
      incidentId: 'incident-1',
      service: 'web',
      env: 'prod',
      symptom: 's',
      revisions: { to: 'b' },
      status: 'open',
      at: AT,
    });
    expect(decodeValue(buttons(open)[0]?.value)).toEqual({ i: 'incident-1' });
    expect(
      buttons(
        incidentCard({
          incidentId: 'incident-1',
          service: 'web',
          env: 'prod',
          symptom: 's',
          revisions: { to: 'b' },
          status: 'resolved',
          at: AT,
        }),
      ),
    ).toEqual([]);
  });
});
