import type { KnownBlock } from '@slack/types';
import { envsLabel, type LaneSummary, laneSummaries, notPassed } from '../validation/lanes.ts';
import type { CheckStatus, ValidationRun, Verdict } from '../validation/types.ts';
import { runVerdictTitle, verdictIn, verdictSentence, verdictTitle } from '../validation/verdict.ts';
import {
  code,
  context,
  escapeText,
  fitting,
  header,
  lineSections,
  type Mrkdwn,
  md,
  mention,
  message,
  type SlackMessage,
  section,
  truncate,
} from './message.ts';
import { between, slackDate } from './time.ts';

// The validation card (/validate): posted in the channel when the run starts, edited when it ends to
// show the verdict, a table of lanes and the checks that did not pass. Everything else (every row, the
// evidence) is in results.tsv and SUMMARY.md in its thread, so the card cuts what does not fit and says
// where the rest is, instead of growing past Slack's limits. A run over several environments shows the
// overall verdict first, then each environment's verdict above its own table of lanes.

const STATUS_EMOJI: Record<CheckStatus, string> = {
  pass: ':white_check_mark:',
  fail: ':x:',
  error: ':warning:',
  skip: ':heavy_minus_sign:',
};

/** Lanes shown in the card's table; the rest are counted and left to SUMMARY.md. */
const MAX_LANES = 40;
const MAX_PROBLEMS = 12;

export function validationCard(run: ValidationRun): SlackMessage {
  if (run.status === 'running') return runningCard(run);
  if (run.status === 'abandoned' || !run.verdict) return abandonedCard(run);
  return finishedCard(run, run.verdict);
}

function title(run: ValidationRun, what: string): string {
  return `Validation of ${envsLabel(run.envs)}: ${what}`;
}

const several = (run: ValidationRun) => run.envs.length > 1;

function modeWords(run: ValidationRun): string {
  return run.mode === 'gating'
    ? 'gating mode: every required check must pass'
    : 'baseline mode: recorded without gating, not a go/no-go decision';
}

/** The phase and the release a run was asked about, when it was (`--phase`, `--sha`, `--image`). */
function scopeOf(run: ValidationRun): Mrkdwn[] {
  return [
    ...(run.phase ? [md`phase ${code(run.phase)}`] : []),
    ...(run.subject?.sha ? [md`commit ${code(run.subject.sha)}`] : []),
    ...(run.subject?.image ? [md`image ${code(run.subject.image)}`] : []),
  ];
}

function footer(run: ValidationRun, ...more: Mrkdwn[]) {
  return context(
    [
      md`Run ${code(run.id)}`,
      ...scopeOf(run),
      md`asked by ${mention(run.requestedBy)}`,
      md`started ${slackDate(run.startedAt)}`,
      ...more,
    ].reduce((all, one) => md`${all} · ${one}`),
  );
}

function runningCard(run: ValidationRun): SlackMessage {
  const lanes = new Set(run.plan.map((p) => `${p.env}\u0000${p.lane}`)).size;
  const done = run.results.length > 0 ? md` ${run.results.length} of ${run.plan.length} done.` : '';
  const where = run.envs
    .map((env) => code(env))
    .reduce((all, one, i, list) => (i === list.length - 1 ? md`${all} and ${one}` : md`${all}, ${one}`));
  return message(md`${title(run, 'running')} (${run.plan.length} checks)`, [
    header(title(run, 'running')),
    section(
      md`:hourglass_flowing_sand: Running *${run.plan.length} checks* in *${lanes} lanes* of ${where}, in ${escapeText(modeWords(run))}.${done}`,
    ),
    footer(run, md`results.tsv and SUMMARY.md will be in the thread`),
  ]);
}

function abandonedCard(run: ValidationRun): SlackMessage {
  return message(escapeText(title(run, 'not run')), [
    header(title(run, 'not run')),
    section(md`:heavy_minus_sign: ${escapeText(run.note ?? 'The run ended before its checks ran.')}`),
    footer(run),
  ]);
}

function verdictEmoji(verdict: Verdict): string {
  if (verdict.mode === 'baseline') return ':clipboard:';
  if (verdict.outcome === 'no-go') return ':red_circle:';
  return verdict.warnings.length > 0 ? ':large_yellow_circle:' : ':large_green_circle:';
}

