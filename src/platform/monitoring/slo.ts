import { MetricServiceClient, ServiceMonitoringServiceClient } from '@google-cloud/monitoring';
import type { ErrorBudget, ErrorBudgetReader } from '../../runbooks/ports/error-budget.ts';
import { PlatformError } from '../../runbooks/ports/errors.ts';
import { type GoogleTarget, googleClientOptions } from '../google.ts';
import { type CallContext, type CallPolicy, callGoogle, callPolicyOf } from './google-call.ts';
import { quote } from './queries.ts';

// An SLO's error budget through @google-cloud/monitoring: the SLO itself (goal, period) from the
// service-monitoring API, and the fraction of its budget left from the time series
// `select_slo_budget_fraction("<slo>")`, read raw (one DOUBLE gauge series) over the last hour. SLO
// series arrive minutes late like the metrics they are computed from, so the newest point that exists
// wins, however old; none in the hour is 'invalid' (a new SLO, or one whose service has no data).
// Both reads go out at once, on the shared call policy (deadline, bounded retry, error mapping).

const SYSTEM = 'monitoring';
const ROLE = 'roles/monitoring.viewer';
const SLO_NAME = /^projects\/([^/]+)\/services\/[^/]+\/serviceLevelObjectives\/[^/]+$/;
const DAY_S = 86_400;

export interface ErrorBudgetReaderOptions extends Partial<CallPolicy> {
  /** Production: {projectId}; tests and the sandbox add the twin's endpoint. */
  target: GoogleTarget;
  /** How far back the newest budget point is looked for; default an hour. */
  lookbackMs?: number;
  /** Clock for the end of the read; default the system clock. */
  now?: () => Date;
}

export interface ErrorBudgetAdapter extends ErrorBudgetReader {
  close(): Promise<void>;
}

export function createErrorBudgetReader(options: ErrorBudgetReaderOptions): ErrorBudgetAdapter {
  const policy = callPolicyOf(options);
  const lookbackMs = options.lookbackMs ?? 3_600_000;
  const now = options.now ?? (() => new Date());
  const clientOptions = googleClientOptions(options.target);
  const slos = new ServiceMonitoringServiceClient(clientOptions);
  const metrics = new MetricServiceClient(clientOptions);

  async function consumed(slo: string): Promise<ErrorBudget> {
    const project = SLO_NAME.exec(slo)?.[1];
    if (!project) {
      throw new PlatformError(
        SYSTEM,
        'invalid',
        `"${slo}" is no SLO name: expected projects/P/services/S/serviceLevelObjectives/O`,
      );
    }
    const end = now().getTime();
    const interval = { startTime: timestampOf(end - lookbackMs), endTime: timestampOf(end) };
    const objectiveContext: CallContext = { system: SYSTEM, what: `Cloud Monitoring SLO ${slo}`, role: ROLE };
    const budgetContext: CallContext = {
      system: SYSTEM,
      what: `Cloud Monitoring error budget of SLO ${slo}`,
      role: ROLE,
    };
    const [objective, series] = await Promise.allSettled([
      callGoogle(objectiveContext, policy, (gax) => slos.getServiceLevelObjective({ name: slo }, gax)),
      callGoogle(budgetContext, policy, (gax) =>
        metrics.listTimeSeries(
          {
            name: `projects/${project}`,
            filter: `select_slo_budget_fraction(${quote(slo)})`,
            interval,
            view: 'FULL',
          },
          gax,
        ),
      ),
    ]);
    // The SLO's own failure first, so an unknown SLO reads the same whichever call answered first.
    if (objective.status === 'rejected') throw named(objective.reason, slo);
    if (series.status === 'rejected') throw named(series.reason, slo);
    const [definition] = objective.value;
    // One SLO is one series, and an hour of its points is far below a page (100,000 points).
    const [list] = series.value;

    const point = newest(list as SeriesLike[]);
    if (!point) {
      const minutes = Math.round(lookbackMs / 60_000);
      throw new PlatformError(
        SYSTEM,
        'invalid',
        `${budgetContext.what}: no point in the last ${minutes} min; Cloud Monitoring computes it minutes ` +
          'after the SLO exists and only while its service reports data',
      );
    }
    const displayName = definition.displayName || undefined;
    return {
      slo,
      ...(displayName ? { displayName } : {}),
      goal: Number(definition.goal ?? 0),
      period: periodOf(definition),
      consumedPercent: Math.round((1 - point.fraction) * 100 * 100) / 100,
      at: new Date(point.at).toISOString(),
    };
  }

  return {
    consumed,
    close: async () => {
      await Promise.all([slos.close(), metrics.close()]);
    },
  };
}

