import { describe, expect, it } from 'vitest';
import { gateResultsMessage } from '../../src/blocks/gate-results.ts';
import { blockKitProblems } from '../../src/blocks/limits.ts';
import { formatQuantity, renderGate } from '../../src/gates/render.ts';
import type { GateResult, GateStatus } from '../../src/gates/result.ts';
import { at, buttons, GATES, NOW, result, scenario, textOf, unescapeMrkdwn } from './fixtures.ts';

/** Every gate's observed value and its threshold appear in the message, as renderGate writes them. */
function expectEveryGate(text: string, results: GateResult[]): void {
  const plain = unescapeMrkdwn(text);
  for (const r of results) {
    if (r.observed) expect(plain, r.gate).toContain(formatQuantity(r.observed));
    expect(plain, r.gate).toContain(r.threshold);
    expect(plain, r.gate).toContain(r.gate);
  }
}

describe('the gate results message', () => {
  it('shows each gate with its observed value beside its threshold, the tick, the window and the verdict', () => {
    const state = scenario('watching');
    const results = state.stages[1]?.ticks.at(-1) ?? [];
    const m = gateResultsMessage(
      state,
      1,
      { phase: 'gates', tick: 3, results, verdict: 'continue' },
      { now: new Date(at(3)) },
    );
    const text = textOf(m);
    for (const r of results) expect(unescapeMrkdwn(text)).toContain(renderGate(r));
    expectEveryGate(text, results);
    expect(text).toContain('*Gates of stage B (5 %)*: 5 pass');
    expect(text).toMatch(
      /tick 3, window ends <!date\^\d+\^\{date_short_pretty\} \{time\}\|2026-11-23T10:10:00.000Z> \(in 7 min\)/,
    );
    expect(text).toContain('Ticks: ✓ ? ✓');
    expect(text).toContain('Verdict: :eyes:');
    expect(m.text).toBe('control prod v1.42.0: Gates of stage B: 5 pass');
    expect(blockKitProblems(m)).toEqual([]);
    expect(buttons(m)).toEqual([]);
  });

  it('shows the threshold even where renderGate gives a reason instead (inconclusive, failed probe, error)', () => {
    const results = [
      result('error-rate', 'inconclusive'),
      result('healthz', 'fail'),
      result('sync-token-errors', 'error'),
    ];
    const m = gateResultsMessage(scenario('watching'), 1, { phase: 'checks', results });
    expectEveryGate(textOf(m), results);
    expect(unescapeMrkdwn(textOf(m))).toContain('could not be measured: logging unavailable: 503: ERROR');
  });

  it('names a failure, shows its evidence and the verdict', () => {
    const state = scenario('rolling-back');
    const results = state.stages[1]?.ticks.at(-1) ?? [];
    const m = gateResultsMessage(state, 1, { phase: 'gates', results, verdict: 'fail' }, NOW);
    const text = textOf(m);
    expect(text).toContain(
      ':x: *latency-p95* p95 latency 412 ms vs stable 300 ms over 5,210 requests (+37.3 %, limit +20 %): FAIL',
    );
    expect(text).toContain('latency-p95: evidence of latency-p95');
    expect(text).toContain('stage failed');
    expect(text).toContain('Ticks: ✓ ? ✓ ✗');
  });

  it('shows the checks after a rollback, on the revision that serves everything', () => {
    const state = scenario('rolled-back (checks failing after)');
    const results = state.rollback?.checks ?? [];
    const m = gateResultsMessage(state, 1, { phase: 'rollback-checks', results });
    expect(textOf(m)).toContain('Checks after the rollback of stage B (5 %)');
    expect(textOf(m)).toContain('On control-00041-old, which serves all traffic now');
    expectEveryGate(textOf(m), results);
  });

  it.each(['pass', 'fail', 'error', 'inconclusive'] as GateStatus[])(
    'stays within limits with 40 gates, every one shown, all %s',
    (status) => {
      const results = Array.from({ length: 40 }, (_, i) => ({
        ...result(GATES[i % GATES.length] as string, status, at(5)),
        gate: `gate-${String(i).padStart(2, '0')}-${GATES[i % GATES.length]}`,
        threshold: `< ${i + 1} %`,
        evidence: `https://console.cloud.google.com/logs/query;query=${'x'.repeat(900)}`,
      }));
      const m = gateResultsMessage(scenario('watching'), 1, {
        phase: 'gates',
        tick: 4,
        results,
        verdict: 'continue',
      });
      expect(blockKitProblems(m)).toEqual([]);
      expectEveryGate(textOf(m), results);
    },
  );

  it('shortens lines rather than drop gates when reasons are very long', () => {
    const results = Array.from({ length: 40 }, (_, i) => ({
      ...result('healthz', 'fail'),
      gate: `probe-${i}`,
      reason: `expected status 200 ${'and much more '.repeat(100)}`,
    }));
    const m = gateResultsMessage(scenario('watching'), 1, { phase: 'checks', results });
    expect(blockKitProblems(m)).toEqual([]);
    for (let i = 0; i < 40; i++) expect(textOf(m)).toContain(`*probe-${i}* GET /healthz 503`);
  });

  it('escapes what gates report', () => {
    const m = gateResultsMessage(scenario('watching'), 1, {
      phase: 'checks',
      results: [{ ...result('healthz', 'error'), reason: '<!channel> upstream said <b>' }],
    });
    expect(textOf(m)).not.toContain('<!channel>');
    expect(textOf(m)).toContain('&lt;!channel&gt;');
  });

  it('marks a dry run', () => {
    const m = gateResultsMessage(scenario('dry run'), 1, {
      phase: 'checks',
      results: [result('healthz', 'pass')],
    });
    expect(textOf(m)).toContain('Dry run');
  });
});
