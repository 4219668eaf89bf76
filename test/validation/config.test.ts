import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadConfig, parseConfig } from '../../src/config/index.ts';
import { serviceTarget } from '../../src/config/target.ts';
import { planOf } from '../../src/validation/index.ts';

// The validation matrix in the config: examples/shiftgate.yaml encodes seed 002 for staging and prod,
// and a lane that names what does not exist, or a gate that needs a canary, is refused where it stands.

const EXAMPLE = readFileSync('examples/shiftgate.yaml', 'utf8');
const config = await loadConfig('examples/shiftgate.yaml');

describe('examples/shiftgate.yaml encodes seed 002', () => {
  it('runs the same required lanes in staging and prod', () => {
    const staging = config.environments.staging?.validation;
    expect(config.environments.prod?.validation).toEqual(staging);
    expect(staging?.lanes.map((l) => [l.name, l.kind, l.services, l.required])).toEqual([
      ['control-health', 'gates', ['control'], true],
      ['static-host-policy', 'gates', ['control'], true],
      ['control-smoke', 'gates', ['control'], true],
      ['runtime-health', 'gates', ['runtime'], true],
      ['migration-drift', 'migration-drift', ['runtime'], true],
      ['error-logs', 'log-probe', ['control', 'runtime'], true],
      ['canary-status', 'canary-status', ['control'], true],
      ['immutable-assets', 'immutable-assets', ['control'], true],
      ['domain-mapping', 'gates', ['control'], false],
    ]);
    const gatesOf = (lane: string) => {
      const found = staging?.lanes.find((l) => l.name === lane);
      return found?.kind === 'gates' ? found.gates.map((g) => config.gates[g]) : [];
    };
    expect(gatesOf('control-health').map((g) => g && 'path' in g && g.path)).toEqual(['/healthz', '/readyz']);
    expect(gatesOf('static-host-policy')).toMatchObject([
      { path: '/manifest.json', expect: { headers: { 'cache-control': { contains: 'no-cache' } } } },
      { path: '/sw.js', expect: { headers: { 'cache-control': { contains: 'no-cache' } } } },
    ]);
    expect(gatesOf('control-smoke')).toMatchObject([
      { path: '/api/auth/session', auth: 'access-token' },
      { path: '/api/sync/token', auth: 'access-token' },
    ]);
    expect(staging?.lanes.find((l) => l.name === 'error-logs')).toMatchObject({
      filter: 'severity>=ERROR',
      window: 600_000,
    });
  });

  it('has the runtime service with its migrate job in both environments', () => {
    expect(serviceTarget(config, 'runtime', 'staging')).toMatchObject({
      migrateJob: 'runtime-migrate-staging',
    });
    expect(serviceTarget(config, 'runtime', 'prod')).toMatchObject({
      cloudRunService: 'runtime',
      migrateJob: 'runtime-migrate',
    });
  });

  it('plans thirteen rows in staging', () => {
    const planned = planOf(config, 'staging');
    expect(planned.ok && planned.plan.length).toBe(13);
  });
});

function issuesOf(...edits: [string, string][]) {
  let text = EXAMPLE;
  for (const [from, to] of edits) {
    expect(text, `the example contains ${from}`).toContain(from);
    text = text.replace(from, to);
  }
  const result = parseConfig(text, 'broken.yaml');
  if (result.ok) throw new Error('expected the broken config to be refused');
  return result.issues.map((i) => `${i.path}: ${i.message}`);
}

describe('a broken matrix', () => {
  it('names an unknown service or gate where it stands, with a hint', () => {
    expect(
      issuesOf([
        'services: [runtime]\n          gates: [healthz]',
        'services: [runtim]\n          gates: [healthzz]',
      ]),
    ).toEqual([
      'environments.staging.validation.lanes[3].services[0]: no service named "runtim" (did you mean "runtime"?)',
      'environments.staging.validation.lanes[3].gates[0]: no gate named "healthzz" (did you mean "healthz"?)',
      'environments.prod.validation.lanes[3].services[0]: no service named "runtim" (did you mean "runtime"?)',
      'environments.prod.validation.lanes[3].gates[0]: no gate named "healthzz" (did you mean "healthz"?)',
    ]);
  });

  it('refuses gates that compare a canary with its stable revision', () => {
    const issues = issuesOf(['gates: [healthz, readyz]', 'gates: [healthz, error-rate, auth-verify-errors]']);
    expect(issues).toContain(
      'environments.staging.validation.lanes[0].gates[1]: gate "error-rate" (cloud-monitoring) compares a canary revision with its stable one, and a validation has no canary',
    );
    expect(issues).toContain(
      'environments.staging.validation.lanes[0].gates[2]: gate "auth-verify-errors" (cloud-logging) compares canary errors with the stable revision, and a validation has no canary: use a log-probe lane',
    );
  });

  it('needs a migrate job for a migration-drift lane, and one name per lane', () => {
    const issues = issuesOf(
      [
        'kind: migration-drift\n          services: [runtime]',
        'kind: migration-drift\n          services: [control]',
      ],
      ['- name: canary-status', '- name: control-health'],
    );
    expect(issues).toContain(
      'environments.staging.validation.lanes[4].services[0]: a migration-drift lane needs services.control.environments.staging.migrateJob',
    );
    expect(issues).toContain(
      'environments.staging.validation.lanes[6].name: lane "control-health" is used twice',
    );
  });

  it('checks lane kinds and their keys', () => {
    const issues = issuesOf(
      ['kind: canary-status', 'kind: canary-stat'],
      ['filter: severity>=ERROR', 'filtr: x'],
    );
    expect(issues).toContain(
      `environments.staging.validation.lanes[6].kind: expected 'gates' | 'migration-drift' | 'log-probe' | 'canary-status' | 'immutable-assets', got "canary-stat"`,
    );
    expect(
      issues.some((i) => i.startsWith('environments.staging.validation.lanes[5].filtr: unknown key')),
    ).toBe(true);
  });
});
