import { createHash } from 'node:crypto';

// The twin's repositories: commits that hold the whole file tree (small repositories, so no trees or
// packs), branches pointing at commits, protected branches that refuse direct writes, and pull requests
// with their merges. Blob ids are git's (sha1 of "blob <size>\0<bytes>"), so a client comparing a blob
// sha with its own content hash sees what it would see on GitHub.

export interface Commit {
  sha: string;
  parent?: string;
  message: string;
  files: Map<string, Buffer>;
  at: string;
}

export interface PullRequest {
  number: number;
  title: string;
  body: string;
  head: string;
  base: string;
  state: 'open' | 'closed';
  merged: boolean;
  createdAt: string;
  updatedAt: string;
}

export interface Repo {
  owner: string;
  name: string;
  defaultBranch: string;
  commits: Map<string, Commit>;
  branches: Map<string, string>;
  /** Protected branch -> the reason GitHub gives when refusing a direct write. */
  protections: Map<string, string>;
  pulls: PullRequest[];
}

export function blobSha(data: Buffer): string {
  return createHash('sha1')
    .update(Buffer.concat([Buffer.from(`blob ${data.length}\0`), data]))
    .digest('hex');
}

export class RepoStore {
  readonly repos = new Map<string, Repo>();
  private counter = 0;
  private readonly now: () => number;

  constructor(now: () => number) {
    this.now = now;
  }

  /** A repository with one commit on its default branch, holding `files`. */
  create(fullName: string, options: { defaultBranch?: string; files?: Record<string, string> } = {}): Repo {
    const [owner = '', name = ''] = fullName.split('/');
    const defaultBranch = options.defaultBranch ?? 'main';
    const repo: Repo = {
      owner,
      name,
      defaultBranch,
      commits: new Map(),
      branches: new Map(),
      protections: new Map(),
      pulls: [],
    };
    const files = new Map(
      Object.entries(options.files ?? { 'README.md': `# ${name}\n` }).map(([p, t]) => [p, Buffer.from(t)]),
    );
    const initial = this.commit(repo, undefined, 'Initial commit', files);
    repo.branches.set(defaultBranch, initial.sha);
    this.repos.set(`${owner}/${name}`.toLowerCase(), repo);
    return repo;
  }

  get(owner: string, name: string): Repo | undefined {
    return this.repos.get(`${owner}/${name}`.toLowerCase());
  }

  commit(repo: Repo, parent: string | undefined, message: string, files: Map<string, Buffer>): Commit {
    this.counter += 1;
    const sha = createHash('sha1')
      .update(`${repo.owner}/${repo.name}|${parent ?? ''}|${message}|${this.counter}`)
      .digest('hex');
    const commit: Commit = {
      sha,
      message,
      files,
      at: new Date(this.now()).toISOString(),
      ...(parent ? { parent } : {}),
    };
    repo.commits.set(sha, commit);
    return commit;
  }

  /** A branch name or a commit sha -> the commit, as GitHub resolves `ref`. */
  resolve(repo: Repo, ref: string | undefined): Commit | undefined {
    const name = (ref ?? repo.defaultBranch).replace(/^refs\/heads\//, '').replace(/^heads\//, '');
    const sha = repo.branches.get(name) ?? (repo.commits.has(ref ?? '') ? ref : undefined);
    return sha ? repo.commits.get(sha) : undefined;
  }

  /** True when `ancestor` is `sha` or one of its parents (no commits of `ancestor` are missing from `sha`). */
  contains(repo: Repo, sha: string, ancestor: string): boolean {
    for (let at: string | undefined = sha; at; at = repo.commits.get(at)?.parent) {
      if (at === ancestor) return true;
    }
    return false;
  }

  /** Merges a pull request: the head's files over the base's, as one merge commit on the base. */
  merge(repo: Repo, number: number, options: { deleteBranch?: boolean } = {}): Commit {
    const pull = repo.pulls.find((p) => p.number === number);
    if (pull?.state !== 'open') throw new Error(`twin: no open pull request #${number}`);
    const base = this.resolve(repo, pull.base);
    const head = this.resolve(repo, pull.head);
    if (!base || !head) throw new Error(`twin: pull request #${number} lost its base or head`);
    const files = new Map(base.files);
    for (const [path, data] of head.files) files.set(path, data);
    const merged = this.commit(
      repo,
      base.sha,
      `Merge pull request #${number} from ${repo.owner}/${pull.head}`,
      files,
    );
    repo.branches.set(pull.base, merged.sha);
    pull.state = 'closed';
    pull.merged = true;
    pull.updatedAt = merged.at;
    if (options.deleteBranch) repo.branches.delete(pull.head);
    return merged;
  }

  clear(): void {
    this.repos.clear();
  }
}
