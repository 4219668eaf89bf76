import { describe, expect, it } from 'vitest';
import { type CanaryRunbook, canaryRunbook, stageAt, stageCount } from '../../src/config/runbooks.ts';
import type { GateResult, GateStatus } from '../../src/gates/result.ts';
import { rolloutSummary } from '../../src/reports/rollout-summary.ts';
import { canaryStep, newCanary } from '../../src/runbooks/canary/index.ts';
import { KINDS } from '../../src/runbooks/kinds.ts';
import type {
  CanaryState,
  Effect,
  RunbookEvent,
  RunbookPolicy,
  Split,
  StepContext,
} from '../../src/runbooks/types.ts';

// The post-promotion stage (config `postPromotion`), driven event by event as the executor would: after
// 100 % the previous revision is tagged (kept warm), the gates watch the promoted revision against the
// previous one's metrics before promotion, and the watch ends done (tag released) or rolled back.

const STABLE = 'web-00010-abc';
const CANARY = 'web-00011-def';
const T0 = Date.parse('2026-11-02T10:00:00.000Z');
const t = (seconds: number) => new Date(T0 + seconds * 1000).toISOString();

const policy: RunbookPolicy = {
  requiredApprovals: 1,
  allowSelfApproval: false,
  approvalTtlMs: 30 * 60_000,
  onGateFailure: 'automatic',
  maxAttempts: 2,
  backoffMs: () => 1000,
};

/** The runbook, with a post-promotion stage unless `post` is null. */
function book(post: Record<string, unknown> | null = {}): CanaryRunbook {
  return canaryRunbook.parse({
    kind: 'canary',
    judge: { failureLimit: 0, dataWait: '0s' },
    stages: [
      { name: 'A', traffic: 0, checks: ['healthz'] },
      { name: 'B', traffic: 50, watch: '1m', interval: '30s', gates: ['error-rate'] },
      { name: 'E', traffic: 100, watch: '1m', interval: '30s', gates: ['error-rate'] },
    ],
    rollback: { checks: ['healthz'] },
    ...(post === null
      ? {}
      : { postPromotion: { watch: '2m', interval: '1m', gates: ['error-rate', 'latency'], ...post } }),
  }) as CanaryRunbook;
}

const result = (gate: string, status: GateStatus = 'pass'): GateResult => ({
  gate,
  kind: 'cloud-monitoring',
  status,
  metric: gate,
  observed: { value: 1 },
  threshold: '-',
  samples: 100,
  evidence: gate,
  at: t(0),
});

const types = (effects: Effect[]) =>
  effects.map((e) => (e.type === 'notify' ? `notify:${e.notification.kind}` : e.type));

class Rollout {
  state: CanaryState;
  ctx: StepContext;
  now = 0;
  last: Effect[] = [];

  constructor(runbook = book()) {
    this.ctx = { runbook, policy };
    this.state = newCanary({
      id: 'web-prod-1',
      service: 'web',
      env: 'prod',
      image: 'repo/web',
      tag: 'v2',
      requestedBy: 'UREQ',
      dryRun: false,
      at: t(0),
      runbook,
    });
  }

  at(seconds = this.now + 1): string {
    this.now = Math.max(this.now, seconds);
    return t(this.now);
  }

  send(event: RunbookEvent): Effect[] {
    const out = canaryStep(this.state, event, this.ctx);
    expect(out.refused, `${event.type} refused`).toBeUndefined();
    this.state = out.state;
    this.last = out.effects;
    return out.effects;
  }

  refuse(event: RunbookEvent): string {
    const out = canaryStep(this.state, event, this.ctx);
    expect(out.refused, `${event.type} taken`).toBeDefined();
    expect(out.effects).toEqual([]);
    return out.refused as string;
  }

  get asked(): Effect | undefined {
    return this.state.pending?.payload;
  }

