import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.ts';
import { serviceTarget } from '../../src/config/target.ts';
import { canaryOf } from '../helpers/runbooks.ts';

const config = await loadConfig('examples/shiftgate.yaml');
const canary = canaryOf(config);

describe('examples/shiftgate.yaml encodes seed 000', () => {
  it('has staging and prod for the control service', () => {
    expect(Object.keys(config.environments)).toEqual(['staging', 'prod']);
    expect(Object.keys(config.services.control?.environments ?? {})).toEqual(['staging', 'prod']);
  });

  it('runs stages A to E at 0, 5, 25, 50 and 100 %, with a 10-minute window after each shift', () => {
    expect(canary?.stages.map((s) => [s.name, s.traffic])).toEqual([
      ['A', 0],
      ['B', 5],
      ['C', 25],
      ['D', 50],
      ['E', 100],
    ]);
    expect(canary?.stages[0]?.approval).toBe(false);
    for (const stage of canary?.stages.slice(1) ?? []) {
      expect(stage.watch).toBe(600_000);
      expect(stage.interval).toBe(60_000);
      expect(stage.approval ?? true).toBe(true);
    }
  });

  it('watches all five go/no-go gates with the seed thresholds in every traffic stage', () => {
    const gates = config.gates;
    expect(gates['error-rate']).toMatchObject({
      kind: 'cloud-monitoring',
      metric: 'error-rate',
      belowPercent: 1,
    });
    expect(gates['latency-p95']).toMatchObject({
      kind: 'cloud-monitoring',
      percentile: 95,
      maxIncreasePercent: 20,
    });
    expect(gates['auth-verify-errors']).toMatchObject({ kind: 'cloud-logging', check: 'error-spike' });
    expect(gates['sync-token-errors']).toMatchObject({ kind: 'cloud-logging', check: 'error-spike' });
    expect(gates['route-split-audit']).toMatchObject({
      check: 'audit-events',
      events: ['route.split.decision', 'route.split.override.updated'],
    });
    for (const stage of canary?.stages.slice(1) ?? []) {
      expect(stage.gates).toEqual([
        'error-rate',
        'latency-p95',
        'auth-verify-errors',
        'sync-token-errors',
        'route-split-audit',
      ]);
    }
  });

  it('runs every item of the post-stage checklist after each shift', () => {
    const paths = (names: string[]) =>
      names.map((n) => {
        const g = config.gates[n];
        return g && 'path' in g ? g.path : n;
      });
    for (const stage of canary?.stages.slice(1) ?? []) {
      expect(paths(stage.checks)).toEqual([
        '/healthz',
        '/readyz',
        '/api/auth/email',
        '/api/auth/verify',
        '/api/auth/session',
        '/api/sync/token',
        '/api/v1/control/route-split/status',
        '/api/v1/control/route-split/evaluate',
        '/login',
        '/onboarding/checklist',
        '/l402/paywalls',
        '/api/policy/authorize',
        '/api/policy/authorize',
        'audit-events',
      ]);
    }
    expect(config.gates['audit-events']).toMatchObject({
      events: ['auth.verify.completed', 'sync.token.issued', 'route.split.decision'],
    });
    expect(config.gates['route-login']).toMatchObject({ kind: 'route-split', expect: 'rust_shell' });
  });

  it('rolls back through the route split to legacy, then checks health and auth/session/sync', () => {
    expect(canary?.rollback).toEqual({
      routeOverride: 'legacy',
      checks: ['healthz', 'readyz', 'auth-session', 'sync-token'],
    });
  });

  it('asks prod for two distinct approvers other than the requester, and rolls back on its own', () => {
    expect(config.environments.prod?.approval).toMatchObject({ required: 2, allowSelfApproval: false });
    expect(config.environments.prod?.rollback.onGateFailure).toBe('automatic');
    expect(config.environments.prod?.rollback.breakGlass.groups).toEqual(['@sre-oncall']);
  });

  it('merges service-level defaults into each environment', () => {
    expect(serviceTarget(config, 'control', 'prod')).toMatchObject({
      cloudRunService: 'openagents-control-service',
      project: 'openagentsgemini',
      region: 'us-central1',
      image: 'us-central1-docker.pkg.dev/openagentsgemini/openagents-control-service/control',
      slackChannel: '#deploys',
      runbook: 'canary',
      accessToken: { source: 'secret-manager' },
    });
    expect(serviceTarget(config, 'control', 'dev')).toBeUndefined();
  });

  it('requires a GO of the staging matrix within a day before a prod canary (seeds 001, 002)', () => {
    expect(config.environments.prod?.requireGo).toEqual({ from: 'staging', within: 86_400_000 });
  });
});
