import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.ts';
import type { CanaryRunbook } from '../../src/config/runbooks.ts';
import type { GateResult, GateStatus } from '../../src/gates/result.ts';
import { canaryStep, newCanary } from '../../src/runbooks/canary/index.ts';
import { attentionOf } from '../../src/runbooks/hold.ts';
import type {
  CanaryState,
  Effect,
  RunbookEvent,
  RunbookPolicy,
  StepContext,
  StepResult,
} from '../../src/runbooks/types.ts';

// The canary runbook of examples/shiftgate.yaml (seed 000: A 0 %, B 5 %, C 25 %, D 50 %, E 100 %, a 10-minute
// window with a tick every minute, judge.failureLimit 0, rollback with a route override to legacy), driven
// event by event as the executor would, with no I/O.

const config = await loadConfig('examples/shiftgate.yaml');
const runbook = config.runbooks.canary as CanaryRunbook;

const STABLE = 'control-00010-abc';
const CANARY = 'control-00011-def';
const T0 = Date.parse('2026-11-02T10:00:00.000Z');
const t = (seconds: number) => new Date(T0 + seconds * 1000).toISOString();

const policy: RunbookPolicy = {
  requiredApprovals: 2,
  allowSelfApproval: false,
  approvalTtlMs: 30 * 60_000,
  onGateFailure: 'automatic',
  maxAttempts: 3,
  backoffMs: (attempt) => 1000 * 2 ** (attempt - 1),
};

function result(gate: string, status: GateStatus = 'pass', at = t(0)): GateResult {
  return {
    gate,
    kind: 'http',
    status,
    metric: gate,
    ...(status === 'error' || status === 'skipped'
      ? { reason: 'unreachable' }
      : { observed: { value: 200 } }),
    threshold: 'status 200',
    samples: 1,
    evidence: `GET /${gate}`,
    at,
  };
}

const results = (
  gates: readonly string[],
  status: GateStatus = 'pass',
  overrides: Record<string, GateStatus> = {},
) => gates.map((g) => result(g, overrides[g] ?? status));

/** Drives one rollout: every step must be taken (send) or refused (refuse); time only moves forward. */
class Rollout {
  state: CanaryState;
  ctx: StepContext;
  now = 0;
  log: Effect[][] = [];

  constructor(
    options: { policy?: Partial<RunbookPolicy>; runbook?: CanaryRunbook; requestedBy?: string } = {},
  ) {
    this.ctx = { runbook: options.runbook ?? runbook, policy: { ...policy, ...options.policy } };
    this.state = newCanary({
      id: 'control-prod-1',
      service: 'control',
      env: 'prod',
      image: 'us-central1-docker.pkg.dev/openagentsgemini/openagents-control-service/control',
      tag: 'v1.42.0',
      requestedBy: options.requestedBy ?? 'U0REQUEST',
      dryRun: false,
      at: t(0),
      runbook: this.ctx.runbook,
    });
  }

  at(seconds: number): string {
    this.now = Math.max(this.now, seconds);
    return t(this.now);
  }

  step(event: RunbookEvent): StepResult<CanaryState> {
    return canaryStep(this.state, event, this.ctx);
  }

  send(event: RunbookEvent): Effect[] {
    const out = this.step(event);
    expect(out.refused, `${event.type} refused`).toBeUndefined();
    this.state = out.state;
    this.log.push(out.effects);
    return out.effects;
  }

  refuse(event: RunbookEvent): string {
    const before = this.state;
    const out = this.step(event);
    expect(out.refused, `${event.type} taken`).toBeDefined();
    expect(out.state).toBe(before);
    expect(out.effects).toEqual([]);
    return out.refused as string;
  }

  get stage() {
    return this.state.stages[this.state.stage] as CanaryState['stages'][number];
  }

  /** start, deployed, before-captured, stage A's checks: leaves the rollout awaiting approval for B. */
  throughStageA(checks: GateStatus = 'pass'): Effect[] {
    this.send({ type: 'start', at: this.at(0) });
    this.send({ type: 'preconditions-done', at: this.at(1), results: [], blocking: [] });
    this.send({
      type: 'deployed',
      at: this.at(30),
      revision: CANARY,
      stableRevision: STABLE,
      traffic: { [STABLE]: 100 },
    });
    this.send({ type: 'before-captured', at: this.at(31), values: {} });
    return this.send({
      type: 'checks-done',
      at: this.at(40),
      results: results(runbook.stages[0]?.checks ?? [], checks),
    });
  }

  approveAll(): Effect[] {
    const stage = this.state.stage;
    this.send({ type: 'approve', at: this.at(this.now + 10), userId: 'U0APPROVE1', stage });
    return this.send({ type: 'approve', at: this.at(this.now + 10), userId: 'U0APPROVE2', stage });
  }

  /** The split Cloud Run reports after the set-traffic in flight, exactly as asked. */
  trafficAsAsked(): Effect[] {
    const asked = this.state.pending?.payload;
    if (asked?.type !== 'set-traffic') throw new Error('no set-traffic in flight');
    const split = { [asked.stable]: 100 - asked.canaryPercent, [asked.canary]: asked.canaryPercent };
    for (const k of Object.keys(split)) if (split[k] === 0) delete split[k];
    return this.send({ type: 'traffic-set', at: this.at(this.now + 5), traffic: split });
  }

  /** The gates of the evaluation in flight. */
  askedGates(): string[] {
    const asked = this.state.pending?.payload;
    if (asked?.type !== 'evaluate') throw new Error('no evaluation in flight');
    return asked.gates;
  }

  checksPass(): Effect[] {
    const asked = this.state.pending?.payload;
    if (asked?.type !== 'evaluate') throw new Error('no evaluation in flight');
    return this.send({ type: 'checks-done', at: this.at(this.now + 5), results: results(asked.gates) });
  }

  /** Fire the scheduled tick and answer its evaluation; returns the gates-done step's effects. */
  tick(statuses: Record<string, GateStatus> = {}, status: GateStatus = 'pass'): Effect[] {
    const scheduled = scheduledTick(this.log.at(-1) ?? []);
    if (scheduled?.event.type !== 'tick') throw new Error('no tick scheduled by the last step');
    this.send({ ...scheduled.event, at: this.at(Date.parse(scheduled.at) / 1000 - T0 / 1000) });
    const asked = this.state.pending?.payload;
    if (asked?.type !== 'evaluate') throw new Error('no evaluation after the tick');
    return this.send({
      type: 'gates-done',
      at: this.at(this.now + 2),
      stage: this.state.stage,
      results: results(asked.gates, status, statuses),
    });
  }

  /** Ticks until the stage's window ends (or something other than a tick is scheduled). */
  watchThrough(): Effect[] {
    let effects = this.log.at(-1) ?? [];
    while (scheduledTick(effects)) effects = this.tick();
    return effects;
  }
}

function scheduledTick(effects: Effect[]) {
  return effects.find(
    (e): e is Extract<Effect, { type: 'schedule' }> => e.type === 'schedule' && e.timer === 'tick',
  );
}

const types = (effects: Effect[]) =>
  effects.map((e) => (e.type === 'notify' ? `notify:${e.notification.kind}` : e.type));
const find = <T extends Effect['type']>(effects: Effect[], type: T) =>
  effects.filter((e): e is Extract<Effect, { type: T }> => e.type === type);

