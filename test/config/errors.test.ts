import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { formatIssue, parseConfig } from '../../src/config/index.ts';
import { brokenExample } from '../helpers/broken-example.ts';

const _EXAMPLE = readFileSync('examples/shiftgate.yaml', 'utf8');

/** The broken example's issues, and the line of the file a snippet is on. */
function issuesOf(...edits: [string, string][]) {
  const { issues, text } = brokenExample(...edits);
  return { issues, lineOf: (snippet: string) => text.slice(0, text.indexOf(snippet)).split('\n').length };
}

describe('a broken config', () => {
  it('names the file, the line, the path and what was expected', () => {
    const { issues, lineOf } = issuesOf([
      'watch: 10m\n        interval: 1m\n        checks: *checklist',
      'watch: ten minutes\n        interval: 1m\n        checks: *checklist',
    ]);
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({
      file: 'broken.yaml',
      path: 'runbooks.canary.stages[2].watch',
      line: lineOf('ten minutes'),
    });
    expect(formatIssue(issues[0] as never)).toMatch(
      /^broken\.yaml:\d+:\d+: runbooks\.canary\.stages\[2\]\.watch: expected a duration like "10m".*got "ten minutes"$/,
    );
  });

  it('reports every problem at once, in file order', () => {
    const { issues } = issuesOf(
      ['required: 2 #', 'required: 0 #'],
      ['traffic: 25', 'traffic: 3'],
      ['belowPercent: 1', 'belowPercnt: 1'],
      ['- error-rate # 1', '- error-rat # 1'],
      ['kind: route-split\n    description: /login', 'kind: route-spilt\n    description: /login'],
    );
    expect(issues.map((i) => i.path)).toEqual([
      'environments.prod.approval.required',
      'runbooks.canary.stages[1].gates[0]',
      'runbooks.canary.stages[2].traffic',
      'runbooks.canary.stages[2].gates[0]',
      'runbooks.canary.stages[3].gates[0]',
      'runbooks.canary.stages[4].gates[0]',
      'gates.route-login.kind',
      'gates.error-rate.belowPercent',
      'gates.error-rate.belowPercnt',
    ]);
    const lines = issues.map((i) => i.line ?? 0);
    expect(lines).toEqual([...lines].sort((a, b) => a - b));
    const text = issues.map((i) => `${i.path}: ${i.message}`).join('\n');
    expect(text).toContain('environments.prod.approval.required: expected number to be >=1, got 0');
    expect(text).toContain('no gate named "error-rat" (did you mean "error-rate"?)');
    expect(text).toContain("must be more than the previous stage's 5 %");
    expect(text).toContain('gates.error-rate.belowPercent: missing');
    expect(text).toContain('gates.error-rate.belowPercnt: unknown key');
    expect(text).toMatch(/gates\.route-login\.kind: expected .*'route-split'.*got "route-spilt"/);
  });

  it('refuses a token written into the config', () => {
    const { issues } = issuesOf([
      'token: sm://projects/openagentsgemini/secrets/control-access-token/versions/latest',
      'token: hunter2-secret',
    ]);
    expect(issues).toHaveLength(1);
    expect(issues[0]?.path).toBe('services.control.environments.prod.routeSplit.token');
    expect(issues[0]?.message).toContain('never put a token itself in the config file');
  });

  it('checks references between services, environments, runbooks and gates', () => {
    const { issues } = issuesOf(
      ['      prod:\n        cloudRunService', '      produ:\n        cloudRunService'],
      ['    runbook: canary\n', '    runbook: canery\n'],
    );
    const text = issues.map((i) => `${i.path}: ${i.message}`);
    expect(text).toContain(
      'services.control.environments.produ: no environment named "produ" (did you mean "prod"?)',
    );
    expect(text).toContain(
      'services.control.environments.staging.runbook: no runbook named "canery" (did you mean "canary"?)',
    );
  });

  it('needs project, region and channel at the service or the environment', () => {
    const { issues } = issuesOf(['    region: us-central1\n', '']);
    expect(issues.map((i) => `${i.path}: ${i.message}`)).toEqual([
      'services.control.environments.staging.region: missing: set it here or at services.control.region',
      'services.control.environments.prod.region: missing: set it here or at services.control.region',
    ]);
  });

  it('refuses a route override on rollback for a service without a route split', () => {
    const { issues } = issuesOf([
      '        routeSplit:\n          baseUrl: https://openagents.com/api/v1/control/route-split\n          token: sm://projects/openagentsgemini/secrets/control-access-token/versions/latest\n',
      '',
    ]);
    expect(issues.map((i) => i.path)).toContain('services.control.environments.prod.routeSplit');
    expect(issues.some((i) => i.message.includes('route-split gate "route-login": set routeSplit'))).toBe(
      true,
    );
  });

  it('refuses more required approvers than listed when no group can supply them', () => {
    const { issues } = issuesOf([
      '        users: [U0APPROVE1, U0APPROVE2]\n        groups: ["@release-approvers"]',
      '        users: [U0APPROVE1]',
    ]);
    expect(issues.map((i) => `${i.path}: ${i.message}`)).toEqual([
      'environments.prod.approval.required: needs 2 distinct approvers but approvers lists only 1 user(s) and no group',
    ]);
  });

  it('validates gate parameters per kind', () => {
    const { issues } = issuesOf(
      ['    maxIncreasePercent: 20\n', ''],
      ['path: /healthz', 'path: healthz'],
      ['status: 200, maxLatency: 2s', 'status: 200, maxLatency: fast'],
    );
    const text = issues.map((i) => `${i.path}: ${i.message}`);
    expect(text).toContain('gates.healthz.path: expected a path starting with "/", got "healthz"');
    expect(text.some((t) => t.startsWith('gates.healthz.expect.maxLatency: expected a duration'))).toBe(true);
    expect(text).toHaveLength(3);
    expect(text).toContain(
      'gates.latency-p95: set maxIncreasePercent (against stable), maxMs (absolute), or both',
    );
  });

  it('checks prometheus rules and threshold profiles', () => {
    const gate = (body: string) =>
      issuesOf(['gates:\n', `gates:\n  flag:\n    kind: prometheus\n    query: sum(up)\n${body}`]).issues.map(
        (i) => `${i.path}: ${i.message}`,
      );
    expect(gate('    rule: delta-percent\n')).toEqual([
      'gates.flag.limit: rule "delta-percent" needs a limit or a profile',
    ]);
    expect(gate('    rule: max\n    profile: moderate\n')).toEqual([
      'gates.flag.profile: profiles apply to the delta and delta-percent rules',
    ]);
    expect(gate('    rule: delta\n    profile: extreme\n')[0]).toMatch(
      /^gates\.flag\.profile: expected one of/,
    );
    expect(gate('    rule: any-increase\n    limit: 1\n')).toEqual([
      'gates.flag.rule: any-increase takes no limit or profile',
    ]);
  });

  it('reports YAML syntax errors with their position', () => {
    const result = parseConfig('environments:\n  prod: [unclosed\n', 'bad.yaml');
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.issues[0]?.message).toMatch(/^YAML syntax: /);
    expect(result.issues[0]?.line).toBeGreaterThan(0);
  });

  it('reports an empty file as missing its sections', () => {
    const result = parseConfig('', 'empty.yaml');
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.issues.map((i) => i.path)).toEqual(['environments', 'services', 'runbooks']);
  });
});
