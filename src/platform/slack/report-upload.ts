import {
  code,
  escapeText,
  md,
  mdJoin,
  message,
  type SlackMessage,
  section,
  truncate,
} from '../../blocks/message.ts';
import { renderChartPng, stageCharts } from '../../charts/index.ts';
import type { ShiftgateConfig } from '../../config/schema.ts';
import { serviceTarget } from '../../config/target.ts';
import { messageOf } from '../../gates/error-result.ts';
import { cutoverMarkdown } from '../../reports/cutover-md.ts';
import { cutoverSummary } from '../../reports/cutover-summary.ts';
import { flagMarkdown } from '../../reports/flag-md.ts';
import { flagSummary } from '../../reports/flag-summary.ts';
import { type RolloutSummary, rolloutSummary, type SummaryInput } from '../../reports/rollout-summary.ts';
import { SUMMARY_JSON, summaryJson } from '../../reports/summary-json.ts';
import { outcomeWord, SUMMARY_MD, summaryMarkdown } from '../../reports/summary-md.ts';
import type { Logger } from '../../runbooks/effects.ts';
import type { ReportSink } from '../../runbooks/ports/report-sink.ts';
import { isTerminalStatus } from '../../runbooks/status.ts';
import type { PlanEntry, RunbookState } from '../../runbooks/types.ts';
import type { Store } from '../../store/index.ts';
import type { AttachedFile, Poster } from './poster.ts';
import { keepReport } from './report-keep.ts';
import { chartPurpose } from './stage-charts.ts';

// The evidence report into the rollout's thread when it ends: summary.json and SUMMARY.md as files, in one
// upload with a short comment naming the outcome. Each stage's chart (a PNG, named in SUMMARY.md and in
// summary.json's stages) is already in the thread, posted when the stage ended (stage-charts.ts); one that
// is not joins the report's upload. The durable sink gets every chart beside SUMMARY.md. Files have no message size limit to speak of, so a report
// of hours of gate ticks goes whole; the comment stays a line.
//
// Once per rollout, however many times the ending is notified (a redriven step, two replicas): the upload
// recorded by poster.attach ends it, and a claim in Redis keeps two replicas from uploading side by side.
// The report saved in Redis by the engine stays the state of record: the files are rebuilt from the same
// state, and when the upload fails the thread is told that the report is kept, where, and the required
// fields are posted as a message so the thread still holds the evidence that matters most.

export const REPORT_PURPOSE = 'report';
const KEPT_PURPOSE = 'report-kept';
/**
 * Long enough for one upload (seconds), and shorter than the 10 s worker lease on the rollout: the replica
 * that redrives the ending of a rollout whose worker died (only after that lease lapsed) always finds a
 * dead replica's claim gone, so the report is never lost to it. Two live replicas never upload side by
 * side anyway: only the lease holder runs the rollout's effects.
 */
const CLAIM_TTL_MS = 8_000;
const REPORT_KEPT_DAYS = 90;

export interface ReportUploadDeps {
  store: Store;
  poster: Poster;
  config: ShiftgateConfig;
  log: Logger;
  /** Where an environment keeps its reports beyond Redis (its `reports` config); undefined: nowhere. */
  sinks?: (env: string) => Promise<ReportSink | undefined>;
}

interface BuiltReport {
  comment: string;
  files: AttachedFile[];
  /** The message that says the report is kept, when the files cannot be attached. */
  kept(key: string, error: string): SlackMessage;
}

/** Any kind's report files: a stream cutover has its own summary; canaries and rollbacks share one. */
export function reportFiles(
  report: { state: RunbookState; plan?: readonly PlanEntry[] },
  config: ShiftgateConfig,
): BuiltReport {
  const { state } = report;
  if (state.kind === 'stream-cutover') {
    const summary = cutoverSummary(state, report.plan);
    const reason = summary.outcome.reason;
    return trainReportFiles({
      id: summary.rolloutId,
      summary,
      markdown: cutoverMarkdown(summary),
      dryRun: summary.dryRun,
      word: summary.outcome.passed ? 'Passed' : state.status === 'aborted' ? 'Aborted' : 'Failed',
      subject: `${summary.service} stream cutover in ${summary.env}`,
      reason: (max) => `: ${truncate(reason, max)}`,
      keptWith: ' with the train',
    });
  }
  if (state.kind === 'flag-canary') {
    const summary = flagSummary(state);
    const reason = summary.rollback_reason;
    return trainReportFiles({
      id: summary.rolloutId,
      summary,
      markdown: flagMarkdown(summary),
      dryRun: summary.dryRun,
      word:
        summary.mode === 'off'
          ? summary.success
            ? 'Flags off'
            : 'Flags not off'
          : summary.success
            ? 'CANARY PASSED'
            : 'CANARY FAILED',
      subject: `${summary.config} in ${summary.env}`,
      reason: () => (reason ? `: ${truncate(reason, 160)}` : ''),
      keptWith: '',
    });
  }
  const built = rolloutReportFiles({ state, ...(report.plan ? { plan: report.plan } : {}) }, config);
  return {
    comment: comment(built.summary),
    files: built.files,
    kept: (key, error) => kept(built.summary, key, error),
  };
}