describe('a healthy rollout, A to E', () => {
  it('deploys, checks, asks for approval before every shift, watches every window and promotes', () => {
    const r = new Rollout();

    expect(r.send({ type: 'start', at: r.at(0) })).toEqual([
      { type: 'notify', notification: { kind: 'rollout-started' } },
      { type: 'check-preconditions', image: r.state.image },
    ]);
    expect(r.send({ type: 'preconditions-done', at: r.at(1), results: [], blocking: [] })).toEqual([
      { type: 'notify', notification: { kind: 'preconditions', results: [], blocking: [] } },
      { type: 'deploy', image: r.state.image, tag: 'v1.42.0' },
    ]);
    expect(r.state.status).toBe('deploying');

    const deployed = r.send({
      type: 'deployed',
      at: r.at(30),
      revision: CANARY,
      stableRevision: STABLE,
      canaryUrl: 'https://canary---control-xyz-uc.a.run.app',
      traffic: { [STABLE]: 100 },
    });
    // Every gate and check named by any stage, once: the executor captures the prometheus ones.
    expect(deployed).toEqual([
      { type: 'capture-before', gates: expect.arrayContaining(['healthz', 'error-rate']) },
    ]);
    expect(new Set(find(deployed, 'capture-before')[0]?.gates).size).toBe(
      find(deployed, 'capture-before')[0]?.gates.length,
    );
    expect(r.state).toMatchObject({
      stableRevision: STABLE,
      canaryRevision: CANARY,
      trafficBefore: { [STABLE]: 100 },
    });

    // Stage A: its smoke checks on the tag URL.
    const stageA = r.send({ type: 'before-captured', at: r.at(31), values: {} });
    expect(stageA).toEqual([
      { type: 'notify', notification: { kind: 'stage-started', stage: 0 } },
      {
        type: 'evaluate',
        phase: 'checks',
        stage: 0,
        gates: ['healthz', 'readyz', 'auth-email', 'auth-verify', 'auth-session', 'sync-token'],
        window: { start: t(0), end: t(31) },
      },
    ]);
    expect(r.state.status).toBe('checking');

    // A passes: B asks for approval, with an expiry timer.
    const passedA = r.send({
      type: 'checks-done',
      at: r.at(40),
      results: results(runbook.stages[0]?.checks ?? []),
    });
    expect(passedA).toEqual([
      { type: 'notify', notification: { kind: 'checks', stage: 0, results: expect.any(Array) } },
      { type: 'notify', notification: { kind: 'stage-passed', stage: 0 } },
      {
        type: 'notify',
        notification: { kind: 'approval-requested', stage: 1, required: 2, expiresAt: t(40 + 1800) },
      },
      {
        type: 'schedule',
        timer: 'approval-expiry',
        at: t(1840),
        key: '1:1',
        event: { type: 'approval-expired', at: t(1840), stage: 1 },
      },
    ]);
    expect(r.state).toMatchObject({ status: 'awaiting-approval', stage: 1 });

    const percents: number[] = [];
    for (const [index, name, traffic] of [
      [1, 'B', 5],
      [2, 'C', 25],
      [3, 'D', 50],
      [4, 'E', 100],
    ] as const) {
      expect(r.state).toMatchObject({ status: 'awaiting-approval', stage: index });
      const approved = r.approveAll();
      expect(approved).toContainEqual({ type: 'cancel', timer: 'approval-expiry', key: `${index}:1` });
      const shift = find(approved, 'set-traffic');
      expect(shift).toEqual([
        { type: 'set-traffic', stable: STABLE, canary: CANARY, canaryPercent: traffic },
      ]);
      percents.push(traffic);
      expect(r.state.status).toBe('shifting');

      const started = r.trafficAsAsked();
      expect(r.state.trafficNow).toEqual(
        traffic === 100 ? { [CANARY]: 100 } : { [STABLE]: 100 - traffic, [CANARY]: traffic },
      );
      expect(types(started)).toEqual(['notify:stage-started', 'evaluate']);
      expect(r.stage.windowEndsAt).toBe(
        new Date(Date.parse(r.stage.startedAt ?? '') + 600_000).toISOString(),
      );

      // The checklist once, then the first tick one interval into the window, with a deterministic key.
      const checked = r.checksPass();
      const first = scheduledTick(checked);
      expect(first).toMatchObject({
        key: `${index}:1`,
        at: new Date(Date.parse(r.stage.startedAt ?? '') + 60_000).toISOString(),
      });
      expect(r.state.status).toBe('watching');

      // Ten ticks through the window, each evaluating the gates from the window's start.
      const keys: string[] = [];
      const startedAt = r.stage.startedAt;
      let effects = checked;
      for (;;) {
        const next = scheduledTick(effects);
        if (!next) break;
        keys.push(next.key);
        effects = r.tick();
        const evaluated = r.log.at(-2)?.find((e) => e.type === 'evaluate');
        expect(evaluated).toMatchObject({ phase: 'gates', stage: index, window: { start: startedAt } });
      }
      expect(keys).toEqual(Array.from({ length: 10 }, (_, i) => `${index}:${i + 1}`));
      expect(r.state.stages[index]?.ticks).toHaveLength(10);
      expect(r.state.stages[index]?.verdict).toBe('pass');
      expect(effects).toContainEqual({
        type: 'notify',
        notification: { kind: 'stage-passed', stage: index },
      });
      expect(r.state.stages[index]?.name).toBe(name);
      if (index < 4) expect(types(effects)).toContain('notify:approval-requested');
      else
        expect(types(effects).slice(-4)).toEqual([
          'notify:stage-passed',
          'notify:promoted',
          'write-report',
          'release-lock',
        ]);
    }

    expect(percents).toEqual([5, 25, 50, 100]);
    expect(r.state).toMatchObject({ status: 'promoted', endedAt: t(r.now), trafficNow: { [CANARY]: 100 } });
    expect(r.state.pending).toBeUndefined();
    expect(r.state.stages.every((s) => s.verdict === 'pass')).toBe(true);
    // The timeline tells the story for the report, people included.
    expect(r.state.timeline[0]).toMatchObject({ by: 'U0REQUEST' });
    expect(r.state.timeline.filter((e) => e.by === 'U0APPROVE1')).toHaveLength(4);
    expect(r.state.timeline.at(-1)?.what).toMatch(/promoted/);
  });

  it('refuses every event once promoted', () => {
    const r = new Rollout({ policy: { requiredApprovals: 1 } });
    r.throughStageA();
    for (let i = 1; i <= 4; i++) {
      r.send({ type: 'approve', at: r.at(r.now + 10), userId: 'U0APPROVE1', stage: i });
      r.trafficAsAsked();
      r.checksPass();
      r.watchThrough();
    }
    expect(r.state.status).toBe('promoted');
    const at = r.at(r.now + 60);
    const events: RunbookEvent[] = [
      { type: 'start', at },
      { type: 'approve', at, userId: 'U0APPROVE2', stage: 4 },
      { type: 'abort', at, by: 'U0REQUEST' },
      { type: 'pause', at, by: 'U0REQUEST' },
      { type: 'resume', at, by: 'U0REQUEST' },
      { type: 'promote-now', at, by: 'U0SRELEAD1' },
      { type: 'rollback', at, by: 'U0SRELEAD1', reason: 'late' },
      { type: 'tick', at, stage: 4 },
      { type: 'effect-failed', at, effect: 'set-traffic', error: 'x', retryable: true },
      { type: 'report-written', at },
    ];
    for (const event of events) expect(r.refuse(event)).toBe('rollout already promoted');
  });
});

