import { attentionOf } from '../runbooks/hold.ts';
import { isTerminalStatus } from '../runbooks/status.ts';
import type {
  CanaryState,
  PlanEntry,
  RollbackState,
  RunbookState,
  Split,
  StandaloneRollbackState,
  TimelineEntry,
} from '../runbooks/types.ts';
import { type FreezeOverrideSummary, freezeOverridesOf } from './freeze-overrides.ts';
import { type GateEvidence, gateEvidence } from './rollout-gates.ts';
import { describeEffect } from './rollout-plan.ts';
import { msBetween, type StageSummary, stageSummaries } from './rollout-stages.ts';

// The evidence report of a rollout (seed 001, "Evidence artifact"; DESIGN.md: "image tag, revision ids,
// traffic before/after, every gate result, approvals, timings, the rollback command that would undo it"),
// built from the rollout state alone. Pure: summary-json.ts and summary-md.ts render it.
//
// Honest by construction: every value is read from the state (or, for the rollback command, from where
// the service runs). A field with no value is null, and `missing` says why under the field's path, so a
// reader never mistakes "not known" for "nothing happened".

export const SUMMARY_SCHEMA = 'shiftgate/rollout-summary@1' as const;

/** Where the service runs, from the config: the rollback command needs it. */
export interface CloudRunTarget {
  project: string;
  region: string;
  /** The Cloud Run service name in that environment. */
  cloudRunService: string;
}

export interface SummaryInput {
  /** A stream cutover and a flag canary have their own reports (cutover-summary.ts, flag-summary.ts). */
  state: Exclude<RunbookState, { kind: 'stream-cutover' | 'flag-canary' }>;
  /** Dry runs: every effect the runbook asked for, in order. */
  plan?: readonly PlanEntry[];
  /** Absent when the config no longer has the service in that environment. */
  target?: CloudRunTarget;
}

export interface RollbackSummary {
  trigger: RollbackState['trigger'];
  reason: string;
  by: string | null;
  failedStage: string | null;
  mode: RollbackState['mode'];
  fromRevision: string | null;
  toRevision: string;
  /** The route-split target the procedure overrode to; null when it did not. */
  routeOverride: string | null;
  trafficBefore: Split | null;
  trafficAfter: Split | null;
  /** Health and auth/session/sync checks on the stable revision afterwards. */
  checks: GateEvidence[];
  status: RollbackState['status'];
  /** What went wrong during or after it, if anything. */
  attention: string | null;
  /** false: no incident was opened (an abort returning traffic: nothing failed). */
  incident: boolean;
  startedAt: string;
  endedAt: string | null;
  durationMs: number | null;
}

export interface PostPromotionSummary {
  /** The stage's name in `stages`. */
  stage: string;
  result: StageSummary['result'];
  /** The revision that served before the promotion: the watch rolls back to it. */
  previousRevision: string | null;
  /** The previous revision's metrics over this window were the gates' baseline. */
  baseline: { start: string; end: string } | null;
  /** The tag that kept the previous revision warm during the watch. */
  warm: { tag: string; url: string | null; at: string } | null;
  /** Why the previous revision could not be tagged (the watch went on without it). */
  warmFailed: string | null;
  /** When the tag was removed as the watch ended. */
  releasedAt: string | null;
  /** Why the tag could not be removed (it is still on the previous revision). */
  releaseFailed: string | null;
  /** A person ended the watch before its window did. */
  endedEarly: { by: string; at: string; reason: string | null } | null;
}

export interface Failure {
  stage: string;
  /** The gate tick it failed at; null for a check (run once when the stage began). */
  tick: number | null;
  result: GateEvidence;
}

