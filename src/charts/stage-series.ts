import type { GatePlot, GateResult, GateStatus } from '../gates/result.ts';
import type { CanaryState, StageProgress } from '../runbooks/types.ts';

// What a stage's chart draws, taken from the ticks the rollout record already keeps: for each gate that
// compares the canary with stable (its results carry a `plot`, gates/result.ts), one panel with the
// canary's value, stable's, the limit and the canary's confidence band at every tick, against the time
// since the stage's traffic was confirmed (minutes; seconds for a stage of seconds, as in the sandbox).
// Pure and without the rendering libraries: the reports name the chart files from here, and png.ts
// draws them.
//
// The values are the gates' own, cumulative from the start of the stage's window, at the end of the data
// each tick judged (`dataThrough`: Cloud Monitoring's data is minutes late): what the judge saw, so the
// chart explains the verdict. The confidence band narrows as requests accumulate; the 5xx gate fails when
// its lower edge rises over the bound.

export interface ChartPoint {
  /** Time since the stage's traffic was confirmed, in the chart's `timeUnit`. */
  at: number;
  canary?: number;
  stable?: number;
  limit?: number;
  /** The canary's confidence band. */
  low?: number;
  high?: number;
  /** The gate's verdict at this tick. */
  status: GateStatus;
}

export interface ChartPanel {
  gate: string;
  kind: GatePlot['panel'];
  /** "error-rate: 5xx rate", as the panel's title says it. */
  title: string;
  /** The unit of every value in the panel: '%' or 'ms'. */
  unit: string;
  points: ChartPoint[];
}

export interface StageChart {
  stage: number;
  /** The file's name in the thread and beside the report: chart-stage-B.png. */
  file: string;
  /** "demo v1.42.0: stage B (5 %), canary vs stable". */
  title: string;
  /** "passed · 10 ticks from 10:00Z · 01234 vs 00122". */
  subtitle: string;
  /** Minutes, or seconds for a stage watched under three minutes (the sandbox's). */
  timeUnit: 'minutes' | 'seconds';
  panels: ChartPanel[];
}

/** Under this span the time axis counts seconds. */
const SECONDS_BELOW_MS = 180_000;

/** Panels drawn at most: a stage with more comparing gates shows the first ones (the report lists all). */
export const MAX_PANELS = 4;

const VERDICT_WORDS: Record<string, string> = {
  pass: 'passed',
  fail: 'failed',
  'needs-attention': 'needs attention',
  inconclusive: 'inconclusive',
  extend: 'extended',
  continue: 'watching',
};

/** The chart of stage `index`, or undefined when none of its ticks has anything to draw. */
export function stageChart(state: CanaryState, index: number): StageChart | undefined {
  const stage = state.stages[index];
  if (!stage) return undefined;
  const plotted = stage.ticks.flat().filter(hasPlot);
  if (plotted.length === 0) return undefined;
  const origin = Date.parse(stage.startedAt ?? pointTime(plotted[0] as GateResult));
  const span = Math.max(...plotted.map((r) => Date.parse(pointTime(r)) - origin));
  const timeUnit = span < SECONDS_BELOW_MS ? 'seconds' : 'minutes';
  const unitMs = timeUnit === 'seconds' ? 1_000 : 60_000;
  const panels = new Map<string, ChartPanel>();
  for (const result of plotted) {
    const panel = panels.get(result.gate) ?? {
      gate: result.gate,
      kind: result.plot.panel,
      // "error-logs per request" names its gate already; "5xx rate" does not.
      title: result.metric.startsWith(result.gate) ? result.metric : `${result.gate}: ${result.metric}`,
      unit: result.observed?.unit ?? '',
      points: [],
    };
    panels.set(result.gate, panel);
    panel.points.push(pointOf(result, origin, unitMs));
  }
  const shown = [...panels.values()].slice(0, MAX_PANELS);
  for (const panel of shown) panel.points.sort((a, b) => a.at - b.at);
  return {
    stage: index,
    file: chartFileName(stage),
    title: `${state.service} ${state.tag}: stage ${stage.name} (${stage.traffic} %), canary vs stable`,
    subtitle: subtitleOf(state, stage),
    timeUnit,
    panels: shown,
  };
}

/** Every stage that has a chart, in stage order. */
export function stageCharts(state: CanaryState): StageChart[] {
  return state.stages
    .map((_, index) => stageChart(state, index))
    .filter((chart): chart is StageChart => chart !== undefined);
}

/** chart-stage-B.png; a stage name that is not a plain word is reduced to one. */
export function chartFileName(stage: Pick<StageProgress, 'name' | 'index'>): string {
  const word = stage.name.replace(/[^A-Za-z0-9_-]+/g, '-').replace(/^-+|-+$/g, '');
  return `chart-stage-${word || String(stage.index)}.png`;
}

type Plotted = GateResult & { plot: GatePlot };

function hasPlot(result: GateResult): result is Plotted {
  return result.plot !== undefined && typeof result.observed?.value === 'number';
}

function pointTime(result: GateResult): string {
  return result.dataThrough ?? result.at;
}

function pointOf(result: Plotted, origin: number, unitMs: number): ChartPoint {
  const since = (Date.parse(pointTime(result)) - origin) / unitMs;
  const baseline = result.baseline?.value;
  const { limit, band } = result.plot;
  return {
    at: Number(since.toFixed(3)),
    canary: result.observed?.value as number,
    ...(typeof baseline === 'number' ? { stable: baseline } : {}),
    ...(limit !== undefined ? { limit } : {}),
    ...(band ? { low: band[0], high: band[1] } : {}),
    status: result.status,
  };
}

function subtitleOf(state: CanaryState, stage: StageProgress): string {
  const verdict = stage.verdict ? (VERDICT_WORDS[stage.verdict] ?? stage.verdict) : 'watching';
  const ticks = `${stage.ticks.length} tick${stage.ticks.length === 1 ? '' : 's'}`;
  const from = stage.startedAt ? ` from ${stage.startedAt.slice(11, 16)}Z` : '';
  const revisions =
    state.canaryRevision && state.stableRevision
      ? ` · canary ${state.canaryRevision} vs stable ${state.stableRevision}`
      : '';
  return `${verdict} · ${ticks}${from}${revisions}`;
}
