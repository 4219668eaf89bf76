import {
  type CompleteWindow,
  completeWindow,
  errorRates,
  judgedOn,
  plannedMonitoringEvidence,
  type RevisionPair,
  readRevisionPair,
  waitingResult,
} from '../baseline.ts';
import { shellQuote } from '../curl.ts';
import { errorResult, messageOf } from '../error-result.ts';
import type { AuditEventResult, CloudLogging, LogCount, LogCountResult } from '../ports/logging.ts';
import type { CloudMonitoring } from '../ports/monitoring.ts';
import { formatNumber } from '../render.ts';
import type { GateContext, GateOf, GateProvider, GateResult } from '../result.ts';

// Log-based gates of seed 000: auth verify failures and sync token errors "do not spike", and the audit
// events (auth.verify.completed, sync.token.issued, route.split.decision) "remain present".
//
// error-spike: canary errors per canary request against stable errors per stable request over the same
// window, the requests from Cloud Monitoring (so a canary at 5 % is not compared on raw counts). Fails
// when the canary's rate is more than maxRatioToStable times stable's AND the canary has at least
// minCount errors. A stable revision with no errors is taken as half an error (a small additive prior):
// the ratio stays finite, a busy clean stable still makes a handful of canary errors a spike, and an idle
// stable (a few requests) does not turn the canary's normal background into one. A ratio over the limit
// with fewer than minCount canary errors is inconclusive (never fail, but not a pass either: the next,
// longer window decides). A count stopped by the page bound is a lower bound: a verdict it could
// overturn is inconclusive, and the reason says so.
//
// audit-events: each event needs minCount entries in the window across all the service's revisions
// ("remain present" is about the service: at 5 % a canary may see no sign-in in ten minutes). Events
// are matched on `field` of the parsed JSON payload, so an entry that is not parseable JSON does not
// count. Missing events fail, by name, unless the stable and canary revisions served no request at all
// (absence then proves nothing: inconclusive).

type CloudLoggingGate = GateOf<'cloud-logging'>;
type ErrorSpikeGate = Extract<CloudLoggingGate, { check: 'error-spike' }>;
type AuditEventsGate = Extract<CloudLoggingGate, { check: 'audit-events' }>;

export interface CloudLoggingGateDeps {
  logging: CloudLogging;
  monitoring: CloudMonitoring;
}

/** Errors counted for a stable revision that had none, so the ratio to it stays finite. */
export const STABLE_ZERO_PRIOR = 0.5;

export function createCloudLoggingGate(deps: CloudLoggingGateDeps): GateProvider<CloudLoggingGate> {
  return {
    async evaluate(name, gate, ctx) {
      if (gate.check !== 'error-spike') return auditEvents(deps, name, gate, ctx);
      // Errors per request: both counts over the part of the window whose request counts are complete.
      const window = completeWindow(deps.monitoring, ctx);
      return judgedOn(await errorSpike(deps, name, gate, window), window);
    },
  };
}

async function errorSpike(
  deps: CloudLoggingGateDeps,
  name: string,
  gate: ErrorSpikeGate,
  window: CompleteWindow,
): Promise<GateResult> {
  const { ctx } = window;
  const metric = `${name} per request`;
  const limit = formatNumber(gate.maxRatioToStable);
  const threshold = `${limit}x stable, from ${formatNumber(gate.minCount)} errors`;
  if (window.waiting) {
    const evidence = plannedMonitoringEvidence(ctx, 'request_count');
    return waitingResult(name, 'cloud-logging', window, { metric, threshold, evidence });
  }
  let counts: { canary?: LogCount; stable?: LogCount };
  let pair: RevisionPair;
  try {
    [counts, pair] = await Promise.all([
      countErrors(deps.logging, gate, ctx),
      readRevisionPair(deps.monitoring, ctx, []),
    ]);
  } catch (error) {
    const revisions = `canary ${ctx.canaryRevision} vs stable ${ctx.stableRevision}`;
    const evidence = `${gate.filter} (${revisions}; ${plannedMonitoringEvidence(ctx, 'request_count')})`;
    return errorResult(name, gate, ctx, { metric, threshold, evidence, reason: messageOf(error) });
  }
  const none: LogCount = { count: 0, complete: true, pages: 0, filter: gate.filter };
  const canary = counts.canary ?? none;
  const stable = counts.stable ?? none;
  const requests = { canary: pair.canary.requests, stable: pair.stable.requests };
  const base = {
    gate: name,
    kind: 'cloud-logging' as const,
    metric,
    threshold,
    ...errorRates(
      { errors: canary.count, requests: requests.canary },
      { errors: stable.count, requests: requests.stable },
    ),
    evidence: `gcloud logging read ${shellQuote(canary.filter)} --project ${shellQuote(ctx.project)}`,
    at: ctx.now().toISOString(),
  };
  const counted = (count: LogCount) => `${formatNumber(count.count)}${count.complete ? '' : '+'}`;
  const seen = `${counted(canary)} canary errors vs ${counted(stable)} on stable`;
  if (requests.canary === 0) {
    return {
      ...base,
      status: 'inconclusive',
      reason: 'the canary served no requests',
      summary: 'The canary served no requests yet.',
    };
  }
  const chart = { panel: 'error-logs' as const };
  if (requests.stable === 0) {
    return {
      ...base,
      plot: chart,
      status: 'inconclusive',
      reason: `${seen}; stable served no requests to compare with`,
      summary: 'Stable served no requests to compare with.',
    };
  }

  const stableErrors = stable.count === 0 ? STABLE_ZERO_PRIOR : stable.count;
  const ratio = canary.count / requests.canary / (stableErrors / requests.stable);
  // The line the canary's errors per request must stay under, in % like `observed`.
  const limitPercent = Number(
    ((100 * stableErrors * gate.maxRatioToStable) / requests.stable).toPrecision(4),
  );
  const plotted = { ...base, plot: { ...chart, limit: limitPercent } };
  const notes = [seen];
  if (stable.count === 0) {
    notes.push(`stable had none, taken as ${STABLE_ZERO_PRIOR} (ratio ${formatNumber(ratio)}x)`);
  }
  const lowerBound = (which: string) => `the ${which} count is a lower bound (page bound reached)`;
  const reason = (...more: string[]) => [...notes, ...more].join('; ');

  const cut = 'A count stopped at the page bound, so it cannot judge.';
  if (ratio > gate.maxRatioToStable) {
    if (canary.count < gate.minCount) {
      return {
        ...plotted,
        status: 'inconclusive',
        reason: reason(`fewer than the ${formatNumber(gate.minCount)} canary errors that can fail`),
        summary: `Above ${limit}x stable, but on too few errors to fail.`,
      };
    }
    // A stable count stopped early may hide the errors that would bring the ratio back under the limit.
    if (!stable.complete) {
      return { ...plotted, status: 'inconclusive', reason: reason(lowerBound('stable')), summary: cut };
    }
    return {
      ...plotted,
      status: 'fail',
      reason: reason(`spike: more than ${limit}x stable`, ...(canary.complete ? [] : [lowerBound('canary')])),
      summary: `The canary logs more than ${limit}x stable's errors per request.`,
    };
  }
  // A canary count stopped early may hide the errors that would put the ratio over the limit.
  if (!canary.complete) {
    return { ...plotted, status: 'inconclusive', reason: reason(lowerBound('canary')), summary: cut };
  }
  return {
    ...plotted,
    status: 'pass',
    reason: reason(...(stable.complete ? [] : [lowerBound('stable')])),
    summary: `No spike: under ${limit}x stable's errors per request.`,
  };
}

