import { inspect } from 'node:util';
import { beforeEach, describe, expect, it } from 'vitest';
import { createGithubTwin, GITHUB_TWIN_ORIGIN, GITHUB_TWIN_TOKEN } from '../../sandbox/twins/github/index.ts';
import { createStorageTwin } from '../../sandbox/twins/storage/index.ts';
import { reportsConfig } from '../../src/config/environments.ts';
import {
  combinedSink,
  createGcsSink,
  createGithubSink,
  type GithubSinkOptions,
  gitBlobSha,
  reportSinkOf,
} from '../../src/platform/reports/index.ts';
import { createSecretResolver } from '../../src/platform/secret-manager/index.ts';
import { PlatformError } from '../../src/runbooks/ports/errors.ts';
import type { ReportFile, ReportSink } from '../../src/runbooks/ports/report-sink.ts';
import { useTwins } from '../helpers/msw.ts';

// The report sinks through the real client libraries (@google-cloud/storage, @octokit/rest) against the
// Cloud Storage and GitHub twins, which answer in the services' REST shapes.

const BUCKET = 'acme-shiftgate-reports';
const REPO = 'acme/openagents';
const storage = createStorageTwin({ buckets: [BUCKET] });
const github = createGithubTwin({ repos: [REPO] });
useTwins(...storage.handlers, ...github.handlers);

const google = { projectId: 'p', endpoint: { host: 'storage.twin', port: 80, protocol: 'http' as const } };
const RUN = 'c-20261130T051500-3fa2';
const AT = '2026-11-30T05:31:02.000Z';
const summary: ReportFile = {
  runId: RUN,
  name: 'summary.json',
  content: `${JSON.stringify({ rolloutId: RUN, success: true }, null, 2)}\n`,
  contentType: 'application/json',
  at: AT,
};
const markdown: ReportFile = {
  runId: RUN,
  name: 'SUMMARY.md',
  content: '# control canary v1.42.0\n\nPassed.\n',
  contentType: 'text/markdown; charset=utf-8',
  at: AT,
};

const failureOf = async (promise: Promise<unknown>) => {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(PlatformError);
  return error as PlatformError;
};

beforeEach(() => {
  storage.reset();
  github.reset();
});

describe('Cloud Storage sink', () => {
  const sink = () =>
    createGcsSink({ target: google, bucket: BUCKET, prefix: 'shiftgate-reports/', maxRetries: 0 });

  it('puts each file as <prefix><runId>/<name>, lists the run and reads a file back', async () => {
    const gcs = sink();
    const stored = await gcs.put(summary);
    expect(stored).toEqual({
      url: `https://storage.cloud.google.com/${BUCKET}/shiftgate-reports/${RUN}/summary.json`,
      where: `gs://${BUCKET}/shiftgate-reports/${RUN}/summary.json`,
    });
    await gcs.put(markdown);

    const object = storage.object(BUCKET, `shiftgate-reports/${RUN}/summary.json`);
    expect(object).toMatchObject({
      text: summary.content,
      contentType: 'application/json',
      metadata: { runId: RUN, at: AT, writer: 'shiftgate' },
    });
    // One multipart upload per file, as the library sends a small non-resumable write.
    const uploads = storage.recorder.requests.filter((r) => r.method === 'POST');
    expect(uploads).toHaveLength(2);
    expect(uploads[0]?.path).toContain('uploadType=multipart');

    expect(await gcs.list(RUN)).toEqual([
      {
        name: 'SUMMARY.md',
        url: `https://storage.cloud.google.com/${BUCKET}/shiftgate-reports/${RUN}/SUMMARY.md`,
      },
      {
        name: 'summary.json',
        url: `https://storage.cloud.google.com/${BUCKET}/shiftgate-reports/${RUN}/summary.json`,
      },
    ]);
    expect(await gcs.get(RUN, 'SUMMARY.md')).toBe(markdown.content);
    expect(await gcs.get(RUN, 'results.tsv')).toBeUndefined();
    expect(await gcs.list('c-20200101T000000-0000')).toEqual([]);
  });

  it('a redriven put leaves one object with the same content and answers the same place', async () => {
    const gcs = sink();
    const first = await gcs.put(summary);
    const again = await gcs.put(summary);
    expect(again).toEqual(first);
    expect(storage.names(BUCKET)).toEqual([`shiftgate-reports/${RUN}/summary.json`]);
    expect(await gcs.get(RUN, 'summary.json')).toBe(summary.content);
  });

  it('maps Cloud Storage errors to PlatformErrors of system reports', async () => {
    const missing = await failureOf(
      createGcsSink({ target: google, bucket: 'no-such-bucket', maxRetries: 0 }).put(summary),
    );
    expect(missing).toMatchObject({ system: 'reports', kind: 'not-found' });
    expect(missing.message).toMatch(
      /gs:\/\/no-such-bucket\/shiftgate-reports\/.*The specified bucket does not exist/,
    );
    // Reading from a missing bucket is an error too, not a missing report.
    await expect(
      createGcsSink({ target: google, bucket: 'no-such-bucket', maxRetries: 0 }).get(RUN, 'summary.json'),
    ).rejects.toMatchObject({
      kind: 'not-found',
    });

    storage.deny(BUCKET, 'storage.objects.create');
    const denied = await failureOf(sink().put(summary));
    expect(denied).toMatchObject({ kind: 'permission-denied' });
    expect(denied.message).toMatch(/roles\/storage\.objectUser/);

    storage.reset();
    storage.recorder.inject({ match: 'GET /storage/v1/b/', status: 503 });
    await expect(sink().list(RUN)).rejects.toMatchObject({ kind: 'unavailable' });
  });

  it('refuses an upload whose stored bytes do not hash as sent', async () => {
    storage.recorder.inject({ match: `POST /upload/storage/v1/b/${BUCKET}/o`, kind: 'bad-hash' });
    const error = await failureOf(sink().put(summary));
    expect(error.kind).toBe('verify-failed');
    // The library deletes what it could not verify.
    expect(storage.names(BUCKET)).toEqual([]);
  });

  it('refuses run ids and names that would leave their folder', async () => {
    await expect(sink().put({ ...summary, runId: '..' })).rejects.toMatchObject({ kind: 'invalid' });
    await expect(sink().get(RUN, '../x')).rejects.toMatchObject({ kind: 'invalid' });
    expect(storage.recorder.requests).toHaveLength(0);
  });
});

