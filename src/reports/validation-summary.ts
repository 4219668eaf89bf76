import { differenceInMilliseconds } from 'date-fns';
import { humanDuration } from '../blocks/time.ts';
import { laneSummaries, rowKey } from '../validation/lanes.ts';
import type { CheckResult, ValidationRun } from '../validation/types.ts';
import { verdictSentence, verdictTitle } from '../validation/verdict.ts';
import { code, table, text } from './markdown.ts';
import { RESULTS_TSV } from './validation-tsv.ts';

// SUMMARY.md of a validation run (seed 002): the verdict and why, the counts the seed's script reports
// (total, passed, required and optional failures and skips, plus errors: checks that could not be
// measured), where each service runs, a table of lanes, every check with its observed value beside what
// was expected, and the evidence to re-run each one. results.tsv has the same rows.

export const VALIDATION_SUMMARY_MD = 'SUMMARY.md';

const MODE = {
  gating:
    "gating: every required check must pass, none may be skipped (the seed's FAIL_ON_REQUIRED_FAILURE=1)",
  baseline:
    "baseline: recorded without gating, for pre-cutover capture only (the seed's FAIL_ON_REQUIRED_FAILURE=0)",
} as const;

export function validationSummaryMarkdown(run: ValidationRun): string {
  const out: string[] = [`# Validation matrix: ${run.env}`, ''];
  if (run.description) out.push(text(run.description), '');
  if (run.verdict) out.push(`**${verdictTitle(run.verdict)}.** ${text(verdictSentence(run.verdict))}`, '');
  else
    out.push(
      `**No verdict: the run ${run.status === 'running' ? 'has not finished' : 'did not finish'}.**`,
      '',
    );
  if (run.note) out.push(`> ${text(run.note)}`, '');

  const counts = run.verdict?.counts;
  out.push(
    `- Run: ${code(run.id)}`,
    `- Mode: ${MODE[run.mode]}`,
    ...(run.phase ? [`- Phase: ${code(run.phase)} (with the lanes limited to it)`] : []),
    ...(run.subject?.sha ? [`- Commit: ${code(run.subject.sha)}`] : []),
    ...(run.subject?.image ? [`- Image: ${code(run.subject.image)}`] : []),
    `- Requested by: ${code(run.requestedBy)}`,
    `- Started (UTC): ${run.startedAt}`,
    `- Finished (UTC): ${run.finishedAt ?? 'not finished'}${run.finishedAt ? ` (${took(run)})` : ''}`,
    `- Total checks: ${run.plan.length}`,
  );
  if (counts) {
    out.push(
      `- Passed: ${counts.passed}`,
      `- Required failures: ${counts.requiredFailed}`,
      `- Optional failures: ${counts.optionalFailed}`,
      `- Required errors (not measured): ${counts.requiredErrors}`,
      `- Optional errors (not measured): ${counts.optionalErrors}`,
      `- Required skipped: ${counts.requiredSkipped}`,
      `- Optional skipped: ${counts.optionalSkipped}`,
    );
  }
  out.push('');
  if (run.verdict && run.verdict.reasons.length > 0) {
    out.push(run.mode === 'gating' ? '## Why no-go' : '## Why it would be no-go', '');
    out.push(...run.verdict.reasons.map((r) => `- ${text(r)}`), '');
  }
  if (run.verdict && run.verdict.warnings.length > 0) {
    out.push('## Warnings', '', ...run.verdict.warnings.map((w) => `- ${text(w)}`), '');
  }

  out.push('## Environment', '');
  out.push(
    ...table(
      ['Service', 'Cloud Run service', 'Project', 'Region', 'Public URL', 'Migrate job', 'Access token'],
      run.targets.map((t) => [
        code(t.service),
        code(t.cloudRunService),
        code(t.project),
        code(t.region),
        text(t.publicUrl),
        t.migrateJob ? code(t.migrateJob) : '-',
        t.accessToken ? 'configured' : 'none: authenticated checks are skipped',
      ]),
    ),
    '',
  );

  out.push('## Lanes', '');
  out.push(
    ...table(
      ['Lane', 'Required', 'Services', 'Checks', 'Passed', 'Failed', 'Errors', 'Skipped', 'Result'],
      laneSummaries(run).map((l) => [
        code(l.lane),
        l.required ? 'required' : 'optional',
        l.services.map(code).join(', '),
        String(l.checks),
        String(l.passed),
        String(l.failed),
        String(l.errors),
        String(l.skipped),
        l.notRun > 0 ? `${l.notRun} not run` : status(l.status ?? 'pass'),
      ]),
    ),
    '',
  );

  const byRow = new Map(run.results.map((r) => [rowKey(r), r]));
  out.push('## Check results', '');
  out.push(
    ...table(
      ['Lane', 'Check', 'Service', 'Required', 'Status', 'Observed', 'Expected'],
      run.plan.map((row) => {
        const r = byRow.get(rowKey(row));
        return [
          code(row.lane),
          code(row.check),
          code(row.service),
          row.required ? 'required' : 'optional',
          r ? status(r.status) : 'not run',
          r ? text(r.observed) : '',
          r ? text(r.expected) : '',
        ];
      }),
    ),
    '',
  );

  out.push('## Evidence', '');
  for (const r of run.results) out.push(...evidence(r), '');
  out.push(`_Every row is also in ${RESULTS_TSV}._`, '');
  return out.join('\n');
}

function evidence(r: CheckResult): string[] {
  return [
    `### ${text(r.lane)} / ${text(r.check)} (${text(r.service)}): ${status(r.status)}`,
    '',
    text(r.line),
    '',
    '```sh',
    r.evidence.replaceAll('```', '` ` `'),
    '```',
  ];
}

function took(run: ValidationRun): string {
  return humanDuration(differenceInMilliseconds(run.finishedAt ?? run.startedAt, run.startedAt));
}

function status(value: CheckResult['status']): string {
  return value === 'pass' ? 'pass' : `**${value.toUpperCase()}**`;
}
