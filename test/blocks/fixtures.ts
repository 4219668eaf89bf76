import type { KnownBlock } from '@slack/types';
import { type CanaryRunbook, canaryRunbook } from '../../src/config/runbooks.ts';
import type { GateResult, GateStatus } from '../../src/gates/result.ts';
import { canaryStep, newCanary } from '../../src/runbooks/canary/index.ts';
import { newStandaloneRollback, standaloneRollbackStep } from '../../src/runbooks/rollback.ts';
import type {
  CanaryState,
  RunbookEvent,
  RunbookPolicy,
  Split,
  StandaloneRollbackState,
  StepContext,
} from '../../src/runbooks/types.ts';

// Realistic states for the renderers: each one reached by driving the real (pure) canary and rollback
// runbooks event by event, as the executor would, so the blocks are tested on states the engine makes.

export const T0 = Date.parse('2026-11-23T10:00:00.000Z');
/** ISO time `min` minutes after T0. */
export const at = (min: number) => new Date(T0 + min * 60_000).toISOString();

/** An event without its time (the driver adds it), one member of the union at a time. */
type EventInput = RunbookEvent extends infer E
  ? E extends RunbookEvent
    ? Omit<E, 'at'> & { at?: string }
    : never
  : never;

export const REQUESTER = 'UREQUEST1';
export const APPROVERS = ['UAPPROVE1', 'UAPPROVE2'];
export const STABLE = 'control-00041-old';
export const CANARY = 'control-00042-new';
export const GATES = [
  'error-rate',
  'latency-p95',
  'auth-verify-errors',
  'sync-token-errors',
  'route-split-audit',
];

/** Seed 000's canary: A 0 % (smoke), B-E with a 10-minute window ticking every minute. */
export const runbook: CanaryRunbook = canaryRunbook.parse({
  kind: 'canary',
  judge: { failureLimit: 0 },
  stages: [
    { name: 'A', traffic: 0, approval: false, checks: ['healthz', 'readyz'] },
    ...(
      [
        ['B', 5],
        ['C', 25],
        ['D', 50],
        ['E', 100],
      ] as const
    ).map(([name, traffic]) => ({
      name,
      traffic,
      watch: '10m',
      interval: '1m',
      checks: ['healthz'],
      gates: GATES,
    })),
  ],
  rollback: { routeOverride: 'legacy', checks: ['healthz', 'auth-session'] },
});

export function policy(overrides: Partial<RunbookPolicy> = {}): RunbookPolicy {
  return {
    requiredApprovals: 2,
    allowSelfApproval: false,
    approvalTtlMs: 30 * 60_000,
    onGateFailure: 'automatic',
    maxAttempts: 3,
    backoffMs: () => 1000,
    ...overrides,
  };
}

/** A gate result as the providers make them, for each of the five go/no-go gates and the checks. */
export function result(gate: string, status: GateStatus, when = at(0)): GateResult {
  const base = { gate, status, evidence: `evidence of ${gate}`, at: when };
  switch (gate) {
    case 'error-rate':
      return {
        ...base,
        kind: 'cloud-monitoring',
        metric: '5xx rate',
        observed: { value: status === 'fail' ? 3.2 : 0.4, unit: '%' },
        threshold: '< 1 %',
        samples: status === 'inconclusive' ? 12 : 5210,
        ...(status === 'inconclusive' ? { reason: 'needs 100' } : {}),
        evidence:
          'resource.type="cloud_run_revision" metric.type="run.googleapis.com/request_count" response_code_class="5xx"',
      };
    case 'latency-p95':
      return {
        ...base,
        kind: 'cloud-monitoring',
        metric: 'p95 latency',
        observed: { value: status === 'fail' ? 412 : 310, unit: 'ms' },
        baseline: { value: 300, unit: 'ms' },
        threshold: '+20 %',
        samples: 5210,
      };
    case 'healthz':
    case 'readyz':
    case 'auth-session':
      return {
        ...base,
        kind: 'http',
        metric: `GET /${gate}`,
        observed: { value: status === 'fail' ? 503 : 200, unit: 'status' },
        latencyMs: 40,
        threshold: 'status 200',
        samples: 1,
        ...(status === 'fail' ? { reason: 'expected status 200' } : {}),
      };
    default:
      return {
        ...base,
        kind: 'cloud-logging',
        metric: `${gate.replaceAll('-', ' ')} per request`,
        ...(status === 'error'
          ? { reason: 'logging unavailable: 503' }
          : { observed: { value: status === 'fail' ? 0.008 : 0.002 }, baseline: { value: 0.002 } }),
        threshold: '<= 2x stable',
        samples: 340,
      };
  }
}

export const passing = (names: readonly string[], when?: string) => names.map((g) => result(g, 'pass', when));

