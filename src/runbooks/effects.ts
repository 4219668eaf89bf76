import { createHash } from 'node:crypto';
import type { FlagCanaryRunbook } from '../config/flags.ts';
import { type Gate, targetsService } from '../config/gates.ts';
import type { ShiftgateConfig } from '../config/schema.ts';
import type { SecretResolver } from '../config/secret-resolver.ts';
import { type ServiceTarget, serviceTarget } from '../config/target.ts';
import { crashPoint } from '../faults/crash-point.ts';
import { messageOf } from '../gates/error-result.ts';
import { captureBefore, type PrometheusFactory } from '../gates/providers/prometheus.ts';
import type { GateRegistry } from '../gates/registry.ts';
import type { GateContext, GateOf, GateResult } from '../gates/result.ts';
import type { Store } from '../store/index.ts';
import { AWAITS_RESULT } from './in-flight.ts';
import { type KindRegistry, kindOf, type RunbookStateBase } from './kind.ts';
import type { Fence } from './locks.ts';
import type { CloudRun, ServiceRef, ServiceState } from './ports/cloud-run.ts';
import type { ErrorBudgetReader } from './ports/error-budget.ts';
import { PlatformError } from './ports/errors.ts';
import type { FlagBackend } from './ports/flags.ts';
import type { Preconditions } from './ports/preconditions.ts';
import { overrideReadOf, type RouteSplitControl } from './ports/route-split.ts';
import { checkPreconditions } from './preconditions.ts';
import type { Scheduler } from './scheduler.ts';
import { saveGateRecord } from './track-record.ts';
import { canarySplit, sameSplit, servingRevision, splitOf } from './traffic.ts';
import type { Effect, Notification, PlanEntry, RollbackState, RunbookEvent, Split } from './types.ts';

// How each effect a runbook asks for is performed for real, and what event its outcome becomes. Traffic
// effects reconcile: they read the split Cloud Run reports first and write only when it differs from the
// one asked for, and every event carries what Cloud Run reported afterwards, never what was asked.
// Before any write to Cloud Run or the route split the rollout record is read again: if another step has
// been persisted since this effect was decided, the effect is dropped (see Superseded).

/** Where one effect runs: the transition that emitted it, and the means to check it is still current. */
export interface EffectContext {
  rolloutId: string;
  /** Version of the record written by the transition that emitted the effect. */
  version: number;
  /** The state that transition wrote. */
  state: RunbookStateBase;
  /** The lock the rollout holds (its fencing token). */
  fence: Fence;
  /** The runbook definition the rollout runs (pinned when it started), as its kind reads it. */
  runbook: unknown;
  /** The id of the timer job running this step, if any (a timer rescheduled from itself). */
  jobId?: string;
  /** Dry-run: the plan so far, for the report. */
  plan?: readonly PlanEntry[];
  /** Time for outcome events. */
  at(): string;
  /** Throws Superseded when the record has moved past `version` (or cannot be read). */
  ensureCurrent(): Promise<void>;
}

/** An effect's outcome, fed back to the runbook as an event. */
export interface Outcome {
  event: RunbookEvent;
  /** Default: derived from the transition and the effect's position, so a redrive yields the same id. */
  eventId?: string;
}

export interface EffectPerformer {
  perform(effect: Effect, ctx: EffectContext): Promise<Outcome | undefined>;
}

/**
 * The rest of this step must not run: the record moved on (another replica or person decided since), or
 * Redis could not confirm it did not. Not an effect failure: nothing is reported to the runbook.
 */
export class Superseded extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'Superseded';
  }
}

/** Effects that answer with an event. */
export const OUTCOME_EFFECTS: ReadonlySet<Effect['type']> = new Set([...AWAITS_RESULT, 'write-report']);

const RETRYABLE_KINDS = new Set(['unavailable', 'rate-limited', 'timeout', 'conflict', 'verify-failed']);

