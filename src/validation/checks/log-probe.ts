import { formatDuration } from '../../config/duration.ts';
import type { ValidationLane } from '../../config/validation.ts';
import { shellQuote } from '../../gates/curl.ts';
import { messageOf } from '../../gates/error-result.ts';
import type { LogCountResult } from '../../gates/ports/logging.ts';
import { formatNumber } from '../../gates/render.ts';
import {
  type CheckContext,
  notMeasured,
  type Observation,
  type ValidationPorts,
  windowOf,
} from './context.ts';

// Seed 002's Cloud Logging error probe: entries matching the lane's filter (severity>=ERROR) on the
// revisions serving the service, over the lane's window (the last 10 minutes). Like the seed's
// `gcloud logging read ... --freshness=10m`, the probe records what it found and passes when the logs
// could be read; with `maxEntries` it also fails above that many.

type LogProbeLane = Extract<ValidationLane, { kind: 'log-probe' }>;

export async function logProbeCheck(
  ctx: CheckContext,
  ports: Pick<ValidationPorts, 'logging'>,
): Promise<Observation> {
  const lane = ctx.lane as LogProbeLane;
  const { target } = ctx;
  const what = `log entries matching ${lane.filter} over the last ${formatDuration(lane.window)}`;
  const expected =
    lane.maxEntries === undefined
      ? 'logs readable (the count is recorded)'
      : `at most ${formatNumber(lane.maxEntries)} entries`;
  const planned = `gcloud logging read ${shellQuote(
    `resource.type="cloud_run_revision" AND resource.labels.service_name="${target.cloudRunService}" AND (${lane.filter})`,
  )} --project ${shellQuote(target.project)} --freshness=${formatDuration(lane.window)}`;

  let revisions: string[];
  try {
    const state = await ctx.describe();
    const serving = state.trafficStatuses.filter((t) => t.percent > 0 && t.revision).map((t) => t.revision);
    revisions = [...new Set(serving.length > 0 ? serving : [state.latestReadyRevision ?? ''])].filter(
      Boolean,
    );
  } catch (error) {
    return notMeasured(
      what,
      expected,
      planned,
      `the revisions serving could not be read: ${messageOf(error)}`,
    );
  }
  if (revisions.length === 0)
    return notMeasured(what, expected, planned, 'no revision of the service serves traffic');

  let counted: LogCountResult;
  try {
    counted = await ports.logging.countEntries({
      project: target.project,
      service: target.cloudRunService,
      location: target.region,
      window: windowOf(ctx),
      revisions,
      filter: lane.filter,
      // Recording a count needs no more than a page: "1,000+" says enough.
      ...(lane.maxEntries === undefined ? { maxPages: 1 } : {}),
    });
  } catch (error) {
    return notMeasured(what, expected, planned, messageOf(error));
  }
  const counts = revisions.map(
    (r) => counted.counts[r] ?? { count: 0, complete: true, pages: 0, filter: '' },
  );
  const total = counts.reduce((sum, c) => sum + c.count, 0);
  const complete = counts.every((c) => c.complete);
  const evidence = counts
    .filter((c) => c.filter)
    .map((c) => `gcloud logging read ${shellQuote(c.filter)} --project ${shellQuote(target.project)}`)
    .join(' ; ');
  const observed = `${formatNumber(total)}${complete ? '' : '+'} entries on ${revisions.join(', ')}`;
  const head = `${what}: ${observed}`;
  if (lane.maxEntries === undefined) {
    return { status: 'pass', observed, expected, line: `${head} (${expected}): pass`, evidence };
  }
  if (total > lane.maxEntries) {
    const reason = `more than ${formatNumber(lane.maxEntries)}`;
    return { status: 'fail', observed, expected, line: `${head} (${reason}): FAIL`, evidence, reason };
  }
  if (!complete) {
    const reason = 'the count stopped at the page bound before it could be judged';
    return { status: 'error', observed, expected, line: `${head} (${reason}): ERROR`, evidence, reason };
  }
  return { status: 'pass', observed, expected, line: `${head} (${expected}): pass`, evidence };
}