describe('a gate failing at stage B', () => {
  it('rolls back from the step that judged it: route override, traffic to stable, verify, checks, incident', () => {
    const r = new Rollout();
    r.throughStageA();
    r.approveAll();
    r.trafficAsAsked();
    r.checksPass();
    r.tick();
    r.tick();

    // Tick 3: the 5xx rate fails; failureLimit 0 rolls back at once.
    const failed = r.tick({ 'error-rate': 'fail' });
    expect(types(failed)).toEqual(['notify:gates', 'notify:rolling-back', 'route-override']);
    expect(failed[0]).toMatchObject({ notification: { kind: 'gates', stage: 1, tick: 3, verdict: 'fail' } });
    expect(failed[1]).toMatchObject({ notification: { kind: 'rolling-back', trigger: 'gate' } });
    expect(failed[2]).toEqual({ type: 'route-override', target: 'legacy' });
    expect(r.state).toMatchObject({
      status: 'rolling-back',
      rollback: { trigger: 'gate', failedStage: 'B', toRevision: STABLE, fromRevision: CANARY, mode: 'full' },
    });
    expect(r.state.rollback?.reason).toMatch(/error-rate/);
    expect(r.stage.verdict).toBe('fail');

    expect(r.send({ type: 'route-overridden', at: r.at(r.now + 1), target: 'legacy' })).toEqual([
      { type: 'rollback-traffic', toRevision: STABLE },
    ]);
    // Verify: the split Cloud Run reports after the rollback.
    const verified = r.send({ type: 'traffic-set', at: r.at(r.now + 3), traffic: { [STABLE]: 100 } });
    expect(verified).toEqual([
      {
        type: 'evaluate',
        phase: 'rollback-checks',
        stage: 1,
        gates: ['healthz', 'readyz', 'auth-session', 'sync-token'],
        window: { start: r.state.rollback?.startedAt, end: t(r.now) },
      },
    ]);
    expect(r.state.trafficNow).toEqual({ [STABLE]: 100 });

    const done = r.send({
      type: 'checks-done',
      at: r.at(r.now + 5),
      results: results(runbook.rollback.checks),
    });
    expect(types(done)).toEqual(['open-incident', 'notify:rolled-back', 'write-report', 'release-lock']);
    expect(done[0]).toEqual({
      type: 'open-incident',
      failedStage: 'B',
      symptom: expect.stringContaining('error-rate'),
      revisions: { from: CANARY, to: STABLE },
    });
    expect(r.state).toMatchObject({ status: 'rolled-back', rollback: { status: 'done' } });
    expect(r.state.hold).toBeUndefined();
    expect(r.refuse({ type: 'resume', at: r.at(r.now + 1), by: 'U0REQUEST' })).toBe(
      'rollout already rolled-back',
    );
  });

  it('never sets traffic forward again once rolling back, and refuses people meanwhile', () => {
    const r = new Rollout();
    r.throughStageA();
    r.approveAll();
    r.trafficAsAsked();
    r.checksPass();
    r.tick({ 'latency-p95': 'fail' });
    expect(r.state.status).toBe('rolling-back');
    const at = r.at(r.now + 1);
    expect(r.refuse({ type: 'abort', at, by: 'U0REQUEST' })).toMatch(/cannot be aborted/);
    expect(r.refuse({ type: 'rollback', at, by: 'U0REQUEST', reason: 'again' })).toBe('already rolling back');
    expect(r.refuse({ type: 'promote-now', at, by: 'U0SRELEAD1' })).toMatch(/rolling back/);
    expect(r.refuse({ type: 'approve', at, userId: 'U0APPROVE1', stage: 2 })).toMatch(/rolling back/);
  });

  it('a failing check of stage B rolls back too', () => {
    const r = new Rollout();
    r.throughStageA();
    r.approveAll();
    r.trafficAsAsked();
    const gates = r.askedGates();
    const effects = r.send({
      type: 'checks-done',
      at: r.at(r.now + 5),
      results: results(gates, 'pass', { readyz: 'fail' }),
    });
    expect(types(effects)).toEqual(['notify:checks', 'notify:rolling-back', 'route-override']);
    expect(r.state.rollback?.reason).toMatch(/stage B checks failed: readyz/);
  });

  it('rollback verification: another split than 100 % stable stops and asks; resume shifts again', () => {
    const r = new Rollout();
    r.throughStageA();
    r.approveAll();
    r.trafficAsAsked();
    r.checksPass();
    r.tick({ 'error-rate': 'fail' });
    r.send({ type: 'route-overridden', at: r.at(r.now + 1), target: 'legacy' });
    const wrong = r.send({
      type: 'traffic-set',
      at: r.at(r.now + 3),
      traffic: { [STABLE]: 95, [CANARY]: 5 },
    });
    expect(types(wrong)).toEqual(['notify:needs-attention']);
    expect(r.state).toMatchObject({
      status: 'needs-attention',
      hold: { kind: 'attention', cause: 'rollback' },
    });
    expect(attentionOf(r.state)?.reason).toMatch(/expected control-00010-abc 100 %/);
    expect(r.refuse({ type: 'rollback', at: r.at(r.now + 1), by: 'U0SRELEAD1', reason: 'x' })).toMatch(
      /resume/,
    );
    expect(types(r.send({ type: 'resume', at: r.at(r.now + 60), by: 'U0SRELEAD1' }))).toEqual([
      'notify:resumed',
      'rollback-traffic',
    ]);
    expect(r.state.status).toBe('rolling-back');
    r.send({ type: 'traffic-set', at: r.at(r.now + 3), traffic: { [STABLE]: 100 } });
    r.send({ type: 'checks-done', at: r.at(r.now + 5), results: results(runbook.rollback.checks) });
    expect(r.state.status).toBe('rolled-back');
  });

  it('a failing rollback check does not undo the rollback: rolled back, with attention, and the incident says so', () => {
    const r = new Rollout();
    r.throughStageA();
    r.approveAll();
    r.trafficAsAsked();
    r.checksPass();
    r.tick({ 'error-rate': 'fail' });
    r.send({ type: 'route-overridden', at: r.at(r.now + 1), target: 'legacy' });
    r.send({ type: 'traffic-set', at: r.at(r.now + 3), traffic: { [STABLE]: 100 } });
    const done = r.send({
      type: 'checks-done',
      at: r.at(r.now + 5),
      results: results(runbook.rollback.checks, 'pass', { 'sync-token': 'fail' }),
    });
    expect(types(done)).toEqual([
      'open-incident',
      'notify:rolled-back',
      'notify:needs-attention',
      'write-report',
      'release-lock',
    ]);
    expect(find(done, 'open-incident')[0]?.symptom).toMatch(/sync-token \(fail\)/);
    expect(r.state).toMatchObject({
      status: 'rolled-back',
      hold: { kind: 'attention', cause: 'rollback-checks' },
    });
  });

  it("with onGateFailure 'approve', asks for one click first; the click rolls back as the gate's rollback", () => {
    const r = new Rollout({ policy: { onGateFailure: 'approve' } });
    r.throughStageA();
    r.approveAll();
    r.trafficAsAsked();
    r.checksPass();
    const failed = r.tick({ 'error-rate': 'fail' });
    expect(types(failed)).toEqual(['notify:gates', 'notify:needs-attention']);
    expect(find(failed, 'notify')[1]?.notification).toMatchObject({
      reason: expect.stringMatching(/Roll back\?/),
    });
    expect(r.state).toMatchObject({
      status: 'needs-attention',
      hold: { kind: 'attention', cause: 'gate-failed' },
    });
    expect(r.refuse({ type: 'resume', at: r.at(r.now + 5), by: 'U0REQUEST' })).toMatch(/a gate failed/);
    expect(r.refuse({ type: 'promote-now', at: r.at(r.now + 5), by: 'U0SRELEAD1' })).toMatch(
      /needs attention/,
    );

    const clicked = r.send({ type: 'rollback', at: r.at(r.now + 30), by: 'U0APPROVE1', reason: '' });
    expect(types(clicked)).toEqual(['notify:rolling-back', 'route-override']);
    expect(r.state.rollback).toMatchObject({ trigger: 'gate', by: 'U0APPROVE1', failedStage: 'B' });
    expect(r.state.rollback?.reason).toMatch(/error-rate/);
  });
});