/**
 * Worth another attempt: unavailable, rate-limited, timeout, conflict (after the adapter's own bounded
 * retries), and verify-failed (the next attempt reads the split again and moves toward it). not-found,
 * permission-denied, unauthorized, invalid and operation-failed need people; so does anything that is not
 * a PlatformError (a bug).
 */
export function isRetryable(error: unknown): boolean {
  return error instanceof PlatformError && RETRYABLE_KINDS.has(error.kind);
}

export interface IncidentInput {
  rolloutId: string;
  service: string;
  env: string;
  failedStage?: string;
  symptom: string;
  revisions: { from?: string; to: string };
  at: string;
  /** What the rollback saw and left (for the incident card and report). */
  trafficBefore?: Split;
  trafficAfter?: Split;
  routeOverride?: string;
  /** Who rolled back by hand ('shiftgate' for a failed gate). */
  by?: string;
}

/** Where incidents open; Slack threads come later. The default records the incident in the store's timelines. */
export type IncidentPort = (incident: IncidentInput) => Promise<void>;

/**
 * `key` names this notification among the rollout's (the version of the step that emitted it): the same
 * notification redriven after a crash has the same key, so what it posts can be posted once.
 */
export type Notify = (rolloutId: string, notification: Notification, key?: string) => Promise<void>;

