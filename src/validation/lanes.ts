import type { CheckResult, CheckStatus, PlannedCheck, ValidationRun } from './types.ts';

// One line per lane of each environment for the card and SUMMARY.md: how many of its rows passed, failed,
// errored or were skipped, and the lane's result, its worst row (fail, then error, then skip, then pass).

export interface LaneSummary {
  env: string;
  lane: string;
  required: boolean;
  services: string[];
  checks: number;
  passed: number;
  failed: number;
  errors: number;
  skipped: number;
  /** Rows planned but without a result (a run that did not finish). */
  notRun: number;
  /** The worst status of its rows; undefined while none has a result. */
  status: CheckStatus | undefined;
}

const WORST: CheckStatus[] = ['fail', 'error', 'skip', 'pass'];

export function laneSummaries(run: Pick<ValidationRun, 'plan' | 'results'>): LaneSummary[] {
  const lanes = new Map<string, LaneSummary>();
  const laneOf = (row: PlannedCheck) => {
    const key = `${row.env}\u0000${row.lane}`;
    let lane = lanes.get(key);
    if (!lane) {
      lane = {
        env: row.env,
        lane: row.lane,
        required: row.required,
        services: [],
        checks: 0,
        passed: 0,
        failed: 0,
        errors: 0,
        skipped: 0,
        notRun: 0,
        status: undefined,
      };
      lanes.set(key, lane);
    }
    if (!lane.services.includes(row.service)) lane.services.push(row.service);
    return lane;
  };
  const done = new Set(run.results.map(rowKey));
  for (const row of run.plan) {
    const lane = laneOf(row);
    lane.checks += 1;
    if (!done.has(rowKey(row))) lane.notRun += 1;
  }
  for (const result of run.results) {
    const lane = laneOf(result);
    if (result.status === 'pass') lane.passed += 1;
    else if (result.status === 'fail') lane.failed += 1;
    else if (result.status === 'error') lane.errors += 1;
    else lane.skipped += 1;
    if (lane.status === undefined || WORST.indexOf(result.status) < WORST.indexOf(lane.status)) {
      lane.status = result.status;
    }
  }
  return [...lanes.values()];
}

/** Identifies a row of the matrix: environment, lane, service and check. */
export function rowKey(row: Pick<PlannedCheck, 'env' | 'lane' | 'service' | 'check'>): string {
  return `${row.env}\u0000${row.lane}\u0000${row.service}\u0000${row.check}`;
}

/** The rows of one environment, in matrix order. */
export function rowsIn<T extends Pick<PlannedCheck, 'env'>>(rows: readonly T[], env: string): T[] {
  return rows.filter((row) => row.env === env);
}

/** The environments of a run in words: `staging`, `staging + prod`. */
export function envsLabel(envs: readonly string[]): string {
  return envs.join(' + ');
}

/** The rows that did not pass, required ones first, in matrix order within each. */
export function notPassed(results: readonly CheckResult[]): CheckResult[] {
  const failing = results.filter((r) => r.status !== 'pass');
  return [...failing.filter((r) => r.required), ...failing.filter((r) => !r.required)];
}
