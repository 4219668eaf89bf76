import { delay, HttpResponse, http } from 'msw';
import { describe, expect, it } from 'vitest';
import type { CheckResult, ValidationRun } from '../../src/validation/index.ts';
import { verdictTitle } from '../../src/validation/index.ts';
import {
  ADMIN,
  CONTROL_REVISION,
  CONTROL_SERVICE,
  CONTROL_URL,
  DEPLOYER,
  ENV,
  JOB_REF,
  MIGRATE_JOB,
  matrixConfig,
  RUNTIME_IMAGE,
  RUNTIME_REVISION,
  RUNTIME_SERVICE,
  RUNTIME_URL,
  useValidationWorld,
} from './world.ts';

// The validation matrix of seed 002 against the twins: the real Cloud Run and Cloud Logging adapters,
// the gate registry, the fake control and runtime services, results and verdicts kept in Redis.

const world = useValidationWorld('validation-run');

const ROWS = [
  ['control-health', 'healthz', 'control'],
  ['control-health', 'readyz', 'control'],
  ['static-host-policy', 'manifest-json', 'control'],
  ['static-host-policy', 'sw-js', 'control'],
  ['static-host-policy', 'immutable-asset', 'control'],
  ['control-smoke', 'auth-session', 'control'],
  ['control-smoke', 'sync-token', 'control'],
  ['runtime-health', 'healthz', 'runtime'],
  ['migration-drift', 'migration-drift', 'runtime'],
  ['error-logs', 'log-probe', 'control'],
  ['error-logs', 'log-probe', 'runtime'],
  ['canary-status', 'canary-status', 'control'],
];

async function validate(mode: 'gating' | 'baseline' = 'gating', config = matrixConfig()) {
  const validation = world.validation(config);
  const begun = await validation.begin({ env: ENV, mode, requestedBy: DEPLOYER });
  if (!begun.ok) throw new Error(begun.message);
  const run = await validation.execute(begun.run);
  return { validation, run };
}

const row = (run: ValidationRun, lane: string, check: string, service: string) =>
  run.results.find((r) => r.lane === lane && r.check === check && r.service === service) as CheckResult;

