import { describe, expect, it } from 'vitest';
import {
  blockKitProblems,
  help,
  validationCard,
  validationFilesComment,
  validationFilesFailed,
} from '../../src/blocks/index.ts';
import type { CheckResult, CheckStatus, PlannedCheck, ValidationRun } from '../../src/validation/index.ts';
import { verdictOf, verdictsOf } from '../../src/validation/index.ts';
import { textOf } from '../blocks/fixtures.ts';

// The validation card in each state, within Slack's limits however large the matrix or long its lines:
// what does not fit is cut and the card says the rest is in the thread's files.

const STARTED = '2026-11-30T10:15:00.000Z';
const FINISHED = '2026-11-30T10:15:42.000Z';

function row(
  lane: string,
  check: string,
  status: CheckStatus,
  required = true,
  service = 'control',
  env = 'staging',
): CheckResult {
  return {
    env,
    lane,
    kind: 'gates',
    check,
    service,
    required,
    status,
    observed: status === 'skip' ? '-' : '200 in 12 ms',
    expected: 'status 200',
    line: `GET /${check} 200 in 12 ms (expected status 200): ${status}`,
    evidence: `curl -sS -i 'https://control.example.test/${check}'`,
    ...(status === 'pass' ? {} : { reason: `${check} <b>went</b> wrong & more` }),
    at: FINISHED,
    durationMs: 12,
  };
}

function runOf(results: CheckResult[], mode: 'gating' | 'baseline' = 'gating'): ValidationRun {
  const plan: PlannedCheck[] = results.map(({ env, lane, kind, check, service, required }) => ({
    env,
    lane,
    kind,
    check,
    service,
    required,
  }));
  return {
    id: 'val-staging-20261130T101500-1a2b',
    envs: [...new Set(['staging', ...results.map((r) => r.env)])],
    mode,
    requestedBy: 'UDEPLOYER',
    status: 'finished',
    startedAt: STARTED,
    finishedAt: FINISHED,
    targets: [],
    plan,
    results,
    verdict: verdictOf(results, mode),
    verdicts: verdictsOf([...new Set(['staging', ...results.map((r) => r.env)])], results, mode),
  };
}