export interface Logger {
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/** The same stream requests to two base URLs, compared (gates/dual-run.ts). */
export interface DualRunner {
  compare(
    name: string,
    gate: GateOf<'sse-contract'>,
    ctx: { rustUrl: string; legacyUrl: string; accessToken?: string; now(): Date },
  ): Promise<GateResult>;
}

/** Builds the flag backend a flag canary's runbook names, for its service environment. */
export type FlagBackends = (input: {
  service: string;
  env: string;
  runbook: FlagCanaryRunbook;
}) => Promise<FlagBackend>;

export interface EffectPorts {
  store: Store;
  /** The kinds: what each one's report holds and what its gates measure. */
  kinds: KindRegistry;
  cloudRun: CloudRun;
  routeSplit?: (service: string, env: string) => RouteSplitControl | undefined;
  gates: GateRegistry;
  config: ShiftgateConfig;
  notify: Notify;
  scheduler: Scheduler;
  secrets?: SecretResolver;
  prometheus?: PrometheusFactory;
  incidents?: IncidentPort;
  /** The stream cutover's dual-run and SLO error budget. */
  dualRun?: DualRunner;
  errorBudget?: ErrorBudgetReader;
  /** Artifact Registry and Cloud Run reads before a canary deploys (absent: each check says so). */
  preconditions?: Preconditions;
  /** The flag backend of a flag canary's runbook in a service environment (src/platform/flags). */
  flags?: FlagBackends;
  log: Logger;
  now: () => Date;
  /** Attempts of a fire-and-forget effect (notify, schedule, ...) before giving up; default 3. */
  localAttempts?: number;
  sleep?: (ms: number) => Promise<void>;
}

export interface Targeted {
  target: ServiceTarget;
  ref: ServiceRef;
}

export function targetOf(config: ShiftgateConfig, service: string, env: string): Targeted {
  const target = serviceTarget(config, service, env);
  if (!target) throw new TypeError(`no service "${service}" in environment "${env}" in the config`);
  return {
    target,
    ref: { project: target.project, region: target.region, service: target.cloudRunService },
  };
}

/**
 * `<tag>-<6 hex of the rollout id>`, so a redriven deploy names the same revision (the adapter then sees
 * it is already deployed) and two rollouts of one tag never collide. Cloud Run limits the whole name
 * `<service>-<suffix>` to 63 characters.
 */
export function revisionSuffix(cloudRunService: string, tag: string, rolloutId: string): string {
  const hash = createHash('sha256').update(rolloutId).digest('hex').slice(0, 6);
  const room = 63 - cloudRunService.length - 1 - hash.length - 1;
  const cleaned = tag
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .slice(0, Math.max(0, room))
    .replace(/^-+|-+$/g, '');
  return cleaned ? `${cleaned}-${hash}` : hash;
}

/** The gates' view of the rollout at the moment of an evaluate effect: its kind says what they measure. */
export function gateContextOf(
  effect: Extract<Effect, { type: 'evaluate' }>,
  ctx: Pick<EffectContext, 'state' | 'runbook'>,
  kinds: KindRegistry,
  target: ServiceTarget,
  now: () => Date,
  accessToken: string | undefined,
): GateContext {
  const kind = kindOf(kinds, ctx.state.kind);
  const { baseline, ...targets } = kind.gateTargets?.(ctx.state, effect, ctx.runbook, target.publicUrl) ?? {
    stableRevision: '',
    canaryRevision: '',
    canaryShare: 0,
  };
  return {
    ...(baseline
      ? {
          baseline: {
            revision: baseline.revision,
            window: { start: new Date(baseline.window.start), end: new Date(baseline.window.end) },
          },
        }
      : {}),
    project: target.project,
    region: target.region,
    service: target.cloudRunService,
    publicUrl: target.publicUrl,
    window: { start: new Date(effect.window.start), end: new Date(effect.window.end) },
    alpha: kind.alpha?.(ctx.runbook) ?? DEFAULT_ALPHA,
    now,
    ...(target.prometheusUrl ? { prometheusUrl: target.prometheusUrl } : {}),
    ...(accessToken === undefined ? {} : { accessToken }),
    ...targets,
  };
}

/** The judge's default false-alarm rate, for kinds that do not set theirs. */
const DEFAULT_ALPHA = 0.01;

/** A result for a gate name the config does not know (a config loaded through the schema never has one). */
export function unknownGate(name: string, at: string): GateResult {
  return {
    gate: name,
    kind: 'http',
    status: 'error',
    metric: `gate ${name}`,
    threshold: '-',
    samples: 0,
    evidence: '-',
    reason: `no gate named "${name}" in the config`,
    at,
  };
}

export function evaluatedEvent(
  effect: Extract<Effect, { type: 'evaluate' }>,
  at: string,
  results: GateResult[],
): RunbookEvent {
  return effect.phase === 'gates'
    ? { type: 'gates-done', at, stage: effect.stage, results }
    : { type: 'checks-done', at, results };
}

export function incidentId(rolloutId: string): string {
  return `incident-${rolloutId}`.slice(0, 128);
}

function serviceOf(state: RunbookStateBase) {
  return { service: state.service, env: state.env };
}

export function createEffects(ports: EffectPorts): EffectPerformer {
  const { store, cloudRun, config, log, now } = ports;
  const attempts = ports.localAttempts ?? 3;
  const sleep = ports.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const tokens = new Map<string, Promise<string>>();

  async function audit(
    ctx: EffectContext,
    what: string,
    fields: { before?: unknown; after?: unknown; reason?: string },
  ) {
    try {
      await store.audit.append({
        who: 'shiftgate',
        what,
        rolloutId: ctx.rolloutId,
        ...serviceOf(ctx.state),
        ...fields,
        at: ctx.at(),
      });
    } catch (error) {
      // The change happened; a missing audit line must not undo the step that follows it.
      log.error('audit append failed', { rolloutId: ctx.rolloutId, what, error: messageOf(error) });
    }
  }

  /** Fire-and-forget effects are retried here, a few times, quickly; then the step stops (Superseded). */
  async function locally<T>(what: string, ctx: EffectContext, fn: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await fn();
      } catch (error) {
        if (attempt >= attempts) {
          throw new Superseded(`${what} failed ${attempt} times: ${messageOf(error)}`, { cause: error });
        }
        log.warn(`${what} failed, retrying`, { rolloutId: ctx.rolloutId, attempt, error: messageOf(error) });
        await sleep(100 * 4 ** (attempt - 1));
      }
    }
  }

  function accessToken(target: ServiceTarget): Promise<string | undefined> {
    const ref = target.accessToken;
    if (!ref) return Promise.resolve(undefined);
    if (!ports.secrets) return Promise.reject(new Error(`${ref.ref}: no secret resolver is configured`));
    let pending = tokens.get(ref.ref);
    if (!pending) {
      pending = ports.secrets.resolve(ref);
      tokens.set(ref.ref, pending);
      pending.catch(() => tokens.delete(ref.ref)); // a failed read is tried again next time
    }
    return pending;
  }

  async function reported(ref: ServiceRef): Promise<ServiceState> {
    return cloudRun.describe(ref);
  }

  async function serviceUrlOf(ref: ServiceRef): Promise<string | undefined> {
    try {
      return (await cloudRun.describe(ref)).url || undefined;
    } catch (error) {
      log.warn('the service URL could not be read for target: service gates', {
        service: ref.service,
        error: messageOf(error),
      });
      return undefined;
    }
  }

  /**
   * Reconcile, don't replay: read the split Cloud Run reports, write only when it differs from `wanted`
   * (after checking the step is still current), and answer with what Cloud Run reports afterwards.
   */
  async function reconcile(
    ctx: EffectContext,
    what: string,
    wanted: Split,
    write: (ref: ServiceRef) => Promise<ServiceState>,
  ): Promise<Outcome> {
    const { ref } = targetOf(config, ctx.state.service, ctx.state.env);
    const before = splitOf((await reported(ref)).trafficStatuses);
    if (sameSplit(before, wanted)) {
      await audit(ctx, what, { before, after: before, reason: 'already as asked: nothing written' });
      return { event: { type: 'traffic-set', at: ctx.at(), traffic: before } };
    }
    await ctx.ensureCurrent();
    const after = splitOf((await write(ref)).trafficStatuses);
    crashPoint('after-set-traffic');
    await audit(ctx, what, { before, after });
    return { event: { type: 'traffic-set', at: ctx.at(), traffic: after } };
  }

  function routeControl(state: RunbookStateBase): RouteSplitControl {
    const control = ports.routeSplit?.(state.service, state.env);
    if (control) return control;
    throw new PlatformError(
      'route-split',
      'invalid',
      `no route-split control is configured for ${state.service} in ${state.env}`,
    );
  }

  const perform: EffectPerformer['perform'] = async (effect, ctx) => {
    const { state } = ctx;
    switch (effect.type) {
      case 'deploy': {
        const { ref } = targetOf(config, state.service, state.env);
        await ctx.ensureCurrent();
        const deployment = await cloudRun.deployNoTraffic(ref, {
          image: effect.image,
          revisionSuffix: revisionSuffix(ref.service, effect.tag, ctx.rolloutId),
        });
        crashPoint('after-deploy');
        const traffic = splitOf(deployment.state.trafficStatuses);
        const stableRevision = servingRevision(traffic, deployment.revision) ?? '';
        await audit(ctx, 'cloud-run.deploy', {
          after: { revision: deployment.revision, image: effect.image, traffic },
        });
        return {
          event: {
            type: 'deployed',
            at: ctx.at(),
            revision: deployment.revision,
            stableRevision,
            ...(deployment.tagUrl ? { canaryUrl: deployment.tagUrl } : {}),
            traffic,
          },
        };
      }

      case 'capture-before': {
        const gates: Record<string, Gate> = {};
        for (const name of effect.gates) {
          const gate = config.gates[name];
          if (gate?.kind === 'prometheus') gates[name] = gate;
        }
        if (Object.keys(gates).length === 0)
          return { event: { type: 'before-captured', at: ctx.at(), values: {} } };
        if (!ports.prometheus) {
          log.warn('capture-before: no Prometheus client; delta gates will be inconclusive', {
            rolloutId: ctx.rolloutId,
          });
          return { event: { type: 'before-captured', at: ctx.at(), values: {} } };
        }
        const { target } = targetOf(config, state.service, state.env);
        const captured = await captureBefore(gates, ports.prometheus, now(), target.prometheusUrl);
        return { event: { type: 'before-captured', at: ctx.at(), values: captured.values } };
      }

      case 'set-traffic':
        return reconcile(
          ctx,
          'cloud-run.traffic',
          canarySplit(effect.stable, effect.canary, effect.canaryPercent),
          (ref) =>
            cloudRun.setSplit(ref, {
              stable: effect.stable,
              canary: effect.canary,
              canaryPercent: effect.canaryPercent,
            }),
        );

      case 'rollback-traffic':
        return reconcile(ctx, 'cloud-run.rollback', { [effect.toRevision]: 100 }, (ref) =>
          cloudRun.rollbackTo(ref, effect.toRevision),
        );

      case 'route-override': {
        const control = routeControl(state);
        // Reconcile, as traffic does: a redriven flip (the replica died after the write) writes nothing.
        const wanted = overrideReadOf(effect.target);
        const found = wanted === undefined ? undefined : await control.status();
        // A cutover train's flip is audited apart: /route status must not call it a rollback's override.
        const what = state.kind === 'stream-cutover' ? 'route-split.cutover' : 'route-split.override';
        if (found && found.override === wanted) {
          await audit(ctx, what, {
            before: { override: found.override },
            after: { target: effect.target, override: found.override },
            reason: 'already as asked: nothing written',
          });
          return {
            event: {
              type: 'route-overridden',
              at: ctx.at(),
              target: effect.target,
              override: found.override,
            },
          };
        }
        await ctx.ensureCurrent();
        const status = await control.override(effect.target);
        await audit(ctx, what, {
          after: { target: effect.target, override: status.override },
        });
        return {
          event: { type: 'route-overridden', at: ctx.at(), target: effect.target, override: status.override },
        };
      }

      case 'tag-revision': {
        const { ref } = targetOf(config, state.service, state.env);
        const before = (await reported(ref)).trafficStatuses.find((t) => t.tag === effect.tag);
        const asked = effect.revision;
        // Reconcile, as traffic does: a redriven tag change finds it done and writes nothing.
        let after = before;
        if ((before?.revision || undefined) !== asked) {
          await ctx.ensureCurrent();
          const written = await cloudRun.setTag(ref, effect.tag, asked);
          after = written.trafficStatuses.find((t) => t.tag === effect.tag);
          await audit(ctx, 'cloud-run.tag', {
            before: { tag: effect.tag, revision: before?.revision ?? null },
            after: { tag: effect.tag, revision: after?.revision ?? null },
          });
        }
        return {
          event: {
            type: 'revision-tagged',
            at: ctx.at(),
            tag: effect.tag,
            ...(after?.revision ? { revision: after.revision } : {}),
            ...(after?.url ? { url: after.url } : {}),
          },
        };
      }

      case 'route-status': {
        const status = await routeControl(state).status();
        return { event: { type: 'route-read', at: ctx.at(), override: status.override, mode: status.mode } };
      }

      case 'read-traffic': {
        const { ref } = targetOf(config, state.service, state.env);
        const traffic = splitOf((await reported(ref)).trafficStatuses);
        return { event: { type: 'traffic-read', at: ctx.at(), traffic } };
      }

      case 'set-split':
        return reconcile(ctx, 'cloud-run.traffic', effect.split, (ref) =>
          cloudRun.setTraffic(ref, effect.split),
        );

      case 'dual-run': {
        const runner = ports.dualRun;
        if (!runner) throw new PlatformError('dual-run', 'invalid', 'no dual-run comparison is configured');
        const { target } = targetOf(config, state.service, state.env);
        const token = await accessToken(target);
        const results = await Promise.all(
          effect.gates.map((name) => {
            const gate = config.gates[name];
            if (gate?.kind !== 'sse-contract') return Promise.resolve(unknownGate(name, ctx.at()));
            return runner.compare(name, gate, {
              rustUrl: target.publicUrl,
              legacyUrl: effect.legacyUrl,
              ...(token === undefined ? {} : { accessToken: token }),
              now,
            });
          }),
        );
        return { event: { type: 'dual-run-done', at: ctx.at(), results } };
      }

      case 'read-error-budget': {
        if (!ports.errorBudget)
          throw new PlatformError('monitoring', 'invalid', 'no Cloud Monitoring SLO reader is configured');
        const budget = await ports.errorBudget.consumed(effect.slo);
        return { event: { type: 'error-budget-read', at: ctx.at(), budget } };
      }

      case 'evaluate': {
        const { target, ref } = targetOf(config, state.service, state.env);
        const token = await accessToken(target);
        const control = ports.routeSplit?.(state.service, state.env);
        // Read only when a gate asks (`target: service`): the run.app URL, for smokes that go around a
        // custom domain whose mapping is pending (seed 001). Unread, those gates say so as an error.
        const wantsServiceUrl =
          !effect.fast && effect.gates.some((name) => targetsService(config.gates[name]));
        const serviceUrl = wantsServiceUrl ? await serviceUrlOf(ref) : undefined;
        const gateCtx = {
          ...gateContextOf(effect, ctx, ports.kinds, target, now, token),
          ...(control && target.routeSplit
            ? { routeSplit: { evaluator: control, baseUrl: target.routeSplit.baseUrl } }
            : {}),
          ...(serviceUrl ? { serviceUrl } : {}),
        };
        if (effect.fast) {
          // A fast tick: only the fast signals; a gate without one (or a registry without them) says nothing.
          const fast = await Promise.all(
            effect.gates.map((name) => {
              const gate = config.gates[name];
              return gate ? ports.gates.evaluateFast?.(name, gate, gateCtx) : undefined;
            }),
          );
          const results = fast.filter((r): r is GateResult => r !== undefined);
          return { event: evaluatedEvent(effect, ctx.at(), results) };
        }
        const results = await Promise.all(
          effect.gates.map((name) => {
            const gate = config.gates[name];
            return gate
              ? ports.gates.evaluate(name, gate, gateCtx)
              : Promise.resolve(unknownGate(name, ctx.at()));
          }),
        );
        return { event: evaluatedEvent(effect, ctx.at(), results) };
      }

      case 'schedule':
        await locally(`schedule ${effect.timer} ${effect.key}`, ctx, () =>
          ports.scheduler.schedule(
            ctx.rolloutId,
            effect.timer,
            effect.key,
            effect.at,
            effect.event,
            ctx.jobId,
          ),
        );
        return undefined;

      case 'cancel':
        await locally(`cancel ${effect.timer} ${effect.key}`, ctx, () =>
          ports.scheduler.cancel(ctx.rolloutId, effect.timer, effect.key),
        );
        return undefined;

      case 'notify':
        // Slack is not the state of record: a message that cannot be posted is logged, not fatal.
        try {
          await locally(`notify ${effect.notification.kind}`, ctx, () =>
            ports.notify(ctx.rolloutId, effect.notification, String(ctx.version)),
          );
        } catch (error) {
          log.error('notification lost', {
            rolloutId: ctx.rolloutId,
            kind: effect.notification.kind,
            error: messageOf(error),
          });
        }
        return undefined;

      case 'open-incident': {
        const incident: IncidentInput = {
          rolloutId: ctx.rolloutId,
          ...serviceOf(state),
          symptom: effect.symptom,
          revisions: effect.revisions,
          at: ctx.at(),
          ...(effect.failedStage === undefined ? {} : { failedStage: effect.failedStage }),
          ...rollbackFacts(rollbackOf(state)),
        };
        await locally('open incident', ctx, () => (ports.incidents ?? recordIncident(store))(incident));
        await audit(ctx, 'incident.open', { after: { id: incidentId(ctx.rolloutId), ...incident } });
        return undefined;
      }

      case 'release-lock': {
        const released = await locally('release lock', ctx, () =>
          store.locks.release(ctx.fence.service, ctx.fence.env, ctx.fence.token),
        );
        if (released.ok) await audit(ctx, 'lock.release', { before: released.released });
        else log.warn('lock already gone at release', { rolloutId: ctx.rolloutId, reason: released.reason });
        return undefined;
      }

      case 'write-report': {
        const kind = kindOf(ports.kinds, state.kind);
        await locally('write report', ctx, () =>
          store.reports.put(ctx.rolloutId, kind.report(state, ctx.plan), now().toISOString()),
        );
        // The gates' track record, with the report: idempotent, so a redriven end counts once.
        await locally('record the gates', ctx, () => saveGateRecord(store, kind.gateRecord?.(state)));
        return { event: { type: 'report-written', at: ctx.at() } };
      }

      case 'run-job': {
        const { target } = targetOf(config, state.service, state.env);
        const run = await cloudRun.runJob(
          { project: target.project, region: target.region, job: effect.job },
          { timeoutMs: effect.timeoutMs },
        );
        await audit(ctx, 'cloud-run.job-run', { after: { job: effect.job, ...run } });
        return { event: { type: 'job-done', at: ctx.at(), job: effect.job, run } };
      }

      case 'check-preconditions': {
        const { target, ref } = targetOf(config, state.service, state.env);
        const outcome = await checkPreconditions({
          config,
          env: state.env,
          ref,
          image: effect.image,
          requiredEnv: target.requiredEnv,
          requiredSecrets: target.requiredSecrets,
          port: ports.preconditions,
          at: ctx.at(),
        });
        await audit(ctx, 'rollout.preconditions', {
          after: { blocking: outcome.blocking, image: outcome.image ?? effect.image },
        });
        return { event: { type: 'preconditions-done', at: ctx.at(), ...outcome } };
      }

      case 'read-flags': {
        const reading = await (await flagBackend(ctx)).read();
        return { event: { type: 'flags-read', at: ctx.at(), reading } };
      }

      case 'set-flags': {
        const backend = await flagBackend(ctx);
        // The backend reads first and writes only what differs: a redriven change writes nothing.
        await ctx.ensureCurrent();
        const result = await backend.set({
          values: effect.values,
          ...(effect.restore === undefined ? {} : { restore: effect.restore }),
        });
        crashPoint('after-set-flags');
        await audit(ctx, 'flags.set', {
          after: {
            values: result.values,
            where: result.where,
            version: result.version,
            written: result.written,
          },
          ...(result.written ? {} : { reason: 'already as asked: nothing written' }),
        });
        return { event: { type: 'flags-set', at: ctx.at(), result } };
      }

      default: {
        const unknown: never = effect;
        throw new TypeError(`unknown effect ${JSON.stringify(unknown)}`);
      }
    }
  };

  function flagBackend(ctx: EffectContext): Promise<FlagBackend> {
    if (!ports.flags)
      throw new PlatformError('flags', 'invalid', 'no flag backend is configured in this replica');
    return ports.flags({
      service: ctx.state.service,
      env: ctx.state.env,
      runbook: ctx.runbook as FlagCanaryRunbook,
    });
  }

  return { perform };
}

