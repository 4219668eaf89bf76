import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.ts';
import { serviceTarget } from '../../src/config/target.ts';
import { planOf } from '../../src/validation/index.ts';
import { issueLines } from '../helpers/broken-example.ts';

// The validation matrix in the config: examples/shiftgate.yaml encodes seed 002 for staging and prod,
// and a lane that names what does not exist, or a gate that needs a canary, is refused where it stands.

const _EXAMPLE = readFileSync('examples/shiftgate.yaml', 'utf8');
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
      ['runtime-smoke', 'runtime-smoke', ['runtime'], true],
      ['khala-contract', 'external-ci', ['runtime'], true],
      ['surface-parity', 'external-ci', ['control'], false],
      ['legacy-db-backup', 'backup', ['control'], true],
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

  it('plans eighteen rows in staging, and the legacy DB backup only in the legacy-deletion phase', () => {
    const planned = planOf(config, 'staging');
    expect(planned.ok && planned.plan.length).toBe(18);
    expect(planned.ok && planned.plan.map((p) => p.lane)).not.toContain('legacy-db-backup');
    const phased = planOf(config, 'prod', { phase: 'legacy-deletion' });
    expect(phased.ok && phased.plan.at(-1)).toEqual({
      env: 'prod',
      lane: 'legacy-db-backup',
      kind: 'backup',
      check: 'backup',
      service: 'control',
      required: true,
    });
    expect(planOf(config, 'prod', { phase: 'legacy-delete' })).toEqual({
      ok: false,
      reason: 'unknown-phase',
      message: 'no phase "legacy-delete" in the prod matrix (known phases: legacy-deletion)',
    });
  });

  it("has the seed's runtime smoke, Khala contract, surface parity and legacy backup lanes", () => {
    const lanes = config.environments.staging?.validation?.lanes ?? [];
    const lane = (name: string) => lanes.find((l) => l.name === name);
    expect(lane('runtime-smoke')).toMatchObject({ health: ['/healthz', '/readyz'], target: 'public' });
    expect(lane('khala-contract')).toMatchObject({
      cloudBuild: { tags: ['khala-contract'], location: 'global' },
    });
    expect(lane('surface-parity')).toMatchObject({
      required: false,
      github: { check: 'cross-surface-contract-harness', token: { source: 'secret-manager' } },
    });
    expect(lane('legacy-db-backup')).toMatchObject({ phases: ['legacy-deletion'], maxAge: 86_400_000 });
  });
});

describe('a broken matrix', () => {
  it('refuses an empty phase list, saying what to do instead', () => {
    expect(issueLines(['phases: [legacy-deletion]', 'phases: []'])).toContain(
      'environments.staging.validation.lanes[12].phases: name at least one phase, or leave phases out to run the lane in every validation',
    );
  });

  it('needs one source for an external-ci lane, one artifact for a backup lane, and distinct smoke rows', () => {
    const issues = issueLines(
      ['          cloudBuild:\n            tags: [khala-contract]\n', '          cloudBuild: {}\n'],
      ['          gcs: { bucket: openagentsgemini-laravel-backups, prefix: laravel-db/ }\n', ''],
      ['            - name: authority-status\n', '            - name: GET /healthz\n'],
    );
    expect(issues).toContain(
      'environments.staging.validation.lanes[9].requests[0].name: "GET /healthz" is already a row of this lane: give the request a name',
    );
    expect(issues).toContain(
      'environments.staging.validation.lanes[10].cloudBuild: name the check: tags, substitutions or both (e.g. tags: [khala-contract])',
    );
    expect(issues).toContain(
      'environments.staging.validation.lanes[12].gcs: a backup lane reads one artifact: set gcs or cloudSql (not both)',
    );
  });

  it('names an unknown service or gate where it stands, with a hint', () => {
    expect(
      issueLines([
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
    const issues = issueLines([
      'gates: [healthz, readyz]',
      'gates: [healthz, error-rate, auth-verify-errors]',
    ]);
    expect(issues).toContain(
      'environments.staging.validation.lanes[0].gates[1]: gate "error-rate" (cloud-monitoring) compares a canary revision with its stable one, and a validation has no canary',
    );
    expect(issues).toContain(
      'environments.staging.validation.lanes[0].gates[2]: gate "auth-verify-errors" (cloud-logging) compares canary errors with the stable revision, and a validation has no canary: use a log-probe lane',
    );
  });

  it('needs a migrate job for a migration-drift lane, and one name per lane', () => {
    const issues = issueLines(
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
    const issues = issueLines(
      ['kind: canary-status', 'kind: canary-stat'],
      ['filter: severity>=ERROR', 'filtr: x'],
    );
    expect(issues).toContain(
      `environments.staging.validation.lanes[6].kind: expected 'gates' | 'migration-drift' | 'log-probe' | 'canary-status' | 'immutable-assets' | 'external-ci' | 'backup' | 'runtime-smoke', got "canary-stat"`,
    );
    expect(
      issues.some((i) => i.startsWith('environments.staging.validation.lanes[5].filtr: unknown key')),
    ).toBe(true);
  });
});