function finishedCard(run: ValidationRun, verdict: Verdict): SlackMessage {
  const took = between(run.startedAt, run.finishedAt);
  const problems = notPassed(run.results);
  const blocks = fitting(
    (budget) => [
      header(title(run, verdictTitle(verdict))),
      section(md`${verdictEmoji(verdict)} ${escapeText(verdictSentence(verdict))}`),
      ...(several(run) ? perEnvironment(run) : laneTable(laneSummaries(run))),
      ...(problems.length > 0
        ? lineSections(
            [
              md`*Did not pass*`,
              ...problems.map(
                (r) =>
                  md`${STATUS_EMOJI[r.status]} *${escapeText(`${r.lane} / ${r.check}`)}* (${escapeText(several(run) ? `${r.service} in ${r.env}` : r.service)}, ${r.required ? 'required' : 'optional'}): ${escapeText(truncate(r.line, budget))}`,
              ),
            ],
            { maxLines: MAX_PROBLEMS + 1, maxSections: 3, more: 'every row is in results.tsv in the thread' },
          )
        : []),
      ...(run.note ? [section(md`:warning: ${escapeText(run.note)}`)] : []),
      footer(run, ...(took ? [md`took ${took}`] : []), md`results.tsv and SUMMARY.md in the thread`),
    ],
    600,
  );
  return message(
    md`${title(run, runVerdictTitle(run))}: ${verdict.counts.passed} of ${verdict.counts.total} checks passed`,
    blocks,
  );
}

/** Each environment's own verdict, then its lanes: the table is cut at MAX_LANES over all of them. */
function perEnvironment(run: ValidationRun): KnownBlock[] {
  const all = laneSummaries(run);
  const shown = new Set(all.slice(0, MAX_LANES));
  const blocks: KnownBlock[] = [];
  for (const env of run.envs) {
    const own = verdictIn(run, env);
    blocks.push(
      section(
        own
          ? md`${verdictEmoji(own)} *${escapeText(env)}: ${escapeText(verdictTitle(own))}*. ${escapeText(verdictSentence(own))}`
          : md`:heavy_minus_sign: *${escapeText(env)}*: no verdict.`,
      ),
    );
    const lanes = all.filter((l) => l.env === env && shown.has(l));
    // Cut already, over every environment's lanes together.
    if (lanes.length > 0) blocks.push(...laneTable(lanes, Number.POSITIVE_INFINITY));
  }
  if (all.length > shown.size) {
    blocks.push(context(md`and ${all.length - shown.size} more lanes: see SUMMARY.md in the thread`));
  }
  return blocks;
}

/** The lanes as a fixed-width table in code blocks, as many sections as it takes. */
function laneTable(lanes: readonly LaneSummary[], max = MAX_LANES): KnownBlock[] {
  const shown = lanes.slice(0, max);
  const width = Math.min(24, Math.max(4, ...shown.map((l) => l.lane.length)));
  const cell = (text: string, n: number) => truncate(text, n).padEnd(n);
  const num = (value: number) => String(value).padStart(4);
  const head = `${cell('lane', width)}  req  pass fail  err skip  result`;
  const rows = shown.map(
    (l) =>
      `${cell(l.lane, width)}  ${l.required ? 'yes' : 'no '}  ${num(l.passed)} ${num(l.failed)} ${num(l.errors)} ${num(l.skipped)}  ${l.notRun > 0 ? `${l.notRun} not run` : (l.status ?? '-').toUpperCase()}`,
  );
  const sections: KnownBlock[] = [];
  let chunk: string[] = [head];
  const flush = () => {
    sections.push(section(md`\`\`\`${escapeText(chunk.join('\n'))}\`\`\``));
    chunk = [head];
  };
  for (const row of rows) {
    if ([...chunk, row].join('\n').length > 2_800) flush();
    chunk.push(row);
  }
  flush();
  if (lanes.length > shown.length) {
    sections.push(context(md`and ${lanes.length - shown.length} more lanes: see SUMMARY.md in the thread`));
  }
  return sections;
}

/** The comment the files are uploaded with. */
export function validationFilesComment(run: ValidationRun): string {
  // The upload's comment is mrkdwn like any message text.
  return md`results.tsv and SUMMARY.md of validation run ${run.id} (${envsLabel(run.envs)}): ${runVerdictTitle(run)}`
    .text;
}

/** Said in the thread when the files could not be uploaded: nothing is lost, and how to get them. */
export function validationFilesFailed(run: ValidationRun, error: string): SlackMessage {
  return message(md`The results of ${run.id} could not be uploaded`, [
    section(
      md`:warning: results.tsv and SUMMARY.md could not be uploaded here: ${escapeText(error)}.\nNothing is lost: the run and every result are kept as ${code(run.id)} for 90 days. \`/validate files ${escapeText(run.id)}\` uploads them into this thread again.`,
    ),
  ]);
}
