import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.ts';
import { type CanaryRunbook, withFastTicks } from '../../src/config/runbooks.ts';
import type { GateResult, GateStatus } from '../../src/gates/result.ts';
import { canaryStep, newCanary } from '../../src/runbooks/canary/index.ts';
import type { CanaryState, Effect, RunbookEvent, StepContext } from '../../src/runbooks/types.ts';

// Fast ticks in the canary procedure, step by step with no I/O: the example runbook's stage B (10-minute
// window, a tick a minute) with its error-rate gate's fast signal pinned (every 10 s).

const config = await loadConfig('examples/shiftgate.yaml');
const runbook = withFastTicks(config.runbooks.canary as CanaryRunbook, config.gates);
const STABLE = 'control-00010-abc';
const CANARY = 'control-00011-def';
const T0 = Date.parse('2026-11-02T10:00:00.000Z');
const t = (seconds: number) => new Date(T0 + seconds * 1000).toISOString();

const ctx: StepContext = {
  runbook,
  policy: {
    requiredApprovals: 1,
    allowSelfApproval: false,
    approvalTtlMs: 30 * 60_000,
    onGateFailure: 'automatic',
    maxAttempts: 3,
    backoffMs: () => 1000,
  },
};

function result(gate: string, status: GateStatus, at: string): GateResult {
  return { gate, kind: 'http', status, metric: gate, threshold: '-', samples: 1, evidence: '-', at };
}

class Driver {
  state = newCanary({
    id: 'control-prod-1',
    service: 'control',
    env: 'prod',
    image: 'img',
    tag: 'v1',
    requestedBy: 'U0REQUEST',
    dryRun: false,
    at: t(0),
    runbook,
  });
  effects: Effect[] = [];

  send(event: RunbookEvent): Effect[] {
    const out = canaryStep(this.state, event, ctx);
    expect(out.refused, `${event.type} refused: ${out.refused}`).toBeUndefined();
    this.state = out.state as CanaryState;
    this.effects = out.effects;
    return out.effects;
  }

  asked() {
    const payload = this.state.pending?.payload;
    if (payload?.type !== 'evaluate') throw new Error('no evaluation in flight');
    return payload;
  }

  /** Through stage A and B's approval, traffic and checks: watching B from 100 s. */
  watchingB(): void {
    this.send({ type: 'start', at: t(0) });
    this.send({ type: 'preconditions-done', at: t(1), results: [], blocking: [] });
    this.send({
      type: 'deployed',
      at: t(30),
      revision: CANARY,
      stableRevision: STABLE,
      traffic: { [STABLE]: 100 },
    });
    this.send({ type: 'before-captured', at: t(31), values: {} });
    this.send({
      type: 'checks-done',
      at: t(40),
      results: this.asked().gates.map((g) => result(g, 'pass', t(40))),
    });
    this.send({ type: 'approve', at: t(50), userId: 'U0APPROVE1', stage: 1 });
    this.send({ type: 'traffic-set', at: t(100), traffic: { [STABLE]: 95, [CANARY]: 5 } });
    this.send({
      type: 'checks-done',
      at: t(100),
      results: this.asked().gates.map((g) => result(g, 'pass', t(100))),
    });
    expect(this.state.status).toBe('watching');
  }

  scheduled() {
    return this.effects.find(
      (e): e is Extract<Effect, { type: 'schedule' }> => e.type === 'schedule' && e.timer === 'tick',
    );
  }

  /** Fires the scheduled tick; the fast signal answers `fast`, every other gate passes. */
  tick(fast: GateStatus = 'inconclusive') {
    const timer = this.scheduled();
    if (timer?.event.type !== 'tick') throw new Error('no tick scheduled');
    this.send(timer.event);
    const asked = this.asked();
    const effects = this.send({
      type: 'gates-done',
      at: timer.at,
      stage: 1,
      results: asked.gates.map((g) => result(g, asked.fast ? fast : 'pass', timer.at)),
    });
    return {
      at: (Date.parse(timer.at) - T0) / 1000 - 100,
      key: timer.key,
      fast: asked.fast === true,
      asked,
      effects,
    };
  }
}

describe('fast ticks', () => {
  it('read only the fast signal every 10 s between the minute ticks, which run every gate, to the window end', () => {
    expect(runbook.stages[1]?.fast).toEqual({ gates: ['error-rate'], interval: 10_000 });
    const d = new Driver();
    d.watchingB();
    const ticks: ReturnType<Driver['tick']>[] = [];
    while (d.state.status === 'watching' && d.scheduled()) ticks.push(d.tick());
    // Every 10 s through the 600 s window; whole minutes run every gate.
    expect(ticks.map((tk) => tk.at)).toEqual(Array.from({ length: 60 }, (_, i) => 10 * (i + 1)));
    expect(ticks.filter((tk) => !tk.fast).map((tk) => tk.at)).toEqual([
      60, 120, 180, 240, 300, 360, 420, 480, 540, 600,
    ]);
    for (const tk of ticks)
      expect(tk.asked.gates).toEqual(tk.fast ? ['error-rate'] : runbook.stages[1]?.gates);
    // Each from the stage start, and each with its own timer key.
    expect(new Set(ticks.map((tk) => tk.asked.window.start))).toEqual(new Set([t(100)]));
    expect(new Set(ticks.map((tk) => tk.key)).size).toBe(ticks.length);
    // A fast tick that finds nothing leaves no tick, message or timeline line behind.
    const b = d.state.stages[1];
    expect(b?.ticks).toHaveLength(10);
    expect(b?.fastTicks).toBe(50);
    for (const tk of ticks.filter((x) => x.fast && x.at < 600)) {
      expect(tk.effects.map((e) => e.type)).toEqual(['schedule']);
    }
    expect(d.state.timeline.filter((l) => /stage B: tick/.test(l.what))).toHaveLength(10);
    expect(b?.verdict).toBe('pass');
  });

  it('a fast tick that fails is a failed tick: with no failure tolerated, the rollback starts at once', () => {
    const d = new Driver();
    d.watchingB();
    d.tick();
    d.tick();
    const failed = d.tick('fail');
    expect(failed).toMatchObject({ at: 30, fast: true });
    expect(d.state.status).toBe('rolling-back');
    expect(d.state.stages[1]?.ticks).toEqual([
      [expect.objectContaining({ gate: 'error-rate', status: 'fail' })],
    ]);
    expect(failed.effects).toContainEqual({
      type: 'notify',
      notification: expect.objectContaining({ kind: 'gates' }),
    });
  });
});
