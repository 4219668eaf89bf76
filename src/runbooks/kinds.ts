import { flagCanaryRunbook } from '../config/flags.ts';
import { type CanaryRunbook, canaryRunbook, type Runbook, streamCutoverRunbook } from '../config/runbooks.ts';
import { canaryStep, newCanary } from './canary/index.ts';
import { type CutoverInput, cutoverStep, newCutover } from './cutover/index.ts';
import { type FlagCanaryInput, flagCanaryStep, newFlagCanary } from './flag/index.ts';
import { laterRollbackOf, recordEntryOf } from './gate-record.ts';
import { withHold } from './hold.ts';
import type { GateTargets, RunbookKind } from './kind.ts';
import { newStandaloneRollback, standaloneRollbackStep } from './rollback.ts';
import type { CanaryState, RollbackState, RunbookState, StandaloneRollbackState } from './types.ts';

// The one table of runbook kinds. Its type lists every kind of runbook state and every kind of the config's
// `runbooks` union, so a kind added to either without an implementation here does not compile.

/** The standalone rollback runs the rollback section of the service's runbook (its judge sets alpha). */
export type RollbackDefinition = Pick<CanaryRunbook, 'rollback' | 'judge'>;

export interface CanaryInput {
  /** `<image>:<tag>` or a digest. */
  image: string;
  tag: string;
  /** An admin's override of the environment's GO requirement. */
  goOverride?: { by: string; reason: string; at: string };
}

export interface RollbackInput {
  reason: string;
  toRevision: string;
  fromRevision?: string;
  mode: RollbackState['mode'];
  /** The split Cloud Run reported before the rollback changed anything. */
  trafficBefore?: RollbackState['trafficBefore'];
}

type DefinitionOf<K extends string> = K extends Runbook['kind']
  ? Extract<Runbook, { kind: K }>
  : K extends 'rollback'
    ? RollbackDefinition
    : never;

interface InputOf {
  canary: CanaryInput;
  rollback: RollbackInput;
  'stream-cutover': CutoverInput;
  'flag-canary': FlagCanaryInput & { config: string };
}

/** Every configured kind must run as a state kind. */
type Configured<T extends RunbookState['kind']> = T;
export type BuiltInKind = Configured<Runbook['kind']> | RunbookState['kind'];

export type KindTable = {
  [K in BuiltInKind]: RunbookKind<Extract<RunbookState, { kind: K }>, DefinitionOf<K>, InputOf[K]>;
};

/** A state as a report holds it, with the dry-run's plan. */
function stateReport(state: RunbookState, plan: unknown) {
  return { state, ...(plan ? { plan } : {}) };
}

/** After a rollback the stable revision serves everything, through the public URL (seed 000, step 4). */
function rollbackTargets(rollback: RollbackState, publicUrl: string): GateTargets {
  return {
    canaryUrl: publicUrl,
    stableRevision: rollback.toRevision,
    canaryRevision: rollback.toRevision,
    canaryShare: 0,
  };
}

