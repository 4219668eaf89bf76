import { describe, expect, it } from 'vitest';
import { VALIDATION_SUMMARY_MD, validationSummaryMarkdown } from '../../src/reports/validation-summary.ts';
import {
  escapeTsv,
  RESULTS_TSV,
  resultsTsv,
  TSV_COLUMNS,
  unescapeTsv,
} from '../../src/reports/validation-tsv.ts';
import type { CheckResult, ValidationRun } from '../../src/validation/index.ts';
import { verdictOf } from '../../src/validation/verdict.ts';
import {
  CONTROL_SERVICE,
  CONTROL_URL,
  DEPLOYER,
  ENV,
  MIGRATE_JOB,
  matrixConfig,
  PROJECT,
  REGION,
  RUNTIME_SERVICE,
  RUNTIME_URL,
  useValidationWorld,
} from './world.ts';

// results.tsv and SUMMARY.md of a real run (a required failure, two required checks skipped for want of
// a token, and an optional failure), read back field by field; then escaping with hostile values.

const world = useValidationWorld('validation-files');

async function noGoRun(): Promise<ValidationRun> {
  world.seed();
  world.services.state.ready = false;
  world.logs.addEntries('runtime-staging-00012-def', 7, { service: RUNTIME_SERVICE, severity: 'ERROR' });
  const validation = world.validation(matrixConfig({ accessToken: false }));
  const begun = await validation.begin({ env: ENV, mode: 'gating', requestedBy: DEPLOYER });
  if (!begun.ok) throw new Error(begun.message);
  return validation.execute(begun.run);
}

/** The TSV back into rows of named fields, unescaped. */
function readTsv(text: string): Record<string, string>[] {
  expect(text.endsWith('\n')).toBe(true);
  const [head, ...lines] = text.slice(0, -1).split('\n');
  expect(head?.split('\t')).toEqual([...TSV_COLUMNS]);
  return lines.map((line) => {
    const cells = line.split('\t');
    expect(cells).toHaveLength(TSV_COLUMNS.length);
    return Object.fromEntries(TSV_COLUMNS.map((name, i) => [name, unescapeTsv(cells[i] as string)]));
  });
}

describe(RESULTS_TSV, () => {
  it('has one row per check, in matrix order, with every field of the result', async () => {
    const run = await noGoRun();
    const rows = readTsv(resultsTsv(run));
    expect(rows).toHaveLength(12);
    rows.forEach((row, i) => {
      const r = run.results[i] as CheckResult;
      expect(row).toEqual({
        env: ENV,
        lane: r.lane,
        check: r.check,
        service: r.service,
        required: r.required ? 'required' : 'optional',
        status: r.status,
        observed: r.observed,
        expected: r.expected,
        result: r.line,
        evidence: r.evidence,
        reason: r.reason ?? '',
        at: r.at,
        duration_ms: String(r.durationMs),
      });
    });
    const byCheck = (check: string, service = 'control') =>
      rows.find((r) => r.check === check && r.service === service);
    expect(byCheck('readyz')).toMatchObject({
      lane: 'control-health',
      required: 'required',
      status: 'fail',
      observed: expect.stringMatching(/^503 in \d+ ms$/),
      expected: 'status 200',
      evidence: `curl -sS -i '${CONTROL_URL}/readyz' --max-time 10`,
    });
    expect(byCheck('auth-session')).toMatchObject({
      status: 'skip',
      observed: '-',
      reason: 'no access token is configured for this environment',
    });
    expect(byCheck('log-probe', 'runtime')).toMatchObject({
      lane: 'error-logs',
      required: 'optional',
      status: 'fail',
      observed: '7 entries on runtime-staging-00012-def',
      expected: 'at most 5 entries',
      reason: 'more than 5',
    });
  });

  it('keeps each row on one line and each value in its column, whatever the value holds', () => {
    const nasty = 'tab\there\nnew line\r\\back|pipe';
    expect(escapeTsv(nasty)).toBe('tab\\there\\nnew line\\r\\\\back|pipe');
    expect(unescapeTsv(escapeTsv(nasty))).toBe(nasty);
    const result = { ...checkResult(), observed: nasty, reason: nasty, evidence: "curl -H 'a\tb'" };
    const [row] = readTsv(resultsTsv({ results: [result] }));
    expect(row).toMatchObject({ observed: nasty, reason: nasty, evidence: "curl -H 'a\tb'" });
  });
});

