import type { z } from 'zod';
import type { FreezeOverride } from './freeze/windows.ts';
import type { GateRecordWrite } from './gate-record.ts';
import type { LockKind } from './locks.ts';
import type {
  Effect,
  Pending,
  PlanEntry,
  RolloutStatus,
  RunbookEvent,
  StepContext,
  StepResult,
  TimelineEntry,
} from './types.ts';

// A runbook kind: everything the engine needs to run one procedure (canary, standalone rollback, and the
// kinds to come). The engine owns locks, approvals, roles, timers, recovery, dry-run, audit and report
// delivery for every kind alike; a kind brings only what is its own: its config, how its state starts,
// its pure step function, what its report holds, and a few facts the engine asks of its state. How a kind
// looks in Slack is src/blocks' business, never the kind's.

/** What the engine reads of any kind's state; a kind's state adds its own fields. */
export interface RunbookStateBase {
  kind: string;
  id: string;
  service: string;
  env: string;
  requestedBy: string;
  dryRun: boolean;
  status: RolloutStatus;
  /** The effect in flight that may fail and be retried (see in-flight.ts). */
  pending?: Pending;
  /** What holds it for people (paused, needs attention); the audit line of its arrival says why. */
  hold?: { kind: string; at: string; reason?: string };
  /** Admins let it go on during scheduled freeze windows (freeze/windows.ts), with a reason. */
  freezeOverrides?: FreezeOverride[];
  timeline: TimelineEntry[];
  startedAt: string;
  endedAt?: string;
}

/** What every new rollout gets from the engine, whatever its kind. */
export interface StartBase {
  id: string;
  service: string;
  env: string;
  requestedBy: string;
  dryRun: boolean;
  at: string;
}

/** What the gates of an `evaluate` effect measure: which revisions, which URL, which share of traffic. */
export interface GateTargets {
  stableRevision: string;
  canaryRevision: string;
  /** The canary's share of traffic, 0 to 1. */
  canaryShare: number;
  /** Where `target: canary` gates send their requests; default the public URL. */
  canaryUrl?: string;
  /** Values captured before the change (prometheus delta gates). */
  before?: Record<string, number>;
  /**
   * Compare with this revision over this past window instead of the stable revision over the gate's own
   * window (after promotion: the previous revision, before it stopped serving).
   */
  baseline?: { revision: string; window: { start: string; end: string } };
}

export interface RunbookKind<
  State extends RunbookStateBase = RunbookStateBase,
  Definition = unknown,
  Input = unknown,
> {
  /**
   * The zod member of the config's `runbooks` union that defines this kind (undefined: the kind is not
   * configured on its own, as the standalone rollback runs the rollback section of the service's runbook).
   */
  schema: z.ZodType<Definition> | undefined;
  /** The lock it holds: a manual /rollback during a 'rollout' is sent to that rollout as an event. */
  lock: LockKind;
  /** Its first state; the engine then steps it with `start`. */
  init(base: StartBase, input: Input, runbook: Definition): State;
  /** (state, event) -> (state, effects), or refused. Pure: no I/O, no clock. */
  step(state: State, event: RunbookEvent, ctx: StepContext<Definition>): StepResult<State>;
  /** What the evidence report holds (`report:<id>`, written by the write-report effect). */
  report(state: State, plan: readonly PlanEntry[] | undefined): object;
  /** One line of its state for the audit stream's before/after. */
  summary(state: State): Record<string, unknown>;
  /** What the gates of an evaluate effect measure (default: no revisions to compare, no canary URL). */
  gateTargets?(
    state: State,
    effect: Extract<Effect, { type: 'evaluate' }>,
    runbook: Definition,
    publicUrl: string,
  ): GateTargets;
  /** The false-alarm rate of its statistical gates (default 0.01). */
  alpha?(runbook: Definition): number;
  /** It waits on a failed gate for one click: its requester and the approvers may roll it back alone. */
  waitsOnFailedGate?(state: State): boolean;
  /** It waits on a failed advisory gate: `resume` is going on past it, which an approver decides. */
  waitsOnAdvisoryGate?(state: State): boolean;
  /** What its end adds to the gates' track record (gate-record.ts), written with its report. */
  gateRecord?(state: State): GateRecordWrite | undefined;
}

/** A kind as the engine holds it: states and definitions it only passes back to the kind. */
// biome-ignore lint/suspicious/noExplicitAny: each kind is called only with its own state and definition
export type AnyRunbookKind = RunbookKind<any, any, any>;

/** Kinds by name: the built-in table (kinds.ts), or a wider one (a test's own kind). */
export type KindRegistry = Readonly<Record<string, AnyRunbookKind>>;

export function kindOf(kinds: KindRegistry, kind: string): AnyRunbookKind {
  const found = kinds[kind];
  if (!found) throw new TypeError(`no runbook kind "${kind}" is registered`);
  return found;
}
