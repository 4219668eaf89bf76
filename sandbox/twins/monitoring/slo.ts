import { InvalidArgument } from '../google-rest.ts';

// Service-level objectives as Cloud Monitoring's service-monitoring API holds them, and the one SLO time
// series the twin answers: `select_slo_budget_fraction("projects/P/services/S/serviceLevelObjectives/O")`,
// the fraction of the error budget left (1 untouched, 0 spent, below 0 overspent).
// - GET /v3/projects/P/services/S/serviceLevelObjectives/O answers the ServiceLevelObjective:
//   {name, displayName, serviceLevelIndicator, goal, rollingPeriod: "2419200s" | calendarPeriod: "MONTH"}.
// - A test or the sandbox sets the budget fraction over time (setBudgetFraction); the series is a DOUBLE
//   GAUGE sampled every sample period, each point carrying the value last set before it, and a point is
//   visible only once the twin's ingestion latency has passed, as the metrics' points are.
// The constraints are service.proto's: 0 < goal <= 0.9999, a rolling period a whole number of days up to
// 30, a calendar period DAY, WEEK, FORTNIGHT or MONTH. The twin reads SLO series raw only (no aggregation)
// and knows no other select_slo_* selector: both answer 400 rather than something made up.

export const CALENDAR_PERIODS = { DAY: 1, WEEK: 2, FORTNIGHT: 3, MONTH: 4 } as const;
export type CalendarPeriod = keyof typeof CALENDAR_PERIODS;

export interface SloSpec {
  /** projects/P/services/S/serviceLevelObjectives/O */
  name: string;
  displayName?: string;
  /** 0 < goal <= 0.9999. */
  goal: number;
  /** A Duration as the REST API writes it, whole days: "2419200s" is 28 days. Exactly one period. */
  rollingPeriod?: string;
  calendarPeriod?: CalendarPeriod;
  /** As the API holds it; default a request-based good/total ratio over Cloud Run's request_count. */
  serviceLevelIndicator?: Record<string, unknown>;
}

interface Slo extends SloSpec {
  /** Budget fraction remaining, as set over time (oldest first). */
  budget: { at: number; fraction: number }[];
}

const SLO_NAME = /^projects\/([^/]+)\/services\/([^/]+)\/serviceLevelObjectives\/([^/]+)$/;
const SELECTOR = /^\s*(select_slo_\w+)\s*\(\s*"((?:[^"\\]|\\.)*)"\s*(?:,\s*"[^"]*"\s*)?\)\s*$/;
const DAY_S = 86_400;

export class SloStore {
  private readonly slos = new Map<string, Slo>();

  define(spec: SloSpec): void {
    const match = SLO_NAME.exec(spec.name);
    if (!match)
      throw new Error(
        `twin: an SLO name is projects/P/services/S/serviceLevelObjectives/O, not ${spec.name}`,
      );
    if (!(spec.goal > 0 && spec.goal <= 0.9999))
      throw new Error(`twin: an SLO goal is in (0, 0.9999], not ${spec.goal}`);
    if ((spec.rollingPeriod === undefined) === (spec.calendarPeriod === undefined)) {
      throw new Error('twin: an SLO has exactly one of rollingPeriod and calendarPeriod');
    }
    if (spec.rollingPeriod !== undefined) {
      const seconds = /^(\d+)s$/.exec(spec.rollingPeriod)?.[1];
      const days = Number(seconds) / DAY_S;
      if (!seconds || !Number.isInteger(days) || days < 1 || days > 30) {
        throw new Error(
          `twin: a rolling period is a whole number of days up to 30 ("2419200s"), not ${spec.rollingPeriod}`,
        );
      }
    }
    if (spec.calendarPeriod !== undefined && !(spec.calendarPeriod in CALENDAR_PERIODS)) {
      throw new Error(`twin: a calendar period is DAY, WEEK, FORTNIGHT or MONTH, not ${spec.calendarPeriod}`);
    }
    const [, , service] = match;
    this.slos.set(spec.name, {
      ...spec,
      serviceLevelIndicator: spec.serviceLevelIndicator ?? defaultIndicator(service as string),
      budget: this.slos.get(spec.name)?.budget ?? [],
    });
  }