/** A train's report (stream cutover, flag canary): its own summary and markdown, the same files and words. */
function trainReportFiles(p: {
  id: string;
  summary: object;
  markdown: string;
  dryRun: boolean;
  word: string;
  subject: string;
  /** `: <why>` cut to a length, or nothing. */
  reason: (max: number) => string;
  keptWith: string;
}): BuiltReport {
  return {
    comment:
      md`:page_facing_up: Evidence report${p.dryRun ? ' (dry run)' : ''}: *${p.word}*, ${p.subject}${p.reason(160)}`
        .text,
    files: [
      {
        filename: SUMMARY_JSON,
        title: `${p.id} summary.json`,
        content: `${JSON.stringify(p.summary, null, 2)}\n`,
      },
      { filename: SUMMARY_MD, title: `${p.id} SUMMARY.md`, content: p.markdown },
    ],
    kept: (key, error) =>
      message(md`Evidence report kept: ${p.id}`, [
        section(
          md`:warning: The evidence report could not be attached: ${escapeText(truncate(error, 200))}. It is kept${p.keptWith} for ${REPORT_KEPT_DAYS} days (Redis key ${code(key)}).\n*${p.word}*${p.reason(300)}`,
        ),
      ]),
  };
}

/** The two files of a report, built from what the engine saves ({state, plan}) and where the service runs. */
export function rolloutReportFiles(
  report: Pick<SummaryInput, 'state' | 'plan'>,
  config: ShiftgateConfig,
): { summary: RolloutSummary; files: AttachedFile[] } {
  const target = serviceTarget(config, report.state.service, report.state.env);
  const summary = rolloutSummary({
    state: report.state,
    ...(report.plan ? { plan: report.plan } : {}),
    ...(target
      ? {
          target: { project: target.project, region: target.region, cloudRunService: target.cloudRunService },
        }
      : {}),
  });
  return {
    summary,
    files: [
      { filename: SUMMARY_JSON, title: `${summary.rolloutId} summary.json`, content: summaryJson(summary) },
      { filename: SUMMARY_MD, title: `${summary.rolloutId} SUMMARY.md`, content: summaryMarkdown(summary) },
    ],
  };
}

/** Never throws: the report is evidence, not state; a failure is logged and said in the thread. */
export function createReportUpload(deps: ReportUploadDeps) {
  const { store, poster, config, log } = deps;

  return async function uploadReport(
    state: RunbookState,
    thread: { channel: string; threadTs: string },
  ): Promise<void> {
    if (!isTerminalStatus(state.status)) return;
    const id = state.id;
    let built: BuiltReport;
    try {
      if (await poster.ref(id, REPORT_PURPOSE)) return;
      if (!(await store.idempotency.claim(`report-upload:${id}`, CLAIM_TTL_MS))) return;
      const record = await store.rollouts.get<{ plan?: PlanEntry[] }>(id);
      built = reportFiles({ state, ...(record?.data.plan ? { plan: record.data.plan } : {}) }, config);
    } catch (error) {
      log.error('evidence report not built', { rolloutId: id, error: messageOf(error) });
      return;
    }
    const charts = await chartFiles(state, log);
    // The durable copy first: it is the one that outlives Redis and Slack alike (report-keep.ts);
    // SUMMARY.md shows its charts by their names, so they go beside it.
    await keepReport(
      { poster, config, sinks: deps.sinks, log: { error: (m, f) => log.error(m, { rolloutId: id, ...f }) } },
      { id, envs: [state.env], files: [...built.files, ...charts.map((c) => c.file)], thread },
    );
    // In the thread each stage's chart was posted when the stage ended: only one that is not there yet.
    const posted = await Promise.all(
      charts.map((c) => poster.ref(id, chartPurpose(c.stage, c.ticks)).catch(() => undefined)),
    );
    const files = [...built.files, ...charts.filter((_, i) => !posted[i]).map((c) => c.file)];
    try {
      await poster.attach(id, REPORT_PURPOSE, thread, {
        comment: built.comment,
        files,
      });
    } catch (error) {
      // Given back, so the next notification of this ending (a redrive, another replica) tries again.
      await store.idempotency.release(`report-upload:${id}`).catch(() => {});
      log.error('evidence report upload failed; the report stays in Redis', {
        rolloutId: id,
        key: store.keys.report(id),
        error: messageOf(error),
      });
      await poster
        .upsert(id, KEPT_PURPOSE, thread, built.kept(store.keys.report(id), messageOf(error)))
        .catch((e: unknown) =>
          log.error('report fallback not posted', { rolloutId: id, error: messageOf(e) }),
        );
    }
  };
}

