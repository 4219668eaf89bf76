import type { Gate } from '../config/gates.ts';
import type { ShiftgateConfig } from '../config/schema.ts';
import type { GateResult } from '../gates/result.ts';
import {
  type EffectContext,
  type EffectPerformer,
  evaluatedEvent,
  type Outcome,
  targetOf,
} from './effects.ts';
import type { CloudRun } from './ports/cloud-run.ts';
import { timerJobId } from './scheduler.ts';
import { canarySplit, servingRevision, splitOf } from './traffic.ts';
import type { Effect, PlanEntry } from './types.ts';

// Dry-run: the runbook runs exactly as it would, but no effect changes Cloud Run or the route split. Each
// effect is recorded in the rollout's plan, in order, and answered with a plausible outcome:
//
// - deploy: the service is read (reads change nothing) for the revision that serves now and its split;
//   the new revision is named `<service>-dryrun` and its tag URL made up from the service URL.
// - set-traffic / rollback-traffic: traffic-set with exactly the split asked for.
// - route-override: route-overridden with the target asked for; set-split: traffic-set with that split.
// - tag-revision: revision-tagged as asked, nothing written.
// - route-status, read-traffic, read-error-budget: read for real (reads change nothing).
// - dual-run: like evaluate, not run. set-flags: flags-set with the values asked, nothing written.
//   run-job: job-done with exit code 0, not run.
// - capture-before: no values (the delta gates would read them).
// - evaluate: gates are NOT run. The canary revision does not exist, so every gate aimed at it would
//   measure nothing and the judge would stop the plan at the first stage as inconclusive; instead each
//   gate answers `pass` with reason "dry-run: not evaluated", so the plan shows every stage the runbook
//   would walk. Its evidence says what it would have checked.
// - tick and retry timers fire at once, carrying their due time, so a plan of 40 minutes of watch windows
//   is written in milliseconds; approval-expiry timers stay real, since people answer in real time.
// - open-incident: recorded in the plan only. notify, release-lock, write-report and approval timers are
//   performed for real: they change nothing outside shiftgate, and people see the plan through them.

export const DRY_RUN_REVISION_SUFFIX = 'dryrun';

/** The plan after a step: what it had, and this step's effects. */
export function extendPlan(
  plan: readonly PlanEntry[],
  effects: readonly Effect[],
  at: string,
  after: string,
): PlanEntry[] {
  const next = [...plan];
  for (const effect of effects) next.push({ n: next.length + 1, at, after, effect });
  return next;
}

const TARGET_WORDS: Record<'canary' | 'public' | 'service', string> = {
  canary: 'canary URL',
  public: 'public URL',
  service: "service's run.app URL",
};

function describeGate(name: string, gate: Gate | undefined): string {
  if (!gate) return `gate ${name} (not in the config)`;
  switch (gate.kind) {
    case 'http': {
      const where = `http ${gate.method} ${gate.path} on the ${TARGET_WORDS[gate.target]}`;
      if (!gate.bypass) return where;
      const without = gate.expectWithoutBypass ? ', and the maintenance answer without it' : '';
      return `${where} through the maintenance bypass${without}`;
    }
    case 'sse-contract':
      return `${gate.kind} ${gate.method} ${gate.path} on the ${TARGET_WORDS[gate.target]}`;
    case 'cloud-monitoring':
      return `Cloud Monitoring ${gate.metric} of the canary revision`;
    case 'cloud-logging':
      return `Cloud Logging ${gate.check}`;
    case 'prometheus':
      return `PromQL ${gate.query}`;
    case 'route-split':
      return `route split of ${gate.path}, expecting ${gate.expect}`;
    case 'domain-mapping':
      return `the Cloud Run domain mapping of ${gate.domain}: routes to the service, Ready and CertificateProvisioned`;
    default:
      return `gate ${name}`;
  }
}

export function dryRunResult(name: string, gate: Gate | undefined, at: string): GateResult {
  return {
    gate: name,
    kind: gate?.kind ?? 'http',
    status: 'pass',
    metric: gate?.description ?? name,
    threshold: '-',
    samples: 0,
    evidence: `dry-run: would check ${describeGate(name, gate)}`,
    reason: 'dry-run: not evaluated',
    at,
  };
}