export interface RolloutSummary {
  schema: typeof SUMMARY_SCHEMA;
  rolloutId: string;
  /** canary: a staged rollout; rollback: a /rollback run with no rollout active. */
  kind: RunbookState['kind'];
  dryRun: boolean;
  service: string;
  env: string;
  cloudRun: { service: string; project: string; region: string } | null;
  requestedBy: string;
  image: { ref: string | null; tag: string | null };
  revisions: { stable: string | null; canary: string | null };
  /** Before: as Cloud Run reported it when the rollout began. After: as it reported it last. */
  traffic: { before: Split | null; after: Split | null };
  outcome: {
    /** promoted, rolled-back, aborted or failed; any other status: the rollout has not ended. */
    status: RunbookState['status'];
    ended: boolean;
    reason: string;
    /** The person who ended it, when a person did. */
    by: string | null;
    /** The stage it ended in (the failing one for a rollback after a gate failed). */
    stage: string | null;
    /** Something people must still look at (e.g. a check failing on the stable revision afterwards). */
    attention: string | null;
    /** Every check and gate result that failed in the stage the rollout ended in: what made it end. */
    failures: Failure[];
  };
  /** Stage A's checks on the new revision's tag URL (seed 001: "smoke check outputs"). */
  smokeChecks: GateEvidence[];
  stages: StageSummary[];
  rollback: {
    /** The command that puts all traffic back on the stable revision. */
    command: string | null;
    stableRevision: string | null;
    /** The rollback procedure, when one ran. */
    procedure: RollbackSummary | null;
  };
  promoteNow: { by: string; at: string } | null;
  /** Admins let it go on during scheduled freeze windows (at its start, or while it ran); empty: never. */
  freezeOverrides: FreezeOverrideSummary[];
  /** The post-promotion watch, when the runbook has one (its ticks are under `stages`, as its last stage). */
  postPromotion: PostPromotionSummary | null;
  timings: { startedAt: string; endedAt: string | null; durationMs: number | null };
  /** The bot's own timeline of the rollout: every action, and who asked for it. */
  timeline: TimelineEntry[];
  /** Dry runs: what the runbook would have done, in order; null for a real rollout. */
  plan: { n: number; at: string; after: string; what: string }[] | null;
  /** Why a field is null, by its path (e.g. "revisions.canary"). */
  missing: Record<string, string>;
  /** Things a reader must know to read the report right (a dry run changed nothing). */
  notes: string[];
}

export function rolloutSummary(input: SummaryInput): RolloutSummary {
  const { state } = input;
  return state.kind === 'canary' ? canarySummary(state, input) : rollbackSummary(state, input);
}

function canarySummary(s: CanaryState, input: SummaryInput): RolloutSummary {
  const missing: Record<string, string> = {};
  // An abort after a deploy that kept failing: the deploy's last error is the reason nothing was deployed.
  const attention = attentionOf(s);
  const deployError = s.canaryRevision === undefined && attention ? ` (${attention.reason})` : '';
  const nothingDeployed = `the rollout ended before stage A deployed a revision${deployError}`;
  const stable = s.stableRevision ?? null;
  if (stable === null) missing['revisions.stable'] = `not read: ${nothingDeployed}`;
  if (s.canaryRevision === undefined) missing['revisions.canary'] = `none: ${nothingDeployed}`;
  if (s.trafficBefore === undefined) missing['traffic.before'] = `not read: ${nothingDeployed}`;
  if (s.trafficNow === undefined)
    missing['traffic.after'] = `not read: ${nothingDeployed}; traffic never moved`;
  const stages = stageSummaries(s);
  const smoke = stages[0]?.checks ?? [];
  if (smoke.length === 0) {
    missing.smokeChecks =
      s.stages[0]?.checks !== undefined
        ? 'the runbook has no stage A checks'
        : s.canaryRevision === undefined
          ? `not run: ${nothingDeployed}`
          : 'not run: the rollout ended before stage A ran its checks';
  }
  return {
    ...common(s, input, missing),
    image: { ref: s.image, tag: s.tag },
    revisions: { stable, canary: s.canaryRevision ?? null },
    traffic: { before: s.trafficBefore ?? null, after: s.trafficNow ?? null },
    outcome: { ...canaryOutcome(s), failures: failures(stages, s.stage) },
    smokeChecks: smoke,
    stages,
    rollback: {
      ...rollbackCommand(stable, input.target, missing),
      procedure: s.rollback ? procedure(s.rollback) : null,
    },
    promoteNow: s.promoteNow ?? null,
    postPromotion: postPromotionSummary(s, stages),
  };
}

function postPromotionSummary(s: CanaryState, stages: StageSummary[]): PostPromotionSummary | null {
  const p = s.postPromotion;
  if (p === undefined) return null;
  const stage = stages[p.stage];
  return {
    stage: stage?.name ?? s.stages[p.stage]?.name ?? '',
    result: stage?.result ?? 'not reached',
    previousRevision: p.previousRevision ?? null,
    baseline: p.baseline ?? null,
    warm: p.warm ? { tag: p.warm.tag, url: p.warm.url ?? null, at: p.warm.at } : null,
    warmFailed: p.warmFailed ?? null,
    releasedAt: p.released?.at ?? null,
    releaseFailed: p.releaseFailed ?? null,
    endedEarly: p.endedEarly
      ? { by: p.endedEarly.by, at: p.endedEarly.at, reason: p.endedEarly.reason ?? null }
      : null,
  };
}

