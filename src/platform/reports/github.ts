import { createHash } from 'node:crypto';
import { Octokit } from '@octokit/rest';
import { PlatformError, type PlatformErrorKind } from '../../runbooks/ports/errors.ts';
import type { ReportFile, ReportSink, StoredReport } from '../../runbooks/ports/report-sink.ts';
import { kindOfHttpStatus } from '../errors.ts';
import { checkSegments, failure, redact } from './errors.ts';

// Evidence reports committed to a GitHub repository through the contents API (@octokit/rest), as the
// seeds keep theirs under docs/reports: <path>/<runId>/<name> on <branch>.
//
// Where the branch refuses direct commits (branch protection or a ruleset: GitHub answers the PUT 409
// "Could not update file: ... Changes must be made through a pull request.") and pullRequest is 'auto',
// or always when it is 'always', the file goes to branch shiftgate/report-<runId> (made from <branch>)
// and one pull request per run carries all of the run's files; `put` then answers the pull request's URL.
//
// Idempotent: a file whose blob already holds the same bytes is not committed again (git's blob sha is
// compared with the content's), an existing report branch or pull request is reused, and a pull request
// with nothing left to merge (the report already on <branch>) answers the file on <branch>.
//
// Errors name the repository, branch and path, and where the token came from; never the token, and no
// Octokit error is attached as a cause (its request copy is the one place a credential could hide).

export type PullRequestMode = 'auto' | 'always' | 'never';

export interface GithubSinkOptions {
  /** 'owner/name' */
  repo: string;
  /** Default 'main'. */
  branch?: string;
  /** Folder in the repository, no leading or trailing slash; default 'docs/reports'. */
  path?: string;
  token: string;
  /** Where the token came from (its secret reference), for messages. */
  tokenSource?: string;
  /** Default 'auto'. */
  pullRequest?: PullRequestMode;
  /** GitHub Enterprise Server or a twin; default https://api.github.com. */
  baseUrl?: string;
  fetch?: typeof fetch;
  /** Bound on each request. */
  timeoutMs?: number;
}

/** git's blob id of the content: what the contents API answers as a file's `sha`. */
export function gitBlobSha(content: string | Uint8Array): string {
  const bytes = Buffer.from(content);
  return createHash('sha1')
    .update(Buffer.concat([Buffer.from(`blob ${bytes.length}\0`), bytes]))
    .digest('hex');
}

interface HttpFailure {
  status?: number;
  message: string;
  documentation: string;
  errors: string[];
}

/** What GitHub answered, from an Octokit RequestError (or a network failure, which has no status). */
function httpFailure(error: unknown): HttpFailure {
  const e = error as { status?: unknown; message?: unknown; response?: { data?: unknown } };
  const data = (e.response?.data ?? {}) as {
    message?: unknown;
    documentation_url?: unknown;
    errors?: unknown;
  };
  const errors = Array.isArray(data.errors)
    ? data.errors.map((one: unknown) =>
        typeof one === 'string'
          ? one
          : String(
              (one as { message?: unknown; code?: unknown })?.message ??
                (one as { code?: unknown })?.code ??
                '',
            ),
      )
    : [];
  return {
    ...(typeof e.status === 'number' && e.response ? { status: e.status } : {}),
    message:
      typeof data.message === 'string'
        ? data.message
        : typeof e.message === 'string'
          ? e.message
          : String(error),
    documentation: typeof data.documentation_url === 'string' ? data.documentation_url : '',
    errors,
  };
}

/** GitHub's refusal of a direct write to a protected branch (classic protection or a ruleset). */
export function isProtectedBranchRefusal(error: unknown): boolean {
  const said = httpFailure(error);
  if (said.status !== 409 && said.status !== 422) return false;
  if (/about-protected-branches|rulesets/.test(said.documentation)) return true;
  return /protected branch|through a pull request|required status check|approving review|rule violation|Could not update file/i.test(
    said.message,
  );
}

const NOT_FOUND = Symbol('not found');