export interface DryRunPorts {
  config: ShiftgateConfig;
  /** Read only: describe. */
  cloudRun: Pick<CloudRun, 'describe'>;
  /** The real performer, for the effects a dry-run performs for real. */
  real: EffectPerformer;
}

export function createDryRunEffects(ports: DryRunPorts): EffectPerformer {
  const { config, real } = ports;

  async function perform(effect: Effect, ctx: EffectContext): Promise<Outcome | undefined> {
    const at = ctx.at();
    const { state } = ctx;
    switch (effect.type) {
      case 'deploy': {
        const { ref } = targetOf(config, state.service, state.env);
        const service = await ports.cloudRun.describe(ref);
        const traffic = splitOf(service.trafficStatuses);
        const url = new URL(service.url);
        url.hostname = `canary---${url.hostname}`;
        return {
          event: {
            type: 'deployed',
            at,
            revision: `${ref.service}-${DRY_RUN_REVISION_SUFFIX}`,
            stableRevision: servingRevision(traffic) ?? service.latestReadyRevision ?? '',
            canaryUrl: url.origin,
            traffic,
          },
        };
      }
      case 'capture-before':
        return { event: { type: 'before-captured', at, values: {} } };
      case 'set-traffic':
        return {
          event: {
            type: 'traffic-set',
            at,
            traffic: canarySplit(effect.stable, effect.canary, effect.canaryPercent),
          },
        };
      case 'rollback-traffic':
        return { event: { type: 'traffic-set', at, traffic: { [effect.toRevision]: 100 } } };
      case 'route-override':
        return { event: { type: 'route-overridden', at, target: effect.target } };
      case 'set-split':
        return { event: { type: 'traffic-set', at, traffic: effect.split } };
      case 'tag-revision':
        return {
          event: {
            type: 'revision-tagged',
            at,
            tag: effect.tag,
            ...(effect.revision === undefined ? {} : { revision: effect.revision }),
          },
        };
      case 'dual-run':
        return {
          event: {
            type: 'dual-run-done',
            at,
            results: effect.gates.map((name) => {
              const result = dryRunResult(name, config.gates[name], at);
              return { ...result, evidence: `${result.evidence}, and the same on ${effect.legacyUrl}` };
            }),
          },
        };
      case 'run-job':
        return {
          event: {
            type: 'job-done',
            at,
            job: effect.job,
            run: {
              execution: 'dry-run',
              status: 'succeeded',
              succeeded: true,
              exitCode: 0,
              message: 'dry-run: not run',
            },
          },
        };
      case 'set-flags': {
        const before = (ctx.state as { flagsBefore?: { where: string; version: string } }).flagsBefore;
        return {
          event: {
            type: 'flags-set',
            at,
            result: {
              values: effect.values,
              version: before?.version ?? 'dry-run',
              where: before?.where ?? 'dry-run: the backend was not written',
              written: false,
            },
          },
        };
      }
      // Reads change nothing: a rehearsal shows what it found.
      case 'read-flags':
      case 'check-preconditions':
      case 'route-status':
      case 'read-traffic':
      case 'read-error-budget':
        return real.perform(effect, ctx);
      case 'evaluate':
        return {
          event: evaluatedEvent(
            effect,
            at,
            effect.gates.map((name) => dryRunResult(name, config.gates[name], at)),
          ),
        };
      case 'open-incident':
        return undefined;
      case 'schedule':
        if (effect.timer === 'approval-expiry') return real.perform(effect, ctx);
        // Fast-forward: the timer fires now, carrying its due time.
        return {
          event: effect.event,
          eventId: `${timerJobId(ctx.rolloutId, effect.timer, effect.key)}@${effect.at}`,
        };
      case 'cancel':
      case 'notify':
      case 'release-lock':
      case 'write-report':
        return real.perform(effect, ctx);
      default: {
        const unknown: never = effect;
        throw new TypeError(`unknown effect ${JSON.stringify(unknown)}`);
      }
    }
  }

  return { perform };
}