/**
 * Each stage's chart as a PNG beside the report (SUMMARY.md shows them by these names). A chart that
 * cannot be drawn is left out and logged: the report goes without it rather than not at all.
 */
export async function chartFiles(
  state: RunbookState,
  log?: Logger,
): Promise<{ stage: number; ticks: number; file: AttachedFile }[]> {
  if (state.kind !== 'canary') return [];
  const files: { stage: number; ticks: number; file: AttachedFile }[] = [];
  for (const chart of stageCharts(state)) {
    try {
      const drawn = await renderChartPng(chart);
      files.push({
        stage: chart.stage,
        ticks: state.stages[chart.stage]?.ticks.length ?? 0,
        file: { filename: chart.file, title: `${state.id} ${chart.file}`, content: drawn.png },
      });
    } catch (error) {
      log?.error('stage chart not drawn for the report', {
        rolloutId: state.id,
        file: chart.file,
        error: messageOf(error),
      });
    }
  }
  return files;
}

/** The upload's comment: one line naming the outcome. */
export function comment(summary: RolloutSummary): string {
  const subject =
    summary.kind === 'canary'
      ? `${summary.service} ${summary.image.tag ?? ''}`
      : `${summary.service} rollback`;
  const dry = summary.dryRun ? ' (dry run)' : '';
  const reason = truncate(summary.outcome.reason, 160);
  // The upload's comment is mrkdwn like any message text.
  return md`:page_facing_up: Evidence report${dry}: *${outcomeWord(summary)}*, ${subject.trim()} in ${summary.env}: ${reason}`
    .text;
}

/** When the files could not be attached: what is kept and where, and the fields seed 001 requires. */
function kept(summary: RolloutSummary, key: string, error: string) {
  const none = (path: string) => md`_${summary.missing[path] ?? 'none'}_`;
  const val = (path: string, v: string | null) => (v === null ? none(path) : code(v));
  const split = (path: string, s: Record<string, number> | null) =>
    s === null
      ? none(path)
      : Object.keys(s).length === 0
        ? md`no traffic`
        : mdJoin(
            Object.entries(s).map(([rev, pct]) => md`${code(rev)} ${pct} %`),
            ', ',
          );
  const head = md`:warning: The evidence report (${SUMMARY_JSON}, ${SUMMARY_MD}) could not be attached: ${escapeText(truncate(error, 200))}. Nothing is lost: the full report is kept with the rollout for ${REPORT_KEPT_DAYS} days (Redis key ${code(key)}; an operator reads it with ${code(`redis-cli GET ${key}`)}).`;
  const fields = mdJoin(
    [
      md`*${outcomeWord(summary)}*: ${truncate(summary.outcome.reason, 300)}`,
      md`• Image: ${val('image.ref', summary.image.ref)}`,
      summary.outcome.status === 'promoted'
        ? md`• Stable revision (promoted): ${val('revisions.canary', summary.revisions.canary)}; previous stable: ${val('revisions.stable', summary.revisions.stable)}`
        : md`• Stable revision: ${val('revisions.stable', summary.revisions.stable)}; canary revision: ${val('revisions.canary', summary.revisions.canary)}`,
      md`• Traffic before: ${split('traffic.before', summary.traffic.before)}; after: ${split('traffic.after', summary.traffic.after)}`,
      md`• Rollback: ${val('rollback.command', summary.rollback.command)}`,
    ],
    '\n',
  );
  return message(md`The evidence report of ${summary.rolloutId} could not be attached; it is kept.`, [
    section(head),
    section(fields),
  ]);
}