/** A not-found names the SLO and what to check; any other failure is already worded. */
function named(error: unknown, slo: string): unknown {
  if (!(error instanceof PlatformError) || error.kind !== 'not-found') return error;
  const said =
    error.cause instanceof Error && error.cause.message ? ` (Cloud Monitoring: ${error.cause.message})` : '';
  return new PlatformError(
    SYSTEM,
    'not-found',
    `Cloud Monitoring has no SLO ${slo}; check the project, service and SLO ids${said}`,
    { cause: error.cause },
  );
}

interface DurationLike {
  seconds?: unknown;
  nanos?: number | null;
}

interface ObjectiveLike {
  rollingPeriod?: DurationLike | null;
  calendarPeriod?: unknown;
}

const CALENDAR_PERIODS: Record<number, string> = {
  1: 'DAY',
  2: 'WEEK',
  3: 'FORTNIGHT',
  4: 'MONTH',
  5: 'QUARTER',
  6: 'HALF',
  7: 'YEAR',
};

/** "rolling 28d" or "calendar MONTH" (the library gives enums as names; a number is read too). */
function periodOf(objective: ObjectiveLike): string {
  const rolling = objective.rollingPeriod;
  if (rolling) {
    const seconds = numberOf(rolling.seconds) + (rolling.nanos ?? 0) / 1e9;
    if (seconds > 0) return seconds % DAY_S === 0 ? `rolling ${seconds / DAY_S}d` : `rolling ${seconds}s`;
  }
  const calendar = objective.calendarPeriod;
  const name = typeof calendar === 'number' ? CALENDAR_PERIODS[calendar] : calendar;
  if (typeof name === 'string' && name !== '' && name !== 'CALENDAR_PERIOD_UNSPECIFIED')
    return `calendar ${name}`;
  return 'unknown period';
}

// The parts of a TimeSeries read here. Over REST int64 arrives as a string; over gRPC it may be a Long.
interface SeriesLike {
  points?: PointLike[] | null;
}

interface PointLike {
  interval?: { endTime?: DurationLike | null } | null;
  value?: { doubleValue?: unknown } | null;
}

/** The most recent point over every series (Monitoring lists the newest first, but do not rely on it). */
function newest(series: readonly SeriesLike[]): { at: number; fraction: number } | undefined {
  let best: { at: number; fraction: number } | undefined;
  for (const one of series) {
    for (const point of one.points ?? []) {
      const raw = point.value?.doubleValue;
      const fraction = typeof raw === 'number' ? raw : Number.NaN;
      const end = point.interval?.endTime;
      if (!Number.isFinite(fraction) || !end) continue;
      const at = numberOf(end.seconds) * 1000 + Math.floor((end.nanos ?? 0) / 1e6);
      if (!best || at > best.at) best = { at, fraction };
    }
  }
  return best;
}

// To the millisecond: a point written a moment ago is inside the interval, not after its end.
const timestampOf = (ms: number) => ({ seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1_000_000 });

function numberOf(value: unknown): number {
  if (value === null || value === undefined) return 0;
  const number = typeof value === 'object' ? Number(String(value)) : Number(value);
  return Number.isFinite(number) ? number : 0;
}
