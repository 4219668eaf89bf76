// The error budget of a service's SLO, as the stream cutover's hard gate reads it (seed 004:
// MAX_ERROR_BUDGET_CONSUMED_PERCENT). Cloud Monitoring's service-monitoring API defines the SLO (goal and
// period); the fraction of its budget left is a time series (`select_slo_budget_fraction`).

export interface ErrorBudget {
  /** The SLO's full resource name: projects/P/services/S/serviceLevelObjectives/O. */
  slo: string;
  /** Its display name, when it has one. */
  displayName?: string;
  /** The goal, 0 to 1 (0.999 = 99.9 %). */
  goal: number;
  /** Its period in words, e.g. "rolling 28d" or "calendar MONTH". */
  period: string;
  /** Percent of the error budget consumed over the period: (1 - fraction remaining) x 100; may exceed 100. */
  consumedPercent: number;
  /** End of the point read (ISO). */
  at: string;
}

export interface ErrorBudgetReader {
  /**
   * Reads the SLO and the latest point of its budget fraction. Throws a PlatformError (system
   * 'monitoring') naming what failed: not-found for an unknown SLO, permission-denied, unavailable,
   * rate-limited; 'invalid' when the SLO has no budget point yet.
   */
  consumed(slo: string): Promise<ErrorBudget>;
}