describe('stage A', () => {
  it('a failing smoke check fails the rollout: nothing had traffic, so no rollback and no route override', () => {
    const r = new Rollout();
    const effects = r.throughStageA('fail');
    expect(types(effects)).toEqual(['notify:checks', 'notify:failed', 'write-report', 'release-lock']);
    expect(r.state.status).toBe('failed');
    expect(r.state.rollback).toBeUndefined();
    expect(r.state.stages[0]?.verdict).toBe('fail');
  });

  it('a check that cannot run needs attention; resume runs the checks again', () => {
    const r = new Rollout();
    r.send({ type: 'start', at: r.at(0) });
    r.send({ type: 'preconditions-done', at: r.at(0), results: [], blocking: [] });
    r.send({
      type: 'deployed',
      at: r.at(30),
      revision: CANARY,
      stableRevision: STABLE,
      traffic: { [STABLE]: 100 },
    });
    r.send({ type: 'before-captured', at: r.at(31), values: { 'error-ratio': 0.1 } });
    const gates = runbook.stages[0]?.checks ?? [];
    r.send({
      type: 'checks-done',
      at: r.at(40),
      results: results(gates, 'pass', { healthz: 'error', readyz: 'skipped' }),
    });
    expect(r.state).toMatchObject({
      status: 'needs-attention',
      hold: { kind: 'attention', cause: 'checks-error' },
      before: { 'error-ratio': 0.1 },
    });
    expect(attentionOf(r.state)?.reason).toMatch(/could not check healthz/);
    const resumed = r.send({ type: 'resume', at: r.at(100), by: 'U0REQUEST' });
    expect(types(resumed)).toEqual(['notify:resumed', 'evaluate']);
    expect(r.state.status).toBe('checking');
    // Skipped and inconclusive checks do not hold a stage.
    r.send({
      type: 'checks-done',
      at: r.at(110),
      results: results(gates, 'pass', { readyz: 'skipped', 'auth-email': 'inconclusive' }),
    });
    expect(r.state.status).toBe('awaiting-approval');
  });

  it('start is taken once; results nobody asked for are refused', () => {
    const r = new Rollout();
    expect(
      r.refuse({ type: 'deployed', at: r.at(1), revision: CANARY, stableRevision: STABLE, traffic: {} }),
    ).toBe('no deploy in flight');
    r.send({ type: 'start', at: r.at(0) });
    r.send({ type: 'preconditions-done', at: r.at(0), results: [], blocking: [] });
    expect(r.refuse({ type: 'start', at: r.at(1) })).toMatch(/already started/);
    expect(r.refuse({ type: 'traffic-set', at: r.at(1), traffic: {} })).toBe('no traffic change in flight');
    expect(r.refuse({ type: 'checks-done', at: r.at(1), results: [] })).toBe('no checks in flight');
    expect(r.refuse({ type: 'gates-done', at: r.at(1), stage: 0, results: [] })).toBe(
      'no gate evaluation in flight',
    );
  });
});

describe('approvals', () => {
  const awaitingB = (options: ConstructorParameters<typeof Rollout>[0] = {}) => {
    const r = new Rollout(options);
    r.throughStageA();
    return r;
  };

  it('refuses self-approval by default and allows it when the policy does', () => {
    const r = awaitingB();
    expect(r.refuse({ type: 'approve', at: r.at(60), userId: 'U0REQUEST', stage: 1 })).toMatch(
      /someone else/,
    );
    const s = awaitingB({ policy: { allowSelfApproval: true, requiredApprovals: 1 } });
    expect(types(s.send({ type: 'approve', at: s.at(60), userId: 'U0REQUEST', stage: 1 }))).toContain(
      'set-traffic',
    );
  });

  it('counts distinct users only, and needs N of them', () => {
    const r = awaitingB();
    const first = r.send({ type: 'approve', at: r.at(60), userId: 'U0APPROVE1', stage: 1 });
    expect(first).toEqual([
      {
        type: 'notify',
        notification: { kind: 'approval-recorded', stage: 1, userId: 'U0APPROVE1', count: 1, required: 2 },
      },
    ]);
    expect(r.refuse({ type: 'approve', at: r.at(70), userId: 'U0APPROVE1', stage: 1 })).toMatch(
      /already approved/,
    );
    expect(r.state.status).toBe('awaiting-approval');
    const second = r.send({ type: 'approve', at: r.at(80), userId: 'U0APPROVE2', stage: 1 });
    expect(types(second)).toEqual(['notify:approval-recorded', 'cancel', 'set-traffic']);
    expect(r.stage.approvals.map((a) => a.userId)).toEqual(['U0APPROVE1', 'U0APPROVE2']);
  });

  it('refuses an approval of an earlier or a later stage, and one when nothing awaits approval', () => {
    const r = awaitingB({ policy: { requiredApprovals: 1 } });
    expect(r.refuse({ type: 'approve', at: r.at(60), userId: 'U0APPROVE1', stage: 2 })).toMatch(
      /stage C is not next/,
    );
    r.send({ type: 'approve', at: r.at(60), userId: 'U0APPROVE1', stage: 1 });
    expect(r.refuse({ type: 'approve', at: r.at(61), userId: 'U0APPROVE2', stage: 1 })).toMatch(
      /not awaiting approval/,
    );
    r.trafficAsAsked();
    r.checksPass();
    r.watchThrough();
    expect(r.state).toMatchObject({ status: 'awaiting-approval', stage: 2 });
    // A click on stage B's old message.
    expect(r.refuse({ type: 'approve', at: r.at(r.now + 1), userId: 'U0APPROVE2', stage: 1 })).toMatch(
      /stage B is already past/,
    );
  });

  it('expires: needs attention; resume asks again from zero with a new timer; a late click is refused', () => {
    const r = awaitingB();
    r.send({ type: 'approve', at: r.at(60), userId: 'U0APPROVE1', stage: 1 });
    const expiresAt = r.stage.approvalExpiresAt as string;
    expect(r.refuse({ type: 'approval-expired', at: t(100), stage: 1 })).toMatch(/not expired yet/);
    expect(r.refuse({ type: 'approve', at: expiresAt, userId: 'U0APPROVE2', stage: 1 })).toMatch(/expired/);
    r.now = Date.parse(expiresAt) / 1000 - T0 / 1000;
    const expired = r.send({ type: 'approval-expired', at: expiresAt, stage: 1 });
    expect(types(expired)).toEqual(['notify:needs-attention']);
    expect(r.state).toMatchObject({
      status: 'needs-attention',
      hold: { kind: 'attention', cause: 'approval-expired' },
    });
    expect(attentionOf(r.state)?.reason).toMatch(/expired after 30m \(1 of 2 approvals\)/);
    expect(r.refuse({ type: 'approve', at: r.at(r.now + 1), userId: 'U0APPROVE2', stage: 1 })).toMatch(
      /not awaiting/,
    );

    const again = r.send({ type: 'resume', at: r.at(r.now + 60), by: 'U0REQUEST' });
    expect(types(again)).toEqual(['notify:resumed', 'notify:approval-requested', 'schedule']);
    expect(find(again, 'schedule')[0]).toMatchObject({ timer: 'approval-expiry', key: '1:2' });
    expect(r.stage.approvals).toEqual([]);
    r.approveAll();
    expect(r.state.status).toBe('shifting');
  });
});

