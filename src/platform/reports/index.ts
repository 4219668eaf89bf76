import type { ReportsConfig } from '../../config/environments.ts';
import type { SecretResolver } from '../../config/secret-resolver.ts';
import type { ReportSink } from '../../runbooks/ports/report-sink.ts';
import type { GoogleTarget } from '../google.ts';
import { combinedSink } from './combined.ts';
import { createGcsSink } from './gcs.ts';
import { createGithubSink } from './github.ts';

export { combinedSink } from './combined.ts';
export { createGcsSink, type GcsSinkOptions } from './gcs.ts';
export { createGithubSink, type GithubSinkOptions, gitBlobSha, isProtectedBranchRefusal } from './github.ts';

export interface ReportSinkDeps {
  /** The Google project and, in tests and the sandbox, the twin's endpoint. */
  google: GoogleTarget;
  /** Resolves reports.github.token. */
  secrets: SecretResolver;
  /** For GitHub's API (tests may pass msw's; default: the global fetch at call time). */
  fetch?: typeof fetch;
  /** GitHub API base overriding reports.github.apiUrl (the sandbox's twin). */
  githubBaseUrl?: string;
  /** Cloud Storage request bound and retries (tests shorten them). */
  gcs?: { timeoutMs?: number; maxRetries?: number };
}

/**
 * The sink an environment's `reports` config describes: Cloud Storage, GitHub, or both (in that order,
 * combined: `put` answers every copy in `all`). Undefined when the environment keeps reports in Redis and
 * Slack only. Rejects when the GitHub token's reference cannot be resolved (the message names the
 * reference, never a value).
 */
export async function reportSinkOf(
  config: ReportsConfig | undefined,
  deps: ReportSinkDeps,
): Promise<ReportSink | undefined> {
  if (!config) return undefined;
  const sinks: ReportSink[] = [];
  if (config.gcs) {
    sinks.push(
      createGcsSink({
        target: deps.google,
        bucket: config.gcs.bucket,
        prefix: config.gcs.prefix,
        ...deps.gcs,
      }),
    );
  }
  if (config.github) {
    const { github } = config;
    const token = await deps.secrets.resolve(github.token);
    const baseUrl = deps.githubBaseUrl ?? github.apiUrl;
    sinks.push(
      createGithubSink({
        repo: github.repo,
        branch: github.branch,
        path: github.path,
        token,
        tokenSource: github.token.ref,
        pullRequest: github.pullRequest,
        ...(baseUrl ? { baseUrl } : {}),
        ...(deps.fetch ? { fetch: deps.fetch } : {}),
      }),
    );
  }
  return sinks.length > 0 ? combinedSink(sinks) : undefined;
}
