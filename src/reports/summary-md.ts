import { humanDuration } from '../blocks/time.ts';
import { formatNumber, formatQuantity } from '../gates/render.ts';
import type { Quantity } from '../gates/result.ts';
import { formatSplit } from '../runbooks/traffic.ts';
import { freezeOverridesSection } from './freeze-overrides.ts';
import { code, table, text } from './markdown.ts';
import type { GateEvidence } from './rollout-gates.ts';
import type { StageSummary } from './rollout-stages.ts';
import type { PostPromotionSummary, RolloutSummary } from './rollout-summary.ts';

// SUMMARY.md: the evidence report as a person reads it. A header with the outcome, a table of the fields
// seed 001 requires (image tag and revision ids, traffic before and after, the rollback command and the
// stable revision), the smoke checks, then one section per stage (approvals, timings, its chart, the
// checks and every gate tick with its observed value beside its threshold, the judge's verdict), the
// rollback procedure if one ran, and the bot's timeline. A field with no value says why. summary.json
// carries the same data; the charts are PNG files beside it, named in each stage's `chart`.

export const SUMMARY_MD = 'SUMMARY.md';

const OUTCOME: Record<string, string> = {
  promoted: 'Promoted',
  'rolled-back': 'Rolled back',
  aborted: 'Aborted',
  failed: 'Failed',
};

export function outcomeWord(summary: Pick<RolloutSummary, 'outcome'>): string {
  return OUTCOME[summary.outcome.status] ?? `Not ended (${summary.outcome.status})`;
}

export function summaryMarkdown(summary: RolloutSummary): string {
  const out: string[] = [];
  const what = summary.kind === 'canary' ? (summary.image.tag ?? 'canary') : 'rollback';
  out.push(`# ${summary.service} ${what} in ${summary.env}: ${outcomeWord(summary).toLowerCase()}`, '');
  for (const note of summary.notes) out.push(`> **${note}**`, '');
  out.push(...outcomeLines(summary), '');
  out.push('## Required fields', '', ...requiredFields(summary), '');
  if (summary.kind === 'canary') {
    out.push('## Smoke checks (stage A, on the new revision)', '');
    out.push(
      ...(summary.smokeChecks.length > 0
        ? checksTable(summary.smokeChecks)
        : [missing(summary, 'smokeChecks')]),
    );
    out.push('');
    for (const stage of summary.stages) out.push(...stageSection(stage), '');
    if (summary.postPromotion) out.push(...postPromotionSection(summary.postPromotion), '');
  }
  out.push(...freezeOverridesSection(summary.freezeOverrides));
  if (summary.rollback.procedure) out.push(...rollbackSection(summary), '');
  if (summary.rollback.command) {
    out.push(
      '## Undo',
      '',
      'All traffic back on the stable revision:',
      '',
      '```sh',
      summary.rollback.command,
      '```',
      '',
    );
  }
  out.push(
    '## Timeline',
    '',
    ...table(
      ['At', 'What', 'By'],
      summary.timeline.map((t) => [t.at, text(t.what), t.by ? code(t.by) : '']),
    ),
    '',
  );
  if (summary.plan) {
    out.push(
      '## Dry-run plan',
      '',
      ...table(
        ['#', 'At', 'Effect'],
        summary.plan.map((p) => [String(p.n), p.at, text(p.what)]),
      ),
      '',
    );
  }
  out.push(`_${summary.schema}, rollout \`${summary.rolloutId}\`. Every value is in summary.json._`, '');
  return out.join('\n');
}

function outcomeLines(s: RolloutSummary): string[] {
  const lines = [`**Outcome: ${outcomeWord(s)}.** ${text(s.outcome.reason)}`];
  const extra: string[] = [];
  if (s.outcome.by) extra.push(`By ${code(s.outcome.by)}.`);
  if (s.outcome.stage) extra.push(`Stage ${s.outcome.stage}.`);
  if (s.promoteNow) extra.push(`Promote-now by ${code(s.promoteNow.by)} at ${s.promoteNow.at}.`);
  if (extra.length > 0) lines.push('', extra.join(' '));
  if (s.outcome.attention) lines.push('', `**Needs attention:** ${text(s.outcome.attention)}`);
  if (s.outcome.failures.length > 0) {
    const rows = s.outcome.failures.map((f) => [
      f.stage,
      f.tick === null ? 'check' : `tick ${f.tick}`,
      code(f.result.gate),
      observed(f.result),
      f.result.baseline ? text(formatQuantity(f.result.baseline)) : '',
      text(f.result.threshold),
      text(f.result.line),
    ]);
    lines.push('', 'What failed:', '');
    lines.push(...table(['Stage', 'When', 'Gate', 'Observed', 'Baseline', 'Threshold', 'Result'], rows));
  }
  return lines;
}

