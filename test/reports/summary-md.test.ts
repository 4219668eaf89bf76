import { describe, expect, it } from 'vitest';
import { renderGate } from '../../src/gates/render.ts';
import { type CloudRunTarget, rolloutSummary } from '../../src/reports/rollout-summary.ts';
import { summaryMarkdown } from '../../src/reports/summary-md.ts';
import type { CanaryState } from '../../src/runbooks/types.ts';
import {
  APPROVERS,
  CANARY,
  Canary,
  GATES,
  passing,
  REQUESTER,
  result,
  STABLE,
  scenario,
  watching,
} from '../blocks/fixtures.ts';
import { COMMAND, TARGET } from './target.ts';

// SUMMARY.md as a person reads it: the outcome first, the fields seed 001 requires in one table, every
// stage with its approvals, timings and gate ticks (observed beside threshold), and fields with no value
// saying why. Tables must stay tables whatever a person typed into a reason.

const md = (state: CanaryState, target: CloudRunTarget | undefined = TARGET) =>
  summaryMarkdown(rolloutSummary({ state, ...(target ? { target } : {}) }));
const lines = (text: string) => text.split('\n');
/** The rows of the table that follows `heading` (the first table after it). */
function tableAfter(text: string, heading: string): string[] {
  const all = lines(text);
  const start = all.findIndex((l) => l === heading || l.startsWith(heading));
  if (start < 0) throw new Error(`no ${heading}`);
  const first = all.findIndex((l, i) => i > start && l.startsWith('| '));
  const rows: string[] = [];
  for (let i = first + 2; i < all.length && all[i]?.startsWith('|'); i++) rows.push(all[i] as string);
  return rows;
}

describe('SUMMARY.md of a rollout rolled back at stage B', () => {
  const state = scenario('rolled-back');
  const text = md(state);

  it('opens with the outcome, its reason and what failed, observed beside threshold', () => {
    expect(lines(text)[0]).toBe('# control v1.42.0 in prod: rolled back');
    expect(text).toContain(`**Outcome: Rolled back.** ${state.rollback?.reason}`);
    const failed = tableAfter(text, 'What failed:');
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatch(
      new RegExp(
        `^\\| B \\| tick ${state.stages[1]?.ticks.length} \\| \`latency-p95\` \\| 412 ms \\| 300 ms \\| \\+20 % \\| `,
      ),
    );
  });

  it('has a table of the required fields', () => {
    expect(tableAfter(text, '## Required fields')).toEqual([
      '| Rollout | `control-prod-20261123T100000-a1b2` |',
      '| Service | `control` in `prod` |',
      '| Cloud Run | service `control-prod`, project `openagentsgemini`, region `us-central1` |',
      `| Requested by | \`${REQUESTER}\` |`,
      '| Image | `us-central1-docker.pkg.dev/openagentsgemini/openagents-control-service/control:v1.42.0` |',
      '| Image tag | `v1.42.0` |',
      `| Stable revision | \`${STABLE}\` |`,
      `| Canary revision | \`${CANARY}\` |`,
      `| Traffic before | \`${STABLE}\` 100 % |`,
      `| Traffic after | \`${STABLE}\` 100 % |`,
      `| Rollback command | \`${COMMAND}\` |`,
      `| Started | ${state.startedAt} |`,
      `| Ended | ${state.endedAt} |`,
      '| Duration | 4 min |',
    ]);
    expect(text).toContain(
      ['## Undo', '', 'All traffic back on the stable revision:', '', '```sh', COMMAND, '```'].join('\n'),
    );
  });

  it('shows the smoke checks with their outputs and evidence', () => {
    expect(tableAfter(text, '## Smoke checks')).toEqual([
      `| \`healthz\` | pass | ${renderGate(result('healthz', 'pass'))} | \`evidence of healthz\` |`,
      `| \`readyz\` | pass | ${renderGate(result('readyz', 'pass'))} | \`evidence of readyz\` |`,
    ]);
  });

  it('shows stage B with its approvals, timings, every gate tick and the failing evidence', () => {
    const b = state.stages[1];
    expect(text).toContain('## Stage B (5 %): failed');
    expect(text).toContain(
      `- Approval: asked ${b?.approvalRequestedAt}; approved by \`${APPROVERS[0]}\` at ${b?.approvals[0]?.at}, \`${APPROVERS[1]}\` at ${b?.approvals[1]?.at}; waited 0 s`,
    );
    expect(text).toContain(`- Traffic confirmed: ${b?.startedAt}`);
    expect(text).toContain(`- Ended: ${state.rollback?.startedAt} (took 4 min)`);
    expect(text).toContain(`- Watch window: ${b?.startedAt} to ${b?.windowEndsAt}`);
    expect(text).toContain("- Judge's verdict: fail");
    const ticks = tableAfter(text, 'Gate ticks (4):');
    expect(ticks).toHaveLength(4 * GATES.length);
    expect(ticks).toContain('| 4 | `latency-p95` | **FAIL** | 412 ms | 300 ms | +20 % | 5,210 |');
    expect(ticks).toContain('| 2 | `error-rate` | inconclusive | 0.4 % |   | < 1 % | 12 |');
    expect(text).toContain('- `latency-p95`, tick 4 (fail): `evidence of latency-p95`');
    for (const name of ['C', 'D', 'E']) {
      expect(text).toContain(
        `## Stage ${name} (${name === 'C' ? 25 : name === 'D' ? 50 : 100} %): not reached`,
      );
    }
  });

  it('shows the rollback procedure and the whole timeline', () => {
    const rollback = tableAfter(text, '## Rollback');
    expect(rollback).toContain('| Route override | `legacy` |');
    expect(rollback).toContain(`| Traffic when it began | \`${STABLE}\` 95 %, \`${CANARY}\` 5 % |`);
    expect(rollback).toContain(`| Traffic after | \`${STABLE}\` 100 % |`);
    expect(rollback).toContain('| By | _nobody: the runbook rolled back by itself_ |');
    expect(tableAfter(text, '## Timeline')).toHaveLength(state.timeline.length);
  });
});

