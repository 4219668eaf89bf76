import { HttpResponse } from 'msw';

// Check runs of the GitHub twin, as GET /repos/O/R/commits/REF/check-runs answers them:
// {total_count, check_runs: [...]}, filtered by check_name and status, `filter=latest` (the default)
// keeping the most recent run of each name, paged with per_page/page. A ref that names no commit the
// repository knows is 422 "No commit found for SHA: REF", as GitHub answers.

export type CheckStatus = 'queued' | 'in_progress' | 'completed' | 'waiting' | 'requested' | 'pending';
export type CheckConclusion =
  | 'success'
  | 'failure'
  | 'neutral'
  | 'cancelled'
  | 'skipped'
  | 'timed_out'
  | 'action_required'
  | 'stale';

export interface TwinCheckRun {
  id: number;
  sha: string;
  name: string;
  status: CheckStatus;
  conclusion: CheckConclusion | null;
  title?: string;
  startedAt: string;
  completedAt: string | null;
}

export interface NewCheckRun {
  sha: string;
  name: string;
  status?: CheckStatus;
  conclusion?: CheckConclusion;
  title?: string;
}

export class CheckRunStore {
  /** Repository (lower-case owner/name) -> its check runs in the order they were created. */
  private readonly runs = new Map<string, TwinCheckRun[]>();
  private lastId = 4_000_000_000;
  private readonly now: () => number;

  constructor(now: () => number) {
    this.now = now;
  }

  add(repo: string, run: NewCheckRun): TwinCheckRun {
    this.lastId += 1;
    const at = new Date(Math.max(this.now(), this.lastStart(repo) + 1)).toISOString();
    const status = run.status ?? (run.conclusion ? 'completed' : 'queued');
    const created: TwinCheckRun = {
      id: this.lastId,
      sha: run.sha,
      name: run.name,
      status,
      conclusion: status === 'completed' ? (run.conclusion ?? 'success') : null,
      startedAt: at,
      completedAt: status === 'completed' ? at : null,
      ...(run.title ? { title: run.title } : {}),
    };
    const list = this.runs.get(repo.toLowerCase()) ?? [];
    list.push(created);
    this.runs.set(repo.toLowerCase(), list);
    return created;
  }

  update(repo: string, id: number, change: { status?: CheckStatus; conclusion?: CheckConclusion }): void {
    const run = this.runs.get(repo.toLowerCase())?.find((r) => r.id === id);
    if (!run) throw new Error(`twin: no check run ${id} in ${repo}`);
    if (change.status) run.status = change.status;
    if (change.conclusion) {
      run.status = 'completed';
      run.conclusion = change.conclusion;
    }
    run.completedAt = run.status === 'completed' ? new Date(this.now()).toISOString() : null;
  }

  knows(repo: string, sha: string): boolean {
    return (this.runs.get(repo.toLowerCase()) ?? []).some((r) => r.sha === sha);
  }

  of(repo: string, sha: string): TwinCheckRun[] {
    return (this.runs.get(repo.toLowerCase()) ?? []).filter((r) => r.sha === sha);
  }

  clear(): void {
    this.runs.clear();
  }

  private lastStart(repo: string): number {
    const list = this.runs.get(repo.toLowerCase()) ?? [];
    const last = list[list.length - 1];
    return last ? Date.parse(last.startedAt) : 0;
  }
}

export function checkRunsAnswer(
  request: Request,
  runs: TwinCheckRun[],
  repo: { owner: string; name: string; api: string; html: string },
): Response {
  const url = new URL(request.url);
  const name = url.searchParams.get('check_name');
  const status = url.searchParams.get('status');
  const filter = url.searchParams.get('filter') ?? 'latest';
  const perPage = Math.min(Number(url.searchParams.get('per_page')) || 30, 100);
  const page = Math.max(Number(url.searchParams.get('page')) || 1, 1);
  let found = runs.filter((r) => (!name || r.name === name) && (!status || r.status === status));
  if (filter === 'latest') {
    const newest = new Map<string, TwinCheckRun>();
    for (const run of found) {
      const seen = newest.get(run.name);
      if (!seen || run.id > seen.id) newest.set(run.name, run);
    }
    found = [...newest.values()];
  }
  // GitHub does not promise an order; the twin answers oldest first so a client must sort for itself.
  found.sort((a, b) => a.id - b.id);
  const slice = found.slice((page - 1) * perPage, page * perPage);
  return HttpResponse.json({
    total_count: found.length,
    check_runs: slice.map((run) => ({
      id: run.id,
      head_sha: run.sha,
      node_id: `CR_${run.id}`,
      external_id: '',
      url: `${repo.api}/check-runs/${run.id}`,
      html_url: `${repo.html}/runs/${run.id}`,
      details_url: `${repo.html}/actions/runs/${run.id}`,
      status: run.status,
      conclusion: run.conclusion,
      started_at: run.startedAt,
      completed_at: run.completedAt,
      output: {
        title: run.title ?? null,
        summary: null,
        text: null,
        annotations_count: 0,
        annotations_url: `${repo.api}/check-runs/${run.id}/annotations`,
      },
      name: run.name,
      check_suite: { id: 9_000_000 + run.id },
      app: { id: 15368, slug: 'github-actions', name: 'GitHub Actions' },
      pull_requests: [],
    })),
  });
}
