import { changeText, formatNumber, formatQuantity } from '../gates/render.ts';
import type { GateResult, GateStatus } from '../gates/result.ts';
import { escapeText, type Mrkdwn, md, truncateMrkdwn } from './message.ts';

// Gate results as Slack lines: short ones (the verdict, observed against threshold, one plain sentence)
// with a status emoji and the gate's name, the statistics behind them for a context line, and the short
// counts the card and lists show. The full one-line rendering (gates/render.ts) stays in the report.

export const GATE_EMOJI: Record<GateStatus, string> = {
  pass: ':white_check_mark:',
  fail: ':x:',
  inconclusive: ':grey_question:',
  error: ':warning:',
  skipped: ':heavy_minus_sign:',
};

const ORDER: GateStatus[] = ['fail', 'error', 'inconclusive', 'pass', 'skipped'];

/**
 * `:x: *latency-p95* FAIL: p95 latency 412 ms against +20 % (360 ms). The canary's p95 is more than 20 %
 * above stable's.` The verdict, what was observed against what was expected, and one plain sentence
 * (the result's `summary`, or one said from its status). The figures behind it (stable's value, the
 * change, the samples, the tests' numbers, how late the data is) are gateStats', for a context line;
 * the report keeps renderGate's full line.
 */
export function gateLine(result: GateResult, max = 3000): Mrkdwn {
  const seen = `${observedText(result)}${expectedText(result)}`;
  const said = sentence(result, seen).text;
  const text = md`${GATE_EMOJI[result.status]} *${escapeText(result.gate)}*${modeNote(result)} ${VERDICT[result.status]}: ${escapeText(
    seen,
  )}. ${escapeText(said)}`;
  return truncateMrkdwn(text, max);
}

/**
 * The statistics of a result that its short line leaves out, in words: `stable 300 ms · +37.3 % · 5,210
 * canary requests · more than 20 % above stable; data through 10:07:00Z, 3 min behind`. Empty when
 * there are none (a probe that passed).
 */
export function gateStats(result: GateResult): string {
  const parts: string[] = [];
  if (result.baseline) {
    const label = result.kind === 'prometheus' ? 'before' : 'stable';
    parts.push(`${label} ${formatQuantity(result.baseline)}`);
    // From 0 a change is no ratio, and "0 %" beside "stable 0 %" would read as one.
    const change = result.baseline.value === 0 ? undefined : changeText(result);
    if (change !== undefined) parts.push(change);
  }
  const samples = samplesText(result);
  if (samples) parts.push(samples);
  const reason = result.reason?.trim();
  const seen = `${observedText(result)}${expectedText(result)}`;
  if (reason && !sentence(result, seen).whole) parts.push(reason);
  return parts.join(' · ');
}

const VERDICT: Record<GateStatus, string> = {
  pass: 'pass',
  fail: '*FAIL*',
  inconclusive: 'inconclusive',
  error: '*ERROR*',
  skipped: 'skipped',
};

/** Probes (one request, one evaluation) say what they expected; measurements over a window a limit. */
const PROBE_KINDS: ReadonlySet<GateResult['kind']> = new Set([
  'http',
  'sse-contract',
  'route-split',
  'domain-mapping',
]);
const ARROW_KINDS: ReadonlySet<GateResult['kind']> = new Set(['route-split', 'domain-mapping']);
const SAMPLES_UNIT: Partial<Record<GateResult['kind'], string>> = {
  'cloud-monitoring': 'requests',
  'cloud-logging': 'log entries',
  prometheus: 'series',
};

function observedText(result: GateResult): string {
  if (result.status === 'error') {
    const seen = result.observed ? ` ${formatQuantity(result.observed)}` : '';
    return `${result.metric}${seen} could not be measured`;
  }
  if (!result.observed) return `${result.metric}, nothing observed`;
  const joiner = ARROW_KINDS.has(result.kind) ? ' -> ' : ' ';
  const latency = result.latencyMs === undefined ? '' : ` in ${formatNumber(result.latencyMs)} ms`;
  return `${result.metric}${joiner}${formatQuantity(result.observed)}${latency}`;
}

