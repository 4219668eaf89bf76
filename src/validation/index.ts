// The validation matrix of seed 002 (/validate): the rows of an environment's matrix run through ports,
// the go/no-go verdict, and the runs kept in Redis.
export type { ValidationPorts } from './checks/context.ts';
export { type LaneSummary, laneSummaries, notPassed, rowKey } from './lanes.ts';
export { type Matrix, phasesOf, planOf } from './plan.ts';
export type {
  BackupRun,
  BuildQuery,
  CheckRun,
  CheckRunQuery,
  CheckRuns,
  CiBuild,
  CloudBuilds,
  NewestObject,
  SqlBackups,
  StorageObjects,
  StoredObject,
} from './ports.ts';
export { createValidationRecords, type ValidationRecords } from './records.ts';
export { runMatrix } from './runner.ts';
export type {
  CheckResult,
  CheckStatus,
  PlannedCheck,
  ReleaseSubject,
  RunStatus,
  ValidationMode,
  ValidationRun,
  ValidationTarget,
  Verdict,
  VerdictCounts,
} from './types.ts';
export {
  type BeginInput,
  type BeginResult,
  createValidation,
  type Validation,
  type ValidationDeps,
} from './validation.ts';
export { verdictOf, verdictSentence, verdictTitle } from './verdict.ts';