/** A canary and the steps that move it, refusing loudly when the runbook refuses an event. */
export class Canary {
  state: CanaryState;
  ctx: StepContext;
  /** Minutes after T0, the time of the next event. */
  min = 0;

  constructor(
    options: { dryRun?: boolean; policy?: Partial<RunbookPolicy>; id?: string; runbook?: CanaryRunbook } = {},
  ) {
    this.ctx = { runbook: options.runbook ?? runbook, policy: policy(options.policy) };
    this.state = newCanary({
      id: options.id ?? 'control-prod-20261123T100000-a1b2',
      service: 'control',
      env: 'prod',
      image: 'us-central1-docker.pkg.dev/openagentsgemini/openagents-control-service/control:v1.42.0',
      tag: 'v1.42.0',
      requestedBy: REQUESTER,
      dryRun: options.dryRun ?? false,
      at: at(0),
      runbook: this.ctx.runbook,
    });
  }

  send(event: EventInput): this {
    const full = { at: at(this.min), ...event } as RunbookEvent;
    const step = canaryStep(this.state, full, this.ctx);
    if (step.refused !== undefined) throw new Error(`${full.type} refused: ${step.refused}`);
    this.state = step.state;
    return this;
  }

  /** Deployed, values captured, stage A's checks run: now awaiting approval of stage B. */
  deploy(checks: GateStatus = 'pass'): this {
    this.send({ type: 'start' });
    this.send({ type: 'preconditions-done', results: [], blocking: [] });
    this.send({ type: 'deployed', revision: CANARY, stableRevision: STABLE, traffic: { [STABLE]: 100 } });
    this.send({ type: 'before-captured', values: {} });
    return this.send({ type: 'checks-done', results: [result('healthz', checks), result('readyz', 'pass')] });
  }

  approveAll(): this {
    for (const userId of APPROVERS) this.send({ type: 'approve', userId, stage: this.state.stage });
    return this;
  }

  /** Traffic confirmed for the current stage. */
  shifted(): this {
    const percent = this.state.stages[this.state.stage]?.traffic ?? 0;
    const split: Split = percent === 100 ? { [CANARY]: 100 } : { [STABLE]: 100 - percent, [CANARY]: percent };
    return this.send({ type: 'traffic-set', traffic: split });
  }

  /** Stage checks passed: watching. */
  checked(): this {
    return this.send({ type: 'checks-done', results: [result('healthz', 'pass')] });
  }

  /** One gate tick a minute later, with these results (all passing by default). */
  tick(results?: GateResult[]): this {
    this.min += 1;
    const stage = this.state.stage;
    this.send({ type: 'tick', stage });
    return this.send({ type: 'gates-done', stage, results: results ?? passing(GATES, at(this.min)) });
  }

  /** Ticks until the stage's window is complete and the stage passes. */
  watchThrough(): this {
    const stage = this.state.stage;
    while (this.state.stage === stage && this.state.status === 'watching') this.tick();
    return this;
  }

  /** Through stages B..E to promoted. */
  promote(): this {
    while (this.state.status === 'awaiting-approval') this.approveAll().shifted().checked().watchThrough();
    return this;
  }
}

export function standalone(
  mode: 'full' | 'route-only' | 'traffic-only' = 'full',
  dryRun = false,
): { state: StandaloneRollbackState; send: (e: EventInput) => StandaloneRollbackState } {
  let state = newStandaloneRollback({
    id: 'rollback-control-prod-7f3e',
    service: 'control',
    env: 'prod',
    requestedBy: 'UONCALL01',
    reason: '5xx spike after v1.42.0 <!channel>',
    toRevision: STABLE,
    fromRevision: CANARY,
    mode,
    dryRun,
    at: at(30),
  });
  const ctx = { runbook, policy: policy() };
  const handle = {
    get state() {
      return state;
    },
    send(event: EventInput) {
      const step = standaloneRollbackStep(state, { at: at(31), ...event } as RunbookEvent, ctx);
      if (step.refused !== undefined) throw new Error(`${event.type} refused: ${step.refused}`);
      state = step.state;
      return state;
    },
  };
  handle.send({ type: 'start' });
  return handle;
}

// Reading messages back.

type Element = { type: string; action_id?: string; value?: string; text?: { text: string }; style?: string };
type Shape = KnownBlock & { elements?: Element[] };

export function buttons(m: { blocks: readonly KnownBlock[] }): Element[] {
  return (m.blocks as Shape[]).filter((b) => b.type === 'actions').flatMap((b) => b.elements ?? []);
}

export const actionIds = (m: { blocks: readonly KnownBlock[] }) => buttons(m).map((b) => b.action_id);

