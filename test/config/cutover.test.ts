import { describe, expect, it } from 'vitest';
import { shiftgateConfig } from '../../src/config/schema.ts';

// The stream-cutover runbook's references: its smokes are sse-contract gates, its route verification
// route-split gates, `cutover` names a runbook of that kind, and the service it runs on has a route split.

function raw(
  overrides: { cutover?: string; smokes?: string[]; verify?: string[]; routeSplit?: boolean } = {},
) {
  return {
    environments: {
      prod: {
        deployers: { users: ['U0DEPLOY1'] },
        approval: { approvers: { users: ['U0APPROVE1'] } },
      },
    },
    services: {
      web: {
        project: 'proj-test',
        region: 'us-central1',
        image: 'europe-docker.pkg.dev/proj-test/web/web',
        slackChannel: '#deploys',
        environments: {
          prod: {
            cloudRunService: 'web-prod',
            publicUrl: 'https://web.example.test',
            cutover: overrides.cutover ?? 'stream-cutover',
            ...(overrides.routeSplit === false
              ? {}
              : {
                  routeSplit: {
                    baseUrl: 'https://web.example.test/api/v1/control/route-split',
                    token: 'env:T',
                  },
                }),
          },
        },
      },
    },
    runbooks: {
      canary: {
        kind: 'canary',
        stages: [
          { name: 'A', traffic: 0 },
          { name: 'B', traffic: 100 },
        ],
      },
      'stream-cutover': {
        kind: 'stream-cutover',
        smokes: overrides.smokes ?? ['chat-stream'],
        route: { verify: overrides.verify ?? ['route-login'] },
      },
    },
    gates: {
      healthz: { kind: 'http', path: '/healthz' },
      'chat-stream': { kind: 'sse-contract', path: '/api/chat/stream' },
      'route-login': { kind: 'route-split', path: '/login', expect: 'rust_shell' },
    },
  };
}

const problems = (input: unknown) => {
  const parsed = shiftgateConfig.safeParse(input);
  return parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
};

describe('the stream-cutover runbook in the config', () => {
  it('is valid with sse-contract smokes, route-split verification and a route split on the target', () => {
    expect(problems(raw())).toEqual([]);
    const config = shiftgateConfig.parse(raw());
    expect(config.runbooks['stream-cutover']).toMatchObject({
      route: { target: 'rust' },
      approval: true,
      hardGates: {
        maxRouteFlipFailures: 0,
        maxStreamSmokeFailures: 0,
        maxCanaryDrillFailures: 0,
        maxDualRunFailures: 0,
        maxErrorBudgetConsumedPercent: 5,
      },
    });
  });

  it('says which gate is of the wrong kind, and where', () => {
    expect(problems(raw({ smokes: ['healthz'], verify: ['chat-stream'] }))).toEqual([
      'runbooks.stream-cutover.smokes.0: gate "healthz" is a http gate: expected a sse-contract gate here',
      'runbooks.stream-cutover.route.verify.0: gate "chat-stream" is a sse-contract gate: expected a route-split gate here',
    ]);
  });

  it('refuses a cutover that names a canary runbook, and a target without a route split', () => {
    expect(problems(raw({ cutover: 'canary' }))).toEqual([
      'services.web.environments.prod.cutover: runbook "canary" is a canary runbook: cutover names a stream-cutover runbook',
    ]);
    expect(problems(raw({ routeSplit: false }))).toEqual([
      'services.web.environments.prod.routeSplit: runbook "stream-cutover" uses route-split gate "route-login": set routeSplit',
      'services.web.environments.prod.routeSplit: runbook "stream-cutover" flips the route split: set routeSplit',
    ]);
  });

  it('takes an SLO only by its full resource name', () => {
    const input = raw();
    (input.runbooks['stream-cutover'] as Record<string, unknown>).errorBudget = { slo: 'availability' };
    expect(problems(input)).toEqual([
      'runbooks.stream-cutover.errorBudget.slo: expected projects/P/services/S/serviceLevelObjectives/O',
    ]);
  });
});
