// The validation matrix of seed 002 (/validate): the rows of one or more environments' matrices run
// through ports, the go/no-go verdicts, and the runs kept in Redis.
export type { ValidationPorts } from './checks/context.ts';
export { envsLabel, type LaneSummary, laneSummaries, notPassed, rowKey, rowsIn } from './lanes.ts';
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
export { type Claimed, createValidationRecords, storedRun, type ValidationRecords } from './records.ts';
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
export {
  runVerdictTitle,
  verdictIn,
  verdictOf,
  verdictSentence,
  verdictsOf,
  verdictTitle,
} from './verdict.ts';