describe(VALIDATION_SUMMARY_MD, () => {
  it('says the verdict and why, counts like the seed, the environment, the lanes, every check and its evidence', async () => {
    const run = await noGoRun();
    const md = validationSummaryMarkdown(run);
    const lines = md.split('\n');
    expect(lines[0]).toBe(`# Validation matrix: ${ENV}`);
    expect(md).toContain('Cutover readiness (seed 002)');
    expect(md).toContain(
      '**NO-GO.** No-go: 3 required checks did not pass. Fix them and run the validation again.',
    );
    for (const line of [
      `- Run: \`${run.id}\``,
      "- Mode: gating: every required check must pass, none may be skipped (the seed's FAIL_ON_REQUIRED_FAILURE=1)",
      `- Requested by: \`${DEPLOYER}\``,
      `- Started (UTC): ${run.startedAt}`,
      '- Total checks: 12',
      '- Passed: 8',
      '- Required failures: 1',
      '- Optional failures: 1',
      '- Required errors (not measured): 0',
      '- Optional errors (not measured): 0',
      '- Required skipped: 2',
      '- Optional skipped: 0',
    ]) {
      expect(lines).toContain(line);
    }
    expect(lines.find((l) => l.startsWith('- Finished (UTC): '))).toMatch(
      /^- Finished \(UTC\): \S+Z \(\d+ s\)$/,
    );

    const section = (title: string) => {
      const start = lines.indexOf(title);
      expect(start, title).toBeGreaterThan(0);
      const end = lines.findIndex((l, i) => i > start && l.startsWith('## '));
      return lines.slice(start + 1, end === -1 ? undefined : end).filter((l) => l !== '');
    };
    expect(section('## Why no-go')).toEqual([
      expect.stringMatching(/^- required check control-health \/ readyz \(control\) failed: /),
      '- required check control-smoke / auth-session (control) was skipped: no access token is configured for this environment; required checks cannot be skipped in gating mode',
      '- required check control-smoke / sync-token (control) was skipped: no access token is configured for this environment; required checks cannot be skipped in gating mode',
    ]);
    expect(section('## Warnings')).toEqual([
      '- optional check error-logs / log-probe (runtime) failed: more than 5',
    ]);
    expect(section('## Environment')).toEqual([
      '| Service | Cloud Run service | Project | Region | Public URL | Migrate job | Access token |',
      '|---|---|---|---|---|---|---|',
      `| \`control\` | \`${CONTROL_SERVICE}\` | \`${PROJECT}\` | \`${REGION}\` | ${CONTROL_URL} | - | none: authenticated checks are skipped |`,
      `| \`runtime\` | \`${RUNTIME_SERVICE}\` | \`${PROJECT}\` | \`${REGION}\` | ${RUNTIME_URL} | \`${MIGRATE_JOB}\` | none: authenticated checks are skipped |`,
    ]);
    expect(section('## Lanes')).toEqual([
      '| Lane | Required | Services | Checks | Passed | Failed | Errors | Skipped | Result |',
      '|---|---|---|---|---|---|---|---|---|',
      '| `control-health` | required | `control` | 2 | 1 | 1 | 0 | 0 | **FAIL** |',
      '| `static-host-policy` | required | `control` | 3 | 3 | 0 | 0 | 0 | pass |',
      '| `control-smoke` | required | `control` | 2 | 0 | 0 | 0 | 2 | **SKIP** |',
      '| `runtime-health` | required | `runtime` | 1 | 1 | 0 | 0 | 0 | pass |',
      '| `migration-drift` | required | `runtime` | 1 | 1 | 0 | 0 | 0 | pass |',
      '| `error-logs` | optional | `control`, `runtime` | 2 | 1 | 1 | 0 | 0 | **FAIL** |',
      '| `canary-status` | required | `control` | 1 | 1 | 0 | 0 | 0 | pass |',
    ]);
    const checks = section('## Check results');
    expect(checks).toHaveLength(2 + 12);
    run.results.forEach((r, i) => {
      const cells = (checks[i + 2] as string).slice(2, -2).split(' | ');
      expect(cells.slice(0, 5)).toEqual([
        `\`${r.lane}\``,
        `\`${r.check}\``,
        `\`${r.service}\``,
        r.required ? 'required' : 'optional',
        r.status === 'pass' ? 'pass' : `**${r.status.toUpperCase()}**`,
      ]);
      expect(cells[5]).toBe(r.observed);
      expect(cells[6]).toBe(r.expected);
    });
    // Each check's line and its evidence, in a block a person copies.
    for (const r of run.results) {
      const head = lines.indexOf(
        `### ${r.lane} / ${r.check} (${r.service}): ${r.status === 'pass' ? 'pass' : `**${r.status.toUpperCase()}**`}`,
      );
      expect(head, `${r.lane}/${r.check}/${r.service}`).toBeGreaterThan(0);
      expect(lines.slice(head + 1, head + 7)).toEqual(['', r.line, '', '```sh', r.evidence, '```']);
    }
    expect(md).not.toContain('control-access-token-s3cr3t');
  });

  it('keeps table cells whole when a value holds a pipe or a newline, and says when a run did not finish', () => {
    const result = { ...checkResult(), observed: 'a | b\nc', expected: 'x|y' };
    const run: ValidationRun = {
      id: 'val-staging-20261130T101500-1a2b',
      envs: [ENV],
      mode: 'baseline',
      requestedBy: DEPLOYER,
      status: 'abandoned',
      startedAt: '2026-11-30T10:15:00.000Z',
      note: 'the card could not be posted: not_in_channel',
      targets: [],
      plan: [result, { ...result, check: 'readyz' }],
      results: [result],
    };
    const md = validationSummaryMarkdown(run);
    expect(md).toContain('**No verdict: the run did not finish.**');
    expect(md).toContain('> the card could not be posted: not_in_channel');
    expect(md).toContain('- Finished (UTC): not finished');
    expect(md).toContain(
      '| `control-health` | `healthz` | `control` | required | pass | a \\| b c | x\\|y |',
    );
    expect(md).toContain('| `control-health` | `readyz` | `control` | required | not run |');
    expect(md).toContain('| `control-health` | required | `control` | 2 | 1 | 0 | 0 | 0 | 1 not run |');
  });
});

function checkResult(): CheckResult {
  return {
    env: ENV,
    lane: 'control-health',
    kind: 'gates',
    check: 'healthz',
    service: 'control',
    required: true,
    status: 'pass',
    observed: '200 in 12 ms',
    expected: 'status 200',
    line: 'GET /healthz 200 in 12 ms (expected status 200): pass',
    evidence: `curl -sS -i '${CONTROL_URL}/healthz' --max-time 10`,
    at: '2026-11-30T10:15:01.000Z',
    durationMs: 12,
  };
}

describe('the verdict of an empty matrix', () => {
  it('is a no-go: nothing measured is nothing proven', () => {
    const verdict = verdictOf([], 'gating');
    expect(verdict.outcome).toBe('no-go');
    expect(verdict.reasons).toEqual(['no check ran: nothing was validated']);
  });
});