describe('abort', () => {
  it('before any traffic: aborted at once, lock released, report written', () => {
    const r = new Rollout();
    r.throughStageA();
    const effects = r.send({ type: 'abort', at: r.at(60), by: 'U0REQUEST', reason: 'wrong tag' });
    expect(effects).toEqual([
      { type: 'cancel', timer: 'approval-expiry', key: '1:1' },
      { type: 'notify', notification: { kind: 'aborted', by: 'U0REQUEST', reason: 'wrong tag' } },
      { type: 'write-report' },
      { type: 'release-lock' },
    ]);
    expect(r.state).toMatchObject({ status: 'aborted', aborted: { by: 'U0REQUEST', reason: 'wrong tag' } });
  });

  it('while deploying: aborted; the deploy that lands later is refused', () => {
    const r = new Rollout();
    r.send({ type: 'start', at: r.at(0) });
    r.send({ type: 'preconditions-done', at: r.at(0), results: [], blocking: [] });
    r.send({ type: 'abort', at: r.at(5), by: 'U0REQUEST' });
    expect(r.state.status).toBe('aborted');
    expect(r.state.pending).toBeUndefined();
    expect(
      r.refuse({ type: 'deployed', at: r.at(30), revision: CANARY, stableRevision: STABLE, traffic: {} }),
    ).toBe('rollout already aborted');
  });

  it('after traffic: traffic back to stable (no route override, no incident), then aborted', () => {
    const r = new Rollout();
    r.throughStageA();
    r.approveAll();
    r.trafficAsAsked();
    r.checksPass();
    const effects = r.send({ type: 'abort', at: r.at(r.now + 30), by: 'U0REQUEST', reason: 'wrong tag' });
    expect(effects).toEqual([
      { type: 'cancel', timer: 'tick', key: '1:1' },
      {
        type: 'notify',
        notification: { kind: 'rolling-back', reason: 'aborted: wrong tag', trigger: 'manual' },
      },
      { type: 'rollback-traffic', toRevision: STABLE },
    ]);
    expect(r.state.rollback).toMatchObject({ mode: 'traffic-only', incident: false });
    r.send({ type: 'traffic-set', at: r.at(r.now + 3), traffic: { [STABLE]: 100 } });
    const done = r.send({
      type: 'checks-done',
      at: r.at(r.now + 5),
      results: results(runbook.rollback.checks),
    });
    expect(types(done)).toEqual(['notify:aborted', 'write-report', 'release-lock']);
    expect(r.state).toMatchObject({ status: 'aborted', trafficNow: { [STABLE]: 100 } });
  });

  it('while a traffic change is in flight counts as after traffic', () => {
    const r = new Rollout();
    r.throughStageA();
    r.approveAll();
    const effects = r.send({ type: 'abort', at: r.at(r.now + 1), by: 'U0REQUEST' });
    expect(types(effects)).toEqual(['notify:rolling-back', 'rollback-traffic']);
  });
});

describe('pause and resume', () => {
  const watchingB = () => {
    const r = new Rollout();
    r.throughStageA();
    r.approveAll();
    r.trafficAsAsked();
    r.checksPass();
    r.tick();
    return r;
  };

  it('pauses between ticks, refuses ticks and shifts while paused, and resumes with the window extended', () => {
    const r = watchingB();
    const endsAt = r.stage.windowEndsAt as string;
    const pausedAt = r.now + 10;
    const paused = r.send({ type: 'pause', at: r.at(pausedAt), by: 'U0REQUEST' });
    expect(paused).toEqual([
      { type: 'cancel', timer: 'tick', key: '1:2' },
      { type: 'notify', notification: { kind: 'paused', by: 'U0REQUEST' } },
    ]);
    expect(r.state).toMatchObject({ status: 'paused', hold: { kind: 'paused', from: 'watching' } });
    expect(r.refuse({ type: 'tick', at: r.at(r.now + 50), stage: 1 })).toMatch(/not watching/);
    expect(r.refuse({ type: 'pause', at: r.at(r.now + 1), by: 'U0REQUEST' })).toBe('already paused');

    const resumed = r.send({ type: 'resume', at: r.at(pausedAt + 300), by: 'U0REQUEST' });
    expect(resumed).toEqual([
      { type: 'notify', notification: { kind: 'resumed', by: 'U0REQUEST' } },
      {
        type: 'schedule',
        timer: 'tick',
        at: t(r.now),
        key: '1:2',
        event: { type: 'tick', at: t(r.now), stage: 1 },
      },
    ]);
    expect(Date.parse(r.stage.windowEndsAt as string) - Date.parse(endsAt)).toBe(300_000);
    expect(r.state.status).toBe('watching');
    r.watchThrough();
    expect(r.state).toMatchObject({ status: 'awaiting-approval', stage: 2 });
  });

  it('pauses an approval wait: the expiry is cancelled and asked again on resume, approvals kept', () => {
    const r = new Rollout();
    r.throughStageA();
    r.send({ type: 'approve', at: r.at(60), userId: 'U0APPROVE1', stage: 1 });
    expect(r.send({ type: 'pause', at: r.at(70), by: 'U0REQUEST' })).toContainEqual({
      type: 'cancel',
      timer: 'approval-expiry',
      key: '1:1',
    });
    expect(r.refuse({ type: 'approve', at: r.at(80), userId: 'U0APPROVE2', stage: 1 })).toMatch(
      /not awaiting/,
    );
    const resumed = r.send({ type: 'resume', at: r.at(200), by: 'U0REQUEST' });
    expect(find(resumed, 'schedule')[0]).toMatchObject({
      timer: 'approval-expiry',
      key: '1:2',
      at: t(200 + 1800),
    });
    expect(r.stage.approvals).toHaveLength(1);
    expect(types(r.send({ type: 'approve', at: r.at(210), userId: 'U0APPROVE2', stage: 1 }))).toContain(
      'set-traffic',
    );
  });

  it('is refused while an effect is in flight, and when nothing is paused', () => {
    const r = new Rollout();
    r.send({ type: 'start', at: r.at(0) });
    r.send({ type: 'preconditions-done', at: r.at(0), results: [], blocking: [] });
    expect(r.refuse({ type: 'pause', at: r.at(1), by: 'U0REQUEST' })).toMatch(/cannot pause while deploying/);
    expect(r.refuse({ type: 'resume', at: r.at(1), by: 'U0REQUEST' })).toMatch(/nothing to resume/);
  });

  it('gates being evaluated when it paused are recorded, and a fail still rolls back', () => {
    const r = watchingB();
    const scheduled = scheduledTick(r.log.at(-1) ?? []);
    r.send({ type: 'tick', at: scheduled?.at as string, stage: 1 });
    r.send({ type: 'pause', at: r.at(r.now + 1), by: 'U0REQUEST' });
    const payload = r.state.pending?.payload as Extract<Effect, { type: 'evaluate' }>;
    const effects = r.send({
      type: 'gates-done',
      at: r.at(r.now + 1),
      stage: 1,
      results: results(payload.gates, 'pass', { 'error-rate': 'fail' }),
    });
    expect(types(effects)).toEqual(['notify:gates', 'notify:rolling-back', 'route-override']);
  });
});

