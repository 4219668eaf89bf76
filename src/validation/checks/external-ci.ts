import type { ValidationLane } from '../../config/validation.ts';
import { shellQuote } from '../../gates/curl.ts';
import { messageOf } from '../../gates/error-result.ts';
import type { CheckRun, CiBuild } from '../ports.ts';
import { type CheckContext, judged, notMeasured, type Observation, type ValidationPorts } from './context.ts';
import { imageTag, isCommitSha, type ReleaseSubjectOf, releaseSubject } from './release-subject.ts';

// Seed 002's Khala contract and surface parity lanes, whose tests run in CI rather than in the bot: the
// lane reads the result of a named check for the commit or image being released (release-subject.ts),
// from Cloud Build (the newest build with the lane's tags or substitutions and that commit or image) or
// from GitHub (the newest check run of that name on the commit). Passed is a pass, a failed run a fail,
// a run still going an error naming where to watch it, and no run at all a fail: nothing proves the
// contract holds for what is being released.

type ExternalCiLane = Extract<ValidationLane, { kind: 'external-ci' }>;
type CloudBuildSource = NonNullable<ExternalCiLane['cloudBuild']>;
type GithubSource = NonNullable<ExternalCiLane['github']>;

const PASSED = new Set(['SUCCESS']);
const FAILED = new Set(['FAILURE', 'TIMEOUT', 'INTERNAL_ERROR', 'CANCELLED', 'EXPIRED']);
const UNFINISHED = new Set(['PENDING', 'QUEUED', 'WORKING']);

/**
 * Builds read to find the newest match. Cloud Build's list filter cannot select by substitution (its
 * server-side fields are tags, status, images, results.images.*, build_id, trigger_id, the source's commit
 * and times; gcloud applies any other term itself), so the commit's substitution is matched here, over the
 * newest builds the server-side terms select.
 */
const BUILD_LIMIT = 50;

export async function externalCiCheck(
  ctx: CheckContext,
  ports: Pick<ValidationPorts, 'cloudRun' | 'cloudBuild' | 'checkRuns' | 'secrets'>,
): Promise<Observation> {
  const lane = ctx.lane as ExternalCiLane;
  const subject = await releaseSubject(ctx, lane.commitEnv, ports);
  if (lane.cloudBuild) return cloudBuildCheck(ctx, lane.cloudBuild, subject, ports);
  return githubCheck(ctx, lane.github as GithubSource, subject, ports);
}

// --- Cloud Build -------------------------------------------------------------------------------------

const quoted = (value: string) => `"${value.replace(/["\\]/g, '\\$&')}"`;

/**
 * What selects the builds: `filter`, the whole filter as a person gives it to `gcloud builds list`;
 * `server`, its terms Cloud Build's API evaluates (tags, the image); `substitutions`, the rest, which the
 * lane matches on the builds listed.
 */
export interface BuildSelection {
  filter: string;
  server: string;
  substitutions: Record<string, string>;
}

/** The builds of the lane's tags and substitutions, and of the commit or the image. */
export function buildFilter(
  source: CloudBuildSource,
  subject: Pick<ReleaseSubjectOf, 'sha' | 'image'>,
): BuildSelection | { problem: string } {
  const tags = (source.tags ?? []).map((tag) => `tags=${quoted(tag)}`);
  const substitutions: Record<string, string> = { ...(source.substitutions ?? {}) };
  const image: string[] = [];
  if (subject.sha) {
    if (subject.sha.length === 40) substitutions[source.commitSubstitution] = subject.sha;
    else if (subject.sha.length === 7) substitutions.SHORT_SHA = subject.sha;
    else
      return {
        problem: `Cloud Build records a commit as its full 40-character SHA or its 7-character SHORT_SHA, not ${subject.sha.length} characters: pass one of those with --sha`,
      };
  } else if (subject.image) {
    const digest = subject.image.includes('@') ? subject.image.slice(subject.image.indexOf('@') + 1) : '';
    image.push(digest ? `results.images.digest=${quoted(digest)}` : `images=${quoted(subject.image)}`);
  }
  const local = Object.entries(substitutions).map(([k, v]) => `substitutions.${k}=${quoted(v)}`);
  return {
    filter: [...tags, ...local, ...image].join(' AND '),
    server: [...tags, ...image].join(' AND '),
    substitutions,
  };
}