describe('a validation run', () => {
  it('with every lane passing is a go, each row with what it saw, what it expected and evidence', async () => {
    world.seed();
    const { run, validation } = await validate();

    expect(run.results.map((r) => [r.lane, r.check, r.service])).toEqual(ROWS);
    for (const r of run.results) {
      expect(r.status, r.line).toBe('pass');
      expect(r.required).toBe(r.lane !== 'error-logs');
      expect(r.line).toMatch(/: pass$/);
      expect(r.evidence).not.toBe('-');
      expect(r.observed).not.toBe('-');
      expect(Date.parse(r.at)).not.toBeNaN();
    }
    expect(row(run, 'control-health', 'healthz', 'control')).toMatchObject({
      observed: expect.stringMatching(/^200 in \d+ ms$/),
      expected: 'status 200, within 2s',
      evidence: `curl -sS -i '${CONTROL_URL}/healthz' --max-time 10`,
    });
    expect(row(run, 'runtime-health', 'healthz', 'runtime').evidence).toContain(`${RUNTIME_URL}/healthz`);
    // The token authenticated the smoke checks and never reached the record.
    expect(row(run, 'control-smoke', 'auth-session', 'control').evidence).toContain('Bearer $TOKEN');
    expect(JSON.stringify(run)).not.toContain('control-access-token-s3cr3t');
    expect(row(run, 'migration-drift', 'migration-drift', 'runtime')).toMatchObject({
      observed: expect.stringMatching(
        /^service runtime:v2\.3\.0, job runtime:v2\.3\.0, latest execution \S+ succeeded \(runtime:v2\.3\.0\)$/,
      ),
      evidence: expect.stringContaining(`gcloud run jobs executions list --job '${MIGRATE_JOB}'`),
    });
    expect(row(run, 'error-logs', 'log-probe', 'control')).toMatchObject({
      observed: `2 entries on ${CONTROL_REVISION}`,
      expected: 'at most 5 entries',
      evidence: expect.stringContaining('severity>=ERROR'),
    });
    expect(row(run, 'canary-status', 'canary-status', 'control').observed).toBe(
      `${CONTROL_REVISION} 100 %; no rollout in progress`,
    );

    expect(run.status).toBe('finished');
    expect(run.verdict).toMatchObject({
      mode: 'gating',
      outcome: 'go',
      reasons: [],
      warnings: [],
      counts: { total: 12, passed: 12, requiredFailed: 0, requiredSkipped: 0 },
    });
    expect(verdictTitle(run.verdict as never)).toBe('GO');
    // Kept in Redis as it finished, and audited from start to finish.
    expect(await validation.get(run.id)).toEqual(run);
    const audit = (await world.store.audit.read()).entries.reverse();
    expect(audit.map((e) => [e.what, e.who, e.env])).toEqual([
      ['validation.start', DEPLOYER, ENV],
      ['validation.finish', 'shiftgate', ENV],
    ]);
    expect(audit[1]?.after).toMatchObject({ runId: run.id, outcome: 'go', mode: 'gating' });
  });

  it('with a required failure is a no-go that names each failing check and why', async () => {
    world.seed();
    world.services.state.ready = false;
    world.cloudRun.addExecution(JOB_REF, { outcome: 'failed', message: 'Task failed: exit code 1' });
    const { run } = await validate();

    expect(row(run, 'control-health', 'readyz', 'control')).toMatchObject({
      status: 'fail',
      observed: expect.stringMatching(/^503 in \d+ ms$/),
      line: expect.stringMatching(/^GET \/readyz 503 in \d+ ms .*: FAIL$/),
    });
    const drift = row(run, 'migration-drift', 'migration-drift', 'runtime');
    expect(drift.status).toBe('fail');
    expect(drift.reason).toMatch(/^its latest execution \S+ failed: Task failed: exit code 1$/);
    expect(run.results.filter((r) => r.status !== 'pass')).toHaveLength(2);
    expect(run.verdict).toMatchObject({ outcome: 'no-go', counts: { requiredFailed: 2, passed: 10 } });
    expect(run.verdict?.reasons).toEqual([
      expect.stringMatching(/^required check control-health \/ readyz \(control\) failed: /),
      expect.stringMatching(
        /^required check migration-drift \/ migration-drift \(runtime\) failed: its latest/,
      ),
    ]);
    expect(verdictTitle(run.verdict as never)).toBe('NO-GO');
  });

  it('with only an optional failure is a go with a warning', async () => {
    world.seed();
    world.logs.addEntries(RUNTIME_REVISION, 9, { service: RUNTIME_SERVICE, severity: 'ERROR' });
    const { run } = await validate();

    expect(row(run, 'error-logs', 'log-probe', 'runtime')).toMatchObject({
      status: 'fail',
      required: false,
      observed: `9 entries on ${RUNTIME_REVISION}`,
      reason: 'more than 5',
    });
    expect(run.verdict).toMatchObject({
      outcome: 'go',
      reasons: [],
      counts: { passed: 11, optionalFailed: 1 },
    });
    expect(run.verdict?.warnings).toEqual([
      'optional check error-logs / log-probe (runtime) failed: more than 5',
    ]);
    expect(verdictTitle(run.verdict as never)).toBe('GO with 1 warning');
  });

  it('fails the log probe when it is required and over its limit', async () => {
    world.seed();
    world.logs.addEntries(CONTROL_REVISION, 4, { service: CONTROL_SERVICE, severity: 'CRITICAL' });
    const { run } = await validate('gating', matrixConfig({ logsRequired: true }));
    expect(row(run, 'error-logs', 'log-probe', 'control')).toMatchObject({ status: 'fail', required: true });
    expect(run.verdict?.outcome).toBe('no-go');
  });

  it('with --baseline records the same checks and verdict without gating, and says so', async () => {
    world.seed();
    world.services.state.healthy = false;
    const { run } = await validate('baseline');

    expect(row(run, 'control-health', 'healthz', 'control').status).toBe('fail');
    expect(run.verdict).toMatchObject({ mode: 'baseline', outcome: 'no-go' });
    expect(verdictTitle(run.verdict as never)).toBe('BASELINE, not a gate (would be NO-GO)');
    const [finish] = (await world.store.audit.read()).entries;
    expect(finish).toMatchObject({ what: 'validation.finish', reason: 'baseline' });
  });

  it('is a no-go when a required check is skipped in gating mode, and says why', async () => {
    world.seed();
    const { run } = await validate('gating', matrixConfig({ accessToken: false }));

    for (const check of ['auth-session', 'sync-token']) {
      expect(row(run, 'control-smoke', check, 'control')).toMatchObject({
        status: 'skip',
        observed: '-',
        reason: 'no access token is configured for this environment',
      });
    }
    expect(world.services.requests.some((r) => r.url.includes('/api/'))).toBe(false);
    expect(run.verdict).toMatchObject({ outcome: 'no-go', counts: { requiredSkipped: 2, passed: 10 } });
    expect(run.verdict?.reasons[0]).toBe(
      'required check control-smoke / auth-session (control) was skipped: no access token is configured for this environment; required checks cannot be skipped in gating mode',
    );
  });

  it('records a lane whose target cannot be reached as an error, clearly, and runs the rest', async () => {
    world.seed();
    world.runtimeUnreachable();
    world.cloudRun.recorder.inject({ match: world.cloudRun.routes.getJob(JOB_REF), status: 503, times: 5 });
    const { run } = await validate();

    const health = row(run, 'runtime-health', 'healthz', 'runtime');
    expect(health).toMatchObject({ status: 'error', observed: '-' });
    expect(health.reason).toContain(`${RUNTIME_URL}/healthz could not be reached`);
    expect(health.line).toMatch(/could not be measured: .*: ERROR$/);
    const drift = row(run, 'migration-drift', 'migration-drift', 'runtime');
    expect(drift.status).toBe('error');
    expect(drift.reason).toContain(MIGRATE_JOB);
    // Every other row ran and passed.
    expect(run.results).toHaveLength(12);
    expect(run.results.filter((r) => r.status === 'pass')).toHaveLength(10);
    expect(run.verdict?.outcome).toBe('no-go');
    expect(run.verdict?.reasons).toEqual([
      expect.stringMatching(/^required check runtime-health \/ healthz \(runtime\) could not be measured: /),
      expect.stringMatching(
        /^required check migration-drift \/ migration-drift \(runtime\) could not be measured: /,
      ),
    ]);
  });

  it('reports a check that does not finish in time, and runs the rest', async () => {
    world.seed();
    world.server.use(
      http.get(`${RUNTIME_URL}/healthz`, async () => {
        await delay('infinite');
        return HttpResponse.text('never');
      }),
    );
    const validation = world.validation(matrixConfig(), { checkTimeoutMs: 300 });
    const begun = await validation.begin({ env: ENV, mode: 'gating', requestedBy: DEPLOYER });
    if (!begun.ok) throw new Error(begun.message);
    const run = await validation.execute(begun.run);
    expect(row(run, 'runtime-health', 'healthz', 'runtime')).toMatchObject({
      status: 'error',
      reason: 'did not finish within 300ms',
    });
    expect(run.results.filter((r) => r.status === 'pass')).toHaveLength(11);
  });

  it('keeps each result in Redis as it lands, so a run cut short loses nothing measured', async () => {
    world.seed();
    const validation = world.validation(matrixConfig(), { concurrency: 1 });
    const begun = await validation.begin({ env: ENV, mode: 'gating', requestedBy: ADMIN });
    if (!begun.ok) throw new Error(begun.message);
    expect(await validation.get(begun.run.id)).toMatchObject({
      status: 'running',
      results: [],
      plan: expect.any(Array),
    });
    const seen: number[] = [];
    await validation.execute(begun.run, {
      onResult: async (_, partial) => {
        const kept = await validation.get(partial.id);
        seen.push(kept?.results.length ?? -1);
      },
    });
    expect(seen).toEqual(ROWS.map((_, i) => i + 1));
  });

  it('runs one at a time per environment', async () => {
    world.seed();
    const validation = world.validation();
    const first = await validation.begin({ env: ENV, mode: 'gating', requestedBy: DEPLOYER });
    if (!first.ok) throw new Error(first.message);
    const second = await validation.begin({ env: ENV, mode: 'baseline', requestedBy: ADMIN });
    expect(second).toMatchObject({ ok: false, reason: 'running', holder: first.run.id });
    await validation.execute(first.run);
    const third = await validation.begin({ env: ENV, mode: 'gating', requestedBy: ADMIN });
    expect(third.ok).toBe(true);
    if (third.ok) await validation.abandon(third.run, 'test over');
    const runs = await validation.records.recent(ENV);
    expect(runs.map((r) => r.status).sort()).toEqual(['abandoned', 'finished']);
  });

  it('closes a run whose replica died (claim lapsed) as abandoned when the next one begins', async () => {
    world.seed();
    const validation = world.validation();
    const dead = await validation.begin({ env: ENV, mode: 'gating', requestedBy: DEPLOYER });
    if (!dead.ok) throw new Error(dead.message);
    // The replica dies: its run stays "running" and its claim lapses.
    await world.store.redis.del(world.store.keys.validationRunning(ENV));
    const next = await validation.begin({ env: ENV, mode: 'gating', requestedBy: ADMIN });
    if (!next.ok) throw new Error(next.message);
    const closed = await validation.get(dead.run.id);
    expect(closed).toMatchObject({
      status: 'abandoned',
      note: expect.stringContaining('stopped before it finished'),
    });
    expect((await validation.get(next.run.id))?.status).toBe('running');
    await validation.abandon(next.run, 'test over');
  });

  it('answers an environment that is unknown or has no matrix, and writes nothing', async () => {
    const validation = world.validation();
    expect(await validation.begin({ env: 'qa', mode: 'gating', requestedBy: DEPLOYER })).toEqual({
      ok: false,
      reason: 'unknown-environment',
      message: 'no environment "qa" (known: staging, dev)',
    });
    expect(await validation.begin({ env: 'dev', mode: 'gating', requestedBy: DEPLOYER })).toMatchObject({
      ok: false,
      reason: 'no-matrix',
      message: expect.stringContaining('add environments.dev.validation.lanes'),
    });
    expect(await world.store.redis.keys(`${world.store.keys.prefix}*`)).toEqual([]);
  });

  it('uses the image the migration ran: a service ahead of its migration is drift', async () => {
    world.seed();
    world.cloudRun.setJobImage(JOB_REF, RUNTIME_IMAGE.replace('v2.3.0', 'v2.4.0'));
    const { run } = await validate();
    expect(row(run, 'migration-drift', 'migration-drift', 'runtime')).toMatchObject({
      status: 'fail',
      reason: expect.stringContaining('the service runs runtime:v2.3.0, the job runtime:v2.4.0'),
    });
  });
});