function requiredFields(s: RolloutSummary): string[] {
  const cloudRun = s.cloudRun
    ? `service ${code(s.cloudRun.service)}, project ${code(s.cloudRun.project)}, region ${code(s.cloudRun.region)}`
    : missing(s, 'cloudRun');
  const rows: [string, string][] = [
    ['Rollout', code(s.rolloutId)],
    ['Service', `${code(s.service)} in ${code(s.env)}`],
    ['Cloud Run', cloudRun],
    ['Requested by', code(s.requestedBy)],
    ['Image', value(s, 'image.ref', s.image.ref)],
    ['Image tag', value(s, 'image.tag', s.image.tag)],
    // Once promoted, the canary is the stable revision: the report says so rather than "canary".
    ...(s.outcome.status === 'promoted'
      ? ([
          ['Stable revision (promoted)', value(s, 'revisions.canary', s.revisions.canary)],
          ['Previous stable revision', value(s, 'revisions.stable', s.revisions.stable)],
        ] as [string, string][])
      : ([
          ['Stable revision', value(s, 'revisions.stable', s.revisions.stable)],
          ['Canary revision', value(s, 'revisions.canary', s.revisions.canary)],
        ] as [string, string][])),
    ['Traffic before', s.traffic.before ? formatSplit(s.traffic.before, code) : missing(s, 'traffic.before')],
    ['Traffic after', s.traffic.after ? formatSplit(s.traffic.after, code) : missing(s, 'traffic.after')],
    ['Rollback command', value(s, 'rollback.command', s.rollback.command)],
    ['Started', s.timings.startedAt],
    ['Ended', s.timings.endedAt ?? missing(s, 'timings.endedAt')],
    ['Duration', duration(s.timings.durationMs)],
  ];
  return table(['Field', 'Value'], rows);
}

function stageSection(stage: StageSummary): string[] {
  const title = `## Stage ${stage.name} (${stage.traffic} %): ${stage.result}`;
  if (stage.result === 'not reached')
    return [title, '', '_Not reached: the rollout ended before this stage._'];
  const out = [title, ''];
  out.push(`- Approval: ${approvalText(stage)}`);
  out.push(`- Traffic confirmed: ${stage.startedAt ?? '_never: the traffic of this stage was not set_'}`);
  out.push(`- Ended: ${stage.endedAt ?? '_not yet_'} (took ${duration(stage.durationMs)})`);
  if (stage.window.endsAt) {
    const extended = stage.window.extensions > 0 ? `, extended ${stage.window.extensions}×` : '';
    out.push(`- Watch window: ${stage.window.startedAt ?? '?'} to ${stage.window.endsAt}${extended}`);
  }
  out.push(`- Judge's verdict: ${stage.verdict ?? '_none: the judge never ran on this stage_'}`);
  if (stage.wouldHaveBlocked.length > 0)
    out.push(`- Would have blocked it (any mode): ${stage.wouldHaveBlocked.map(code).join(', ')}`);
  for (const ask of stage.advisoryAsks) {
    const decided = ask.decision
      ? `${ask.decision.choice} by ${code(ask.decision.by)} at ${ask.decision.at}`
      : '_not decided_';
    out.push(`- Advisory ${ask.gates.map(code).join(', ')} asked at ${ask.at}: ${decided}`);
  }
  out.push('');
  if (stage.chart) {
    out.push(`![Stage ${stage.name}: canary vs stable over the watch window](${stage.chart})`, '');
    out.push(`_${stage.chart}, beside this report: every tick below, drawn._`, '');
  }
  if (stage.checks.length > 0) out.push('Checks (run once):', '', ...checksTable(stage.checks), '');
  if (stage.ticks.length === 0) {
    out.push('_No gate ticks in this stage._');
    return out;
  }
  const rows = stage.ticks.flatMap((t) =>
    t.results.map((r) => [
      String(t.tick),
      code(r.gate),
      status(r),
      observed(r),
      r.baseline ? text(formatQuantity(r.baseline)) : '',
      text(r.threshold),
      samples(r),
    ]),
  );
  out.push(`Gate ticks (${stage.ticks.length}):`, '');
  out.push(...table(['Tick', 'Gate', 'Status', 'Observed', 'Baseline', 'Threshold', 'Samples'], rows), '');
  out.push('Evidence (the latest result of each gate, and every failing one):', '', ...evidenceList(stage));
  return out;
}

function approvalText(stage: StageSummary): string {
  const a = stage.approval;
  if (a.requests === 0) return 'none asked for';
  const asked = `asked ${a.requestedAt ?? '?'}${a.requests > 1 ? ` (asked ${a.requests} times)` : ''}`;
  if (a.approvals.length === 0) return `${asked}; no approval`;
  const who = a.approvals.map((x) => `${code(x.userId)} at ${x.at}`).join(', ');
  return `${asked}; approved by ${who}; waited ${duration(a.waitedMs)}`;
}