  /** Fires the scheduled tick and answers its gates, all with `status` unless named in `statuses`. */
  tick(statuses: Record<string, GateStatus> = {}): Effect[] {
    const tick = this.last.find((e) => e.type === 'schedule' && e.timer === 'tick');
    if (tick?.type !== 'schedule') throw new Error('no tick scheduled');
    this.send({ ...tick.event, at: this.at(Math.max(this.now, (Date.parse(tick.at) - T0) / 1000)) });
    const asked = this.asked;
    if (asked?.type !== 'evaluate') throw new Error('no evaluation');
    return this.send({
      type: 'gates-done',
      at: this.at(),
      stage: this.state.stage,
      results: asked.gates.map((g) => result(g, statuses[g])),
    });
  }

  watchThrough(): Effect[] {
    while (this.last.some((e) => e.type === 'schedule' && e.timer === 'tick')) this.tick();
    return this.last;
  }

  /** Deploy, stage A's checks, then every traffic stage approved and watched: promoted to 100 %. */
  toPromotion(): Effect[] {
    this.send({ type: 'start', at: this.at(0) });
    this.send({ type: 'preconditions-done', at: this.at(), results: [], blocking: [] });
    this.send({
      type: 'deployed',
      at: this.at(),
      revision: CANARY,
      stableRevision: STABLE,
      traffic: { [STABLE]: 100 },
    });
    this.send({ type: 'before-captured', at: this.at(), values: {} });
    this.send({ type: 'checks-done', at: this.at(), results: [result('healthz')] });
    for (const stage of [1, 2]) {
      this.send({ type: 'approve', at: this.at(), userId: 'UAPP', stage });
      const percent = this.state.stages[stage]?.traffic ?? 0;
      const traffic: Split =
        percent === 100 ? { [CANARY]: 100 } : { [STABLE]: 100 - percent, [CANARY]: percent };
      this.send({ type: 'traffic-set', at: this.at(this.now + 5), traffic });
      this.watchThrough();
    }
    return this.last;
  }

  /** Cloud Run reports the tag asked for. */
  tagged(): Effect[] {
    const asked = this.asked;
    if (asked?.type !== 'tag-revision') throw new Error('no tag change in flight');
    return this.send({
      type: 'revision-tagged',
      at: this.at(),
      tag: asked.tag,
      ...(asked.revision ? { revision: asked.revision, url: `https://${asked.tag}---web.run.app` } : {}),
    });
  }
}