describe('the validation card', () => {
  it('while running: how many checks in how many lanes, which mode, who asked', () => {
    const run = {
      ...runOf([row('a', 'healthz', 'pass'), row('b', 'readyz', 'pass')]),
      status: 'running' as const,
    };
    run.results = [];
    delete run.verdict;
    const card = validationCard(run);
    expect(blockKitProblems(card)).toEqual([]);
    expect(card.text).toBe('Validation of staging: running (2 checks)');
    const text = textOf(card);
    expect(text).toContain('Running *2 checks* in *2 lanes* of `staging`, in gating mode');
    expect(text).toContain('<@UDEPLOYER>');
    expect(text).toContain('`val-staging-20261130T101500-1a2b`');
  });

  it('when finished: the verdict, a table of lanes and what did not pass, required first', () => {
    const run = runOf([
      row('control-health', 'healthz', 'pass'),
      row('control-health', 'readyz', 'fail'),
      row('error-logs', 'log-probe', 'fail', false),
      row('control-smoke', 'auth-session', 'skip'),
    ]);
    const card = validationCard(run);
    expect(blockKitProblems(card)).toEqual([]);
    expect(card.text).toBe('Validation of staging: NO-GO: 1 of 4 checks passed');
    const text = textOf(card);
    expect(text).toContain(':red_circle: No-go: 2 required checks did not pass.');
    const table = text.split('\n').filter((l) => /^(```)?(lane|control-|error-)/.test(l));
    expect(table).toEqual([
      '```lane            req  pass fail  err skip  result',
      'control-health  yes     1    1    0    0  FAIL',
      'error-logs      no      0    1    0    0  FAIL',
      'control-smoke   yes     0    0    0    1  SKIP```',
    ]);
    const problems = text.split('\n').filter((l) => l.startsWith(':'));
    expect(problems.slice(1)).toEqual([
      ':x: *control-health / readyz* (control, required): GET /readyz 200 in 12 ms (expected status 200): fail',
      ':heavy_minus_sign: *control-smoke / auth-session* (control, required): GET /auth-session 200 in 12 ms (expected status 200): skip',
      ':x: *error-logs / log-probe* (control, optional): GET /log-probe 200 in 12 ms (expected status 200): fail',
    ]);
    expect(text).toContain('took 42 s');
    expect(text).toContain('results.tsv and SUMMARY.md in the thread');
  });

  it('over two environments: the overall verdict, then each one with its own lanes; problems name their environment', () => {
    const run = runOf([
      row('control-health', 'healthz', 'pass'),
      row('control-health', 'readyz', 'pass'),
      row('control-health', 'healthz', 'pass', true, 'control', 'prod'),
      row('control-health', 'readyz', 'fail', true, 'control', 'prod'),
    ]);
    expect(run.envs).toEqual(['staging', 'prod']);
    const card = validationCard(run);
    expect(blockKitProblems(card)).toEqual([]);
    expect(card.text).toBe(
      'Validation of staging + prod: NO-GO (staging GO, prod NO-GO): 3 of 4 checks passed',
    );
    const text = textOf(card);
    expect(text).toContain(
      ':large_green_circle: *staging: GO*. Go: every required check passed (2 of 2 checks passed).',
    );
    expect(text).toContain(':red_circle: *prod: NO-GO*. No-go: 1 required check did not pass.');
    // Each environment's table follows its verdict line.
    const lines = text.split('\n');
    const staging = lines.findIndex((l) => l.includes('*staging: GO*'));
    const prod = lines.findIndex((l) => l.includes('*prod: NO-GO*'));
    expect(lines.slice(staging + 1, prod)).toEqual([
      '```lane            req  pass fail  err skip  result',
      'control-health  yes     2    0    0    0  PASS```',
    ]);
    expect(lines.slice(prod + 1, prod + 3)).toEqual([
      '```lane            req  pass fail  err skip  result',
      'control-health  yes     1    1    0    0  FAIL```',
    ]);
    expect(text).toContain(':x: *control-health / readyz* (control in prod, required)');
    expect(validationFilesComment(run)).toBe(
      'results.tsv and SUMMARY.md of validation run val-staging-20261130T101500-1a2b (staging + prod): NO-GO (staging GO, prod NO-GO)',
    );
    const running = validationCard({ ...run, status: 'running', results: [] });
    expect(textOf(running)).toContain('Running *4 checks* in *2 lanes* of `staging` and `prod`');
  });

  it('says go, go with warnings, or baseline', () => {
    expect(validationCard(runOf([row('a', 'x', 'pass')])).blocks[0]).toMatchObject({
      text: { text: 'Validation of staging: GO' },
    });
    const warned = validationCard(runOf([row('a', 'x', 'pass'), row('b', 'y', 'error', false)]));
    expect(warned.blocks[0]).toMatchObject({ text: { text: 'Validation of staging: GO with 1 warning' } });
    expect(textOf(warned)).toContain(
      ':large_yellow_circle: Go: every required check passed (1 of 2 checks passed); 1 optional check did not.',
    );
    const baseline = validationCard(runOf([row('a', 'x', 'fail')], 'baseline'));
    expect(baseline.blocks[0]).toMatchObject({
      text: { text: 'Validation of staging: BASELINE, not a gate (would be NO-GO)' },
    });
    expect(textOf(baseline)).toContain(
      'Baseline capture: recorded without gating, so this is no go/no-go decision.',
    );
  });

  it('stays within the limits for a huge matrix with long lines, and says where the rest is', () => {
    const LONG = `<!channel> ${'a very long line & more '.repeat(300)}`;
    const results = Array.from({ length: 300 }, (_, i) => ({
      ...row(`lane-${i % 60}-${'x'.repeat(30)}`, `check-${i}`, i % 3 === 0 ? 'fail' : 'pass'),
      line: LONG,
    }));
    const card = validationCard(runOf(results));
    expect(blockKitProblems(card)).toEqual([]);
    const text = textOf(card);
    expect(text).toContain('and 20 more lanes: see SUMMARY.md in the thread');
    expect(text).toMatch(/_and \d+ more: every row is in results\.tsv in the thread_/);
    expect(text).not.toContain('<!channel>');
  });

  it('when abandoned, and when the files could not be uploaded', () => {
    const run = {
      ...runOf([row('a', 'x', 'pass')]),
      status: 'abandoned' as const,
      note: 'the card could not be posted',
    };
    delete run.verdict;
    const card = validationCard(run);
    expect(blockKitProblems(card)).toEqual([]);
    expect(textOf(card)).toContain('the card could not be posted');
    const failed = validationFilesFailed(runOf([row('a', 'x', 'pass')]), 'file_uploads_disabled <x>');
    expect(blockKitProblems(failed)).toEqual([]);
    expect(textOf(failed)).toContain('file_uploads_disabled &lt;x&gt;');
    expect(textOf(failed)).toContain('`/validate files val-staging-20261130T101500-1a2b`');
    expect(validationFilesComment(runOf([row('a', 'x', 'pass')]))).toBe(
      'results.tsv and SUMMARY.md of validation run val-staging-20261130T101500-1a2b (staging): GO',
    );
  });

  it('has help within the limits', () => {
    const m = help('/validate');
    expect(blockKitProblems(m)).toEqual([]);
    expect(textOf(m)).toContain(
      '`/validate &lt;env&gt; [&lt;env&gt;...] [--baseline] [--phase &lt;phase&gt;] [--sha &lt;commit&gt; | --image &lt;tag&gt;]`',
    );
    expect(textOf(m)).toContain('`/validate files &lt;run-id&gt;`');
  });
});
