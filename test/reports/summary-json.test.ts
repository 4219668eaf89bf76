import { describe, expect, it } from 'vitest';
import { rolloutSummary } from '../../src/reports/rollout-summary.ts';
import { summaryJson } from '../../src/reports/summary-json.ts';
import { Canary, GATES, passing, REQUESTER, result, STABLE, scenario, watching } from '../blocks/fixtures.ts';

// summary.json: the summary as data. It reads back to exactly the summary, every field present (null where
// there is no value, with the reason under `missing`), and values JSON cannot hold are spelt out.

const TARGET = { project: 'openagentsgemini', region: 'us-central1', cloudRunService: 'control-prod' };

describe('summary.json', () => {
  it('reads back to the summary, field for field, for each way a rollout ends', () => {
    for (const name of ['promoted', 'rolled-back', 'aborted (traffic returned)', 'failed'] as const) {
      const summary = rolloutSummary({ state: scenario(name), target: TARGET });
      const text = summaryJson(summary);
      expect(JSON.parse(text), name).toEqual(summary);
      expect(text.endsWith('}\n')).toBe(true);
      expect(text.split('\n')[1]).toBe('  "schema": "shiftgate/rollout-summary@1",');
    }
  });

  it('keeps a field with no value as null beside the reason, never drops it', () => {
    const state = new Canary({ policy: { maxAttempts: 1 } })
      .send({ type: 'start' })
      .send({ type: 'preconditions-done', results: [], blocking: [] })
      .send({ type: 'effect-failed', effect: 'deploy', error: 'image not found', retryable: false })
      .send({ type: 'abort', by: REQUESTER }).state;
    const parsed = JSON.parse(summaryJson(rolloutSummary({ state, target: TARGET })));
    expect(parsed.revisions).toEqual({ stable: null, canary: null });
    expect(parsed.traffic).toEqual({ before: null, after: null });
    expect(parsed.rollback).toEqual({ command: null, stableRevision: null, procedure: null });
    expect(parsed.outcome.reason).toBe('no reason given');
    expect(parsed.missing['revisions.canary']).toMatch(/^none: the rollout ended before stage A deployed/);
    expect(parsed.missing['rollback.command']).toBe('none: no stable revision was recorded');
  });

  it('spells out NaN and infinities (JSON would write them as null, which reads as "no value")', () => {
    const c = watching();
    const tick = c.state.stages[1]?.ticks.at(-1);
    tick?.splice(
      0,
      2,
      { ...result('error-rate', 'pass'), observed: { value: Number.NaN, unit: '%' } },
      {
        ...result('latency-p95', 'pass'),
        observed: { value: Number.POSITIVE_INFINITY, unit: 'ms' },
        baseline: { value: Number.NEGATIVE_INFINITY, unit: 'ms' },
      },
    );
    const parsed = JSON.parse(summaryJson(rolloutSummary({ state: c.state, target: TARGET })));
    const last = parsed.stages[1].ticks.at(-1).results;
    expect(last[0].observed).toEqual({ value: 'NaN', unit: '%' });
    expect(last[1].observed).toEqual({ value: '+Inf', unit: 'ms' });
    expect(last[1].baseline).toEqual({ value: '-Inf', unit: 'ms' });
  });

  it('holds every gate result of a long watch, whatever its size', () => {
    const c = watching();
    const stage = c.state.stages[1];
    if (!stage) throw new Error('no stage B');
    while (stage.ticks.length < 600) stage.ticks.push(passing(GATES, c.state.startedAt));
    const parsed = JSON.parse(summaryJson(rolloutSummary({ state: c.state, target: TARGET })));
    expect(parsed.stages[1].ticks).toHaveLength(600);
    expect(parsed.stages[1].ticks.flatMap((t: { results: unknown[] }) => t.results)).toHaveLength(
      600 * GATES.length,
    );
    expect(parsed.revisions.stable).toBe(STABLE);
  });
});
