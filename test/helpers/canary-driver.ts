import { expect } from 'vitest';
import type { GateMode } from '../../src/config/gates.ts';
import { type CanaryRunbook, withGateModes } from '../../src/config/runbooks.ts';
import { shiftgateConfig } from '../../src/config/schema.ts';
import type { GateResult, GateStatus } from '../../src/gates/result.ts';
import { canaryStep, newCanary } from '../../src/runbooks/canary/index.ts';
import type {
  AskRef,
  CanaryState,
  Effect,
  RunbookEvent,
  RunbookPolicy,
  StepContext,
} from '../../src/runbooks/types.ts';

// A canary driven event by event through its pure step function, with no I/O, over a small runbook:
// stages A (0 %: checks healthz and smoke), B (5 %) and C (100 %), each watched for 3 minutes with a tick
// a minute (gates error-rate and error-logs), judge.failureLimit 0 unless given. Modes pinned as at start.

export const STABLE = 'web-00001-stb';
export const CANARY = 'web-00002-can';
export const T0 = Date.parse('2026-11-02T10:00:00.000Z');
export const t = (seconds: number) => new Date(T0 + seconds * 1000).toISOString();

const policy: RunbookPolicy = {
  requiredApprovals: 1,
  allowSelfApproval: false,
  approvalTtlMs: 30 * 60_000,
  onGateFailure: 'automatic',
  maxAttempts: 3,
  backoffMs: () => 1000,
};

/**
 * Stages A (0 %, smoke), B (5 %), C (100 %); the watched ones tick every minute for 3 minutes. With
 * `postPromotion`, a post-promotion watch after C of the same gates, as long, tag `previous`.
 */
export function runbookWith(
  modes: { smoke?: GateMode; logs?: GateMode },
  failureLimit = 0,
  options: { postPromotion?: boolean } = {},
): CanaryRunbook {
  const watched = (name: string, traffic: number) => ({
    name,
    traffic,
    watch: '3m',
    interval: '1m',
    checks: ['healthz'],
    gates: ['error-rate', 'error-logs'],
  });
  const config = shiftgateConfig.parse({
    environments: {
      prod: { deployers: { users: ['UREQ'] }, approval: { approvers: { users: ['UAPP'] } } },
    },
    services: {
      web: {
        project: 'proj-test',
        region: 'us-central1',
        image: 'europe-docker.pkg.dev/proj-test/web/web',
        slackChannel: '#deploys',
        environments: { prod: { cloudRunService: 'web-prod', publicUrl: 'https://web.example.test' } },
      },
    },
    runbooks: {
      canary: {
        kind: 'canary',
        judge: { failureLimit },
        stages: [
          { name: 'A', traffic: 0, approval: false, checks: ['healthz', 'smoke'] },
          watched('B', 5),
          watched('C', 100),
        ],
        ...(options.postPromotion
          ? { postPromotion: { watch: '3m', interval: '1m', gates: ['error-rate', 'error-logs'] } }
          : {}),
      },
    },
    gates: {
      healthz: { kind: 'http', path: '/healthz' },
      smoke: { kind: 'http', path: '/smoke', ...(modes.smoke ? { mode: modes.smoke } : {}) },
      'error-rate': { kind: 'cloud-monitoring', metric: 'error-rate', belowPercent: 1 },
      'error-logs': {
        kind: 'cloud-logging',
        check: 'error-spike',
        filter: 'severity>=ERROR',
        ...(modes.logs ? { mode: modes.logs } : {}),
      },
    },
  });
  return withGateModes(config.runbooks.canary as CanaryRunbook, config.gates);
}

function result(gate: string, status: GateStatus, at: string): GateResult {
  return {
    gate,
    kind: 'http',
    status,
    metric: gate,
    ...(status === 'error' ? { reason: 'unreachable' } : { observed: { value: status === 'fail' ? 12 : 0 } }),
    threshold: '< 5',
    samples: 100,
    evidence: `evidence of ${gate}`,
    at,
  };
}

export class Rollout {
  state: CanaryState;
  ctx: StepContext;
  now = 0;
  last: Effect[] = [];

  /** The canary revision it deploys. */
  revision: string;

  /** `start`: seconds after T0 when it starts; every later event is after it. */
  constructor(
    runbook: CanaryRunbook,
    options: { id?: string; start?: number; revision?: string; dryRun?: boolean } = {},
  ) {
    this.ctx = { runbook, policy };
    this.now = options.start ?? 0;
    this.revision = options.revision ?? CANARY;
    this.state = newCanary({
      id: options.id ?? 'web-prod-1',
      service: 'web',
      env: 'prod',
      image: 'europe-docker.pkg.dev/proj-test/web/web:v2',
      tag: 'v2',
      requestedBy: 'UREQ',
      dryRun: options.dryRun ?? false,
      at: t(this.now),
      runbook,
    });
  }