function evidenceList(stage: StageSummary): string[] {
  const lines: string[] = [];
  const latest = new Map<string, { tick: number; r: GateEvidence }>();
  for (const t of stage.ticks) {
    for (const r of t.results) {
      latest.set(r.gate, { tick: t.tick, r });
      if (r.status === 'fail') lines.push(`- ${code(r.gate)}, tick ${t.tick} (fail): ${code(r.evidence)}`);
    }
  }
  for (const [gate, { tick, r }] of latest) {
    if (r.status !== 'fail') lines.push(`- ${code(gate)}, tick ${tick} (${r.status}): ${code(r.evidence)}`);
  }
  return lines;
}

/** The post-promotion watch: what it compared with, the warm tag, how it ended (its ticks are above). */
function postPromotionSection(p: PostPromotionSummary): string[] {
  const rows: [string, string][] = [
    ['Result', p.result],
    ['Previous revision', p.previousRevision ? code(p.previousRevision) : '_not reached_'],
    [
      'Baseline',
      p.baseline && p.previousRevision
        ? `${code(p.previousRevision)} from ${p.baseline.start} to ${p.baseline.end}`
        : '_not reached_',
    ],
    [
      'Kept warm',
      p.warm
        ? `tag ${code(p.warm.tag)} at ${p.warm.at}${p.warm.url ? ` (${p.warm.url})` : ''}`
        : p.warmFailed
          ? `no: ${text(p.warmFailed)}`
          : '_no tag_',
    ],
    ['Released', p.releasedAt ?? (p.releaseFailed ? `**no**: ${text(p.releaseFailed)}` : '_not released_')],
    [
      'Ended early',
      p.endedEarly
        ? `by ${code(p.endedEarly.by)} at ${p.endedEarly.at}${p.endedEarly.reason ? `: ${text(p.endedEarly.reason)}` : ''}`
        : 'no',
    ],
  ];
  return [`## Post-promotion watch (stage ${p.stage})`, '', ...table(['Field', 'Value'], rows)];
}

function rollbackSection(s: RolloutSummary): string[] {
  const p = s.rollback.procedure;
  if (!p) return [];
  const rows: [string, string][] = [
    ['Trigger', p.trigger === 'gate' ? 'a check or gate failed' : 'a person'],
    ['Reason', text(p.reason)],
    ['By', p.by ? code(p.by) : '_nobody: the runbook rolled back by itself_'],
    ['Failed stage', p.failedStage ?? '_none_'],
    ['Mode', p.mode],
    ['From revision', p.fromRevision ? code(p.fromRevision) : '_not known_'],
    ['To revision', code(p.toRevision)],
    ['Route override', p.routeOverride ? code(p.routeOverride) : '_none_'],
    ['Traffic when it began', p.trafficBefore ? formatSplit(p.trafficBefore, code) : '_not recorded_'],
    ['Traffic after', p.trafficAfter ? formatSplit(p.trafficAfter, code) : '_not read back_'],
    ['Status', p.status],
    ['Attention', p.attention ? text(p.attention) : '_none_'],
    ['Incident opened', p.incident ? 'yes' : 'no'],
    ['Started', p.startedAt],
    ['Ended', p.endedAt ?? '_not yet_'],
    ['Took', duration(p.durationMs)],
  ];
  const out = ['## Rollback', '', ...table(['Field', 'Value'], rows), ''];
  if (p.checks.length > 0) out.push('Checks on the stable revision:', '', ...checksTable(p.checks));
  else out.push('_No checks ran after the rollback._');
  return out;
}

function checksTable(checks: GateEvidence[]): string[] {
  return table(
    ['Check', 'Status', 'Result', 'Evidence'],
    checks.map((c) => [code(c.gate), status(c), text(c.line), code(c.evidence)]),
  );
}

// Cells.

function status(r: Pick<GateEvidence, 'status' | 'mode'>): string {
  const value = r.status;
  const shown = value === 'fail' || value === 'error' ? `**${value.toUpperCase()}**` : value;
  if (r.mode === 'enforce') return shown;
  if (value !== 'fail') return `${shown} (${r.mode})`;
  return r.mode === 'shadow' ? `${shown} (shadow: would have rolled back)` : `${shown} (advisory: asked)`;
}

function observed(r: GateEvidence): string {
  if (!r.observed) return r.reason ? `_${text(r.reason)}_` : '_nothing observed_';
  const latency = r.latencyMs === null ? '' : ` in ${formatNumber(r.latencyMs)} ms`;
  return text(`${formatQuantity(r.observed as Quantity)}${latency}`);
}

function samples(r: GateEvidence): string {
  return r.samplesUnit ? `${formatNumber(r.samples)} ${r.samplesUnit}` : formatNumber(r.samples);
}

function duration(ms: number | null): string {
  return ms === null ? '_not known_' : humanDuration(ms);
}

function value(s: RolloutSummary, path: string, v: string | null): string {
  return v === null ? missing(s, path) : code(v);
}

function missing(s: RolloutSummary, path: string): string {
  return `_${text(s.missing[path] ?? 'no value')}_`;
}