describe('GitHub sink', () => {
  const sink = (options: Partial<GithubSinkOptions> = {}) =>
    createGithubSink({
      repo: REPO,
      token: GITHUB_TWIN_TOKEN,
      tokenSource: 'env:GITHUB_REPORTS_TOKEN',
      baseUrl: GITHUB_TWIN_ORIGIN,
      ...options,
    });
  const path = (name: string) => `docs/reports/${RUN}/${name}`;

  it('commits each file to <path>/<runId>/<name> on the branch, lists and reads it', async () => {
    const gh = sink();
    const stored = await gh.put(summary);
    expect(stored).toEqual({
      url: `https://github.com/${REPO}/blob/main/${path('summary.json')}`,
      where: `github ${REPO} main:${path('summary.json')}`,
    });
    await gh.put(markdown);
    expect(github.file(REPO, path('summary.json'))).toBe(summary.content);
    expect(github.history(REPO)[0]).toMatch(new RegExp(`^Evidence report ${RUN}: SUMMARY.md\\n\\n.*${AT}`));
    expect(github.pulls(REPO)).toEqual([]);

    expect(await gh.list(RUN)).toEqual([
      { name: 'SUMMARY.md', url: `https://github.com/${REPO}/blob/main/${path('SUMMARY.md')}` },
      { name: 'summary.json', url: `https://github.com/${REPO}/blob/main/${path('summary.json')}` },
    ]);
    expect(await gh.get(RUN, 'summary.json')).toBe(summary.content);
    expect(await gh.get(RUN, 'results.tsv')).toBeUndefined();
    // The token travels as GitHub expects it.
    expect(github.recorder.requests[0]?.headers.authorization).toBe(`token ${GITHUB_TWIN_TOKEN}`);
  });

  it('updates an existing file with its blob sha', async () => {
    const gh = sink();
    await gh.put(summary);
    const changed = { ...summary, content: '{"success": false}\n' };
    await gh.put(changed);
    expect(github.file(REPO, path('summary.json'))).toBe(changed.content);
    const puts = github.recorder.requests.filter((r) => r.method === 'PUT');
    expect(puts).toHaveLength(2);
    expect(puts[0]?.body).not.toHaveProperty('sha');
    expect(puts[1]?.body).toMatchObject({ sha: gitBlobSha(summary.content), branch: 'main' });
  });

  it('a redriven put commits nothing new and answers the same place', async () => {
    const gh = sink();
    const first = await gh.put(summary);
    const commits = github.history(REPO).length;
    expect(await gh.put(summary)).toEqual(first);
    expect(github.history(REPO)).toHaveLength(commits);
    expect(github.recorder.requests.filter((r) => r.method === 'PUT')).toHaveLength(1);
  });

  it('reads the sha again when another writer changed the file in between', async () => {
    const gh = sink();
    await gh.put(summary);
    github.recorder.inject({
      match: `PUT /repos/${REPO}/contents/`,
      status: 409,
      message: `${path('summary.json')} does not match abc`,
    });
    await gh.put({ ...summary, content: 'second\n' });
    expect(github.file(REPO, path('summary.json'))).toBe('second\n');
  });

  it('opens a pull request from shiftgate/report-<runId> when the branch is protected', async () => {
    github.protect(REPO, 'main');
    const gh = sink();
    const first = await gh.put(summary);
    const second = await gh.put(markdown);
    expect(first.url).toBe(`https://github.com/${REPO}/pull/1`);
    expect(second.url).toBe(first.url);
    expect(first.where).toBe(
      `github ${REPO} pull request #1 (shiftgate/report-${RUN} into main):${path('summary.json')}`,
    );
    // Both files on the report branch, none on main, one pull request for the run.
    expect(github.file(REPO, path('summary.json'), `shiftgate/report-${RUN}`)).toBe(summary.content);
    expect(github.file(REPO, path('SUMMARY.md'), `shiftgate/report-${RUN}`)).toBe(markdown.content);
    expect(github.file(REPO, path('summary.json'))).toBeUndefined();
    const pulls = github.pulls(REPO);
    expect(pulls).toHaveLength(1);
    expect(pulls[0]).toMatchObject({ head: `shiftgate/report-${RUN}`, base: 'main', state: 'open' });
    expect(pulls[0]?.body).toMatch(/refuses direct commits: Could not update file/);

    // Readable before the merge, from the report branch.
    expect((await gh.list(RUN)).map((f) => f.name)).toEqual(['SUMMARY.md', 'summary.json']);
    expect(await gh.get(RUN, 'SUMMARY.md')).toBe(markdown.content);

    // Merged, branch deleted: read from main; a redriven put opens nothing and answers the file on main.
    github.merge(REPO, 1, { deleteBranch: true });
    expect(await gh.get(RUN, 'summary.json')).toBe(summary.content);
    expect(await gh.put(summary)).toEqual({
      url: `https://github.com/${REPO}/blob/main/${path('summary.json')}`,
      where: `github ${REPO} main:${path('summary.json')}`,
    });
    expect(github.pulls(REPO)).toHaveLength(1);
  });

  it('recognises a protection refusal worded for required status checks', async () => {
    github.protect(REPO, 'main', '2 of 2 required status checks are expected.');
    expect((await sink().put(summary)).url).toBe(`https://github.com/${REPO}/pull/1`);
  });

  it('a redriven put into an open pull request reuses its branch and pull request', async () => {
    github.protect(REPO, 'main');
    const gh = sink();
    const first = await gh.put(summary);
    // Another replica, another sink instance: same branch, same pull request, no new commit.
    const commits = github.history(REPO, `shiftgate/report-${RUN}`).length;
    expect(await sink().put(summary)).toEqual(first);
    expect(github.history(REPO, `shiftgate/report-${RUN}`)).toHaveLength(commits);
    expect(github.pulls(REPO)).toHaveLength(1);
  });

  it('pullRequest always: a pull request even where main takes commits', async () => {
    const gh = sink({ pullRequest: 'always' });
    const stored = await gh.put(summary);
    expect(stored.url).toBe(`https://github.com/${REPO}/pull/1`);
    expect(github.file(REPO, path('summary.json'))).toBeUndefined();
    expect(github.pulls(REPO)[0]?.body).toMatch(/pullRequest is "always"/);
    // Never a direct write attempt on main.
    expect(github.recorder.requests.filter((r) => r.method === 'PUT').map((r) => r.body)).toEqual([
      expect.objectContaining({ branch: `shiftgate/report-${RUN}` }),
    ]);
  });

  it('pullRequest never: a protected branch is an error that says what to change', async () => {
    github.protect(REPO, 'main');
    const error = await failureOf(sink({ pullRequest: 'never' }).put(summary));
    expect(error).toMatchObject({ system: 'reports', kind: 'permission-denied' });
    expect(error.message).toMatch(/refuses direct commits.*pullRequest to auto/);
    expect(Object.keys(github.branches(REPO))).toEqual(['main']);
  });

  it('never puts the token in an error', async () => {
    const token = 'ghp_secretTokenThatMustNotLeak1234';
    const rejected = await failureOf(sink({ token }).put(summary));
    expect(rejected).toMatchObject({ kind: 'unauthorized' });
    expect(rejected.message).toMatch(/Bad credentials.*env:GITHUB_REPORTS_TOKEN/);

    github.setToken(token, 'read');
    const readOnly = await failureOf(sink({ token }).put(summary));
    expect(readOnly).toMatchObject({ kind: 'permission-denied' });
    expect(readOnly.message).toMatch(/contents:write/);

    // A server that echoes the credential in its answer.
    github.setToken(token, 'write');
    github.recorder.inject({ match: 'GET /repos/', status: 500, message: `upstream refused token ${token}` });
    const echoed = await failureOf(sink({ token }).get(RUN, 'summary.json'));
    expect(echoed.kind).toBe('unavailable');

    for (const error of [rejected, readOnly, echoed]) {
      expect(error.message).not.toContain(token);
      expect(inspect(error, { depth: null })).not.toContain(token);
      expect(JSON.stringify(error)).not.toContain(token);
    }
  });

  it('bounds each request', async () => {
    github.recorder.inject({ match: 'GET /repos/', delayMs: 2_000 });
    const error = await failureOf(sink({ timeoutMs: 50 }).get(RUN, 'summary.json'));
    expect(error).toMatchObject({
      kind: 'timeout',
      message: expect.stringMatching(/no answer within 50 ms/),
    });
  });

  it('a missing repository is an error, not a missing report', async () => {
    const error = await failureOf(sink({ repo: 'acme/nope' }).get(RUN, 'summary.json'));
    expect(error).toMatchObject({ kind: 'not-found' });
    expect(error.message).toMatch(/no repository acme\/nope/);
    await expect(sink({ repo: 'acme/nope' }).list(RUN)).rejects.toMatchObject({ kind: 'not-found' });
  });
});

