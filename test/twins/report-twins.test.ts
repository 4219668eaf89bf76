import { Storage } from '@google-cloud/storage';
import { Octokit } from '@octokit/rest';
import { beforeEach, describe, expect, it } from 'vitest';
import { createGithubTwin, GITHUB_TWIN_ORIGIN, GITHUB_TWIN_TOKEN } from '../../sandbox/twins/github/index.ts';
import { createStorageTwin, STORAGE_TWIN_ORIGIN } from '../../sandbox/twins/storage/index.ts';
import { gitBlobSha } from '../../src/platform/reports/index.ts';
import { useTwins } from '../helpers/msw.ts';

// The Cloud Storage and GitHub twins on their own: the REST shapes a client meets, including the error
// bodies, through plain HTTP and through the real client libraries.

const storage = createStorageTwin({ buckets: ['b'] });
const github = createGithubTwin({ repos: ['o/r'] });
useTwins(...storage.handlers, ...github.handlers);

beforeEach(() => {
  storage.reset();
  github.reset();
});

describe('Cloud Storage twin', () => {
  const client = () =>
    new Storage({ projectId: 'p', apiEndpoint: STORAGE_TWIN_ORIGIN, retryOptions: { autoRetry: false } });

  it('takes a media upload and answers the object resource, then the bytes with x-goog-hash', async () => {
    const upload = await fetch(
      `${STORAGE_TWIN_ORIGIN}/upload/storage/v1/b/b/o?uploadType=media&name=a%2Fb.txt`,
      {
        method: 'POST',
        headers: { 'content-type': 'text/plain' },
        body: 'hello',
      },
    );
    expect(upload.status).toBe(200);
    const resource = (await upload.json()) as { generation: string };
    expect(resource).toMatchObject({
      kind: 'storage#object',
      name: 'a/b.txt',
      bucket: 'b',
      contentType: 'text/plain',
      size: '5',
      md5Hash: 'XUFAKrxLKna5cZ2REBfFkg==',
      crc32c: 'mnG7TA==',
    });
    expect(resource.generation).toMatch(/^\d+$/);

    const media = await fetch(`${STORAGE_TWIN_ORIGIN}/storage/v1/b/b/o/a%2Fb.txt?alt=media`);
    expect(await media.text()).toBe('hello');
    expect(media.headers.get('x-goog-hash')).toBe('crc32c=mnG7TA==,md5=XUFAKrxLKna5cZ2REBfFkg==');
    // The client library reads the same through its own download path, checking the hashes.
    const [bytes] = await client().bucket('b').file('a/b.txt').download();
    expect(bytes.toString()).toBe('hello');
  });

  it('answers a missing object and a missing bucket in the JSON API error shape', async () => {
    const missing = await fetch(`${STORAGE_TWIN_ORIGIN}/storage/v1/b/b/o/nope`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({
      error: {
        code: 404,
        message: 'No such object: b/nope',
        errors: [{ message: 'No such object: b/nope', domain: 'global', reason: 'notFound' }],
      },
    });
    const [exists] = await client().bucket('b').file('nope').exists();
    expect(exists).toBe(false);
    const error = await client()
      .bucket('other')
      .file('x')
      .getMetadata()
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 404, message: 'The specified bucket does not exist.' });
  });

  it('lists by prefix in pages, and honours ifGenerationMatch', async () => {
    for (const name of ['r/1', 'r/2', 'r/3', 's/1']) storage.putObject('b', name, name);
    const bucket = client().bucket('b');
    const [first, next] = await bucket.getFiles({ prefix: 'r/', maxResults: 2, autoPaginate: false });
    expect(first.map((f) => f.name)).toEqual(['r/1', 'r/2']);
    const [rest] = await bucket.getFiles({ ...(next as object), autoPaginate: false });
    expect(rest.map((f) => f.name)).toEqual(['r/3']);

    const refused = await bucket
      .file('r/1')
      .save('again', { resumable: false, preconditionOpts: { ifGenerationMatch: 0 } })
      .catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: 412 });
    expect(storage.object('b', 'r/1')?.text).toBe('r/1');
  });

  it('records requests and injects faults in Cloud Storage error shape', async () => {
    storage.recorder.inject({ match: 'GET /storage/v1/b/b/o', status: 429 });
    const answer = await fetch(`${STORAGE_TWIN_ORIGIN}/storage/v1/b/b/o`);
    expect(answer.status).toBe(429);
    expect(await answer.json()).toMatchObject({
      error: { code: 429, errors: [{ reason: 'rateLimitExceeded' }] },
    });
    expect(storage.recorder.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['GET /storage/v1/b/b/o']);
  });
});

