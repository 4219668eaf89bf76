import { describe, expect, it } from 'vitest';
import { environment, reportsConfig } from '../../src/config/environments.ts';

// The `reports` block of an environment: where evidence reports are kept beyond Redis.

describe('reports config', () => {
  it('fills in the documented defaults', () => {
    expect(
      reportsConfig.parse({
        gcs: { bucket: 'acme-shiftgate-reports' },
        github: { repo: 'acme/openagents', token: 'sm://projects/p/secrets/gh-reports/versions/latest' },
      }),
    ).toEqual({
      gcs: { bucket: 'acme-shiftgate-reports', prefix: 'shiftgate-reports/' },
      github: {
        repo: 'acme/openagents',
        branch: 'main',
        path: 'docs/reports',
        pullRequest: 'auto',
        token: {
          source: 'secret-manager',
          name: 'projects/p/secrets/gh-reports/versions/latest',
          ref: 'sm://projects/p/secrets/gh-reports/versions/latest',
        },
      },
    });
  });

  it('normalises folders: a bucket prefix ends with a slash, a repository path has none at either end', () => {
    const parsed = reportsConfig.parse({
      gcs: { bucket: 'b-1', prefix: 'evidence' },
      github: { repo: 'o/r', path: '/apps/openagents.com/service/docs/reports/', token: 'env:GH_TOKEN' },
    });
    expect(parsed.gcs?.prefix).toBe('evidence/');
    expect(parsed.github?.path).toBe('apps/openagents.com/service/docs/reports');
    expect(reportsConfig.parse({ gcs: { bucket: 'b-1', prefix: '' } }).gcs?.prefix).toBe('');
  });

  it('refuses an empty block, a gs:// bucket, a bad repo and a plain token', () => {
    const issues = (value: unknown) =>
      reportsConfig.safeParse(value).error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    expect(issues({})).toEqual([expect.stringMatching(/expected gcs, github or both/)]);
    expect(issues({ gcs: { bucket: 'gs://b' } })).toEqual([
      expect.stringMatching(/^gcs.bucket: .*no gs:\/\//),
    ]);
    expect(issues({ github: { repo: 'openagents', token: 'env:T' } })).toEqual([
      'github.repo: expected "owner/name"',
    ]);
    expect(issues({ github: { repo: 'o/r', token: 'ghp_plainToken' } })).toEqual([
      expect.stringMatching(/^github.token: .*never put a token itself in the config file/),
    ]);
    expect(issues({ github: { repo: 'o/r', token: 'env:T', pullRequest: 'sometimes' } })?.[0]).toMatch(
      /^github.pullRequest/,
    );
  });

  it('is optional on an environment', () => {
    const base = { deployers: { users: ['U1AAAA'] }, approval: { approvers: { users: ['U2BBBB'] } } };
    expect(environment.parse(base).reports).toBeUndefined();
    expect(environment.parse({ ...base, reports: { gcs: { bucket: 'b-1' } } }).reports?.gcs?.bucket).toBe(
      'b-1',
    );
  });
});