function expectedText(result: GateResult): string {
  const threshold = result.threshold.trim();
  if (threshold === '' || threshold === '-') return '';
  if (result.status === 'error') return ` (threshold ${threshold})`;
  return PROBE_KINDS.has(result.kind) ? `, expected ${threshold}` : ` against ${threshold}`;
}

function samplesText(result: GateResult): string | undefined {
  const unit = result.samplesUnit ?? SAMPLES_UNIT[result.kind];
  if (!unit || PROBE_KINDS.has(result.kind) || result.status === 'error') return undefined;
  if (result.kind === 'prometheus') {
    return result.samples > 1 ? `sum of ${formatNumber(result.samples)} ${unit}` : undefined;
  }
  return `${formatNumber(result.samples)} ${unit}`;
}

/** A sentence from the reason is at most this long; a longer reason stays in the statistics. */
const SENTENCE_MAX = 160;

/**
 * The one plain sentence: the provider's summary, or one said from the status, taking the reason's first
 * part (up to "; ") when it is short and says more than the line already does. `whole`: the sentence is
 * all of the reason, so the statistics need not repeat it.
 */
function sentence(result: GateResult, line = ''): { text: string; whole: boolean } {
  if (result.summary) return { text: result.summary, whole: false };
  const reason = result.reason?.trim() ?? '';
  const first = reason.split('; ')[0]?.trim() ?? '';
  const usable =
    first !== '' &&
    first.length <= SENTENCE_MAX &&
    !line.toLowerCase().includes(first.toLowerCase()) &&
    result.status !== 'pass' &&
    result.status !== 'error';
  if (usable) return { text: sentenceOf(first), whole: first === reason };
  const probe = PROBE_KINDS.has(result.kind);
  const text: Record<GateStatus, string> = {
    pass: probe ? 'As expected.' : 'Within the limit.',
    fail: probe ? 'Not as expected.' : 'Over the limit.',
    inconclusive: 'Too little data to judge yet; this is not a failure.',
    error: 'The source did not answer; this is not a failure.',
    skipped: 'Not applicable here.',
  };
  return { text: text[result.status], whole: false };
}

function sentenceOf(text: string): string {
  const capital = `${text.charAt(0).toUpperCase()}${text.slice(1)}`;
  return /[.!?]$/.test(capital) ? capital : `${capital}.`;
}

/** After the name of a gate that does not enforce: its mode, and what its failure did instead. */
export function modeNote(result: Pick<GateResult, 'mode' | 'status'>): Mrkdwn | '' {
  if (result.mode === undefined) return '';
  if (result.status !== 'fail') return md` _(${result.mode})_`;
  return result.mode === 'shadow'
    ? md` _(shadow: would have rolled back)_`
    : md` _(advisory: asks instead of rolling back)_`;
}

/** "4 pass · 1 fail · 1 inconclusive", worst first; "no results" for none. */
export function countText(results: readonly GateResult[]): string {
  if (results.length === 0) return 'no results';
  const counts = new Map<GateStatus, number>();
  for (const r of results) counts.set(r.status, (counts.get(r.status) ?? 0) + 1);
  return ORDER.filter((s) => counts.has(s))
    .map((s) => `${counts.get(s) ?? 0} ${s}`)
    .join(' · ');
}

/** The worst status among results: what a tick or a set of checks amounts to. */
export function worst(results: readonly GateResult[]): GateStatus | undefined {
  return ORDER.find((s) => results.some((r) => r.status === s));
}

/** One mark per tick, oldest first: ✓ pass, ✗ fail, ! error, ? inconclusive; the latest `max` only. */
export function tickMarks(ticks: readonly (readonly GateResult[])[], max = 30): string {
  const mark: Record<GateStatus, string> = {
    pass: '✓',
    fail: '✗',
    error: '!',
    inconclusive: '?',
    skipped: '-',
  };
  const marks = ticks.map((t) => mark[worst(t) ?? 'skipped']);
  const shown = marks.slice(-max).join(' ');
  return marks.length > max ? `… ${shown}` : shown;
}

/** Results that are not fine: failing and erroring first, for the short lists of what went wrong. */
export function troubled(results: readonly GateResult[]): GateResult[] {
  return results.filter((r) => r.status === 'fail' || r.status === 'error');
}
