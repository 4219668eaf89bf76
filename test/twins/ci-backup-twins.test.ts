import { afterAll, describe, expect, it } from 'vitest';
import { createCloudBuildTwin } from '../../sandbox/twins/cloud-build/index.ts';
import { createCloudSqlTwin } from '../../sandbox/twins/cloud-sql/index.ts';
import { createCloudBuild } from '../../src/platform/cloud-build/index.ts';
import { createCloudSql } from '../../src/platform/cloud-sql/index.ts';
import { PlatformError } from '../../src/runbooks/ports/errors.ts';
import { useTwins } from '../helpers/msw.ts';

// The Cloud Build and Cloud SQL twins through the real client libraries (REST): never kinder than the
// services (a filter they cannot parse is refused, lists are paged, errors in Google's shape), and the
// adapters read them as production reads Google.

const builds = createCloudBuildTwin();
const sql = createCloudSqlTwin();
useTwins(...builds.handlers, ...sql.handlers);
const google = (host: string) => ({
  projectId: 'p',
  endpoint: { host, port: 80, protocol: 'http' as const },
});
const cloudBuild = createCloudBuild({ google: google('cloudbuild.twin'), retryDelayMs: 1 });
const cloudSql = createCloudSql({ google: google('sqladmin.twin'), retryDelayMs: 1 });
afterAll(async () => {
  await Promise.all([cloudBuild.close(), cloudSql.close()]);
});

describe('the Cloud Build twin', () => {
  it('answers the newest builds of one location matching the filter, statuses by name', async () => {
    builds.reset();
    const old = builds.addBuild({ project: 'p', tags: ['t'], status: 'SUCCESS' });
    const other = builds.addBuild({ project: 'p', tags: ['other'], status: 'SUCCESS' });
    const newest = builds.addBuild({ project: 'p', tags: ['t', 'x'] });
    builds.setStatus(newest, 'TIMEOUT', 'build timed out');
    builds.addBuild({ project: 'p', location: 'europe-west1', tags: ['t'], status: 'SUCCESS' });
    const found = await cloudBuild.listBuilds({
      project: 'p',
      location: 'global',
      filter: 'tags="t"',
      limit: 5,
    });
    expect(found.map((b) => [b.id, b.status])).toEqual([
      [newest, 'TIMEOUT'],
      [old, 'SUCCESS'],
    ]);
    expect(found[0]).toMatchObject({ statusDetail: 'build timed out', tags: ['t', 'x'] });
    expect(found.map((b) => b.id)).not.toContain(other);
    const limited = await cloudBuild.listBuilds({
      project: 'p',
      location: 'global',
      filter: 'tags="t"',
      limit: 1,
    });
    expect(limited.map((b) => b.id)).toEqual([newest]);
  });

  it('refuses a filter it cannot parse as Cloud Build does, with 400', async () => {
    const error = await cloudBuild
      .listBuilds({ project: 'p', location: 'global', filter: 'tags="t" OR tags="u"', limit: 5 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PlatformError);
    expect(error).toMatchObject({ kind: 'invalid', system: 'cloud-build' });
    const unknown = await cloudBuild
      .listBuilds({ project: 'p', location: 'global', filter: 'colour="blue"', limit: 5 })
      .catch((e: unknown) => e);
    expect((unknown as Error).message).toContain('unsupported field "colour"');
    // Substitutions are not among the fields the API evaluates (gcloud filters them itself).
    const substitution = await cloudBuild
      .listBuilds({ project: 'p', location: 'global', filter: 'substitutions.COMMIT_SHA="abc"', limit: 5 })
      .catch((e: unknown) => e);
    expect((substitution as Error).message).toContain('unsupported field "substitutions.COMMIT_SHA"');
  });
});

describe('the Cloud SQL twin', () => {
  it('pages backup runs newest first, enum values by name, ids as strings', async () => {
    sql.reset();
    const base = Date.parse('2026-11-01T00:00:00Z');
    for (let i = 0; i < 130; i++)
      sql.addBackupRun('p', 'db', { endTime: new Date(base + i * 3_600_000).toISOString() });
    const last = sql.addBackupRun('p', 'db', { status: 'FAILED', type: 'ON_DEMAND', error: 'disk full' });
    const runs = await cloudSql.backupRuns({ project: 'p', instance: 'db', limit: 120 });
    expect(runs).toHaveLength(120);
    expect(runs[0]).toMatchObject({ id: last, status: 'FAILED', type: 'ON_DEMAND', error: 'disk full' });
    expect(runs[1]).toMatchObject({
      status: 'SUCCESSFUL',
      type: 'AUTOMATED',
      endTime: '2026-11-06T09:00:00.000Z',
    });
    const pages = sql.recorder.requests.filter((r) => r.path.includes('/backupRuns'));
    expect(pages).toHaveLength(2);
    expect(pages[1]?.path).toContain('pageToken=');
  });

  it('answers 404 for an unknown instance and 403 for a denied one', async () => {
    sql.reset();
    await expect(cloudSql.backupRuns({ project: 'p', instance: 'nope', limit: 5 })).rejects.toMatchObject({
      kind: 'not-found',
      system: 'cloud-sql',
    });
    sql.createInstance('p', 'db');
    sql.deny('p', 'db');
    await expect(cloudSql.backupRuns({ project: 'p', instance: 'db', limit: 5 })).rejects.toMatchObject({
      kind: 'permission-denied',
      message: expect.stringContaining("grant the bot's service account roles/cloudsql.viewer"),
    });
  });
});