/** A listed build has every substitution the selection names. */
function hasSubstitutions(build: CiBuild, wanted: Record<string, string>): boolean {
  return Object.entries(wanted).every(([key, value]) => build.substitutions[key] === value);
}

async function cloudBuildCheck(
  ctx: CheckContext,
  source: CloudBuildSource,
  subject: ReleaseSubjectOf | { problem: string },
  ports: Pick<ValidationPorts, 'cloudBuild'>,
): Promise<Observation> {
  const project = source.project ?? ctx.target.project;
  const named = [...(source.tags ?? [])].join(', ') || 'the lane';
  const what = `Cloud Build ${named}`;
  const expected = 'newest matching build SUCCESS';
  const listCommand = (filter: string) =>
    `gcloud builds list --project ${shellQuote(project)} --region ${shellQuote(source.location)} --filter ${shellQuote(filter)} --sort-by ~createTime --limit 1`;
  if ('problem' in subject) return notMeasured(what, expected, '-', subject.problem);
  const built = buildFilter(source, subject);
  if ('problem' in built) return notMeasured(what, expected, '-', built.problem);
  const evidence = listCommand(built.filter);
  const label = `${what} for ${describe(subject)}`;
  if (!ports.cloudBuild)
    return notMeasured(
      label,
      expected,
      evidence,
      'Cloud Build is not available to validation on this replica',
    );
  let builds: CiBuild[];
  try {
    builds = await ports.cloudBuild.listBuilds({
      project,
      location: source.location,
      filter: built.server,
      limit: BUILD_LIMIT,
    });
  } catch (error) {
    return notMeasured(label, expected, evidence, messageOf(error));
  }
  const newest = builds.find((build) => hasSubstitutions(build, built.substitutions));
  if (!newest)
    return judged(label, 'no build', expected, evidence, [`no Cloud Build build matches ${built.filter}`]);
  const seen = `build ${newest.id} ${newest.status}${newest.createTime ? ` (created ${newest.createTime})` : ''}`;
  const withLog = newest.logUrl ? `${evidence} ; ${newest.logUrl}` : evidence;
  if (PASSED.has(newest.status)) return judged(label, seen, expected, withLog, []);
  if (FAILED.has(newest.status)) {
    const detail = newest.statusDetail ? `: ${newest.statusDetail}` : '';
    return judged(label, seen, expected, withLog, [`the newest build ended ${newest.status}${detail}`]);
  }
  const why = UNFINISHED.has(newest.status)
    ? `build ${newest.id} is still running (${newest.status})${newest.logUrl ? `: follow it at ${newest.logUrl}` : ''}; run /validate again when it has finished`
    : `build ${newest.id} has status ${newest.status}, which is neither a pass nor a failure`;
  return { ...notMeasured(label, expected, withLog, why), observed: seen };
}

// --- GitHub check runs ----------------------------------------------------------------------------------

const CHECK_FAILED = new Set(['failure', 'timed_out', 'cancelled', 'action_required']);
const CHECK_SKIPPED = new Set(['skipped', 'neutral']);