const canary: KindTable['canary'] = {
  schema: canaryRunbook,
  lock: 'rollout',
  init: (base, input, runbook) => newCanary({ ...base, ...input, runbook }),
  step: (state, event, ctx) => canaryStep(withHold(state), event, ctx),
  report: stateReport,
  summary: (state: CanaryState) => ({
    status: state.status,
    stage: state.stages[state.stage]?.name ?? state.stage,
  }),
  gateTargets(state, effect, runbook, publicUrl) {
    if (effect.phase === 'rollback-checks' && state.rollback)
      return rollbackTargets(state.rollback, publicUrl);
    const revision = state.canaryRevision ?? '';
    const reported = revision ? state.trafficNow?.[revision] : undefined;
    const stageTraffic = state.stages[effect.stage]?.traffic ?? runbook.stages[effect.stage]?.traffic ?? 0;
    // The post-promotion stage compares with the previous revision over the window before it stopped serving.
    const post = state.postPromotion;
    const baseline =
      post?.stage === effect.stage && post.previousRevision && post.baseline
        ? { revision: post.previousRevision, window: post.baseline }
        : undefined;
    return {
      ...(state.canaryUrl ? { canaryUrl: state.canaryUrl } : {}),
      stableRevision: state.stableRevision ?? '',
      canaryRevision: revision,
      canaryShare: (reported ?? stageTraffic) / 100,
      ...(state.before ? { before: state.before } : {}),
      ...(baseline ? { baseline } : {}),
    };
  },
  alpha: (runbook) => runbook.judge.alpha,
  waitsOnFailedGate: (state) =>
    state.status === 'needs-attention' &&
    state.hold?.kind === 'attention' &&
    (state.hold.cause === 'gate-failed' || state.hold.cause === 'advisory-failed'),
  waitsOnAdvisoryGate: (state) =>
    state.status === 'needs-attention' &&
    state.hold?.kind === 'attention' &&
    state.hold.cause === 'advisory-failed',
  gateRecord(state) {
    const entry = recordEntryOf(state);
    return entry && { type: 'rollout', entry };
  },
};

const rollback: KindTable['rollback'] = {
  schema: undefined,
  lock: 'rollback',
  init: (base, input) => newStandaloneRollback({ ...base, ...input }),
  step: (state, event, ctx) => standaloneRollbackStep(withHold(state), event, ctx),
  report: stateReport,
  summary: (state: StandaloneRollbackState) => ({ status: state.status, rollback: state.rollback.status }),
  gateTargets: (state, _effect, _runbook, publicUrl) => rollbackTargets(state.rollback, publicUrl),
  alpha: (runbook) => runbook.judge.alpha,
  // A /rollback of a promoted rollout's revision: that rollout ended for cause after all.
  gateRecord: laterRollbackOf,
};

const streamCutover: KindTable['stream-cutover'] = {
  schema: streamCutoverRunbook,
  lock: 'rollout',
  init: (base, input, runbook) => newCutover(base, input, runbook),
  step: (state, event, ctx) => cutoverStep(state, event, ctx),
  report: stateReport,
  summary: (state) => ({
    status: state.status,
    step: state.steps[state.step]?.name ?? state.step,
    ...(state.verdict ? { verdict: state.verdict } : {}),
  }),
  // The smokes go to the public URL, whichever target they name: the cutover is about what users reach.
  gateTargets: (state, _effect, _runbook, publicUrl) => ({
    canaryUrl: publicUrl,
    stableRevision: state.stableRevision,
    canaryRevision: state.canaryRevision,
    canaryShare: 0,
  }),
};

const flagCanary: KindTable['flag-canary'] = {
  schema: flagCanaryRunbook,
  // The service's deploy lock: a flag canary judges the service's metrics, and its cloud-run-env backend
  // deploys revisions, so it never runs beside a canary (or another flag canary) of the same service.
  lock: 'rollout',
  init: (base, input, runbook) => newFlagCanary({ ...base, config: input.config }, input, runbook),
  step: (state, event, ctx) => flagCanaryStep(state, event, ctx),
  report: stateReport,
  summary: (state) => ({
    status: state.status,
    step: state.steps[state.step]?.name ?? state.step,
    ...(state.rollback ? { rollback: state.rollback.reason } : {}),
  }),
  gateTargets: (state, _effect, _runbook, publicUrl) => ({
    canaryUrl: publicUrl,
    stableRevision: '',
    canaryRevision: '',
    canaryShare: 1,
    ...(state.before ? { before: state.before } : {}),
  }),
  // A live flag canary: setting the flags back is the safe direction, so its requester and the rollback
  // approvers may do it alone, as after a failed gate.
  waitsOnFailedGate: (state) => state.status === 'watching' || state.status === 'checking',
};

export const KINDS: KindTable = {
  canary,
  rollback,
  'stream-cutover': streamCutover,
  'flag-canary': flagCanary,
};