/**
 * The errors of the canary and of its baseline: the stable revision over the same window (one query), or,
 * after promotion (ctx.baseline), the previous revision over the window before it stopped serving.
 */
async function countErrors(
  logging: CloudLogging,
  gate: ErrorSpikeGate,
  ctx: GateContext,
): Promise<{ canary?: LogCount; stable?: LogCount }> {
  const query = { project: ctx.project, service: ctx.service, location: ctx.region, filter: gate.filter };
  const base = ctx.baseline;
  if (base === undefined) {
    const found: LogCountResult = await logging.countEntries({
      ...query,
      window: ctx.window,
      revisions: [ctx.stableRevision, ctx.canaryRevision],
    });
    return { canary: found.counts[ctx.canaryRevision], stable: found.counts[ctx.stableRevision] };
  }
  const [now, before] = await Promise.all([
    logging.countEntries({ ...query, window: ctx.window, revisions: [ctx.canaryRevision] }),
    logging.countEntries({ ...query, window: base.window, revisions: [base.revision] }),
  ]);
  return { canary: now.counts[ctx.canaryRevision], stable: before.counts[base.revision] };
}

async function auditEvents(
  deps: CloudLoggingGateDeps,
  name: string,
  gate: AuditEventsGate,
  ctx: GateContext,
): Promise<GateResult> {
  const metric = 'audit events';
  const threshold = `>= ${formatNumber(gate.minCount)} each`;
  let found: AuditEventResult;
  try {
    found = await deps.logging.auditEvents({
      project: ctx.project,
      service: ctx.service,
      location: ctx.region,
      window: ctx.window,
      revisions: [],
      events: gate.events,
      field: gate.field,
      enough: gate.minCount,
    });
  } catch (error) {
    const evidence = `${gate.field} in (${gate.events.join(', ')}) for service ${ctx.service}`;
    return errorResult(name, gate, ctx, { metric, threshold, evidence, reason: messageOf(error) });
  }
  const countOf = (event: string) => found.counts[event] ?? 0;
  const missing = gate.events.filter((event) => countOf(event) < gate.minCount);
  const base = {
    gate: name,
    kind: 'cloud-logging' as const,
    metric,
    threshold,
    observed: { value: gate.events.map((event) => `${event} ${formatNumber(countOf(event))}`).join(', ') },
    samples: gate.events.reduce((sum, event) => sum + countOf(event), 0),
    samplesUnit: 'log entries',
    evidence: `gcloud logging read ${shellQuote(found.filter)} --project ${shellQuote(ctx.project)}`,
    at: ctx.now().toISOString(),
  };
  if (missing.length === 0) {
    // Listing stops once every event has minCount entries: the counts are then lower bounds.
    return {
      ...base,
      status: 'pass',
      ...(found.complete ? {} : { reason: 'counted until each had enough' }),
    };
  }
  const names = missing.join(', ');
  if (!found.complete) {
    return {
      ...base,
      status: 'inconclusive',
      reason: `page bound reached after ${formatNumber(found.pages)} pages before ${names} showed`,
    };
  }
  // Absent events in a window with no traffic prove nothing.
  let served: number;
  try {
    const pair = await readRevisionPair(deps.monitoring, ctx, []);
    served = pair.canary.requests + pair.stable.requests;
  } catch (error) {
    return errorResult(name, gate, ctx, {
      metric,
      threshold,
      evidence: plannedMonitoringEvidence(ctx, 'request_count'),
      reason: `${names} missing, and the request count to judge that could not be read: ${messageOf(error)}`,
    });
  }
  if (served === 0) {
    return {
      ...base,
      status: 'inconclusive',
      reason: `${names} missing, but no requests were served in the window`,
    };
  }
  return {
    ...base,
    status: 'fail',
    reason: `missing: ${names}, in a window of ${formatNumber(served)} requests`,
  };
}