function rollbackSummary(s: StandaloneRollbackState, input: SummaryInput): RolloutSummary {
  const rb = s.rollback;
  const missing: Record<string, string> = {
    'image.ref': 'none: a rollback deploys nothing',
    'image.tag': 'none: a rollback deploys nothing',
    'revisions.canary': `none: a rollback deploys nothing${rb.fromRevision ? ` (it rolled back from ${rb.fromRevision})` : ''}`,
    smokeChecks: 'none: a rollback deploys nothing (its checks are under rollback.procedure.checks)',
  };
  if (rb.trafficBefore === undefined) {
    missing['traffic.before'] =
      `not recorded: a standalone rollback reads only the revision serving most traffic${rb.fromRevision ? ` (${rb.fromRevision})` : ''}`;
  }
  if (rb.trafficAfter === undefined) {
    missing['traffic.after'] =
      rb.mode === 'route-only' ? 'not changed: a route-only rollback moves no traffic' : 'not read back';
  }
  const by = s.status === 'failed' ? lastPerson(s.timeline) : (rb.by ?? null);
  return {
    ...common(s, input, missing),
    image: { ref: null, tag: null },
    // The revision a rollback puts traffic on is, by definition, the one it holds stable.
    revisions: { stable: rb.toRevision, canary: null },
    traffic: { before: rb.trafficBefore ?? null, after: rb.trafficAfter ?? null },
    outcome: {
      status: s.status,
      ended: isTerminalStatus(s.status),
      reason: s.status === 'failed' ? stoppedReason(rb, s.timeline, attentionOf(s)?.reason) : rb.reason,
      by,
      stage: rb.failedStage ?? null,
      // A failed (stopped) rollback's attention is in its reason; a finished one's is still open.
      attention: s.status === 'rolled-back' ? (attentionOf(s)?.reason ?? null) : null,
      failures: [],
    },
    smokeChecks: [],
    stages: [],
    rollback: { ...rollbackCommand(rb.toRevision, input.target, missing), procedure: procedure(rb) },
    promoteNow: null,
    postPromotion: null,
  };
}

/** The fields every kind of run has. */
function common(s: RunbookState, input: SummaryInput, missing: Record<string, string>) {
  const { target } = input;
  if (!target) missing.cloudRun = `not in the config: no service ${s.service} in environment ${s.env}`;
  if (s.endedAt === undefined) missing['timings.endedAt'] = `not ended: the rollout is ${s.status}`;
  const notes: string[] = [];
  if (s.dryRun) {
    notes.push(
      'Dry run: nothing was changed. Revisions and traffic are what the plan would have used; no gate was evaluated.',
    );
  }
  if (!input.plan && s.dryRun) missing.plan = 'not recorded';
  return {
    schema: SUMMARY_SCHEMA,
    rolloutId: s.id,
    kind: s.kind,
    dryRun: s.dryRun,
    service: s.service,
    env: s.env,
    cloudRun: target
      ? { service: target.cloudRunService, project: target.project, region: target.region }
      : null,
    requestedBy: s.requestedBy,
    freezeOverrides: freezeOverridesOf(s),
    timings: {
      startedAt: s.startedAt,
      endedAt: s.endedAt ?? null,
      durationMs: msBetween(s.startedAt, s.endedAt),
    },
    timeline: s.timeline.map((t) => ({ ...t })),
    plan:
      s.dryRun && input.plan ? input.plan.map((p) => ({ ...pick(p), what: describeEffect(p.effect) })) : null,
    missing,
    notes,
  };
}

const pick = (p: PlanEntry) => ({ n: p.n, at: p.at, after: p.after });

/**
 * `gcloud run services update-traffic <svc> --region <r> --project <p> --to-revisions <stable>=100`: the
 * Cloud Run half of seed 000's rollback (the route-split override, where there is one, is in the procedure).
 */
function rollbackCommand(
  stable: string | null,
  target: CloudRunTarget | undefined,
  missing: Record<string, string>,
): { command: string | null; stableRevision: string | null } {
  if (stable === null) {
    missing['rollback.command'] = 'none: no stable revision was recorded';
    missing['rollback.stableRevision'] = missing['revisions.stable'] ?? 'not recorded';
    return { command: null, stableRevision: null };
  }
  if (!target) {
    missing['rollback.command'] =
      'unknown: the config no longer names the Cloud Run service, project and region';
    return { command: null, stableRevision: stable };
  }
  return {
    command: `gcloud run services update-traffic ${target.cloudRunService} --region ${target.region} --project ${target.project} --to-revisions ${stable}=100`,
    stableRevision: stable,
  };
}

