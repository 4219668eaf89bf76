import { HttpResponse, http, type RequestHandler } from 'msw';
import { Recorder, sleep } from '../recorder.ts';
import {
  type CheckConclusion,
  CheckRunStore,
  type CheckStatus,
  checkRunsAnswer,
  type NewCheckRun,
} from './check-runs.ts';
import { blobSha, type Commit, type PullRequest, type Repo, RepoStore } from './repos.ts';

// GitHub's REST API (v3, as @octokit/rest calls it) for what the report sink uses:
//   GET  /repos/O/R                                  the repository (default_branch)
//   GET  /repos/O/R/contents/PATH?ref=               a file (base64 content, blob sha), a directory (array);
//                                                    Accept: application/vnd.github.raw -> the bytes
//   PUT  /repos/O/R/contents/PATH                    {message, content, sha?, branch?}: 201 created, 200 updated
//   GET  /repos/O/R/git/ref/heads/B, POST /repos/O/R/git/refs {ref, sha}
//   GET  /repos/O/R/branches/B                       {name, commit, protected}
//   GET|POST /repos/O/R/pulls, GET /repos/O/R/pulls/N
//   GET  /repos/O/R/commits/REF/check-runs?check_name=  check runs of a commit (the external-ci lane)
// GitHub's answers to what goes wrong: 401 "Bad credentials", 404 "Not Found" (also for a repository
// the token may not see), 403 for a read-only token, 409 "Could not update file: ..." on a protected
// branch and "PATH does not match SHA" on a stale sha, 422 `"sha" wasn't supplied.`, "Reference already
// exists", and "Validation Failed" with errors[] for pull requests. Bodies carry documentation_url and
// the status as a string, as GitHub's do.

export type TokenAccess = 'write' | 'read';

export interface GithubTwinOptions {
  /** The API base the client is given (Octokit's baseUrl). */
  origin?: string;
  /** Where html_url links point. */
  webOrigin?: string;
  /** Accepted tokens; default one write token, GITHUB_TWIN_TOKEN. */
  tokens?: Record<string, TokenAccess>;
  /** Repositories that exist from the start ('owner/name'), each with a README on main. */
  repos?: string[];
  now?: () => number;
}

export interface GithubTwin {
  handlers: RequestHandler[];
  /** Requests in order; faults {match: 'PUT /repos/o/r/contents', status: 502} answer GitHub's error body. */
  recorder: Recorder;
  createRepo(fullName: string, options?: { defaultBranch?: string; files?: Record<string, string> }): void;
  /**
   * Direct writes to the branch are refused with 409 "Could not update file: <reason>", as GitHub does
   * for a branch that requires pull requests, reviews or status checks.
   */
  protect(fullName: string, branch: string, reason?: string): void;
  unprotect(fullName: string, branch: string): void;
  /** A file's text at a branch or commit (default branch when left out), or undefined. */
  file(fullName: string, path: string, ref?: string): string | undefined;
  /** Paths at a branch (default branch when left out), sorted. */
  paths(fullName: string, ref?: string): string[];
  /** Branch -> head commit sha. */
  branches(fullName: string): Record<string, string>;
  /** Commit messages from the branch's head back to the first commit. */
  history(fullName: string, branch?: string): string[];
  pulls(fullName: string): PullRequest[];
  /** Merges an open pull request into its base, as a person would after review. */
  merge(fullName: string, number: number, options?: { deleteBranch?: boolean }): void;
  /** A check run on a commit, as a CI app creates it (queued unless given a status or conclusion); its id. */
  addCheckRun(fullName: string, run: NewCheckRun): number;
  /** Moves a check run on (in_progress; a conclusion completes it). */
  updateCheckRun(
    fullName: string,
    id: number,
    change: { status?: CheckStatus; conclusion?: CheckConclusion },
  ): void;
  setToken(token: string, access: TokenAccess): void;
  revokeToken(token: string): void;
  /** Back to the option's repositories and tokens; no requests, no faults. */
  reset(): void;
}

export const GITHUB_TWIN_ORIGIN = 'http://api.github.twin';
export const GITHUB_TWIN_TOKEN = 'ghp_twinTokenForShiftgateReports0000';