describe('reportSinkOf and the combined sink', () => {
  const secrets = createSecretResolver({ env: { GITHUB_REPORTS_TOKEN: GITHUB_TWIN_TOKEN } });
  const deps = { google, secrets, githubBaseUrl: GITHUB_TWIN_ORIGIN, gcs: { maxRetries: 0 } };
  const both = reportsConfig.parse({
    gcs: { bucket: BUCKET },
    github: { repo: REPO, token: 'env:GITHUB_REPORTS_TOKEN' },
  });

  it('builds nothing for an environment without reports', async () => {
    expect(await reportSinkOf(undefined, deps)).toBeUndefined();
  });

  it('writes to Cloud Storage and GitHub with the defaults, and answers every copy', async () => {
    const sink = (await reportSinkOf(both, deps)) as ReportSink;
    const stored = await sink.put(summary);
    expect(stored.all).toEqual([
      {
        url: `https://storage.cloud.google.com/${BUCKET}/shiftgate-reports/${RUN}/summary.json`,
        where: `gs://${BUCKET}/shiftgate-reports/${RUN}/summary.json`,
      },
      {
        url: `https://github.com/${REPO}/blob/main/docs/reports/${RUN}/summary.json`,
        where: `github ${REPO} main:docs/reports/${RUN}/summary.json`,
      },
    ]);
    expect(stored.url).toBe(stored.all?.[0]?.url);
    expect(stored.failed).toBeUndefined();
    expect(await sink.list(RUN)).toEqual([
      {
        name: 'summary.json',
        url: `https://storage.cloud.google.com/${BUCKET}/shiftgate-reports/${RUN}/summary.json`,
      },
    ]);
  });

  it('keeps what one sink took when the other fails, and reads from whichever has it', async () => {
    const sink = (await reportSinkOf(both, deps)) as ReportSink;
    storage.deny(BUCKET, 'storage.objects.create');
    const stored = await sink.put(summary);
    expect(stored.all?.map((s) => s.where)).toEqual([`github ${REPO} main:docs/reports/${RUN}/summary.json`]);
    expect(stored.failed).toEqual([expect.stringMatching(/^Cloud Storage: writing gs:\/\/.*permission/i)]);
    expect(await sink.get(RUN, 'summary.json')).toBe(summary.content);

    github.revokeToken(GITHUB_TWIN_TOKEN);
    await expect(sink.put(markdown)).rejects.toThrow(
      /no report sink kept .*SUMMARY\.md: Cloud Storage.* \| GitHub/,
    );
  });

  it('a combined read that found nothing anywhere but met an error says so', async () => {
    const failing: ReportSink = {
      put: () => Promise.reject(new Error('down')),
      list: () => Promise.reject(new Error('down')),
      get: () => Promise.reject(new Error('down')),
    };
    const empty: ReportSink = { put: failing.put, list: async () => [], get: async () => undefined };
    await expect(combinedSink([empty, failing]).get(RUN, 'x')).rejects.toThrow('down');
    expect(await combinedSink([empty, failing]).list(RUN)).toEqual([]);
  });

  it('rejects naming the reference when the GitHub token cannot be resolved', async () => {
    await expect(reportSinkOf(both, { ...deps, secrets: createSecretResolver({ env: {} }) })).rejects.toThrow(
      /env:GITHUB_REPORTS_TOKEN/,
    );
  });
});
