import { STEP_TITLES } from '../blocks/cutover.ts';
import { formatSplit } from '../runbooks/traffic.ts';
import type { CutoverSummary } from './cutover-summary.ts';
import { freezeOverridesSection } from './freeze-overrides.ts';
import { code, logBlock, table, text } from './markdown.ts';

// SUMMARY.md of a stream cutover train: the outcome, the hard gates (observed against most), then every
// step with its checks (observed value beside threshold, and the line to re-run each) and its own log.

export function cutoverMarkdown(s: CutoverSummary): string {
  const out: string[] = [];
  const word = s.outcome.passed ? 'passed' : s.outcome.status === 'aborted' ? 'aborted' : 'failed';
  out.push(`# ${s.service} stream cutover in ${s.env}: ${word}${s.dryRun ? ' (dry run)' : ''}`, '');
  for (const note of s.notes) out.push(`> **${note}**`, '');
  out.push(`**Outcome:** ${text(s.outcome.reason)}`, '');
  out.push(
    ...table(
      ['Field', 'Value'],
      [
        ['Stable revision', code(s.inputs.stableRevision)],
        ['Canary revision', code(s.inputs.canaryRevision)],
        ['Route flip', s.inputs.applyRouteFlip ? 'applied' : 'verified only'],
        ['Route override before', s.route.overrideBefore === null ? 'none' : code(s.route.overrideBefore)],
        ['Flipped back', s.route.flippedBack ? 'yes' : 'no'],
        [
          'Traffic found by the drill',
          s.drill.trafficFound ? text(formatSplit(s.drill.trafficFound)) : '_not read_',
        ],
        ['Dual-run legacy URL', s.inputs.dualRunLegacyUrl ? code(s.inputs.dualRunLegacyUrl) : '_not asked_'],
        ['Requested by', code(s.requestedBy)],
        ['Approved by', s.approvals.map((a) => code(a.userId)).join(', ') || '_none_'],
        ['Started', s.timings.startedAt],
        ['Ended', s.timings.endedAt ?? '_not ended_'],
      ],
    ),
    '',
  );
  out.push(...freezeOverridesSection(s.freezeOverrides));
  out.push('## Hard gates', '');
  out.push(
    ...(s.hardGates.length > 0
      ? table(
          ['Gate', 'Observed', 'Most', 'Status', 'Evidence'],
          s.hardGates.map((g) => [
            g.name,
            g.observed === undefined ? '_not measured_' : `${g.observed}${g.unit === '%' ? ' %' : ''}`,
            `${g.max}${g.unit === '%' ? ' %' : ''}`,
            g.status === 'pass' ? 'pass' : `**${g.status.toUpperCase()}**`,
            text(g.evidence),
          ]),
        )
      : ['_not judged: the train did not reach its verdict_']),
    '',
  );
  s.steps.forEach((step, i) => {
    out.push(`## ${i + 1}. ${STEP_TITLES[step.name]}: ${step.status}`, '');
    if (step.results.length > 0) {
      out.push(
        ...table(
          ['Check', 'Status', 'Result', 'Re-run'],
          step.results.map((r) => [
            code(r.gate),
            r.status === 'pass' ? 'pass' : `**${r.status.toUpperCase()}**`,
            text(r.line),
            code(r.evidence),
          ]),
        ),
        '',
      );
    }
    out.push('Log:', '', ...logBlock(step.log));
  });
  if (s.plan) {
    out.push('## Dry-run plan', '', ...s.plan.map((p) => `${p.n}. ${text(p.what)}`), '');
  }
  out.push(`_${s.schema}, train \`${s.rolloutId}\`. Every value is in summary.json._`, '');
  return out.join('\n');
}