function canaryOutcome(s: CanaryState): Omit<RolloutSummary['outcome'], 'failures'> {
  const rb = s.rollback;
  const stage = s.stages[s.stage]?.name ?? null;
  const attention = attentionOf(s);
  const base = {
    status: s.status,
    ended: isTerminalStatus(s.status),
    // Only what is still open once it ended (a check failing on stable after the rollback); an attention
    // the rollout had before people aborted it is history, and the timeline keeps it.
    attention: attention?.cause === 'rollback-checks' ? attention.reason : null,
  };
  switch (s.status) {
    case 'promoted': {
      const early = s.postPromotion?.endedEarly;
      const watch = early
        ? `; the post-promotion watch was ended early by ${early.by}${early.reason ? ` (${early.reason})` : ''}`
        : '';
      return {
        ...base,
        reason: s.promoteNow
          ? `every stage passed (promoted now by ${s.promoteNow.by}: no approval waits or watch windows after ${s.promoteNow.at}, every gate still ran)${watch}`
          : `every stage passed${watch}`,
        by: early?.by ?? null,
        stage,
      };
    }
    case 'rolled-back':
      return {
        ...base,
        reason: rb?.reason ?? 'rolled back',
        by: rb?.by ?? null,
        stage: rb?.failedStage ?? stage,
      };
    case 'aborted': {
      const back = rb ? `; traffic returned to ${rb.toRevision}` : '';
      return {
        ...base,
        reason: `${s.aborted?.reason ?? 'no reason given'}${back}`,
        by: s.aborted?.by ?? null,
        stage,
      };
    }
    case 'failed': {
      if (rb) {
        const reason = stoppedReason(rb, s.timeline, attention?.reason);
        return { ...base, reason, by: lastPerson(s.timeline), stage };
      }
      const failing = s.stages
        .flatMap((st) => (st.verdict === 'fail' ? (st.checks ?? []).map((c) => ({ st, c })) : []))
        .filter(({ c }) => c.status === 'fail' && c.mode !== 'shadow');
      const reason =
        failing.length > 0
          ? `stage ${failing[0]?.st.name} checks failed: ${failing.map(({ c }) => `${c.gate}: ${gateEvidence(c).line}`).join('; ')}; the new revision never had traffic`
          : (s.timeline.at(-1)?.what ?? 'failed');
      return { ...base, reason, by: null, stage };
    }
    default:
      return {
        ...base,
        reason: `not ended: ${s.status}${attention ? ` (${attention.reason})` : ''}`,
        by: null,
        stage,
      };
  }
}

/** The failing results of the stage the rollout stopped in: its checks, then its ticks in order. */
function failures(stages: StageSummary[], current: number): Failure[] {
  const stage = stages[current];
  if (stage === undefined) return [];
  // A shadow gate's failure made nothing end: its results stay in the stage's tables, marked shadow.
  const failed = (r: GateEvidence) => r.status === 'fail' && r.mode !== 'shadow';
  return [
    ...stage.checks.filter(failed).map((result) => ({ stage: stage.name, tick: null, result })),
    ...stage.ticks.flatMap((t) =>
      t.results.filter(failed).map((result) => ({ stage: stage.name, tick: t.tick, result })),
    ),
  ];
}

/** People stopped a rollback that needed attention and took over by hand: what they said, and why it was stuck. */
function stoppedReason(rb: RollbackState, timeline: TimelineEntry[], attention: string | undefined): string {
  const stopped = timeline.findLast((t) => t.what.startsWith('stopped'))?.what ?? 'stopped';
  const why = rb.attention ?? attention;
  return why ? `${stopped}; the rollback was stuck: ${why}` : stopped;
}

function lastPerson(timeline: TimelineEntry[]): string | null {
  return timeline.findLast((t) => t.by !== undefined)?.by ?? null;
}

function procedure(rb: RollbackState): RollbackSummary {
  return {
    trigger: rb.trigger,
    reason: rb.reason,
    by: rb.by ?? null,
    failedStage: rb.failedStage ?? null,
    mode: rb.mode,
    fromRevision: rb.fromRevision ?? null,
    toRevision: rb.toRevision,
    routeOverride: rb.routeOverride ?? null,
    trafficBefore: rb.trafficBefore ?? null,
    trafficAfter: rb.trafficAfter ?? null,
    checks: (rb.checks ?? []).map(gateEvidence),
    status: rb.status,
    attention: rb.attention ?? null,
    incident: rb.incident !== false,
    startedAt: rb.startedAt,
    endedAt: rb.endedAt ?? null,
    durationMs: msBetween(rb.startedAt, rb.endedAt),
  };
}