const DOCS = 'https://docs.github.com/rest';

function githubError(
  status: number,
  message: string,
  documentation = DOCS,
  extra: Record<string, unknown> = {},
) {
  return HttpResponse.json(
    { message, ...extra, documentation_url: documentation, status: String(status) },
    { status },
  );
}

const GENERIC: Record<number, string> = {
  401: 'Bad credentials',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  422: 'Validation Failed',
  500: 'Server Error',
  502: 'Server Error',
  503: 'Service Unavailable',
};

/** A percent-encoded path tail (Octokit encodes '/' in {path} as %2F) -> its text. */
const decoded = (raw: string) => raw.split('/').map(decodeURIComponent).join('/');

export function createGithubTwin(options: GithubTwinOptions = {}): GithubTwin {
  const origin = (options.origin ?? GITHUB_TWIN_ORIGIN).replace(/\/+$/, '');
  const web = (options.webOrigin ?? 'https://github.com').replace(/\/+$/, '');
  const now = options.now ?? Date.now;
  const store = new RepoStore(now);
  const checks = new CheckRunStore(now);
  const recorder = new Recorder();
  const initialTokens = options.tokens ?? { [GITHUB_TWIN_TOKEN]: 'write' };
  const tokens = new Map<string, TokenAccess>(Object.entries(initialTokens));
  const seed = () => {
    for (const repo of options.repos ?? []) store.create(repo);
  };
  seed();

  const repoOf = (fullName: string) => {
    const [owner = '', name = ''] = fullName.split('/');
    const repo = store.get(owner, name);
    if (!repo) throw new Error(`twin: no repository ${fullName}`);
    return repo;
  };

  const api = (repo: Repo) => `${origin}/repos/${repo.owner}/${repo.name}`;
  const html = (repo: Repo) => `${web}/${repo.owner}/${repo.name}`;

  function fileEntry(repo: Repo, path: string, ref: string, data: Buffer, withContent: boolean) {
    const sha = blobSha(data);
    const self = `${api(repo)}/contents/${path}?ref=${encodeURIComponent(ref)}`;
    const gitUrl = `${api(repo)}/git/blobs/${sha}`;
    const htmlUrl = `${html(repo)}/blob/${ref}/${path}`;
    return {
      type: 'file',
      ...(withContent
        ? { encoding: 'base64', content: (data.toString('base64').match(/.{1,60}/g) ?? ['']).join('\n') }
        : {}),
      size: data.length,
      name: path.split('/').pop(),
      path,
      sha,
      url: self,
      git_url: gitUrl,
      html_url: htmlUrl,
      download_url: `https://raw.githubusercontent.com/${repo.owner}/${repo.name}/${ref}/${path}`,
      _links: { self, git: gitUrl, html: htmlUrl },
    };
  }

  function dirEntry(repo: Repo, path: string, ref: string) {
    const self = `${api(repo)}/contents/${path}?ref=${encodeURIComponent(ref)}`;
    return {
      type: 'dir',
      size: 0,
      name: path.split('/').pop(),
      path,
      sha: blobSha(Buffer.from(`tree:${path}`)),
      url: self,
      git_url: null,
      html_url: `${html(repo)}/tree/${ref}/${path}`,
      download_url: null,
      _links: { self, git: null, html: `${html(repo)}/tree/${ref}/${path}` },
    };
  }

  function commitJson(repo: Repo, commit: Commit) {
    const person = { name: 'shiftgate', email: 'shiftgate@users.noreply.github.com', date: commit.at };
    return {
      sha: commit.sha,
      node_id: `C_${commit.sha.slice(0, 12)}`,
      url: `${api(repo)}/git/commits/${commit.sha}`,
      html_url: `${html(repo)}/commit/${commit.sha}`,
      author: person,
      committer: person,
      message: commit.message,
      tree: { sha: blobSha(Buffer.from(`tree:${commit.sha}`)), url: `${api(repo)}/git/trees/${commit.sha}` },
      parents: commit.parent
        ? [
            {
              sha: commit.parent,
              url: `${api(repo)}/git/commits/${commit.parent}`,
              html_url: `${html(repo)}/commit/${commit.parent}`,
            },
          ]
        : [],
      verification: { verified: false, reason: 'unsigned', signature: null, payload: null },
    };
  }

  function refJson(repo: Repo, branch: string, sha: string) {
    return {
      ref: `refs/heads/${branch}`,
      node_id: `REF_${sha.slice(0, 12)}`,
      url: `${api(repo)}/git/refs/heads/${branch}`,
      object: { sha, type: 'commit', url: `${api(repo)}/git/commits/${sha}` },
    };
  }

  function pullJson(repo: Repo, pull: PullRequest) {
    const side = (ref: string) => ({
      label: `${repo.owner}:${ref}`,
      ref,
      sha: repo.branches.get(ref) ?? null,
      repo: { full_name: `${repo.owner}/${repo.name}`, default_branch: repo.defaultBranch },
    });
    return {
      url: `${api(repo)}/pulls/${pull.number}`,
      id: 1000 + pull.number,
      node_id: `PR_${pull.number}`,
      html_url: `${html(repo)}/pull/${pull.number}`,
      diff_url: `${html(repo)}/pull/${pull.number}.diff`,
      number: pull.number,
      state: pull.state,
      locked: false,
      title: pull.title,
      user: { login: 'shiftgate[bot]', type: 'Bot' },
      body: pull.body,
      created_at: pull.createdAt,
      updated_at: pull.updatedAt,
      closed_at: pull.state === 'closed' ? pull.updatedAt : null,
      merged_at: pull.merged ? pull.updatedAt : null,
      merged: pull.merged,
      draft: false,
      head: side(pull.head),
      base: side(pull.base),
    };
  }

  /** Records, applies a fault, checks the token: a Response to send now, or the caller's access. */
  async function admit(request: Request): Promise<Response | TokenAccess> {
    const recorded = await recorder.record(request);
    const fault = recorder.takeFault(recorded.method, recorded.path);
    if (fault?.delayMs) await sleep(fault.delayMs);
    if (fault?.status) {
      const headers: Record<string, string> = fault.retryAfter
        ? { 'retry-after': String(fault.retryAfter) }
        : {};
      return HttpResponse.json(
        {
          message: fault.message ?? GENERIC[fault.status] ?? 'twin: injected fault',
          documentation_url: DOCS,
          status: String(fault.status),
        },
        { status: fault.status, headers },
      );
    }
    const token = /^(?:token|bearer)\s+(\S+)$/i.exec(request.headers.get('authorization') ?? '')?.[1];
    const access = token ? tokens.get(token) : undefined;
    if (!access) return githubError(401, 'Bad credentials');
    return access;
  }

  async function jsonBody(request: Request): Promise<Record<string, unknown> | Response> {
    try {
      const body = await request.json();
      if (body && typeof body === 'object' && !Array.isArray(body)) return body as Record<string, unknown>;
    } catch {}
    return githubError(400, 'Problems parsing JSON');
  }

  const notAccessible = (doc: string) =>
    githubError(403, 'Resource not accessible by personal access token', doc);

  // --- contents -------------------------------------------------------------------------------------

  const CONTENTS_DOC = `${DOCS}/repos/contents#create-or-update-file-contents`;

  function getContents(request: Request, repo: Repo, path: string): Response {
    const url = new URL(request.url);
    const ref = url.searchParams.get('ref') ?? repo.defaultBranch;
    const commit = store.resolve(repo, ref);
    if (!commit)
      return githubError(
        404,
        `No commit found for the ref ${ref}`,
        `${DOCS}/repos/contents#get-repository-content`,
      );
    const data = commit.files.get(path);
    const raw = (request.headers.get('accept') ?? '').includes('raw');
    if (data) {
      if (raw)
        return new HttpResponse(new Uint8Array(data), {
          headers: { 'content-type': 'text/plain; charset=utf-8' },
        });
      return HttpResponse.json(fileEntry(repo, path, ref, data, true));
    }
    // A directory: the entries directly under it.
    const prefix = path ? `${path.replace(/\/+$/, '')}/` : '';
    const entries = new Map<string, ReturnType<typeof fileEntry> | ReturnType<typeof dirEntry>>();
    for (const [file, bytes] of commit.files) {
      if (!file.startsWith(prefix)) continue;
      const rest = file.slice(prefix.length);
      const slash = rest.indexOf('/');
      if (slash < 0) entries.set(file, fileEntry(repo, file, ref, bytes, false));
      else entries.set(prefix + rest.slice(0, slash), dirEntry(repo, prefix + rest.slice(0, slash), ref));
    }
    if (entries.size === 0)
      return githubError(404, 'Not Found', `${DOCS}/repos/contents#get-repository-content`);
    return HttpResponse.json(
      [...entries.values()].sort((a, b) => (a.name ?? '').localeCompare(b.name ?? '')),
    );
  }

  async function putContents(
    request: Request,
    repo: Repo,
    path: string,
    access: TokenAccess,
  ): Promise<Response> {
    if (access !== 'write') return notAccessible(CONTENTS_DOC);
    const body = await jsonBody(request);
    if (body instanceof Response) return body;
    for (const field of ['message', 'content']) {
      if (typeof body[field] !== 'string')
        return githubError(422, `Invalid request.\n\n"${field}" wasn't supplied.`, CONTENTS_DOC);
    }
    const branch = typeof body.branch === 'string' ? body.branch : repo.defaultBranch;
    const head = store.resolve(repo, branch);
    if (!head || !repo.branches.has(branch))
      return githubError(404, `Branch ${branch} not found`, CONTENTS_DOC);
    const reason = repo.protections.get(branch);
    if (reason !== undefined) {
      return githubError(
        409,
        `Could not update file: ${reason}`,
        'https://docs.github.com/articles/about-protected-branches',
      );
    }
    const existing = head.files.get(path);
    const given = typeof body.sha === 'string' ? body.sha : undefined;
    if (existing && given === undefined)
      return githubError(422, `Invalid request.\n\n"sha" wasn't supplied.`, CONTENTS_DOC);
    if (given !== undefined && given !== (existing ? blobSha(existing) : undefined)) {
      return githubError(409, `${path} does not match ${given}`, CONTENTS_DOC);
    }
    const data = Buffer.from(body.content as string, 'base64');
    const files = new Map(head.files);
    files.set(path, data);
    const commit = store.commit(repo, head.sha, body.message as string, files);
    repo.branches.set(branch, commit.sha);
    return HttpResponse.json(
      { content: fileEntry(repo, path, branch, data, false), commit: commitJson(repo, commit) },
      { status: existing ? 200 : 201 },
    );
  }

  // --- refs and branches ------------------------------------------------------------------------------

  const REFS_DOC = `${DOCS}/git/refs#create-a-reference`;

  async function createRef(request: Request, repo: Repo, access: TokenAccess): Promise<Response> {
    if (access !== 'write') return notAccessible(REFS_DOC);
    const body = await jsonBody(request);
    if (body instanceof Response) return body;
    const ref = typeof body.ref === 'string' ? body.ref : '';
    const sha = typeof body.sha === 'string' ? body.sha : '';
    if (!/^refs\/heads\/.+/.test(ref)) {
      return githubError(
        422,
        "Reference name must start with 'refs/' and have at least two slashes.",
        REFS_DOC,
      );
    }
    if (!repo.commits.has(sha)) return githubError(422, 'Object does not exist', REFS_DOC);
    const branch = ref.slice('refs/heads/'.length);
    if (repo.branches.has(branch)) return githubError(422, 'Reference already exists', REFS_DOC);
    repo.branches.set(branch, sha);
    return HttpResponse.json(refJson(repo, branch, sha), { status: 201 });
  }

  // --- pull requests --------------------------------------------------------------------------------

  const PULLS_DOC = `${DOCS}/pulls/pulls#create-a-pull-request`;
  const validationFailed = (errors: unknown[]) =>
    githubError(422, 'Validation Failed', PULLS_DOC, { errors });

  async function createPull(request: Request, repo: Repo, access: TokenAccess): Promise<Response> {
    if (access !== 'write') return notAccessible(PULLS_DOC);
    const body = await jsonBody(request);
    if (body instanceof Response) return body;
    const title = typeof body.title === 'string' ? body.title : '';
    const base = typeof body.base === 'string' ? body.base : '';
    const headSpec = typeof body.head === 'string' ? body.head : '';
    const head = headSpec.includes(':') ? headSpec.slice(headSpec.indexOf(':') + 1) : headSpec;
    if (!title) return validationFailed([{ resource: 'PullRequest', field: 'title', code: 'missing_field' }]);
    if (!repo.branches.has(base))
      return validationFailed([{ resource: 'PullRequest', field: 'base', code: 'invalid' }]);
    if (!repo.branches.has(head))
      return validationFailed([{ resource: 'PullRequest', field: 'head', code: 'invalid' }]);
    if (repo.pulls.some((p) => p.state === 'open' && p.head === head && p.base === base)) {
      return validationFailed([
        {
          resource: 'PullRequest',
          code: 'custom',
          message: `A pull request already exists for ${repo.owner}:${head}.`,
        },
      ]);
    }
    const headSha = repo.branches.get(head) as string;
    const baseSha = repo.branches.get(base) as string;
    if (store.contains(repo, baseSha, headSha)) {
      return validationFailed([
        { resource: 'PullRequest', code: 'custom', message: `No commits between ${base} and ${head}` },
      ]);
    }
    const at = new Date(now()).toISOString();
    const pull: PullRequest = {
      number: repo.pulls.length + 1,
      title,
      body: typeof body.body === 'string' ? body.body : '',
      head,
      base,
      state: 'open',
      merged: false,
      createdAt: at,
      updatedAt: at,
    };
    repo.pulls.push(pull);
    return HttpResponse.json(pullJson(repo, pull), { status: 201 });
  }

  function listPulls(request: Request, repo: Repo): Response {
    const url = new URL(request.url);
    const state = url.searchParams.get('state') ?? 'open';
    const headSpec = url.searchParams.get('head');
    const base = url.searchParams.get('base');
    const pulls = repo.pulls.filter((pull) => {
      if (state !== 'all' && pull.state !== state) return false;
      if (base && pull.base !== base) return false;
      if (headSpec) {
        // GitHub filters by "user:ref-name"; a bare ref name is ignored (it then lists everything).
        const colon = headSpec.indexOf(':');
        if (
          colon >= 0 &&
          (headSpec.slice(0, colon).toLowerCase() !== repo.owner.toLowerCase() ||
            headSpec.slice(colon + 1) !== pull.head)
        ) {
          return false;
        }
      }
      return true;
    });
    return HttpResponse.json(
      pulls
        .slice()
        .reverse()
        .map((pull) => pullJson(repo, pull)),
    );
  }

  // --- routing --------------------------------------------------------------------------------------

  const REPO_PATH = /^\/repos\/([^/]+)\/([^/]+)(?:\/(.*))?$/;

  const route = (method: 'get' | 'put' | 'post') =>
    http[method](`${origin}/repos/*`, async ({ request }) => {
      const match = REPO_PATH.exec(new URL(request.url).pathname);
      if (!match) return undefined;
      const admitted = await admit(request);
      if (admitted instanceof Response) return admitted;
      const [, owner = '', name = '', rest = ''] = match;
      const repo = store.get(decodeURIComponent(owner), decodeURIComponent(name));
      // GitHub answers 404 for a repository the token may not see, as for one that does not exist.
      if (!repo) return githubError(404, 'Not Found');
      const tail = rest.replace(/\/+$/, '');
      if (method === 'get' && tail === '') {
        return HttpResponse.json({
          id: 1,
          name: repo.name,
          full_name: `${repo.owner}/${repo.name}`,
          private: true,
          html_url: html(repo),
          default_branch: repo.defaultBranch,
          permissions: { admin: false, push: admitted === 'write', pull: true },
        });
      }
      if (tail === 'contents' || tail.startsWith('contents/')) {
        const path = decoded(tail.slice('contents'.length).replace(/^\//, ''));
        if (method === 'get') return getContents(request, repo, path);
        if (method === 'put') return putContents(request, repo, path, admitted);
      }
      if (method === 'get' && tail.startsWith('git/ref/')) {
        const ref = decoded(tail.slice('git/ref/'.length));
        const branch = ref.replace(/^heads\//, '');
        const sha = ref.startsWith('heads/') ? repo.branches.get(branch) : undefined;
        if (!sha) return githubError(404, 'Not Found', `${DOCS}/git/refs#get-a-reference`);
        return HttpResponse.json(refJson(repo, branch, sha));
      }
      if (method === 'post' && tail === 'git/refs') return createRef(request, repo, admitted);
      if (method === 'get' && tail.startsWith('branches/')) {
        const branch = decoded(tail.slice('branches/'.length));
        const sha = repo.branches.get(branch);
        if (!sha) return githubError(404, 'Branch not found', `${DOCS}/branches/branches#get-a-branch`);
        return HttpResponse.json({
          name: branch,
          commit: commitJson(repo, repo.commits.get(sha) as Commit),
          protected: repo.protections.has(branch),
        });
      }
      if (tail === 'pulls') {
        if (method === 'get') return listPulls(request, repo);
        if (method === 'post') return createPull(request, repo, admitted);
      }
      const checksOf = /^commits\/([^/]+)\/check-runs$/.exec(tail)?.[1];
      if (method === 'get' && checksOf) {
        const ref = decodeURIComponent(checksOf);
        const fullName = `${repo.owner}/${repo.name}`;
        const sha = checks.knows(fullName, ref) ? ref : store.resolve(repo, ref)?.sha;
        if (!sha)
          return githubError(
            422,
            `No commit found for SHA: ${ref}`,
            `${DOCS}/checks/runs#list-check-runs-for-a-git-reference`,
          );
        return checkRunsAnswer(request, checks.of(fullName, sha), {
          owner: repo.owner,
          name: repo.name,
          api: api(repo),
          html: html(repo),
        });
      }
      const pullNumber = /^pulls\/(\d+)$/.exec(tail)?.[1];
      if (method === 'get' && pullNumber) {
        const pull = repo.pulls.find((p) => p.number === Number(pullNumber));
        return pull ? HttpResponse.json(pullJson(repo, pull)) : githubError(404, 'Not Found');
      }
      return githubError(404, 'Not Found');
    });

  return {
    handlers: [route('get'), route('put'), route('post')],
    recorder,
    createRepo: (fullName, repoOptions) => void store.create(fullName, repoOptions),
    protect(fullName, branch, reason = 'Changes must be made through a pull request.') {
      repoOf(fullName).protections.set(branch, reason);
    },
    unprotect: (fullName, branch) => void repoOf(fullName).protections.delete(branch),
    file(fullName, path, ref) {
      const repo = repoOf(fullName);
      return store.resolve(repo, ref)?.files.get(path)?.toString('utf8');
    },
    paths(fullName, ref) {
      const repo = repoOf(fullName);
      return [...(store.resolve(repo, ref)?.files.keys() ?? [])].sort();
    },
    branches: (fullName) => Object.fromEntries(repoOf(fullName).branches),
    history(fullName, branch) {
      const repo = repoOf(fullName);
      const messages: string[] = [];
      for (
        let at = store.resolve(repo, branch);
        at;
        at = at.parent ? repo.commits.get(at.parent) : undefined
      ) {
        messages.push(at.message);
      }
      return messages;
    },
    pulls: (fullName) => repoOf(fullName).pulls.map((pull) => ({ ...pull })),
    merge: (fullName, number, mergeOptions) => void store.merge(repoOf(fullName), number, mergeOptions),
    addCheckRun: (fullName, run) => {
      repoOf(fullName);
      return checks.add(fullName, run).id;
    },
    updateCheckRun: (fullName, id, change) => checks.update(fullName, id, change),
    setToken: (token, access) => void tokens.set(token, access),
    revokeToken: (token) => void tokens.delete(token),
    reset() {
      store.clear();
      checks.clear();
      recorder.reset();
      tokens.clear();
      for (const [token, access] of Object.entries(initialTokens)) tokens.set(token, access);
      seed();
    },
  };
}
