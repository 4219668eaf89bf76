// The validation matrix of seed 002 (/validate): the rows of an environment's matrix run through ports,
// the go/no-go verdict, and the runs kept in Redis.
export type { ValidationPorts } from './checks/context.ts';
export { type LaneSummary, laneSummaries, notPassed, rowKey } from './lanes.ts';
export { type Matrix, planOf } from './plan.ts';
export { createValidationRecords, type ValidationRecords } from './records.ts';
export { runMatrix } from './runner.ts';
export type {
  CheckResult,
  CheckStatus,
  PlannedCheck,
  RunStatus,
  ValidationMode,
  ValidationRun,
  ValidationTarget,
  Verdict,
  VerdictCounts,
} from './types.ts';
export { type BeginResult, createValidation, type Validation, type ValidationDeps } from './validation.ts';
export { verdictOf, verdictSentence, verdictTitle } from './verdict.ts';
