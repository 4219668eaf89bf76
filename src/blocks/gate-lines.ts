import { renderGate } from '../gates/render.ts';
import type { GateResult, GateStatus } from '../gates/result.ts';
import { escapeText, type Mrkdwn, md, truncateMrkdwn } from './message.ts';

// Gate results as Slack lines: renderGate's line (observed value beside the threshold) with a status
// emoji and the gate's name, and the short counts the card and lists show.

export const GATE_EMOJI: Record<GateStatus, string> = {
  pass: ':white_check_mark:',
  fail: ':x:',
  inconclusive: ':grey_question:',
  error: ':warning:',
  skipped: ':heavy_minus_sign:',
};

const ORDER: GateStatus[] = ['fail', 'error', 'inconclusive', 'pass', 'skipped'];

/**
 * `:x: *latency-p95* p95 latency 412 ms vs stable 300 ms ... (+37.3 %, limit +20 %): FAIL`. renderGate
 * leaves the threshold out where a reason stands in for it (inconclusive, a failed probe, an error):
 * it is added then, so a reader always sees both what was observed and what was expected.
 */
export function gateLine(result: GateResult, max = 3000): Mrkdwn {
  const line = renderGate(result);
  const threshold = result.threshold.trim();
  const missing = threshold !== '' && threshold !== '-' && !line.includes(threshold);
  const text = md`${GATE_EMOJI[result.status]} *${escapeText(result.gate)}*${modeNote(result)} ${escapeText(line)}${
    missing ? md` (threshold ${escapeText(threshold)})` : ''
  }`;
  return truncateMrkdwn(text, max);
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