describe('promote-now', () => {
  it('skips approvals and watch windows but runs every remaining stage’s checks and gates once', () => {
    const r = new Rollout();
    r.throughStageA();
    const promoted = r.send({ type: 'promote-now', at: r.at(60), by: 'U0SRELEAD1' });
    expect(types(promoted)).toEqual(['notify:promote-now', 'cancel', 'set-traffic']);
    const percents: number[] = [];
    for (let stage = 1; stage <= 4; stage++) {
      const shift = find(r.log.at(-1) ?? [], 'set-traffic')[0];
      percents.push(shift?.canaryPercent ?? -1);
      r.trafficAsAsked();
      const checked = r.checksPass();
      // No tick scheduled: the gates run at once.
      expect(types(checked)).toEqual(['notify:checks', 'evaluate']);
      const gates = r.askedGates();
      // Inconclusive (a split seconds old) does not hold it.
      const next = r.send({
        type: 'gates-done',
        at: r.at(r.now + 2),
        stage,
        results: results(gates, 'pass', { 'latency-p95': 'inconclusive' }),
      });
      expect(types(next)).not.toContain('notify:approval-requested');
      expect(types(next)).not.toContain('schedule');
    }
    expect(percents).toEqual([5, 25, 50, 100]);
    expect(r.state.status).toBe('promoted');
    expect(r.state.stages.flatMap((s) => s.approvals)).toEqual([]);
  });

  it('never skips a failing gate: it still rolls back', () => {
    const r = new Rollout();
    r.throughStageA();
    r.approveAll();
    r.trafficAsAsked();
    r.checksPass();
    const now = r.send({ type: 'promote-now', at: r.at(r.now + 10), by: 'U0SRELEAD1' });
    expect(types(now)).toEqual(['notify:promote-now', 'cancel', 'evaluate']);
    const gates = r.askedGates();
    const failed = r.send({
      type: 'gates-done',
      at: r.at(r.now + 2),
      stage: 1,
      results: results(gates, 'pass', { 'error-rate': 'fail' }),
    });
    expect(types(failed)).toEqual(['notify:gates', 'notify:rolling-back', 'route-override']);
    expect(r.refuse({ type: 'promote-now', at: r.at(r.now + 1), by: 'U0SRELEAD1' })).toMatch(/rolling back/);
  });
});

describe('watch windows', () => {
  it('an inconclusive window is extended once, then asks people; resume accepts the stage', () => {
    const r = new Rollout();
    r.throughStageA();
    r.approveAll();
    r.trafficAsAsked();
    r.checksPass();
    const firstEnd = r.stage.windowEndsAt as string;
    let effects = r.log.at(-1) ?? [];
    while (scheduledTick(effects)) effects = r.tick({}, 'inconclusive');
    expect(r.stage.extensionsUsed).toBe(1);
    expect(Date.parse(r.stage.windowEndsAt as string) - Date.parse(firstEnd)).toBe(600_000);
    expect(r.stage.ticks).toHaveLength(20);
    expect(r.state).toMatchObject({
      status: 'needs-attention',
      hold: { kind: 'attention', cause: 'inconclusive' },
    });
    const resumed = r.send({ type: 'resume', at: r.at(r.now + 60), by: 'U0APPROVE1' });
    expect(types(resumed)).toContain('notify:stage-passed');
    expect(r.state).toMatchObject({ status: 'awaiting-approval', stage: 2 });
  });

  it('a gate nobody can measure asks people; resume watches a fresh window', () => {
    const r = new Rollout();
    r.throughStageA();
    r.approveAll();
    r.trafficAsAsked();
    r.checksPass();
    for (let i = 0; i < 4; i++) r.tick({ 'error-rate': 'error' });
    expect(r.state).toMatchObject({ status: 'needs-attention', hold: { kind: 'attention', cause: 'gates' } });
    const resumed = r.send({ type: 'resume', at: r.at(r.now + 60), by: 'U0REQUEST' });
    expect(find(resumed, 'schedule')[0]).toMatchObject({ timer: 'tick', key: '1:5', at: t(r.now + 60) });
    expect(r.stage).toMatchObject({ windowStartedAt: t(r.now), windowFromTick: 4 });
    const effects = r.watchThrough();
    expect(r.state.stages[1]?.ticks).toHaveLength(14);
    expect(types(effects)).toContain('notify:stage-passed');
  });

  it('traffic other than asked for stops the stage; resume asks again', () => {
    const r = new Rollout();
    r.throughStageA();
    r.approveAll();
    r.send({ type: 'traffic-set', at: r.at(r.now + 5), traffic: { [STABLE]: 100 } });
    expect(r.state).toMatchObject({
      status: 'needs-attention',
      hold: { kind: 'attention', cause: 'traffic-mismatch' },
    });
    expect(attentionOf(r.state)?.reason).toMatch(/asked for control-00010-abc 95 %, control-00011-def 5 %/);
    expect(find(r.send({ type: 'resume', at: r.at(r.now + 60), by: 'U0REQUEST' }), 'set-traffic')).toEqual([
      { type: 'set-traffic', stable: STABLE, canary: CANARY, canaryPercent: 5 },
    ]);
  });
});

