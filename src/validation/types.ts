import type { ValidationLaneKind } from '../config/validation.ts';

// A validation run of seed 002: the matrices of one or more environments (`/validate staging prod` runs
// both as one run, as the seed's script covers staging and prod), one row per (environment, lane, service,
// check), each recorded with what was observed beside what was expected and evidence a person can re-run,
// then the go/no-go verdict of each environment and of the whole run (verdict.ts). The run is kept in Redis (records.ts) and rendered to results.tsv and
// SUMMARY.md (src/reports/validation-*.ts) and to a Slack card (src/blocks/validation.ts).

/** The four outcomes of seed 002's results.tsv (passed, failed, skipped) plus `error`: not measured. */
export type CheckStatus = 'pass' | 'fail' | 'skip' | 'error';

/**
 * gating: the seed's FAIL_ON_REQUIRED_FAILURE=1, a go/no-go decision. baseline: FAIL_ON_REQUIRED_FAILURE=0,
 * pre-cutover capture: the same checks and the same verdict, recorded without gating anything.
 */
export type ValidationMode = 'gating' | 'baseline';

/** One row of the matrix before it runs. */
export interface PlannedCheck {
  /** The environment whose matrix the row belongs to. */
  env: string;
  lane: string;
  kind: ValidationLaneKind;
  /** The gate's name in a gates lane; the lane's kind otherwise (migration-drift, log-probe, canary-status). */
  check: string;
  /** The shiftgate service it runs against. */
  service: string;
  required: boolean;
}

export interface CheckResult extends PlannedCheck {
  status: CheckStatus;
  /** What was seen, in words ('503 in 40 ms', 'runtime:v2', '12 log entries'); '-' when nothing was. */
  observed: string;
  /** What passes, in words ('status 200, within 2s'). */
  expected: string;
  /** The one-line rendering: observed beside expected, then the verdict (src/gates/render.ts). */
  line: string;
  /** A command, URL or filter that reproduces the observation (tokens never written). */
  evidence: string;
  /** Why it failed, errored or was skipped. */
  reason?: string;
  /** ISO time the check finished. */
  at: string;
  durationMs: number;
}

/** Where one service of an environment runs, for the report's environment section. */
export interface ValidationTarget {
  env: string;
  service: string;
  cloudRunService: string;
  project: string;
  region: string;
  publicUrl: string;
  migrateJob?: string;
  /** Whether an access token is configured (authenticated checks are skipped without one). */
  accessToken: boolean;
}

export interface VerdictCounts {
  total: number;
  passed: number;
  requiredFailed: number;
  optionalFailed: number;
  requiredErrors: number;
  optionalErrors: number;
  requiredSkipped: number;
  optionalSkipped: number;
}

export interface Verdict {
  mode: ValidationMode;
  /** What the seed's policy says; in baseline mode it is recorded, not acted on. */
  outcome: 'go' | 'no-go';
  counts: VerdictCounts;
  /** Why no-go: one sentence per required check that did not pass. */
  reasons: string[];
  /** Optional checks that did not pass: a go stays a go, with these warnings. */
  warnings: string[];
}

export type RunStatus = 'running' | 'finished' | 'abandoned';

/**
 * What is being released, when the run was told (`/validate <env> --sha <commit>` or `--image <tag>`):
 * external-ci lanes read the CI result of this commit or image instead of the one the service serves.
 */
export interface ReleaseSubject {
  sha?: string;
  image?: string;
}

export interface ValidationRun {
  id: string;
  /** The environments validated, in the order asked; one for `/validate staging`. */
  envs: string[];
  mode: ValidationMode;
  requestedBy: string;
  status: RunStatus;
  startedAt: string;
  finishedAt?: string;
  /** The matrix description of each environment that has one. */
  descriptions?: Record<string, string>;
  /** The phase validated (`--phase legacy-deletion`): lanes with `phases` run only when it is theirs. */
  phase?: string;
  /** The commit or image the run was told is being released. */
  subject?: ReleaseSubject;
  targets: ValidationTarget[];
  /** Every row in matrix order. */
  plan: PlannedCheck[];
  /** Results in matrix order as they come; complete once finished. */
  results: CheckResult[];
  /** The verdict of every row together: a go only when every environment's is. */
  verdict?: Verdict;
  /** Each environment's own verdict, from its rows only (what the promotion gate reads). */
  verdicts?: Record<string, Verdict>;
  /** Why a run was abandoned, or what went wrong publishing it. */
  note?: string;
}
