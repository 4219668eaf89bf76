import { describe, expect, it } from 'vitest';
import { gateLine, gateStats } from '../../src/blocks/gate-lines.ts';
import { gateResultsMessage } from '../../src/blocks/gate-results.ts';
import { blockKitProblems } from '../../src/blocks/limits.ts';
import { formatQuantity } from '../../src/gates/render.ts';
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
    for (const r of results) {
      expect(text).toContain(gateLine(r, 600).text);
      // The statistics in a context line right under the gate's line.
      const stats = m.blocks.find((b) => b.type === 'context' && JSON.stringify(b).includes(`${r.gate}: `));
      if (gateStats(r)) expect(JSON.stringify(stats)).toContain(gateStats(r));
    }
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
    const plain = unescapeMrkdwn(textOf(m));
    expect(plain).toContain(
      '*sync-token-errors* *ERROR*: sync token errors per request could not be measured (threshold <= 2x stable). The source did not answer',
    );
    expect(plain).toContain('sync-token-errors: logging unavailable: 503');
    expect(plain).toContain('*error-rate* inconclusive: 5xx rate 0.4 % against < 1 %. Needs 100.');
  });

  it('names a failure, shows its evidence and the verdict', () => {
    const state = scenario('rolling-back');
    const results = state.stages[1]?.ticks.at(-1) ?? [];
    const m = gateResultsMessage(state, 1, { phase: 'gates', results, verdict: 'fail' }, NOW);
    const text = textOf(m);
    expect(text).toContain(':x: *latency-p95* *FAIL*: p95 latency 412 ms against +20 %. Over the limit.');
    expect(text).toContain('latency-p95: stable 300 ms · +37.3 % · 5,210 requests');
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
    for (let i = 0; i < 40; i++) expect(textOf(m)).toContain(`*probe-${i}* *FAIL*: GET /healthz 503`);
  });

  it('keeps the line short: verdict, observed against threshold, one sentence; the figures go under it', () => {
    const rate: GateResult = {
      ...result('error-rate', 'fail', at(4)),
      observed: { value: 3.2, unit: '%' },
      baseline: { value: 0.4, unit: '%' },
      samples: 5210,
      samplesUnit: 'canary requests',
      threshold: '< 1 % (shown at alpha 0.01), no regression vs stable (alpha 0.005)',
      reason:
        'not below 1 %: shown at alpha 0.01 (99 % lower limit 2.1 %); and regression vs stable: 40 of 52 5xx on the canary at 5 % traffic, sequential p = 8.2e-5',
      summary: "The canary's 5xx rate is above 1 %, and worse than stable's.",
    };
    const m = gateResultsMessage(scenario('watching'), 1, { phase: 'gates', tick: 4, results: [rate] });
    const [line, stats] = m.blocks.slice(1, 3);
    expect(line?.type).toBe('section');
    const said = unescapeMrkdwn(JSON.stringify(line));
    expect(said).toContain(
      ":x: *error-rate* *FAIL*: 5xx rate 3.2 % against < 1 % (shown at alpha 0.01), no regression vs stable (alpha 0.005). The canary's 5xx rate is above 1 %, and worse than stable's.",
    );
    expect(said).not.toContain('sequential p');
    expect(stats?.type).toBe('context');
    const figures = unescapeMrkdwn(JSON.stringify(stats));
    for (const part of [
      'stable 0.4 %',
      '+700 %',
      '5,210 canary requests',
      'lower limit 2.1 %',
      'sequential p = 8.2e-5',
    ])
      expect(figures).toContain(part);
  });

  it('links the stage chart once it is in the thread, or says it is there when Slack gave no link', () => {
    const state = scenario('rolling-back');
    const results = state.stages[1]?.ticks.at(-1) ?? [];
    const url = 'https://twin.slack.com/files/UBOT/F0TWIN0001/chart-stage-B.png';
    const linked = gateResultsMessage(state, 1, {
      phase: 'gates',
      results,
      verdict: 'fail',
      chart: { file: 'chart-stage-B.png', url },
    });
    expect(textOf(linked)).toContain(
      `:chart_with_upwards_trend: <${url}|chart of the stage: canary vs stable (chart-stage-B.png)>`,
    );
    const unlinked = gateResultsMessage(state, 1, {
      phase: 'gates',
      results,
      verdict: 'fail',
      chart: { file: 'chart-stage-B.png', url: 'javascript:alert(1)' },
    });
    expect(textOf(unlinked)).not.toContain('<javascript');
    const noLink = gateResultsMessage(state, 1, {
      phase: 'gates',
      results,
      verdict: 'fail',
      chart: { file: 'chart-stage-B.png' },
    });
    expect(textOf(noLink)).toContain(
      ':chart_with_upwards_trend: The chart of the stage: canary vs stable (chart-stage-B.png) is in this thread.',
    );
    expect(textOf(gateResultsMessage(state, 1, { phase: 'gates', results, verdict: 'fail' }))).not.toContain(
      'chart_with_upwards_trend',
    );
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
