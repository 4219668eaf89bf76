import { describe, expect, it } from 'vitest';
import { createStorageObjects } from '../../src/platform/storage/index.ts';
import type { CheckResult, ValidationRun } from '../../src/validation/index.ts';
import {
  BACKUP_BUCKET,
  BACKUP_PREFIX,
  HOUR,
  lanesConfig,
  SQL_INSTANCE,
  useLanesWorld,
} from './lanes-world.ts';
import { PROJECT } from './world.ts';

// The backup lane (seed 002, go/no-go rule 5: legacy deletion needs fresh DB backup artifacts), only in
// the legacy-deletion phase: the newest Cloud Storage object under a prefix, or the newest successful
// Cloud SQL backup run, younger than maxAge; read from the Storage and Cloud SQL twins.

const world = useLanesWorld('validation-backup');
const LEGACY = { phase: 'legacy-deletion' };
const rowOf = (run: ValidationRun) => run.results.find((r) => r.lane === 'legacy-db-backup') as CheckResult;
const put = (name: string, hoursAgo: number) =>
  world.storage.putObject(BACKUP_BUCKET, `${BACKUP_PREFIX}${name}`, 'dump', 'application/gzip', {
    at: new Date(Date.now() - hoursAgo * HOUR),
  });

describe('a backup lane on Cloud Storage', () => {
  it('runs only in its phase, and passes on a backup younger than maxAge, naming it with its age and bound', async () => {
    world.seedLanes();
    put('laravel-20261128.sql.gz', 50);
    const plain = await world.run();
    expect(plain.results.map((r) => r.lane)).not.toContain('legacy-db-backup');
    expect(plain.phase).toBeUndefined();

    const run = await world.run(LEGACY);
    expect(run.phase).toBe('legacy-deletion');
    const row = rowOf(run);
    expect(row).toMatchObject({
      status: 'pass',
      check: 'backup',
      service: 'control',
      expected: 'younger than 1d',
    });
    expect(row.observed).toMatch(
      new RegExp(
        `^gs://${BACKUP_BUCKET}/${BACKUP_PREFIX}laravel-20261130T0900\\.sql\\.gz from \\S+Z, (59m|1h) old$`,
      ),
    );
    expect(row.evidence).toBe(
      `gcloud storage ls --long 'gs://${BACKUP_BUCKET}/${BACKUP_PREFIX}**' | sort -k2 | tail -n 2`,
    );
  });

  it('fails when the newest backup is older than maxAge, or when there is none', async () => {
    world.seedLanes();
    world.storage.reset();
    put('laravel-20261128.sql.gz', 50);
    put('laravel-20261129.sql.gz', 26);
    // Names sort before it, but an older object listed later must not win.
    put('laravel-20261127.sql.gz', 70);
    let run = await world.run(LEGACY);
    expect(rowOf(run)).toMatchObject({ status: 'fail', reason: 'the newest backup is older than 1d' });
    expect(rowOf(run).line).toMatch(/, 1d2h old \(the newest backup is older than 1d\): FAIL$/);
    expect(rowOf(run).observed).toContain(`gs://${BACKUP_BUCKET}/${BACKUP_PREFIX}laravel-20261129.sql.gz`);
    expect(run.verdict?.outcome).toBe('no-go');

    world.storage.reset();
    world.storage.createBucket(BACKUP_BUCKET);
    run = await world.run(LEGACY);
    expect(rowOf(run)).toMatchObject({
      status: 'fail',
      observed: 'no backup',
      reason: `nothing is stored under gs://${BACKUP_BUCKET}/${BACKUP_PREFIX}`,
    });
  });

  it('cannot measure a bucket it may not list, and says which role to grant', async () => {
    world.seedLanes();
    world.storage.deny(BACKUP_BUCKET, 'storage.objects.list');
    const run = await world.run(LEGACY);
    expect(rowOf(run).status).toBe('error');
    expect(rowOf(run).reason).toContain(
      `Cloud Storage: listing gs://${BACKUP_BUCKET}/${BACKUP_PREFIX} failed (403)`,
    );
    expect(rowOf(run).reason).toContain("grant the bot's service account roles/storage.objectViewer");
  });

  it('reads every page for the newest, and trusts a partial listing only when what it found is fresh', async () => {
    world.storage.reset();
    world.storage.createBucket(BACKUP_BUCKET);
    for (let i = 0; i < 5; i++) put(`a-${i}.sql.gz`, 30 + i);
    put('z-newest.sql.gz', 2);
    const all = await createStorageObjects({
      target: { projectId: PROJECT, endpoint: { host: 'storage.twin', port: 80, protocol: 'http' } },
      maxObjects: 10,
    }).newest({ bucket: BACKUP_BUCKET, prefix: BACKUP_PREFIX });
    expect(all).toMatchObject({
      seen: 6,
      complete: true,
      newest: { name: `${BACKUP_PREFIX}z-newest.sql.gz` },
    });
    const cut = await createStorageObjects({
      target: { projectId: PROJECT, endpoint: { host: 'storage.twin', port: 80, protocol: 'http' } },
      maxObjects: 3,
    }).newest({ bucket: BACKUP_BUCKET, prefix: BACKUP_PREFIX });
    expect(cut).toMatchObject({ seen: 3, complete: false, newest: { name: `${BACKUP_PREFIX}a-0.sql.gz` } });
  });
});

