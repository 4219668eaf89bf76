export { type CheckRunsOptions, createCheckRuns } from './check-runs.ts';
