import { beforeEach, describe, expect, it } from 'vitest';
import type { ShiftgateConfig } from '../../src/config/schema.ts';
import type { CanaryState } from '../../src/runbooks/types.ts';
import { createValidationRecords } from '../../src/validation/records.ts';
import type { ValidationRun } from '../../src/validation/types.ts';
import { ADMIN, APPROVERS, ENV, REF, REQUESTER, SERVICE, testConfig } from '../helpers/engine-world.ts';
import { useSlackWorld } from '../helpers/slack-world.ts';

// The promotion gate of seeds 001 and 002 through Slack: prod requires a GO of the staging validation
// matrix within a day. Without one (none, a NO-GO, a stale GO) /canary start is refused before anything is
// deployed, naming the last run and what failed; a fresh GO lets it start; an admin may start without one
// with a reason (audited); and a NO-GO recorded meanwhile refuses the approval of the last stage.

const s = useSlackWorld('slack-go');
const { world } = s;
const HOUR = 3_600_000;

function goConfig(): ShiftgateConfig {
  const config = testConfig();
  const prod = config.environments[ENV];
  if (!prod) throw new Error('no prod');
  config.environments.staging = structuredClone(prod);
  prod.requireGo = { from: 'staging', within: 24 * HOUR };
  return config;
}

function verdictOf(mode: 'gating' | 'baseline', outcome: 'go' | 'no-go', reason: string) {
  return {
    mode,
    outcome,
    counts: {
      total: 1,
      passed: outcome === 'go' ? 1 : 0,
      requiredFailed: outcome === 'go' ? 0 : 1,
      optionalFailed: 0,
      requiredErrors: 0,
      optionalErrors: 0,
      requiredSkipped: 0,
      optionalSkipped: 0,
    },
    reasons: outcome === 'go' ? [] : [reason],
    warnings: [],
  };
}

/** A finished run over `envs`, `hoursAgo` old, with these verdicts, saved as /validate saves it. */
async function saveRun(
  id: string,
  envs: string[],
  hoursAgo: number,
  mode: 'gating' | 'baseline',
  verdicts: Pick<ValidationRun, 'verdict' | 'verdicts'>,
) {
  const at = new Date(Date.now() - hoursAgo * HOUR).toISOString();
  const run: ValidationRun = {
    id,
    envs,
    mode,
    requestedBy: REQUESTER,
    status: 'finished',
    startedAt: at,
    finishedAt: at,
    targets: [],
    plan: [],
    results: [],
    ...verdicts,
  };
  await createValidationRecords(world.store.redis, world.store.keys).save(run);
}

/** A run of `/validate staging`. */
async function recordRun(
  id: string,
  outcome: 'go' | 'no-go',
  hoursAgo: number,
  mode: 'gating' | 'baseline' = 'gating',
) {
  await saveRun(id, ['staging'], hoursAgo, mode, {
    verdict: verdictOf(mode, outcome, 'control-health: readyz answered 503'),
  });
}

/** A run of `/validate staging prod`: staging's own verdict, and prod's a NO-GO (so the whole run's is). */
async function recordCombinedRun(
  id: string,
  staging: 'go' | 'no-go',
  hoursAgo: number,
  mode: 'gating' | 'baseline' = 'gating',
) {
  await saveRun(id, ['staging', 'prod'], hoursAgo, mode, {
    verdict: verdictOf(mode, 'no-go', 'control-health / readyz (control in prod) failed'),
    verdicts: {
      staging: verdictOf(mode, staging, 'control-health / readyz (control) failed in staging'),
      prod: verdictOf(mode, 'no-go', 'control-health / readyz (control) failed'),
    },
  });
}

const start = (who = REQUESTER, extra = '') =>
  s.command(who, '/canary', `start ${SERVICE} v9.0.0 ${ENV} ${extra}`);