/** The rollback procedure a state runs or ran, whatever its kind (canary and standalone rollback keep it here). */
function rollbackOf(state: RunbookStateBase): RollbackState | undefined {
  return (state as { rollback?: RollbackState }).rollback;
}

function rollbackFacts(rb: RollbackState | undefined): Partial<IncidentInput> {
  if (!rb) return {};
  return {
    ...(rb.trafficBefore ? { trafficBefore: rb.trafficBefore } : {}),
    ...(rb.trafficAfter ? { trafficAfter: rb.trafficAfter } : {}),
    ...(rb.routeOverride ? { routeOverride: rb.routeOverride } : {}),
    by: rb.by ?? 'shiftgate',
  };
}

/** The default incident port: a bot entry in the store's timeline of the rollout's incident. */
export function recordIncident(store: Store): IncidentPort {
  return async (incident) => {
    const stage = incident.failedStage ? ` at stage ${incident.failedStage}` : '';
    const from = incident.revisions.from ? `${incident.revisions.from} -> ` : '';
    await store.timelines.add(incidentId(incident.rolloutId), {
      at: incident.at,
      author: 'shiftgate',
      source: 'bot',
      // A fixed ts: opening the incident again (a redriven step) adds nothing.
      ts: 'shiftgate-open-incident',
      text: `Incident opened${stage}: ${incident.symptom}. Revisions: ${from}${incident.revisions.to}.`,
    });
  };
}
