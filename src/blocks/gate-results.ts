import type { KnownBlock } from '@slack/types';
import type { StageVerdict } from '../gates/judge.ts';
import type { GateResult } from '../gates/result.ts';
import type { CanaryState } from '../runbooks/types.ts';
import { waitLine } from './decision-wait.ts';
import { countText, gateLine, gateStats, tickMarks, troubled } from './gate-lines.ts';
import {
  context,
  escapeText,
  fitting,
  lineSections,
  link,
  type Mrkdwn,
  md,
  mdJoin,
  message,
  type SlackMessage,
  section,
  truncateMrkdwn,
} from './message.ts';
import { plainTitle, windowText } from './rollout-words.ts';
import { type Clock, nowOf, slackDate } from './time.ts';

// One message per stage and phase in the thread, edited at every tick: every gate's short line (verdict,
// observed against threshold, one plain sentence) with its statistics in a context line under it, the
// tick and window, the verdict, and once the stage ends a link to its chart (posted in the thread by the
// Slack side). Every gate keeps its line however many there are: lines are shortened to fit Slack's size
// limit rather than dropped; with very many gates their statistics share one context block.

export type GatePhase = 'checks' | 'gates' | 'rollback-checks';

export interface GateResultsInput {
  phase: GatePhase;
  tick?: number;
  results: GateResult[];
  verdict?: StageVerdict;
  /** The stage's chart, once posted into the thread: its file name and, when Slack gave one, its link. */
  chart?: { file: string; url?: string };
}

const PHASE: Record<GatePhase, string> = {
  checks: 'Checks',
  gates: 'Gates',
  'rollback-checks': 'Checks after the rollback',
};

const VERDICT: Record<StageVerdict, string> = {
  continue: ':eyes: no failure beyond the limit so far: watching goes on',
  pass: ':white_check_mark: *stage passed*',
  fail: ':x: *stage failed*: the rollback procedure starts (or waits for one click, if the policy says so)',
  'needs-attention':
    ':warning: *needs attention*: a gate could not be watched; people decide on the rollout card',
  extend: ':hourglass: no gate could judge the window yet: watching longer',
  inconclusive:
    ':grey_question: *inconclusive*: no gate could judge the window; people decide on the rollout card',
};

/** Chars of gate lines a message may carry: the rest of the 12k ceiling is headings and context. */
const LINE_BUDGET = 8000;
/** Failing gates whose evidence (query, URL, filter) is shown, so a person can re-run them. */
const EVIDENCE = 5;
/** Up to this many gates, each line has its own context line of statistics under it (two blocks each). */
const INTERLEAVED = 18;

export function gateResultsMessage(
  state: CanaryState,
  index: number,
  input: GateResultsInput,
  options: Clock = {},
): SlackMessage {
  const stage = state.stages[index];
  const name = stage ? md`stage ${escapeText(stage.name)} (${stage.traffic} %)` : 'the rollback';
  const title = md`${PHASE[input.phase]} of ${name}`;
  const text = md`${plainTitle(state)}: ${PHASE[input.phase]} of ${stage ? md`stage ${stage.name}` : 'the rollback'}: ${countText(input.results)}`;
  const now = nowOf(options);
  // Shorter lines, then no evidence, until the whole message fits.
  const blocks = fitting(
    (budget) => build(state, index, input, title, now, budget, budget > LINE_BUDGET / 2),
    LINE_BUDGET,
  );
  return message(text, blocks);
}

function build(
  state: CanaryState,
  index: number,
  input: GateResultsInput,
  title: Mrkdwn,
  now: number,
  budget: number,
  evidence: boolean,
): KnownBlock[] {
  const stage = state.stages[index];
  const heading = [md`*${title}*: ${countText(input.results)}`];
  if (input.phase === 'gates' && stage) {
    const tick = input.tick ?? stage.ticks.length;
    heading.push(md`${windowText({ ...stage, ticks: stage.ticks.slice(0, tick) }, now)}`);
    if (stage.ticks.length > 0) heading.push(md`Ticks: ${tickMarks(stage.ticks)}`);
    // While a gate waits for canary requests: for how many, and roughly how long at this traffic.
    const wait = waitLine(stage, input.results);
    if (wait) heading.push(wait);
  }
  if (input.phase === 'rollback-checks' && state.rollback) {
    heading.push(md`On ${escapeText(state.rollback.toRevision)}, which serves all traffic now`);
  }
  const perLine = Math.max(80, Math.min(600, Math.floor(budget / Math.max(1, input.results.length))));
  const lines = input.results.map((r) => gateLine(r, perLine));
  const stats = input.results.map((r) => {
    const said = gateStats(r);
    return said ? truncateMrkdwn(md`${escapeText(r.gate)}: ${escapeText(said)}`, perLine) : undefined;
  });
  const blocks: KnownBlock[] = [section(mdJoin(heading, '\n'))];
  if (lines.length === 0) blocks.push(section(md`_No gate results._`));
  else if (lines.length <= INTERLEAVED) {
    lines.forEach((line, i) => {
      blocks.push(section(line));
      const said = stats[i];
      if (said) blocks.push(context(said));
    });
  } else {
    blocks.push(...lineSections(lines, { maxLine: perLine }));
    const said = stats.filter((t): t is Mrkdwn => t !== undefined);
    if (said.length > 0) blocks.push(context(truncateMrkdwn(mdJoin(said, '\n'), 2900)));
  }
  const bad = evidence ? troubled(input.results).slice(0, EVIDENCE) : [];
  if (bad.length > 0) {
    blocks.push(
      context(
        ...bad.map((r) => md`${escapeText(r.gate)}: ${truncateMrkdwn(escapeText(oneLine(r.evidence)), 280)}`),
      ),
    );
  }
  if (input.chart) {
    const title = `chart of the stage: canary vs stable (${input.chart.file})`;
    blocks.push(
      section(
        input.chart.url
          ? md`:chart_with_upwards_trend: ${link(input.chart.url, title)}`
          : md`:chart_with_upwards_trend: The ${title} is in this thread.`,
      ),
    );
  }
  const footer = [input.verdict ? md`Verdict: ${VERDICT[input.verdict]}` : undefined, lastAt(input.results)];
  const shown = footer.filter((t): t is Mrkdwn => t !== undefined);
  if (shown.length > 0) blocks.push(context(...shown));
  if (state.dryRun) blocks.push(context(md`:test_tube: Dry run: these results change nothing.`));
  return blocks;
}

function lastAt(results: readonly GateResult[]): Mrkdwn | undefined {
  const at = results
    .map((r) => r.at)
    .sort()
    .at(-1);
  return at ? md`Evaluated ${slackDate(at)}` : undefined;
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim() || '-';
}