/** Every text of the message, joined: what a reader would see (before Slack's rendering). */
export function textOf(m: { blocks: readonly unknown[] }): string {
  const out: string[] = [];
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(walk);
    else if (node && typeof node === 'object') {
      for (const [key, value] of Object.entries(node)) {
        if (key === 'text' && typeof value === 'string') out.push(value);
        else walk(value);
      }
    }
  };
  walk(m.blocks);
  return out.join('\n');
}

/** Reverses mrkdwn escaping, to compare with a plain line such as renderGate's. */
export const unescapeMrkdwn = (text: string) =>
  text.replaceAll('&lt;', '<').replaceAll('&gt;', '>').replaceAll('&amp;', '&');

export const NOW = { now: new Date(T0 + 12 * 60_000) };

// Named scenarios: a canary at each status (and each way of needing attention), as the engine leaves it.

const failingTick =
  (gate = 'latency-p95') =>
  (c: Canary) =>
    GATES.map((g) => result(g, g === gate ? 'fail' : 'pass', at(c.min + 1)));

export function watching(options: ConstructorParameters<typeof Canary>[0] = {}): Canary {
  const c = new Canary(options).deploy().approveAll().shifted().checked().tick();
  c.tick(GATES.map((g) => result(g, g === 'error-rate' ? 'inconclusive' : 'pass', at(c.min + 1))));
  return c.tick();
}

export function rollingBack(): Canary {
  const c = watching();
  return c.tick(failingTick()(c));
}

export const SCENARIOS = {
  deploying: () => new Canary().send({ type: 'start' }),
  checking: () =>
    new Canary()
      .send({ type: 'start' })
      .send({ type: 'preconditions-done', results: [], blocking: [] })
      .send({ type: 'deployed', revision: CANARY, stableRevision: STABLE, traffic: { [STABLE]: 100 } })
      .send({ type: 'before-captured', values: {} }),
  'awaiting-approval': () =>
    new Canary().deploy().send({ type: 'approve', userId: APPROVERS[0] as string, stage: 1 }),
  shifting: () => new Canary().deploy().approveAll(),
  watching: () => watching(),
  paused: () => watching().send({ type: 'pause', by: REQUESTER }),
  'needs-attention (approval expired)': () =>
    new Canary().deploy().send({ type: 'approval-expired', stage: 1, at: at(31) }),
  'needs-attention (gate failed, policy asks)': () => {
    const c = watching({ policy: { onGateFailure: 'approve' } });
    return c.tick(failingTick()(c));
  },
  'needs-attention (inconclusive)': () => {
    const c = new Canary().deploy().approveAll().shifted().checked();
    while (c.state.status === 'watching') {
      c.tick(GATES.map((g) => result(g, 'inconclusive', at(c.min + 1))));
    }
    return c;
  },
  'needs-attention (rollback stuck)': () =>
    rollingBack()
      .send({ type: 'route-overridden', target: 'legacy' })
      .send({ type: 'traffic-set', traffic: { [STABLE]: 90, [CANARY]: 10 } }),
  'needs-attention (effect failed)': () =>
    new Canary({ policy: { maxAttempts: 1 } })
      .deploy()
      .approveAll()
      .send({ type: 'effect-failed', effect: 'set-traffic', error: 'Cloud Run: 503', retryable: true }),
  'rolling-back': () => rollingBack(),
  'rolled-back': () =>
    rollingBack()
      .send({ type: 'route-overridden', target: 'legacy' })
      .send({ type: 'traffic-set', traffic: { [STABLE]: 100 } })
      .send({ type: 'checks-done', results: passing(['healthz', 'auth-session']) }),
  'rolled-back (checks failing after)': () =>
    rollingBack()
      .send({ type: 'route-overridden', target: 'legacy' })
      .send({ type: 'traffic-set', traffic: { [STABLE]: 100 } })
      .send({ type: 'checks-done', results: [result('healthz', 'pass'), result('auth-session', 'fail')] }),
  promoted: () => new Canary().deploy().promote(),
  'aborted (before traffic)': () =>
    new Canary().deploy().send({ type: 'abort', by: REQUESTER, reason: 'wrong tag <!here>' }),
  'aborted (traffic returned)': () =>
    watching()
      .send({ type: 'abort', by: REQUESTER, reason: 'wrong tag' })
      .send({ type: 'traffic-set', traffic: { [STABLE]: 100 } })
      .send({ type: 'checks-done', results: passing(['healthz', 'auth-session']) }),
  failed: () => new Canary().deploy('fail'),
  'dry run': () => watching({ dryRun: true }),
  'promote-now': () => watching().send({ type: 'promote-now', by: 'UADMIN001' }),
} satisfies Record<string, () => Canary>;

export type Scenario = keyof typeof SCENARIOS;
export const scenario = (name: Scenario): CanaryState => SCENARIOS[name]().state;