  setBudgetFraction(name: string, fraction: number, at: number): void {
    const slo = this.slos.get(name);
    if (!slo) throw new Error(`twin: no SLO ${name}; define it first`);
    if (!Number.isFinite(fraction) || fraction > 1) {
      throw new Error(
        `twin: a budget fraction remaining is at most 1 (below 0 when overspent), not ${fraction}`,
      );
    }
    slo.budget.push({ at, fraction });
    slo.budget.sort((a, b) => a.at - b.at);
  }

  get(name: string): Slo | undefined {
    return this.slos.get(name);
  }

  clear(): void {
    this.slos.clear();
  }
}

/** The ServiceLevelObjective resource as the REST API answers it. */
export function sloResource(slo: Slo, intEnums: boolean): Record<string, unknown> {
  return {
    name: slo.name,
    ...(slo.displayName ? { displayName: slo.displayName } : {}),
    serviceLevelIndicator: slo.serviceLevelIndicator,
    goal: slo.goal,
    ...(slo.rollingPeriod ? { rollingPeriod: slo.rollingPeriod } : {}),
    ...(slo.calendarPeriod
      ? { calendarPeriod: intEnums ? CALENDAR_PERIODS[slo.calendarPeriod] : slo.calendarPeriod }
      : {}),
  };
}

/** The SLO a `select_slo_...("name")` filter names, or undefined when the filter is no SLO selector. */
export function sloSelector(filter: string): { selector: string; slo: string } | undefined {
  if (!filter.trimStart().startsWith('select_slo_')) return undefined;
  const match = SELECTOR.exec(filter);
  if (!match)
    throw new InvalidArgument(
      `Invalid filter: expected select_slo_name("SLO name") (${JSON.stringify(filter)})`,
    );
  const [, selector, quoted] = match as unknown as [string, string, string];
  if (selector !== 'select_slo_budget_fraction') {
    throw new InvalidArgument(`The twin answers select_slo_budget_fraction only, not ${selector}.`);
  }
  return { selector, slo: quoted.replace(/\\(.)/g, '$1') };
}

export interface BudgetQuery {
  start: number;
  end: number;
  /** Epoch ms: points later than this are not ingested yet. */
  visibleUntil: number;
  samplePeriodMs: number;
}

/**
 * The budget series' points in [start, end], newest first. With a sample period, one at the end of each
 * sample, carrying the fraction last set before that end (a value set at 10:00:30, or at 10:00:00, is
 * in the sample ending 10:01, as a request is); with none, one at each moment a fraction was set.
 */
export function budgetPoints(slo: Slo, query: BudgetQuery): { at: number; fraction: number }[] {
  const first = slo.budget[0];
  if (!first) return [];
  const last = Math.min(query.end, query.visibleUntil);
  const period = query.samplePeriodMs;
  const points: { at: number; fraction: number }[] = [];
  if (period <= 0) {
    for (const b of slo.budget) if (b.at >= query.start && b.at <= last) points.push(b);
  } else {
    const firstSample = (Math.floor(first.at / period) + 1) * period;
    const from = Math.max(firstSample, Math.ceil(query.start / period) * period);
    for (let at = from; at <= last; at += period) {
      const fraction = slo.budget.filter((b) => b.at < at).at(-1)?.fraction;
      if (fraction !== undefined) points.push({ at, fraction });
    }
  }
  return points.reverse();
}

function defaultIndicator(service: string): Record<string, unknown> {
  const base = `metric.type="run.googleapis.com/request_count" resource.type="cloud_run_revision" resource.label."service_name"="${service}"`;
  return {
    requestBased: {
      goodTotalRatio: {
        goodServiceFilter: `${base} metric.label."response_code_class"!="5xx"`,
        totalServiceFilter: base,
      },
    },
  };
}