  at(seconds: number): string {
    this.now = Math.max(this.now, seconds);
    return t(this.now);
  }

  send(event: RunbookEvent): Effect[] {
    const out = canaryStep(this.state, event, this.ctx);
    expect(out.refused, `${event.type} refused: ${out.refused}`).toBeUndefined();
    this.state = out.state;
    this.last = out.effects;
    return out.effects;
  }

  refuse(event: RunbookEvent): string {
    const out = canaryStep(this.state, event, this.ctx);
    expect(out.refused, `${event.type} taken`).toBeDefined();
    expect(out.state).toBe(this.state);
    return out.refused as string;
  }

  get stage() {
    return this.state.stages[this.state.stage] as CanaryState['stages'][number];
  }

  /** Answers the evaluation in flight: every gate passes unless `statuses` says otherwise. */
  answer(statuses: Record<string, GateStatus> = {}): Effect[] {
    const asked = this.state.pending?.payload;
    if (asked?.type !== 'evaluate') throw new Error('no evaluation in flight');
    const at = this.at(this.now + 2);
    const results = asked.gates.map((g) => result(g, statuses[g] ?? 'pass', at));
    return this.send(
      asked.phase === 'gates'
        ? { type: 'gates-done', at, stage: this.state.stage, results }
        : { type: 'checks-done', at, results },
    );
  }

  /** Deployed, stage A's checks answered. */
  throughStageA(statuses: Record<string, GateStatus> = {}): Effect[] {
    this.send({ type: 'start', at: this.at(this.now) });
    this.send({ type: 'preconditions-done', at: this.at(this.now + 1), results: [], blocking: [] });
    this.send({
      type: 'deployed',
      at: this.at(this.now + 30),
      revision: this.revision,
      stableRevision: STABLE,
      traffic: { [STABLE]: 100 },
    });
    this.send({ type: 'before-captured', at: this.at(this.now + 1), values: {} });
    return this.answer(statuses);
  }

  /** Approves the stage awaiting approval and confirms its traffic; its checks are in flight after. */
  approveAndShift(): void {
    this.send({ type: 'approve', at: this.at(this.now + 10), userId: 'UAPP', stage: this.state.stage });
    const asked = this.state.pending?.payload;
    if (asked?.type !== 'set-traffic') throw new Error('no set-traffic in flight');
    const split = { [asked.stable]: 100 - asked.canaryPercent, [asked.canary]: asked.canaryPercent };
    for (const k of Object.keys(split)) if (split[k] === 0) delete split[k];
    this.send({ type: 'traffic-set', at: this.at(this.now + 5), traffic: split });
  }

  /** Fires the scheduled tick and answers it. */
  tick(statuses: Record<string, GateStatus> = {}): Effect[] {
    const scheduled = this.last.find(
      (e): e is Extract<Effect, { type: 'schedule' }> => e.type === 'schedule' && e.timer === 'tick',
    );
    if (scheduled?.event.type !== 'tick') throw new Error('no tick scheduled by the last step');
    this.send({ ...scheduled.event, at: this.at((Date.parse(scheduled.at) - T0) / 1000) });
    return this.answer(statuses);
  }

  /** Ticks (each with these statuses) while the last step scheduled one. */
  watch(statuses: Record<string, GateStatus> = {}): Effect[] {
    while (this.last.some((e) => e.type === 'schedule' && e.timer === 'tick')) this.tick(statuses);
    return this.last;
  }

  /** Answers the rollback procedure's steps as Cloud Run and the route split would, until it ends. */
  finishRollback(): void {
    while (this.state.status === 'rolling-back') {
      const asked = this.state.pending?.payload;
      const at = this.at(this.now + 5);
      if (asked?.type === 'rollback-traffic')
        this.send({ type: 'traffic-set', at, traffic: { [asked.toRevision]: 100 } });
      else if (asked?.type === 'route-override')
        this.send({ type: 'route-overridden', at, target: asked.target });
      else if (asked?.type === 'evaluate') this.answer();
      else throw new Error(`the rollback waits on ${asked?.type ?? 'nothing'}`);
    }
  }

  /** The ask the rollout waits on, as a button names it. */
  ask(): AskRef {
    return { stage: this.state.stage, ask: (this.stage.asks?.length ?? 0) - 1 };
  }
}