async function githubCheck(
  ctx: CheckContext,
  source: GithubSource,
  subject: ReleaseSubjectOf | { problem: string },
  ports: Pick<ValidationPorts, 'checkRuns' | 'secrets'>,
): Promise<Observation> {
  const what = `GitHub check ${source.check} in ${source.repo}`;
  const expected = 'newest check run completed with success';
  if ('problem' in subject) return notMeasured(what, expected, '-', subject.problem);
  const sha = subject.sha;
  if (!sha) {
    const tag = subject.image ? imageTag(subject.image) : undefined;
    return notMeasured(
      what,
      expected,
      '-',
      `a GitHub check run belongs to a commit, and ${describe(subject)} names none${tag && !isCommitSha(tag) ? ` (its tag ${tag} is not a commit SHA)` : ''}: pass \`--sha <commit>\` to /validate, or set commitEnv on the lane`,
    );
  }
  const path = `repos/${source.repo}/commits/${sha}/check-runs?check_name=${encodeURIComponent(source.check)}`;
  const evidence = `gh api ${shellQuote(path)}${source.apiUrl ? ` --hostname ${shellQuote(new URL(source.apiUrl).host)}` : ''}`;
  const label = `${what} for ${describe(subject)}`;
  if (!ports.checkRuns)
    return notMeasured(
      label,
      expected,
      evidence,
      'GitHub checks are not available to validation on this replica',
    );
  if (!ports.secrets)
    return notMeasured(label, expected, evidence, `${source.token.ref}: no secret resolver is configured`);
  let runs: CheckRun[];
  try {
    const token = await ports.secrets.resolve(source.token).catch((error: unknown) => {
      throw new Error(`the GitHub token (${source.token.ref}) could not be read: ${messageOf(error)}`);
    });
    runs = await ports.checkRuns.list({
      repo: source.repo,
      ref: sha,
      name: source.check,
      token,
      tokenSource: source.token.ref,
      signal: ctx.signal,
      ...(source.apiUrl ? { apiUrl: source.apiUrl } : {}),
    });
  } catch (error) {
    return notMeasured(label, expected, evidence, messageOf(error));
  }
  const newest = runs[0];
  if (!newest)
    return judged(label, 'no check run', expected, evidence, [
      `no check run named "${source.check}" on ${sha} in ${source.repo}`,
    ]);
  const seen = `check run ${newest.id} ${newest.status}${newest.conclusion ? ` ${newest.conclusion}` : ''}${newest.title ? ` (${newest.title})` : ''}`;
  const withUrl = newest.url ? `${evidence} ; ${newest.url}` : evidence;
  if (newest.status !== 'completed') {
    const why = `check run ${newest.id} is still running (${newest.status})${newest.url ? `: follow it at ${newest.url}` : ''}; run /validate again when it has finished`;
    return { ...notMeasured(label, expected, withUrl, why), observed: seen };
  }
  if (newest.conclusion === 'success') return judged(label, seen, expected, withUrl, []);
  if (newest.conclusion && CHECK_FAILED.has(newest.conclusion))
    return judged(label, seen, expected, withUrl, [`the newest check run concluded ${newest.conclusion}`]);
  if (newest.conclusion && CHECK_SKIPPED.has(newest.conclusion)) {
    const reason = `the newest check run concluded ${newest.conclusion}: the check did not run its tests`;
    return {
      status: 'skip',
      observed: seen,
      expected,
      line: `${label}: ${seen} (${reason}): SKIPPED`,
      evidence: withUrl,
      reason,
    };
  }
  const why = `the newest check run concluded ${newest.conclusion ?? 'nothing'}, which is neither a pass nor a failure; re-run it`;
  return { ...notMeasured(label, expected, withUrl, why), observed: seen };
}

/** "commit 1a2b3c4 (--sha)", "image runtime:v2.3.0 (the image revision runtime-00012-def serves)". */
function describe(subject: Pick<ReleaseSubjectOf, 'sha' | 'image' | 'from'>): string {
  const it = subject.sha
    ? `commit ${subject.sha.slice(0, 12)}`
    : `image ${(subject.image ?? '').slice((subject.image ?? '').lastIndexOf('/') + 1)}`;
  return `${it} (${subject.from})`;
}