describe('a backup lane on Cloud SQL', () => {
  const config = () => lanesConfig({ backupFrom: 'cloud-sql' });

  it("passes on the newest successful backup run's end time, and names a later failed run", async () => {
    world.seedLanes();
    world.sql.addBackupRun(PROJECT, SQL_INSTANCE, {
      endTime: new Date(Date.now() - 30 * HOUR).toISOString(),
    });
    const fresh = world.sql.addBackupRun(PROJECT, SQL_INSTANCE, {
      type: 'ON_DEMAND',
      endTime: new Date(Date.now() - 3 * HOUR).toISOString(),
    });
    const failed = world.sql.addBackupRun(PROJECT, SQL_INSTANCE, {
      status: 'FAILED',
      error: 'Backup failed: disk full',
      endTime: new Date(Date.now() - HOUR).toISOString(),
    });
    const run = await world.run({ ...LEGACY, config: config() });
    const row = rowOf(run);
    expect(row.status).toBe('pass');
    expect(row.observed).toMatch(
      new RegExp(
        `^backup run ${fresh} \\(ON_DEMAND\\) ended \\S+Z, (2h59m|3h) old; latest run ${failed} FAILED: Backup failed: disk full$`,
      ),
    );
    expect(row.evidence).toBe(
      `gcloud sql backups list --instance '${SQL_INSTANCE}' --project '${PROJECT}' --limit 20`,
    );
  });

  it('fails when the newest successful run is too old or none succeeded, and errors on an unknown instance', async () => {
    world.seedLanes();
    world.sql.addBackupRun(PROJECT, SQL_INSTANCE, {
      endTime: new Date(Date.now() - 49 * HOUR).toISOString(),
    });
    let run = await world.run({ ...LEGACY, config: config() });
    expect(rowOf(run)).toMatchObject({
      status: 'fail',
      reason: 'the newest successful backup is older than 1d',
    });
    expect(rowOf(run).observed).toMatch(/, 2d(59m|1h) old$/);

    world.sql.reset();
    world.sql.addBackupRun(PROJECT, SQL_INSTANCE, { status: 'FAILED', error: 'disk full' });
    run = await world.run({ ...LEGACY, config: config() });
    expect(rowOf(run)).toMatchObject({
      status: 'fail',
      reason: `no successful run among the latest 1 of ${SQL_INSTANCE}`,
    });

    world.sql.reset();
    run = await world.run({ ...LEGACY, config: config() });
    expect(rowOf(run).status).toBe('error');
    expect(rowOf(run).reason).toContain('The Cloud SQL instance does not exist.');
  });
});