describe('GitHub twin', () => {
  const octokit = (auth = GITHUB_TWIN_TOKEN) =>
    new Octokit({ auth, baseUrl: GITHUB_TWIN_ORIGIN, log: { debug() {}, info() {}, warn() {}, error() {} } });
  const repo = { owner: 'o', repo: 'r' };
  const failed = (promise: Promise<unknown>) =>
    promise.then(
      () => {
        throw new Error('expected a refusal');
      },
      (e: { status: number; response: { data: unknown } }) => ({ status: e.status, data: e.response.data }),
    );

  it('creates and updates files with their blob sha, and lists folders', async () => {
    const content = Buffer.from('one\n').toString('base64');
    const created = await octokit().rest.repos.createOrUpdateFileContents({
      ...repo,
      path: 'docs/a.md',
      message: 'add',
      content,
    });
    expect(created.status).toBe(201);
    expect(created.data.content?.sha).toBe(gitBlobSha('one\n'));
    expect(created.data.commit.message).toBe('add');

    expect(
      await failed(
        octokit().rest.repos.createOrUpdateFileContents({
          ...repo,
          path: 'docs/a.md',
          message: 'm',
          content,
        }),
      ),
    ).toEqual({
      status: 422,
      data: expect.objectContaining({
        message: 'Invalid request.\n\n"sha" wasn\'t supplied.',
        status: '422',
      }),
    });
    expect(
      await failed(
        octokit().rest.repos.createOrUpdateFileContents({
          ...repo,
          path: 'docs/a.md',
          message: 'm',
          content,
          sha: 'abc',
        }),
      ),
    ).toEqual({ status: 409, data: expect.objectContaining({ message: 'docs/a.md does not match abc' }) });

    const updated = await octokit().rest.repos.createOrUpdateFileContents({
      ...repo,
      path: 'docs/a.md',
      message: 'update',
      content: Buffer.from('two\n').toString('base64'),
      sha: gitBlobSha('one\n'),
    });
    expect(updated.status).toBe(200);
    const file = await octokit().rest.repos.getContent({ ...repo, path: 'docs/a.md' });
    expect(file.data).toMatchObject({
      type: 'file',
      encoding: 'base64',
      sha: gitBlobSha('two\n'),
      path: 'docs/a.md',
    });
    const folder = await octokit().rest.repos.getContent({ ...repo, path: 'docs' });
    expect(folder.data).toEqual([
      expect.objectContaining({
        type: 'file',
        name: 'a.md',
        html_url: 'https://github.com/o/r/blob/main/docs/a.md',
      }),
    ]);
    expect(github.history('o/r')).toEqual(['update', 'add', 'Initial commit']);
  });

  it('refuses direct writes to a protected branch as GitHub does', async () => {
    github.protect('o/r', 'main');
    const content = Buffer.from('x').toString('base64');
    expect(
      await failed(
        octokit().rest.repos.createOrUpdateFileContents({ ...repo, path: 'a', message: 'm', content }),
      ),
    ).toEqual({
      status: 409,
      data: {
        message: 'Could not update file: Changes must be made through a pull request.',
        documentation_url: 'https://docs.github.com/articles/about-protected-branches',
        status: '409',
      },
    });
    const branch = await octokit().rest.repos.getBranch({ ...repo, branch: 'main' });
    expect(branch.data.protected).toBe(true);
  });

  it("creates refs and pull requests, refusing duplicates with GitHub's errors", async () => {
    const main = await octokit().rest.git.getRef({ ...repo, ref: 'heads/main' });
    await octokit().rest.git.createRef({ ...repo, ref: 'refs/heads/topic', sha: main.data.object.sha });
    expect(
      await failed(
        octokit().rest.git.createRef({ ...repo, ref: 'refs/heads/topic', sha: main.data.object.sha }),
      ),
    ).toEqual({
      status: 422,
      data: expect.objectContaining({ message: 'Reference already exists' }),
    });
    const nothing = await failed(
      octokit().rest.pulls.create({ ...repo, title: 't', head: 'topic', base: 'main' }),
    );
    expect(nothing).toEqual({
      status: 422,
      data: expect.objectContaining({
        message: 'Validation Failed',
        errors: [{ resource: 'PullRequest', code: 'custom', message: 'No commits between main and topic' }],
      }),
    });
    await octokit().rest.repos.createOrUpdateFileContents({
      ...repo,
      path: 'x',
      message: 'm',
      content: Buffer.from('x').toString('base64'),
      branch: 'topic',
    });
    const pull = await octokit().rest.pulls.create({ ...repo, title: 't', head: 'topic', base: 'main' });
    expect(pull.data).toMatchObject({
      number: 1,
      state: 'open',
      html_url: 'https://github.com/o/r/pull/1',
      head: { ref: 'topic' },
    });
    expect(
      (await failed(octokit().rest.pulls.create({ ...repo, title: 't', head: 'topic', base: 'main' }))).data,
    ).toMatchObject({
      errors: [{ message: 'A pull request already exists for o:topic.' }],
    });
    const open = await octokit().rest.pulls.list({ ...repo, state: 'open', head: 'o:topic' });
    expect(open.data.map((p) => p.number)).toEqual([1]);
    github.merge('o/r', 1);
    expect(github.file('o/r', 'x')).toBe('x');
    expect(github.pulls('o/r')[0]).toMatchObject({ state: 'closed', merged: true });
  });

  it('answers 401 for an unknown token and 404 for a repository it cannot see', async () => {
    expect(await failed(octokit('nope').rest.repos.get(repo))).toEqual({
      status: 401,
      data: { message: 'Bad credentials', documentation_url: 'https://docs.github.com/rest', status: '401' },
    });
    expect((await failed(octokit().rest.repos.get({ owner: 'o', repo: 'hidden' }))).status).toBe(404);
  });
});