/** A protected branch refused the commit; `said` is GitHub's message. Caught inside this module only. */
class ProtectedRefusal extends Error {
  readonly said: string;
  constructor(said: string) {
    super(said);
    this.said = said;
  }
}

export function createGithubSink(options: GithubSinkOptions): ReportSink {
  const [owner = '', repoName = ''] = options.repo.split('/');
  const { token, timeoutMs = 20_000 } = options;
  const base = options.branch ?? 'main';
  const folder = (options.path ?? 'docs/reports').replace(/^\/+|\/+$/g, '');
  const mode: PullRequestMode = options.pullRequest ?? 'auto';
  const tokenSource = options.tokenSource ?? 'reports.github.token';
  const doFetch: typeof fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  const timedFetch: typeof fetch = (input, init) =>
    doFetch(input, { ...init, signal: init?.signal ?? AbortSignal.timeout(timeoutMs) });
  const quiet = { debug() {}, info() {}, warn() {}, error() {} };
  const octokit = new Octokit({
    auth: token,
    userAgent: 'shiftgate-report-sink',
    log: quiet,
    request: { fetch: timedFetch },
    ...(options.baseUrl ? { baseUrl: options.baseUrl.replace(/\/+$/, '') } : {}),
  });
  const repo = { owner, repo: repoName };
  const filePath = (runId: string, name: string) => `${folder ? `${folder}/` : ''}${runId}/${name}`;
  const reportBranch = (runId: string) => `shiftgate/report-${runId}`;

  function failed(what: string, error: unknown): Error {
    if (error instanceof PlatformError) return error;
    const said = httpFailure(error);
    if (
      (error as { name?: unknown }).name === 'TimeoutError' ||
      (/aborted|timeout/i.test(said.message) && said.status === undefined)
    ) {
      return failure('timeout', `GitHub: ${what}: no answer within ${timeoutMs} ms`);
    }
    let kind: PlatformErrorKind = kindOfHttpStatus(said.status);
    let hint = '';
    if (said.status === undefined) hint = `; GitHub could not be reached`;
    else if (said.status === 401)
      hint = `; GitHub rejected the token, check the secret behind ${tokenSource}`;
    else if (said.status === 403 && /rate limit/i.test(said.message)) kind = 'rate-limited';
    else if (said.status === 403)
      hint = `; the token from ${tokenSource} needs contents:write (and pull-requests:write) on ${options.repo}`;
    else if (said.status === 404)
      hint = `; no repository ${options.repo}, or the token from ${tokenSource} cannot see it`;
    const detail = [said.message, ...said.errors].filter(Boolean).join('; ');
    return failure(
      kind,
      redact(
        `GitHub: ${what} failed${said.status ? ` (${said.status})` : ''}: ${detail.slice(0, 300)}${hint}`,
        token,
      ),
    );
  }

  /** The file at `ref` as the contents API answers it, or NOT_FOUND (no such path, or no such ref). */
  async function readEntry(
    path: string,
    ref: string,
  ): Promise<{ sha: string; html_url: string | null } | typeof NOT_FOUND> {
    try {
      const { data } = await octokit.rest.repos.getContent({ ...repo, path, ref });
      if (Array.isArray(data) || data.type !== 'file') {
        throw failure(
          'invalid',
          `GitHub: ${options.repo} ${ref}:${path} is a ${Array.isArray(data) ? 'folder' : data.type}, not a file`,
        );
      }
      return { sha: data.sha, html_url: data.html_url };
    } catch (error) {
      if (httpFailure(error).status === 404) return NOT_FOUND;
      throw failed(`reading ${options.repo} ${ref}:${path}`, error);
    }
  }

  // A miss may be a missing repository, which GitHub also answers 404: ask once, then trust misses.
  let repoSeen: Promise<void> | undefined;
  function checkRepo(): Promise<void> {
    repoSeen ??= octokit.rest.repos.get(repo).then(
      () => undefined,
      (error: unknown) => {
        repoSeen = undefined;
        throw failed(`reading repository ${options.repo}`, error);
      },
    );
    return repoSeen;
  }

  /** Commits the file to `branch` unless its blob already holds these bytes; the file's web URL. */
  async function commit(file: ReportFile, branch: string): Promise<string> {
    const path = filePath(file.runId, file.name);
    const wanted = gitBlobSha(file.content);
    for (let attempt = 1; ; attempt++) {
      const existing = await readEntry(path, branch);
      if (existing !== NOT_FOUND && existing.sha === wanted) {
        return existing.html_url ?? `https://github.com/${options.repo}/blob/${branch}/${path}`;
      }
      try {
        const { data } = await octokit.rest.repos.createOrUpdateFileContents({
          ...repo,
          path,
          branch,
          message: `Evidence report ${file.runId}: ${file.name}\n\nWritten by shiftgate; report made at ${file.at}.`,
          content: Buffer.from(file.content).toString('base64'),
          ...(existing === NOT_FOUND ? {} : { sha: existing.sha }),
        });
        return data.content?.html_url ?? `https://github.com/${options.repo}/blob/${branch}/${path}`;
      } catch (error) {
        if (isProtectedBranchRefusal(error)) throw new ProtectedRefusal(httpFailure(error).message);
        // Another writer moved the file or the branch between our read and write: read again.
        const status = httpFailure(error).status;
        const raced =
          status === 409 || (status === 422 && /"sha" wasn't supplied/.test(httpFailure(error).message));
        if (!raced || attempt >= 3) throw failed(`writing ${options.repo} ${branch}:${path}`, error);
      }
    }
  }

  async function ensureBranch(branch: string): Promise<void> {
    try {
      await octokit.rest.git.getRef({ ...repo, ref: `heads/${branch}` });
      return;
    } catch (error) {
      if (httpFailure(error).status !== 404)
        throw failed(`reading branch ${branch} of ${options.repo}`, error);
    }
    let from: string;
    try {
      from = (await octokit.rest.git.getRef({ ...repo, ref: `heads/${base}` })).data.object.sha;
    } catch (error) {
      if (httpFailure(error).status === 404) {
        throw failure('not-found', `GitHub: ${options.repo} has no branch ${base} (reports.github.branch)`);
      }
      throw failed(`reading branch ${base} of ${options.repo}`, error);
    }
    try {
      await octokit.rest.git.createRef({ ...repo, ref: `refs/heads/${branch}`, sha: from });
    } catch (error) {
      const said = httpFailure(error);
      if (said.status === 422 && /already exists/i.test(said.message)) return; // made meanwhile: fine
      throw failed(`creating branch ${branch} in ${options.repo}`, error);
    }
  }

  async function openPull(
    runId: string,
    branch: string,
    why: string,
  ): Promise<{ number: number; html_url: string } | undefined> {
    const find = async () => {
      const { data } = await octokit.rest.pulls.list({
        ...repo,
        state: 'open',
        head: `${owner}:${branch}`,
        base,
      });
      return data[0];
    };
    try {
      const open = await find();
      if (open) return open;
      const { data } = await octokit.rest.pulls.create({
        ...repo,
        base,
        head: branch,
        title: `Evidence report ${runId}`,
        body: `shiftgate's evidence report for run \`${runId}\`, under \`${filePath(runId, '')}\`.\n\n${why}`,
      });
      return data;
    } catch (error) {
      const said = httpFailure(error);
      const detail = said.errors.join(' ');
      if (said.status === 422 && /already exists/i.test(detail)) {
        const open = await find().catch((again: unknown) => {
          throw failed(`listing pull requests of ${options.repo}`, again);
        });
        if (open) return open;
      }
      // The branch holds nothing the base lacks: the report is on the base already (merged before).
      if (said.status === 422 && /No commits between/i.test(detail)) return undefined;
      throw failed(`opening a pull request from ${branch} into ${base} of ${options.repo}`, error);
    }
  }

  async function viaPullRequest(file: ReportFile, why: string): Promise<StoredReport> {
    const branch = reportBranch(file.runId);
    const path = filePath(file.runId, file.name);
    await ensureBranch(branch);
    let onBranch: string;
    try {
      onBranch = await commit(file, branch);
    } catch (error) {
      if (!(error instanceof ProtectedRefusal)) throw error;
      throw failure(
        'permission-denied',
        redact(
          `GitHub: ${options.repo} refuses commits to ${branch} as well (${error.said.slice(0, 200)}); let the token create and push shiftgate/report-* branches`,
          token,
        ),
      );
    }
    const pull = await openPull(file.runId, branch, why);
    if (!pull) {
      const merged = await readEntry(path, base);
      return {
        url: merged === NOT_FOUND ? onBranch : (merged.html_url ?? onBranch),
        where: `github ${options.repo} ${base}:${path}`,
      };
    }
    return {
      url: pull.html_url,
      where: `github ${options.repo} pull request #${pull.number} (${branch} into ${base}):${path}`,
    };
  }

  async function put(file: ReportFile): Promise<StoredReport> {
    checkSegments(file.runId, file.name);
    const path = filePath(file.runId, file.name);
    if (mode === 'always') {
      return viaPullRequest(file, 'Opened because reports.github.pullRequest is "always".');
    }
    try {
      const url = await commit(file, base);
      return { url, where: `github ${options.repo} ${base}:${path}` };
    } catch (error) {
      if (!(error instanceof ProtectedRefusal)) throw error;
      const said = error.said;
      if (mode === 'never') {
        throw failure(
          'permission-denied',
          redact(
            `GitHub: ${options.repo} ${base} refuses direct commits (${said.slice(0, 200)}); set reports.github.pullRequest to auto, or let the token bypass the protection`,
            token,
          ),
        );
      }
      return viaPullRequest(file, `Opened because ${base} refuses direct commits: ${said.slice(0, 300)}`);
    }
  }

  // One put at a time per sink: a run's files share a report branch and a pull request, and two commits
  // racing on one branch would only cost retries.
  let queue: Promise<unknown> = Promise.resolve();
  const serialized = <T>(task: () => Promise<T>): Promise<T> => {
    const run = queue.then(task, task);
    queue = run.catch(() => {});
    return run;
  };

  /** Files of a run's folder at `ref`; empty when the folder or the ref is missing. */
  async function listAt(runId: string, ref: string): Promise<{ name: string; url: string }[]> {
    const dir = filePath(runId, '').replace(/\/$/, '');
    try {
      const { data } = await octokit.rest.repos.getContent({ ...repo, path: dir, ref });
      if (!Array.isArray(data)) return [];
      return data
        .filter((entry) => entry.type === 'file')
        .map((entry) => ({
          name: entry.name,
          url: entry.html_url ?? `https://github.com/${options.repo}/blob/${ref}/${entry.path}`,
        }));
    } catch (error) {
      if (httpFailure(error).status === 404) return [];
      throw failed(`listing ${options.repo} ${ref}:${dir}`, error);
    }
  }

  return {
    put: (file) => serialized(() => put(file)),

    async list(runId) {
      checkSegments(runId);
      const found = await listAt(runId, base);
      if (mode !== 'never') {
        const names = new Set(found.map((f) => f.name));
        for (const f of await listAt(runId, reportBranch(runId))) if (!names.has(f.name)) found.push(f);
      }
      if (found.length === 0) await checkRepo();
      return found.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    },

    async get(runId, name) {
      checkSegments(runId, name);
      const path = filePath(runId, name);
      const refs = mode === 'never' ? [base] : [base, reportBranch(runId)];
      for (const ref of refs) {
        try {
          // Raw: the bytes whatever their size (the JSON form leaves out files over 1 MB).
          const { data } = await octokit.rest.repos.getContent({
            ...repo,
            path,
            ref,
            mediaType: { format: 'raw' },
          });
          return typeof data === 'string'
            ? data
            : Buffer.from(data as unknown as ArrayBuffer).toString('utf8');
        } catch (error) {
          if (httpFailure(error).status !== 404)
            throw failed(`reading ${options.repo} ${ref}:${path}`, error);
        }
      }
      await checkRepo();
      return undefined;
    },
  };
}
