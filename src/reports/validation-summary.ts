import { differenceInMilliseconds } from 'date-fns';
import { humanDuration } from '../blocks/time.ts';
import { envsLabel, laneSummaries, rowKey } from '../validation/lanes.ts';
import type { CheckResult, ValidationRun } from '../validation/types.ts';
import { runVerdictTitle, verdictIn, verdictSentence, verdictTitle } from '../validation/verdict.ts';
import { code, table, text } from './markdown.ts';
import { RESULTS_TSV } from './validation-tsv.ts';

// SUMMARY.md of a validation run (seed 002): the verdict and why, the counts the seed's script reports
// (total, passed, required and optional failures and skips, plus errors: checks that could not be
// measured), where each service runs, a table of lanes, every check with its observed value beside what
// was expected, and the evidence to re-run each one. results.tsv has the same rows. A run over several
// environments adds each environment's own verdict, and an Environment column to every table.

export const VALIDATION_SUMMARY_MD = 'SUMMARY.md';

const MODE = {
  gating:
    "gating: every required check must pass, none may be skipped (the seed's FAIL_ON_REQUIRED_FAILURE=1)",
  baseline:
    "baseline: recorded without gating, for pre-cutover capture only (the seed's FAIL_ON_REQUIRED_FAILURE=0)",
} as const;

export function validationSummaryMarkdown(run: ValidationRun): string {
  const several = run.envs.length > 1;
  // The Environment column, in a run over several environments only.
  const envCell = (env: string) => (several ? [code(env)] : []);
  const envHead = several ? ['Environment'] : [];
  const out: string[] = [`# Validation matrix: ${envsLabel(run.envs)}`, ''];
  for (const env of run.envs) {
    const description = run.descriptions?.[env];
    if (description) out.push(several ? `${code(env)}: ${text(description)}` : text(description), '');
  }
  if (run.verdict) out.push(`**${runVerdictTitle(run)}.** ${text(verdictSentence(run.verdict))}`, '');
  else
    out.push(
      `**No verdict: the run ${run.status === 'running' ? 'has not finished' : 'did not finish'}.**`,
      '',
    );
  if (run.note) out.push(`> ${text(run.note)}`, '');

  const counts = run.verdict?.counts;
  out.push(
    `- Run: ${code(run.id)}`,
    `- ${several ? 'Environments' : 'Environment'}: ${run.envs.map(code).join(', ')}`,
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
  if (several && run.verdict) {
    out.push('## Verdict per environment', '');
    out.push(
      ...table(
        ['Environment', 'Verdict', 'Checks', 'Passed', 'Required not passed', 'Why'],
        run.envs.map((env) => {
          const own = verdictIn(run, env);
          if (!own) return [code(env), 'no verdict', '', '', '', ''];
          const c = own.counts;
          return [
            code(env),
            `**${verdictTitle(own)}**`,
            String(c.total),
            String(c.passed),
            String(c.requiredFailed + c.requiredErrors + c.requiredSkipped),
            text(verdictSentence(own)),
          ];
        }),
      ),
      '',
    );
  }
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
      [
        ...envHead,
        'Service',
        'Cloud Run service',
        'Project',
        'Region',
        'Public URL',
        'Migrate job',
        'Access token',
      ],
      run.targets.map((t) => [
        ...envCell(t.env),
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
      [
        ...envHead,
        'Lane',
        'Required',
        'Services',
        'Checks',
        'Passed',
        'Failed',
        'Errors',
        'Skipped',
        'Result',
      ],
      laneSummaries(run).map((l) => [
        ...envCell(l.env),
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
      [...envHead, 'Lane', 'Check', 'Service', 'Required', 'Status', 'Observed', 'Expected'],
      run.plan.map((row) => {
        const r = byRow.get(rowKey(row));
        return [
          ...envCell(row.env),
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
  for (const r of run.results) out.push(...evidence(r, several), '');
  out.push(`_Every row is also in ${RESULTS_TSV}._`, '');
  return out.join('\n');
}

function evidence(r: CheckResult, several: boolean): string[] {
  const where = several ? `${r.service} in ${r.env}` : r.service;
  return [
    `### ${text(r.lane)} / ${text(r.check)} (${text(where)}): ${status(r.status)}`,
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