describe('the post-promotion stage', () => {
  it('is the last stage from the start: shown ahead, counted, defaulting to the last stage where unset', () => {
    const r = new Rollout();
    expect(r.state.stages.map((s) => [s.name, s.traffic])).toEqual([
      ['A', 0],
      ['B', 50],
      ['E', 100],
      ['post-promotion', 100],
    ]);
    expect(r.state.postPromotion).toEqual({ stage: 3 });
    expect(stageCount(r.ctx.runbook)).toBe(4);
    const defaults = stageAt(book({ gates: undefined, interval: undefined }), 3);
    expect(defaults).toMatchObject({ gates: ['error-rate'], interval: 30_000, watch: 120_000, traffic: 100 });
    expect(stageAt(book(null), 3)).toBeUndefined();
    expect(new Rollout(book(null)).state.postPromotion).toBeUndefined();
  });

  it('keeps the previous revision warm, watches against its baseline before promotion, releases it, done', () => {
    const r = new Rollout();
    const promoted = r.toPromotion();
    expect(types(promoted)).toEqual([
      'notify:gates',
      'notify:stage-passed',
      'notify:post-promotion',
      'tag-revision',
    ]);
    expect(promoted.at(-1)).toEqual({ type: 'tag-revision', tag: 'previous', revision: STABLE });
    expect(r.state).toMatchObject({ status: 'shifting', stage: 3 });
    // The baseline: the previous revision over the 2 hours before it stopped serving (stage E's traffic).
    const stoppedServing = r.state.stages[2]?.startedAt as string;
    expect(r.state.postPromotion).toMatchObject({
      previousRevision: STABLE,
      baseline: {
        start: new Date(Date.parse(stoppedServing) - 2 * 3_600_000).toISOString(),
        end: stoppedServing,
      },
    });
    // A lock held, a rollout still active: nothing terminal yet.
    expect(types(promoted)).not.toContain('release-lock');

    const watching = r.tagged();
    expect(types(watching)).toEqual(['notify:stage-started', 'schedule']);
    expect(r.state.postPromotion?.warm).toMatchObject({ tag: 'previous', revision: STABLE });
    expect(r.state.status).toBe('watching');
    const post = r.state.stages[3];
    expect(Date.parse(post?.windowEndsAt as string) - Date.parse(post?.startedAt as string)).toBe(120_000);

    // Its evaluations: the promoted revision at 100 %, against the previous one's baseline window.
    r.send({ ...(watching[1] as Extract<Effect, { type: 'schedule' }>).event, at: r.at(r.now + 60) });
    const evaluate = r.asked;
    if (evaluate?.type !== 'evaluate') throw new Error('no evaluation');
    expect(evaluate).toMatchObject({ phase: 'gates', stage: 3, gates: ['error-rate', 'latency'] });
    expect(KINDS.canary.gateTargets?.(r.state, evaluate, r.ctx.runbook, 'https://web')).toMatchObject({
      stableRevision: STABLE,
      canaryRevision: CANARY,
      canaryShare: 1,
      baseline: { revision: STABLE, window: r.state.postPromotion?.baseline },
    });
    r.send({ type: 'gates-done', at: r.at(), stage: 3, results: evaluate.gates.map((g) => result(g)) });

    const over = r.watchThrough();
    expect(types(over).slice(-3)).toEqual(['notify:gates', 'notify:stage-passed', 'tag-revision']);
    expect(over.at(-1)).toEqual({ type: 'tag-revision', tag: 'previous' });
    expect(r.state.status).toBe('shifting');
    const done = r.tagged();
    expect(types(done)).toEqual(['notify:promoted', 'write-report', 'release-lock']);
    expect(r.state).toMatchObject({ status: 'promoted', postPromotion: { released: { at: t(r.now) } } });
    expect(rolloutSummary({ state: r.state }).postPromotion).toMatchObject({
      stage: 'post-promotion',
      result: 'passed',
      previousRevision: STABLE,
      warm: { tag: 'previous' },
      releasedAt: t(r.now),
      endedEarly: null,
    });
  });

  it('a gate failing in the watch rolls back to the previous revision, with the incident, then releases it', () => {
    const r = new Rollout();
    r.toPromotion();
    r.tagged();
    r.tick();
    const failed = r.tick({ latency: 'fail' });
    expect(types(failed)).toEqual(['notify:gates', 'notify:rolling-back', 'rollback-traffic']);
    expect(failed.at(-1)).toEqual({ type: 'rollback-traffic', toRevision: STABLE });
    expect(r.state.rollback).toMatchObject({
      trigger: 'gate',
      failedStage: 'post-promotion',
      toRevision: STABLE,
      fromRevision: CANARY,
      trafficBefore: { [CANARY]: 100 },
    });
    r.send({ type: 'traffic-set', at: r.at(), traffic: { [STABLE]: 100 } });
    const checked = r.send({ type: 'checks-done', at: r.at(), results: [result('healthz')] });
    // The incident opens as for any automatic rollback; the rollout ends once the tag is released.
    expect(types(checked)).toEqual(['open-incident', 'tag-revision']);
    expect(checked[0]).toMatchObject({
      failedStage: 'post-promotion',
      revisions: { from: CANARY, to: STABLE },
    });
    expect(r.state.status).toBe('rolling-back');
    const ended = r.tagged();
    expect(types(ended)).toEqual(['notify:rolled-back', 'write-report', 'release-lock']);
    expect(r.state).toMatchObject({ status: 'rolled-back', postPromotion: { released: {} } });
  });

  it('/canary done ends the watch now: the new revision stays, the previous one is released', () => {
    const r = new Rollout();
    r.send({ type: 'start', at: r.at(0) });
    expect(r.refuse({ type: 'end-watch', at: r.at(), by: 'UREQ' })).toBe(
      'the post-promotion watch has not begun: the rollout is at stage A',
    );
    const early = new Rollout();
    early.toPromotion();
    expect(early.refuse({ type: 'end-watch', at: early.at(), by: 'UREQ' })).toMatch(/being tagged/);
    early.tagged();
    early.tick();
    const ended = early.send({ type: 'end-watch', at: early.at(), by: 'UREQ', reason: 'looks fine' });
    expect(types(ended)).toEqual(['cancel', 'notify:watch-ended', 'tag-revision']);
    expect(ended[0]).toMatchObject({ type: 'cancel', timer: 'tick' });
    early.tagged();
    expect(early.state).toMatchObject({
      status: 'promoted',
      postPromotion: { endedEarly: { by: 'UREQ', reason: 'looks fine' }, released: {} },
    });
    const summary = rolloutSummary({ state: early.state });
    expect(summary.outcome.reason).toBe(
      'every stage passed; the post-promotion watch was ended early by UREQ (looks fine)',
    );
    expect(summary.postPromotion?.result).toBe('stopped');
    expect(new Rollout(book(null)).refuse({ type: 'end-watch', at: t(1), by: 'UREQ' })).toBe(
      'this rollout has no post-promotion watch to end',
    );
  });

  it('refuses abort and promote-now in the watch, saying what may be done; /rollback goes to the previous revision', () => {
    const r = new Rollout();
    r.toPromotion();
    r.tagged();
    const says = `it is promoted and in its post-promotion watch: /canary done ends the watch (keeping ${CANARY}), /rollback returns to ${STABLE}`;
    expect(r.refuse({ type: 'abort', at: r.at(), by: 'UREQ' })).toBe(says);
    expect(r.refuse({ type: 'promote-now', at: r.at(), by: 'UADMIN' })).toBe(says);
    const back = r.send({ type: 'rollback', at: r.at(), by: 'UONCALL', reason: 'users complain' });
    expect(types(back)).toEqual(['cancel', 'notify:rolling-back', 'rollback-traffic']);
    expect(r.state.rollback).toMatchObject({
      trigger: 'manual',
      toRevision: STABLE,
      failedStage: 'post-promotion',
    });
  });

  it('a rollback that overtakes the tag still removes it before the rollout ends', () => {
    const r = new Rollout();
    r.toPromotion();
    r.send({ type: 'rollback', at: r.at(), by: 'UONCALL', reason: 'pager' });
    // The tag's answer comes too late to count; the tag may be on all the same.
    expect(r.refuse({ type: 'revision-tagged', at: r.at(), tag: 'previous', revision: STABLE })).toBe(
      'no revision tag change in flight',
    );
    r.send({ type: 'traffic-set', at: r.at(), traffic: { [STABLE]: 100 } });
    const checked = r.send({ type: 'checks-done', at: r.at(), results: [result('healthz')] });
    expect(checked.at(-1)).toEqual({ type: 'tag-revision', tag: 'previous' });
    r.tagged();
    expect(r.state.status).toBe('rolled-back');
  });

  it('pause holds the watch and resume extends it by the paused time', () => {
    const r = new Rollout();
    r.toPromotion();
    r.tagged();
    const ends = r.state.stages[3]?.windowEndsAt as string;
    r.send({ type: 'pause', at: r.at(r.now + 10), by: 'UREQ' });
    r.send({ type: 'resume', at: r.at(r.now + 100), by: 'UREQ' });
    expect(Date.parse(r.state.stages[3]?.windowEndsAt as string) - Date.parse(ends)).toBe(100_000);
    expect(r.state.status).toBe('watching');
  });

  it('promote-now hurries the stages up to 100 %, never the post-promotion watch', () => {
    const r = new Rollout();
    r.send({ type: 'start', at: r.at(0) });
    r.send({ type: 'preconditions-done', at: r.at(), results: [], blocking: [] });
    r.send({
      type: 'deployed',
      at: r.at(),
      revision: CANARY,
      stableRevision: STABLE,
      traffic: { [STABLE]: 100 },
    });
    r.send({ type: 'before-captured', at: r.at(), values: {} });
    r.send({ type: 'checks-done', at: r.at(), results: [result('healthz')] });
    r.send({ type: 'promote-now', at: r.at(), by: 'UADMIN' });
    // B and E: traffic, gates once, on.
    const splits: Split[] = [{ [STABLE]: 50, [CANARY]: 50 }, { [CANARY]: 100 }];
    for (const traffic of splits) {
      r.send({ type: 'traffic-set', at: r.at(), traffic });
      const asked = r.asked;
      if (asked?.type !== 'evaluate') throw new Error('gates run at once under promote-now');
      r.send({
        type: 'gates-done',
        at: r.at(),
        stage: r.state.stage,
        results: asked.gates.map((g) => result(g)),
      });
    }
    expect(r.state.stage).toBe(3);
    const watching = r.tagged();
    // The watch's first tick one interval in, not at once.
    expect(watching.find((e) => e.type === 'schedule')).toMatchObject({ at: t(r.now + 60) });
    expect(r.state.status).toBe('watching');
  });

  it('a tag that cannot be set or removed never holds the rollout: it goes on and says so', () => {
    const r = new Rollout();
    r.toPromotion();
    const refused = {
      type: 'effect-failed',
      effect: 'tag-revision',
      error: 'permission denied',
      retryable: false,
    } as const;
    const on = r.send({ ...refused, at: r.at() });
    expect(types(on)).toEqual(['notify:stage-started', 'schedule']);
    expect(r.state.postPromotion?.warmFailed).toMatch(/permission denied/);
    expect(r.state.status).toBe('watching');
    // Nothing was tagged: nothing to release at the end.
    expect(types(r.watchThrough()).slice(-3)).toEqual(['notify:promoted', 'write-report', 'release-lock']);

    const s = new Rollout();
    s.toPromotion();
    s.tagged();
    s.watchThrough();
    // Retried once (maxAttempts 2), then the rollout ends with the tag left for people.
    const retry = s.send({
      type: 'effect-failed',
      at: s.at(),
      effect: 'tag-revision',
      error: 'unavailable',
      retryable: true,
    });
    expect(types(retry)).toEqual(['schedule']);
    s.send({ type: 'retry', at: s.at(s.now + 1), effect: 'tag-revision' });
    const ended = s.send({
      type: 'effect-failed',
      at: s.at(),
      effect: 'tag-revision',
      error: 'unavailable',
      retryable: true,
    });
    expect(types(ended)).toEqual(['notify:promoted', 'write-report', 'release-lock']);
    expect(s.state.postPromotion?.releaseFailed).toMatch(/unavailable/);
    expect(s.state.timeline.at(-2)?.what).toContain('--remove-tags previous');
  });

  it('is refused in the config where it cannot work, with what to do', () => {
    const issues = (post: Record<string, unknown>, stages?: unknown[]) => {
      const parsed = canaryRunbook.safeParse({
        kind: 'canary',
        stages: stages ?? [
          { name: 'A', traffic: 0 },
          { name: 'E', traffic: 100 },
        ],
        postPromotion: post,
      });
      return parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    };
    expect(issues({ watch: '30m' })).toEqual([
      'postPromotion.gates: the last stage has no gates to watch after promotion: name the gates, e.g. [error-rate, latency-p95]',
    ]);
    expect(issues({ watch: '30m', gates: ['e'], baselineWindow: '30s' })[0]).toMatch(
      /^postPromotion.baselineWindow: expected 1m to 24h/,
    );
    expect(issues({ watch: '0s', gates: ['e'] })).toContain(
      'postPromotion.watch: must be longer than 0s, e.g. "30m"',
    );
    expect(issues({ watch: '30m', gates: ['e'], warmTag: 'Previous!' })[0]).toMatch(/^postPromotion.warmTag/);
    expect(
      issues({ watch: '30m', gates: ['e'] }, [
        { name: 'A', traffic: 0 },
        { name: 'post-promotion', traffic: 100 },
      ]),
    ).toEqual(['stages.1.name: "post-promotion" is the name of the stage after 100 %: rename this one']);
  });
});