describe('a window too short for the canary requests a gate needs', () => {
  /** error-rate waiting for its 100 canary requests, with the service's traffic of 5 minutes before. */
  const waitingErrorRate = (at: string, start: string, perMinute: number): GateResult => {
    const through = Date.parse(start) - 4 * 60_000;
    return {
      ...result('error-rate', 'inconclusive', at),
      kind: 'cloud-monitoring',
      sampleNeed: {
        needed: 100,
        counted: 0,
        through: new Date(through).toISOString(),
        share: 0.05,
        traffic: {
          canary: 0,
          stable: 5 * perMinute,
          from: new Date(through - 5 * 60_000).toISOString(),
          through: new Date(through).toISOString(),
          before: true,
        },
      },
    };
  };

  /** Fires the scheduled tick; a full tick's error-rate waits at `perMinute` requests on the service. */
  function tickAt(r: Rollout, perMinute: number): Effect[] {
    const scheduled = scheduledTick(r.log.at(-1) ?? []);
    if (scheduled?.event.type !== 'tick') throw new Error('no tick scheduled');
    r.send({ ...scheduled.event, at: r.at(Date.parse(scheduled.at) / 1000 - T0 / 1000) });
    const asked = r.state.pending?.payload;
    if (asked?.type !== 'evaluate') throw new Error('no evaluation after the tick');
    const at = r.at(r.now + 2);
    const start = r.stage.startedAt as string;
    const out = asked.gates.map((g) =>
      g === 'error-rate' && !asked.fast ? waitingErrorRate(at, start, perMinute) : result(g, 'pass', at),
    );
    return r.send({ type: 'gates-done', at, stage: r.state.stage, results: out });
  }

  const warnings = (effects: Effect[]) =>
    find(effects, 'notify').flatMap((e) =>
      e.notification.kind === 'gates' && e.notification.cannotDecide ? [e.notification.cannotDecide] : [],
    );

  function watchingB(): Rollout {
    const r = new Rollout();
    r.throughStageA();
    r.approveAll();
    r.trafficAsAsked();
    r.checksPass();
    return r;
  }

  it('says so once, at the first tick that shows it, with the numbers; the stage goes on as before', () => {
    const r = watchingB();
    // 96 requests a minute on the service, 5 % on the canary: 0.08 a second, 48 in the 10-minute window.
    const said: ReturnType<typeof warnings> = [];
    let first: string | undefined;
    while (scheduledTick(r.log.at(-1) ?? []) && r.state.stage === 1) {
      const effects = tickAt(r, 96);
      said.push(...warnings(effects));
      if (said.length > 0 && first === undefined) first = r.stage.decisionWarnedAt;
    }
    expect(said).toHaveLength(1);
    expect(said[0]).toMatchObject({
      gate: 'error-rate',
      needed: 100,
      decision: { kind: 'cannot-decide', byEnd: 48 },
      rate: { source: 'share', share: 0.05 },
    });
    // At the first full tick, a minute into the 10-minute window.
    const b = r.state.stages[1];
    expect(Date.parse(first as string) - Date.parse(b?.startedAt as string)).toBeLessThanOrEqual(62_000);
    expect(r.state.timeline.map((e) => e.what)).toContainEqual(
      expect.stringMatching(
        /^stage B: error-rate cannot decide within the watch window at this traffic \(needs 100 canary requests, expects 48 by the end/,
      ),
    );
    // Nothing else changed: the other gates passed, so the stage passed with its usual warning.
    expect(b?.verdict).toBe('pass');
  });

  it('says nothing when the window reaches the requests, or under promote-now', () => {
    const r = watchingB();
    // 1,200 a minute, 1 a second on the canary: 100 within the window.
    let said = 0;
    while (scheduledTick(r.log.at(-1) ?? []) && r.state.stage === 1)
      said += warnings(tickAt(r, 1_200)).length;
    expect(said).toBe(0);
    expect(r.state.stages[1]?.decisionWarnedAt).toBeUndefined();

    const p = new Rollout();
    p.throughStageA();
    p.send({ type: 'promote-now', at: p.at(p.now + 1), by: 'U0SRELEAD1' });
    p.trafficAsAsked();
    p.checksPass();
    const asked = p.state.pending?.payload;
    if (asked?.type !== 'evaluate') throw new Error('no evaluation under promote-now');
    const at = p.at(p.now + 2);
    const out = asked.gates.map((g) =>
      g === 'error-rate' ? waitingErrorRate(at, p.stage.startedAt as string, 96) : result(g, 'pass', at),
    );
    expect(warnings(p.send({ type: 'gates-done', at, stage: 1, results: out }))).toEqual([]);
  });
});

describe('effect failures', () => {
  it('retries with backoff, then needs attention; resume emits the effect again', () => {
    const r = new Rollout();
    r.throughStageA();
    r.approveAll();
    const fail = () =>
      r.step({
        type: 'effect-failed',
        at: r.at(r.now + 1),
        effect: 'set-traffic',
        error: '503 unavailable',
        retryable: true,
      });

    let out = fail();
    r.state = out.state;
    expect(out.effects).toEqual([
      {
        type: 'schedule',
        timer: 'retry',
        at: t(r.now + 1),
        key: expect.stringMatching(/^set-traffic:\d+$/),
        event: { type: 'retry', at: t(r.now + 1), effect: 'set-traffic' },
      },
    ]);
    const firstKey = (out.effects[0] as Extract<Effect, { type: 'schedule' }>).key;
    expect(
      r.refuse({
        type: 'effect-failed',
        at: r.at(r.now),
        effect: 'set-traffic',
        error: 'dup',
        retryable: true,
      }),
    ).toMatch(/already waits/);
    expect(r.send({ type: 'retry', at: r.at(r.now + 1), effect: 'set-traffic' })).toEqual([
      { type: 'set-traffic', stable: STABLE, canary: CANARY, canaryPercent: 5 },
    ]);
    expect(r.state.pending?.attempts).toBe(2);
    expect(r.refuse({ type: 'retry', at: r.at(r.now + 1), effect: 'set-traffic' })).toMatch(/no retry/);

    out = fail();
    r.state = out.state;
    const second = out.effects[0] as Extract<Effect, { type: 'schedule' }>;
    expect(second.at).toBe(t(r.now + 2));
    expect(second.key).not.toBe(firstKey);
    r.send({ type: 'retry', at: r.at(r.now + 2), effect: 'set-traffic' });

    out = fail();
    expect(out.refused).toBeUndefined();
    r.state = out.state;
    expect(types(out.effects)).toEqual(['notify:needs-attention']);
    expect(r.state).toMatchObject({
      status: 'needs-attention',
      hold: { kind: 'attention', cause: 'effect-failed' },
    });
    expect(attentionOf(r.state)?.reason).toBe('set-traffic failed after 3 attempts: 503 unavailable');

    const resumed = r.send({ type: 'resume', at: r.at(r.now + 600), by: 'U0REQUEST' });
    expect(types(resumed)).toEqual(['notify:resumed', 'set-traffic']);
    expect(r.state).toMatchObject({ status: 'shifting', pending: { attempts: 1 } });
    r.trafficAsAsked();
    expect(r.state.status).toBe('checking');
  });

  it('a failure that is not retryable asks people at once; results of other effects are refused', () => {
    const r = new Rollout();
    r.send({ type: 'start', at: r.at(0) });
    r.send({ type: 'preconditions-done', at: r.at(0), results: [], blocking: [] });
    expect(
      r.refuse({ type: 'effect-failed', at: r.at(1), effect: 'set-traffic', error: 'x', retryable: true }),
    ).toBe('no set-traffic in flight');
    r.send({
      type: 'effect-failed',
      at: r.at(2),
      effect: 'deploy',
      error: 'image not found',
      retryable: false,
    });
    expect(attentionOf(r.state)?.reason).toBe('deploy failed (not retryable, 1 attempt): image not found');
    expect(r.state.hold).toMatchObject({ kind: 'attention', from: 'deploying' });
    expect(types(r.send({ type: 'resume', at: r.at(60), by: 'U0REQUEST' }))).toEqual([
      'notify:resumed',
      'deploy',
    ]);
    expect(r.state.status).toBe('deploying');
  });

  it('a superseded retry timer is cancelled', () => {
    const r = new Rollout();
    r.throughStageA();
    r.approveAll();
    r.send({
      type: 'effect-failed',
      at: r.at(r.now + 1),
      effect: 'set-traffic',
      error: '503',
      retryable: true,
    });
    const key = r.state.pending?.retryKey;
    const aborted = r.send({ type: 'abort', at: r.at(r.now + 1), by: 'U0REQUEST' });
    expect(aborted).toContainEqual({ type: 'cancel', timer: 'retry', key });
  });
});

// Random sequences of events, shaped like what the executor and people send (results mostly answer the effect
// in flight, times only move forward): whatever happens, traffic only goes forward through set-traffic, and
// never while paused, finished or rolling back.
describe('property: any sequence of events', () => {
  type Command =
    | { kind: 'answer'; ok: boolean; status: GateStatus }
    | { kind: 'approve'; user: number; offset: number }
    | { kind: 'person'; type: 'abort' | 'pause' | 'resume' | 'promote-now' | 'rollback' }
    | { kind: 'timer'; type: 'tick' | 'approval-expired' | 'retry' }
    | { kind: 'fail'; retryable: boolean }
    | { kind: 'start' };

  // Weighted so that runs go deep (most results are good, people rarely abort), yet every kind occurs.
  const status = fc.constantFrom<GateStatus>(
    'pass',
    'pass',
    'pass',
    'fail',
    'inconclusive',
    'error',
    'skipped',
  );
  const command: fc.Arbitrary<Command> = fc.oneof(
    {
      weight: 12,
      arbitrary: fc.record({ kind: fc.constant('answer' as const), ok: fc.nat(9).map((n) => n > 0), status }),
    },
    {
      weight: 5,
      arbitrary: fc.record({
        kind: fc.constant('approve' as const),
        user: fc.integer({ min: 0, max: 3 }),
        offset: fc.constantFrom(0, 0, 0, 0, -1, 1),
      }),
    },
    {
      weight: 2,
      arbitrary: fc.record({
        kind: fc.constant('person' as const),
        type: fc.constantFrom('pause', 'resume', 'resume', 'promote-now', 'abort', 'rollback'),
      }),
    },
    {
      weight: 8,
      arbitrary: fc.record({
        kind: fc.constant('timer' as const),
        type: fc.constantFrom('tick', 'tick', 'tick', 'approval-expired', 'retry'),
      }),
    },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('fail' as const), retryable: fc.boolean() }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('start' as const) }) },
  );

  const USERS = ['U0REQUEST', 'U0APPROVE1', 'U0APPROVE2', 'U0APPROVE3'];

  function eventFor(s: CanaryState, c: Command, at: string): RunbookEvent {
    const p = s.pending?.payload;
    switch (c.kind) {
      case 'start':
        return { type: 'start', at };
      case 'approve':
        return { type: 'approve', at, userId: USERS[c.user] as string, stage: s.stage + c.offset };
      case 'person':
        return c.type === 'rollback'
          ? { type: 'rollback', at, by: 'U0SRELEAD1', reason: 'random' }
          : { type: c.type, at, by: 'U0SRELEAD1' };
      case 'timer':
        if (c.type === 'retry') return { type: 'retry', at, effect: s.pending?.effect ?? 'deploy' };
        return { type: c.type, at, stage: s.stage };
      case 'fail':
        return {
          type: 'effect-failed',
          at,
          effect: s.pending?.effect ?? 'deploy',
          error: 'boom',
          retryable: c.retryable,
        };
      case 'answer':
        switch (p?.type) {
          case 'deploy':
            return {
              type: 'deployed',
              at,
              revision: CANARY,
              stableRevision: STABLE,
              traffic: { [STABLE]: 100 },
            };
          case 'capture-before':
            return { type: 'before-captured', at, values: {} };
          case 'set-traffic': {
            const traffic = c.ok
              ? { [p.stable]: 100 - p.canaryPercent, [p.canary]: p.canaryPercent }
              : { [p.stable]: 100 };
            return { type: 'traffic-set', at, traffic };
          }
          case 'rollback-traffic':
            return {
              type: 'traffic-set',
              at,
              traffic: c.ok ? { [p.toRevision]: 100 } : { [STABLE]: 50, [CANARY]: 50 },
            };
          case 'route-override':
            return { type: 'route-overridden', at, target: p.target };
          case 'evaluate': {
            const rs = p.gates.map((g) => result(g, c.ok ? 'pass' : c.status));
            return p.phase === 'gates'
              ? { type: 'gates-done', at, stage: p.stage, results: rs }
              : { type: 'checks-done', at, results: rs };
          }
          default:
            return { type: 'tick', at, stage: s.stage };
        }
    }
  }

  it('never sets traffic while paused or finished, and only ever forward', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(command, fc.integer({ min: 0, max: 120 })), { minLength: 100, maxLength: 300 }),
        fc.constantFrom<RunbookPolicy['onGateFailure']>('automatic', 'approve'),
        fc.integer({ min: 1, max: 2 }),
        (commands, onGateFailure, requiredApprovals) => {
          const ctx: StepContext = { runbook, policy: { ...policy, onGateFailure, requiredApprovals } };
          let state = newCanary({
            id: 'p',
            service: 'control',
            env: 'prod',
            image: 'img',
            tag: 'v1',
            requestedBy: 'U0REQUEST',
            dryRun: true,
            at: t(0),
            runbook,
          });
          state = canaryStep(state, { type: 'start', at: t(0) }, ctx).state;
          let seconds = 0;
          let highest = 0;
          let rolledBack = false;
          for (const [c, advance] of commands) {
            seconds += advance;
            const before = state;
            const out = canaryStep(state, eventFor(state, c, t(seconds)), ctx);
            if (out.refused !== undefined) {
              expect(out.state).toBe(before);
              expect(out.effects).toEqual([]);
              continue;
            }
            expect(['promoted', 'rolled-back', 'aborted', 'failed']).not.toContain(before.status);
            expect(out.state.timeline.length).toBeGreaterThan(before.timeline.length);
            state = out.state;
            rolledBack ||= state.rollback !== undefined;
            for (const effect of out.effects) {
              if (effect.type !== 'set-traffic') continue;
              expect(state.status).toBe('shifting');
              expect(rolledBack).toBe(false);
              expect(effect.canaryPercent).toBeGreaterThanOrEqual(highest);
              highest = effect.canaryPercent;
            }
            // At most one effect awaiting a result is in flight.
            const awaiting = out.effects.filter((e) =>
              [
                'deploy',
                'capture-before',
                'set-traffic',
                'rollback-traffic',
                'route-override',
                'evaluate',
              ].includes(e.type),
            );
            expect(awaiting.length).toBeLessThanOrEqual(1);
            if (['promoted', 'rolled-back', 'aborted', 'failed'].includes(state.status)) {
              expect(out.effects).toContainEqual({ type: 'release-lock' });
            }
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});
