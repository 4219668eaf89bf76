import { Octokit } from '@octokit/rest';
import { PlatformError, type PlatformErrorKind } from '../../runbooks/ports/errors.ts';
import type { CheckRun, CheckRunQuery, CheckRuns } from '../../validation/ports.ts';
import { kindOfHttpStatus } from '../errors.ts';
import { redact } from '../reports/errors.ts';

// GitHub check runs of a commit through @octokit/rest (checks.listForRef ->
// GET /repos/O/R/commits/REF/check-runs?check_name=&filter=latest), newest first. The token is the
// lane's (its secret reference named in messages, never its value); no Octokit error is kept as a cause,
// as its copy of the request carries the credential.

const SYSTEM = 'github';

export interface CheckRunsOptions {
  /** GitHub API base overriding each lane's apiUrl (the sandbox's twin). */
  baseUrl?: string;
  fetch?: typeof fetch;
  /** Bound on each request. */
  timeoutMs?: number;
}

interface Failure {
  status?: number;
  message: string;
  rateLimited: boolean;
}

function failureOf(error: unknown): Failure {
  const e = error as {
    status?: unknown;
    message?: unknown;
    response?: { data?: { message?: unknown }; headers?: Record<string, unknown> };
  };
  const said = e.response?.data?.message;
  const headers = e.response?.headers ?? {};
  return {
    ...(typeof e.status === 'number' && e.response ? { status: e.status } : {}),
    message: typeof said === 'string' ? said : typeof e.message === 'string' ? e.message : String(error),
    rateLimited: e.status === 429 || (e.status === 403 && String(headers['x-ratelimit-remaining']) === '0'),
  };
}

export function createCheckRuns(options: CheckRunsOptions = {}): CheckRuns {
  const { timeoutMs = 20_000 } = options;
  const doFetch: typeof fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  const quiet = { debug() {}, info() {}, warn() {}, error() {} };

  return {
    async list(query: CheckRunQuery): Promise<CheckRun[]> {
      const [owner = '', repo = ''] = query.repo.split('/');
      const baseUrl = (options.baseUrl ?? query.apiUrl ?? 'https://api.github.com').replace(/\/+$/, '');
      const timedFetch: typeof fetch = (input, init) => {
        const timeout = AbortSignal.timeout(timeoutMs);
        const signals = [timeout, init?.signal, query.signal].filter((s): s is AbortSignal => !!s);
        return doFetch(input, { ...init, signal: AbortSignal.any(signals) });
      };
      const octokit = new Octokit({
        auth: query.token,
        userAgent: 'shiftgate-validation',
        log: quiet,
        baseUrl,
        request: { fetch: timedFetch },
      });
      const subject = `check runs "${query.name}" of ${query.ref} in ${query.repo}`;
      let data: Awaited<ReturnType<typeof octokit.rest.checks.listForRef>>['data'];
      try {
        ({ data } = await octokit.rest.checks.listForRef({
          owner,
          repo,
          ref: query.ref,
          check_name: query.name,
          filter: 'latest',
          per_page: 100,
        }));
      } catch (error) {
        throw failed(subject, query, error, timeoutMs);
      }
      return data.check_runs
        .map((run) => ({
          id: run.id,
          name: run.name,
          headSha: run.head_sha,
          status: run.status,
          ...(run.conclusion ? { conclusion: run.conclusion } : {}),
          ...(run.started_at ? { startedAt: run.started_at } : {}),
          ...(run.completed_at ? { completedAt: run.completed_at } : {}),
          ...(run.html_url || run.details_url ? { url: (run.html_url || run.details_url) as string } : {}),
          ...(run.output?.title ? { title: run.output.title } : {}),
        }))
        .sort((a, b) => (b.startedAt ?? '').localeCompare(a.startedAt ?? '') || b.id - a.id);
    },
  };
}

function failed(subject: string, query: CheckRunQuery, error: unknown, timeoutMs: number): PlatformError {
  const said = failureOf(error);
  const clean = (text: string) => redact(text, query.token).slice(0, 300);
  if (said.status === undefined) {
    const timedOut =
      (error as { name?: unknown }).name === 'TimeoutError' || /abort|timeout/i.test(said.message);
    return new PlatformError(
      SYSTEM,
      timedOut ? 'timeout' : 'unavailable',
      timedOut
        ? `GitHub: ${subject}: no answer within ${timeoutMs} ms`
        : `GitHub: ${subject}: GitHub could not be reached (${clean(said.message)})`,
    );
  }
  const kind: PlatformErrorKind = said.rateLimited
    ? 'rate-limited'
    : said.status === 422
      ? 'not-found'
      : kindOfHttpStatus(said.status);
  const hint: Partial<Record<PlatformErrorKind, string>> = {
    unauthorized: `; GitHub rejected the token from ${query.tokenSource}`,
    'permission-denied': `; the token from ${query.tokenSource} needs checks:read on ${query.repo}`,
    'not-found':
      said.status === 404
        ? `; check the repository name, and that the token from ${query.tokenSource} can see it`
        : `; is ${query.ref} a commit of ${query.repo}?`,
    'rate-limited': '; GitHub rate limit reached, try again later',
  };
  return new PlatformError(
    SYSTEM,
    kind,
    `GitHub: ${subject} (${said.status}): ${clean(said.message)}${hint[kind] ?? ''}`,
  );
}
