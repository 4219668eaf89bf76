import { FLAG_STEP_TITLES } from '../blocks/flag.ts';
import type { FlagStepName } from '../runbooks/types.ts';
import type { FlagSummary } from './flag-summary.ts';
import { freezeOverridesSection } from './freeze-overrides.ts';
import { code, logBlock, table, text } from './markdown.ts';

// SUMMARY.md of a flag canary: the verdict in the seed's words, its report fields, the triggers before
// and after against their thresholds, the flags, then every step with its checks and log.

export function flagMarkdown(s: FlagSummary): string {
  const out: string[] = [];
  const verdict =
    s.mode === 'off'
      ? s.success
        ? 'FLAGS OFF'
        : 'FLAGS NOT OFF'
      : s.success
        ? 'CANARY PASSED'
        : 'CANARY FAILED';
  out.push(`# ${s.config} in ${s.env}: ${verdict}${s.dryRun ? ' (dry run)' : ''}`, '');
  for (const note of s.notes) out.push(`> **${note}**`, '');
  if (s.rollback_reason) out.push(`**Rollback reason:** ${text(s.rollback_reason)}`, '');
  out.push(
    ...table(
      ['Field', 'Value'],
      [
        ['success', String(s.success)],
        ['rollback_triggered', String(s.rollback_triggered)],
        ['rollback_reason', s.rollback_reason ? text(s.rollback_reason) : '_none_'],
        ['smoke_returncode', s.smoke_returncode === null ? '_not run_' : String(s.smoke_returncode)],
        ['flags', s.flags.names.map(code).join(', ')],
        ['where', s.flags.where ? code(s.flags.where) : '_not read_'],
        ['restore', s.flags.restore ? code(s.flags.restore) : '_none_'],
        ['requested by', code(s.requestedBy)],
        ['approved by', s.approvals.map((a) => code(a.userId)).join(', ') || '_none_'],
        [
          'signed off',
          s.signoffs.map((g) => `${code(g.flag)} by ${code(g.by)} until ${g.expiresAt}`).join('; ') ||
            '_none needed_',
        ],
      ],
    ),
    '',
    '## metrics_delta',
    '',
    ...(Object.keys(s.metrics_delta).length > 0
      ? table(
          ['Trigger', 'Before', 'After', 'Delta', 'Threshold', 'Status'],
          Object.entries(s.metrics_delta).map(([name, m]) => [
            code(name),
            m.before === null ? '_none_' : String(m.before),
            m.after === null ? '_none_' : String(m.after),
            m.delta === null ? '_none_' : String(m.delta),
            text(m.threshold),
            m.status === 'fail' || m.status === 'error' ? `**${m.status.toUpperCase()}**` : m.status,
          ]),
        )
      : ['_no watch tick ran_']),
    '',
    '## Flags',
    '',
    ...table(
      ['Flag', 'Before', 'After', 'After rollback'],
      s.flags.names.map((f) => [
        code(f),
        word(s.flags.before?.[f]),
        word(s.flags.after?.[f]),
        s.flags.afterRollback ? word(s.flags.afterRollback[f]) : '_no rollback_',
      ]),
    ),
    '',
  );
  out.push(...freezeOverridesSection(s.freezeOverrides));
  if (s.warnings.length > 0) out.push('## Warnings', '', ...s.warnings.map((w) => `- ${text(w)}`), '');
  s.steps.forEach((step, i) => {
    out.push(`## ${i + 1}. ${FLAG_STEP_TITLES[step.name as FlagStepName] ?? step.name}: ${step.status}`, '');
    if (step.results.length > 0)
      out.push(
        ...table(
          ['Check', 'Status', 'Result', 'Re-run'],
          step.results.map((r) => [code(r.gate), r.status, text(r.line), code(r.evidence)]),
        ),
        '',
      );
    out.push(...logBlock(step.log));
  });
  out.push(
    `_${s.schema}, ${s.ticks.length} watch reads, \`${s.rolloutId}\`. Every value is in summary.json._`,
    '',
  );
  return out.join('\n');
}

const word = (v: boolean | null | undefined) =>
  v === undefined || v === null ? '_unset_' : v ? 'on' : 'off';