describe('SUMMARY.md of other rollouts', () => {
  it('aborted before the deploy: each missing field says why, and there is no command to undo', () => {
    const c = new Canary({ policy: { maxAttempts: 1 } })
      .send({ type: 'start' })
      .send({ type: 'preconditions-done', results: [], blocking: [] })
      .send({ type: 'effect-failed', effect: 'deploy', error: 'image not found', retryable: false })
      .send({ type: 'abort', by: REQUESTER, reason: 'wrong image' });
    const text = md(c.state);
    expect(lines(text)[0]).toBe('# control v1.42.0 in prod: aborted');
    const fields = tableAfter(text, '## Required fields');
    const why =
      'the rollout ended before stage A deployed a revision (deploy failed (not retryable, 1 attempt): image not found)';
    expect(fields).toContain(`| Canary revision | _none: ${why}_ |`);
    expect(fields).toContain(`| Stable revision | _not read: ${why}_ |`);
    expect(fields).toContain(`| Traffic before | _not read: ${why}_ |`);
    expect(fields).toContain('| Rollback command | _none: no stable revision was recorded_ |');
    expect(text).toContain(`## Smoke checks (stage A, on the new revision)\n\n_not run: ${why}_`);
    expect(text).toContain('## Stage A (0 %): stopped');
    expect(text).not.toContain('## Undo');
  });

  it('failed at stage A: the failing smoke check, its output and evidence', () => {
    const text = md(scenario('failed'));
    expect(lines(text)[0]).toBe('# control v1.42.0 in prod: failed');
    expect(tableAfter(text, '## Smoke checks')[0]).toBe(
      `| \`healthz\` | **FAIL** | ${renderGate(result('healthz', 'fail'))} | \`evidence of healthz\` |`,
    );
    expect(tableAfter(text, 'What failed:')[0]).toMatch(/^\| A \| check \| `healthz` \| 503 in 40 ms \|/);
  });

  it('a dry run says so first and lists its plan', () => {
    const state = new Canary({ dryRun: true }).deploy().promote().state;
    const text = summaryMarkdown(
      rolloutSummary({
        state,
        target: TARGET,
        plan: [{ n: 1, at: state.startedAt, after: 'start', effect: { type: 'release-lock' } }],
      }),
    );
    expect(lines(text)[2]).toBe(
      '> **Dry run: nothing was changed. Revisions and traffic are what the plan would have used; no gate was evaluated.**',
    );
    expect(tableAfter(text, '## Dry-run plan')).toEqual([
      `| 1 | ${state.startedAt} | release the deploy lock |`,
    ]);
  });

  it('what people typed cannot break a table: pipes are escaped, newlines folded, backticks fenced', () => {
    const c = watching();
    c.state.stages[1]?.ticks.at(-1)?.splice(0, 1, {
      ...passing(['error-rate'])[0],
      evidence: 'sum by (code) (x{a="1|2"}) `raw`',
    } as never);
    const state = c
      .send({ type: 'abort', by: REQUESTER, reason: 'wrong | tag\nsee #123' })
      .send({ type: 'traffic-set', traffic: { [STABLE]: 100 } })
      .send({ type: 'checks-done', results: passing(['healthz', 'auth-session']) }).state;
    const text = md(state);
    expect(text).toContain(`**Outcome: Aborted.** wrong \\| tag see #123; traffic returned to ${STABLE}`);
    expect(text).toContain('`` sum by (code) (x{a="1\\|2"}) `raw` ``');
    // Every row of every table has as many cells as its header.
    const all = lines(text);
    for (const [i, line] of all.entries()) {
      if (!line.startsWith('|---')) continue;
      const cells = (l: string) => l.replaceAll('\\|', '').split('|').length;
      const width = cells(all[i - 1] as string);
      for (let j = i + 1; all[j]?.startsWith('|'); j++) expect(cells(all[j] as string), all[j]).toBe(width);
    }
  });

  it('a report too big for any Slack message is written whole: every tick of hours of watching', () => {
    const c = watching();
    const stage = c.state.stages[1];
    if (!stage) throw new Error('no stage B');
    while (stage.ticks.length < 600) stage.ticks.push(passing(GATES, c.state.startedAt));
    const text = md(c.state);
    expect(text.length).toBeGreaterThan(40_000); // Slack cuts a message's text at 40,000 characters
    expect(tableAfter(text, 'Gate ticks (600):')).toHaveLength(600 * GATES.length);
  });
});