describe('a prod canary needs a recent staging GO', () => {
  beforeEach(async () => {
    world.seed();
    await s.start(goConfig());
  });

  it('is refused with none on record, after a NO-GO, and after a stale GO; nothing is deployed', async () => {
    const before = world.cloudRun.service(REF).revisions.length;
    expect((await start()).text).toContain('prod needs a GO of the staging validation matrix within 1d');
    expect((await start()).text).toContain('there is none on record');
    await recordRun('val-staging-old-go', 'go', 30);
    expect((await start()).text).toContain('the last GO, run val-staging-old-go');
    await recordRun('val-staging-nogo', 'no-go', 1);
    const refused = await start();
    expect(refused.text).toContain('val-staging-nogo');
    expect(refused.text).toContain('readyz answered 503');
    expect(refused.text).toContain('/validate files val-staging-nogo');
    // A baseline run says nothing about release readiness.
    await recordRun('val-staging-baseline', 'go', 0.5, 'baseline');
    expect((await start()).text).toContain('val-staging-nogo');
    expect(world.cloudRun.service(REF).revisions).toHaveLength(before);
  });

  it("counts a run over staging and prod by staging's own verdict; a baseline run over both never counts", async () => {
    // staging all passed, prod failed: a staging GO.
    await recordCombinedRun('val-staging-prod-go', 'go', 3);
    expect((await start()).text).toContain('Started web v9.0.0 in prod');
  });

  it('refuses after a run over staging and prod whose staging rows did not pass, and ignores baselines', async () => {
    await recordCombinedRun('val-staging-prod-nogo', 'no-go', 2);
    const refused = await start();
    expect(refused.text).toContain('val-staging-prod-nogo');
    expect(refused.text).toContain('failed in staging');
    expect(refused.text).not.toContain('control in prod');
    await recordCombinedRun('val-staging-prod-baseline', 'go', 1, 'baseline');
    expect((await start()).text).toContain('val-staging-prod-nogo');
  });

  it('starts after a fresh GO', async () => {
    await recordRun('val-staging-go', 'go', 2);
    expect((await start()).text).toContain('Started web v9.0.0 in prod');
  });

  it('an admin may start without a GO, with a reason (audited); a deployer may not', async () => {
    const deployer = await start(REQUESTER, '--without-go "hotfix for the outage"');
    expect(deployer.text).toContain('only admins may start without a GO');
    const admin = await start(ADMIN, '--without-go "hotfix for the outage, staging is down"');
    expect(admin.text).toContain('Started web v9.0.0 in prod');
    const audit = await world.store.audit.read({ limit: 50 });
    const override = audit.entries.find((e) => e.what === 'rollout.go-override');
    expect(override).toMatchObject({ who: ADMIN, reason: 'hotfix for the outage, staging is down' });
    expect(audit.entries.some((e) => e.what === 'rollout.go-override.refused' && e.who === REQUESTER)).toBe(
      true,
    );
  });

  it('a NO-GO recorded during the rollout refuses the approval of its last stage', async () => {
    await recordRun('val-staging-go-2', 'go', 1);
    const started = await start();
    const id = /: `([^`]+)`\./.exec(started.text)?.[1] as string;
    const engine = s.current.engine;
    world.feed(world.canaryRevision(id, 'v9.0.0'));
    for (const stage of [1, 2, 3]) {
      await world.until(engine, id, (v) => {
        expect(v.status).toBe('awaiting-approval');
        expect((v.state as CanaryState).stage).toBe(stage);
      });
      expect((await engine.send(id, { type: 'approve', userId: APPROVERS[0], stage })).ok).toBe(true);
    }
    await world.until(engine, id, (v) => expect((v.state as CanaryState).stage).toBe(4), 20_000);
    await recordRun('val-staging-nogo-2', 'no-go', 0);
    const refused = await engine.send(id, { type: 'approve', userId: APPROVERS[0], stage: 4 });
    expect(refused).toMatchObject({ ok: false, reason: 'refused' });
    expect(refused.ok ? '' : refused.message).toContain('val-staging-nogo-2');
  });
});
