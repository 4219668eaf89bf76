import { describe, expect, it } from 'vitest';
import { GITHUB_TWIN_TOKEN } from '../../sandbox/twins/github/index.ts';
import { buildFilter } from '../../src/validation/checks/external-ci.ts';
import type { CheckResult, ValidationRun } from '../../src/validation/index.ts';
import { COMMIT, lanesConfig, REPO, useLanesWorld } from './lanes-world.ts';
import { PROJECT, RUNTIME_IMAGE } from './world.ts';

// The external-ci lane (seed 002's Khala contract and surface parity lanes): the CI result of the commit
// or image being released, read from the Cloud Build and GitHub twins through the real adapters.

const world = useLanesWorld('validation-external-ci');
const CHECK = 'cross-surface-contract-harness';

/** The path and query of the last request Cloud Build got. */
function sentQuery() {
  const url = new URL(world.cloudBuild.recorder.requests.at(-1)?.path ?? '', 'http://x');
  return { path: url.pathname, query: url.searchParams };
}

const rowOf = (run: ValidationRun, lane: string) => run.results.find((r) => r.lane === lane) as CheckResult;

describe('the Cloud Build filter', () => {
  const source = { tags: ['khala-contract'], location: 'global', commitSubstitution: 'COMMIT_SHA' };
  it('names the tags and the commit, full or short, or the image', () => {
    // `filter` is what gcloud takes; `server` what Cloud Build's API can evaluate (no substitutions).
    expect(buildFilter(source, { sha: COMMIT })).toEqual({
      filter: `tags="khala-contract" AND substitutions.COMMIT_SHA="${COMMIT}"`,
      server: 'tags="khala-contract"',
      substitutions: { COMMIT_SHA: COMMIT },
    });
    expect(buildFilter(source, { sha: COMMIT.slice(0, 7) })).toMatchObject({
      filter: 'tags="khala-contract" AND substitutions.SHORT_SHA="0123456"',
      substitutions: { SHORT_SHA: '0123456' },
    });
    expect(buildFilter({ ...source, substitutions: { _SUITE: 'khala' } }, { image: 'r/app:v1' })).toEqual({
      filter: 'tags="khala-contract" AND substitutions._SUITE="khala" AND images="r/app:v1"',
      server: 'tags="khala-contract" AND images="r/app:v1"',
      substitutions: { _SUITE: 'khala' },
    });
    expect(buildFilter(source, { sha: COMMIT.slice(0, 12) })).toMatchObject({
      problem: expect.stringContaining('40-character SHA or its 7-character SHORT_SHA'),
    });
  });
});

describe('an external-ci lane on Cloud Build', () => {
  it('passes on the newest build of the commit given with --sha, and fails when that one failed', async () => {
    world.seedLanes();
    let run = await world.run({ sha: COMMIT });
    expect(rowOf(run, 'khala-contract')).toMatchObject({ status: 'pass', required: true });
    expect(rowOf(run, 'khala-contract').observed).toMatch(/^build [0-9a-f-]{36} SUCCESS \(created /);
    expect(rowOf(run, 'khala-contract').evidence).toContain(
      `gcloud builds list --project '${PROJECT}' --region 'global' --filter 'tags="khala-contract" AND substitutions.COMMIT_SHA="${COMMIT}"'`,
    );
    const asked = sentQuery();
    expect(asked.path).toBe(`/v1/projects/${PROJECT}/builds`);
    expect(asked.query.get('parent')).toBe(`projects/${PROJECT}/locations/global`);
    // Cloud Build's API cannot filter by substitution (the twin refuses it, 400): the lane matches the
    // commit on the builds the tag selects.
    expect(asked.query.get('filter')).toBe('tags="khala-contract"');

    // A newer build of another commit does not hide this commit's.
    world.cloudBuild.addBuild({
      project: PROJECT,
      tags: ['khala-contract'],
      substitutions: { COMMIT_SHA: 'e'.repeat(40) },
      status: 'FAILURE',
    });
    run = await world.run({ sha: COMMIT });
    expect(rowOf(run, 'khala-contract')).toMatchObject({ status: 'pass' });

    // A re-run of the same commit failed after it: the newest build decides.
    world.cloudBuild.addBuild({
      project: PROJECT,
      tags: ['khala-contract'],
      substitutions: { COMMIT_SHA: COMMIT },
      status: 'FAILURE',
      statusDetail: 'Build step 1 "cargo test" failed: exit status 101',
    });
    run = await world.run({ sha: COMMIT });
    expect(rowOf(run, 'khala-contract')).toMatchObject({
      status: 'fail',
      reason: 'the newest build ended FAILURE: Build step 1 "cargo test" failed: exit status 101',
    });
    expect(run.verdict?.outcome).toBe('no-go');
  });

  it('says a build still running is not measured yet, with its log URL', async () => {
    world.seedLanes();
    const id = world.cloudBuild.addBuild({
      project: PROJECT,
      tags: ['khala-contract'],
      substitutions: { COMMIT_SHA: COMMIT },
    });
    world.cloudBuild.setStatus(id, 'WORKING');
    const run = await world.run({ sha: COMMIT });
    const row = rowOf(run, 'khala-contract');
    expect(row.status).toBe('error');
    expect(row.reason).toBe(
      `build ${id} is still running (WORKING): follow it at https://console.cloud.google.com/cloud-build/builds;region=global/${id}?project=${PROJECT}; run /validate again when it has finished`,
    );
    expect(row.observed).toBe(`build ${id} WORKING (created ${world.cloudBuild.build(id)?.createTime})`);
  });

  it('fails with the filter when no build matches', async () => {
    world.seedLanes();
    const other = 'f'.repeat(40);
    const run = await world.run({ sha: other });
    expect(rowOf(run, 'khala-contract')).toMatchObject({
      status: 'fail',
      observed: 'no build',
      reason: `no Cloud Build build matches tags="khala-contract" AND substitutions.COMMIT_SHA="${other}"`,
    });
  });

  it("reads the image the serving revision runs when no commit is given, or the --image's", async () => {
    world.seedLanes();
    let run = await world.run();
    expect(rowOf(run, 'khala-contract')).toMatchObject({ status: 'pass' });
    expect(rowOf(run, 'khala-contract').line).toContain(
      'for image runtime:v2.3.0 (the image revision runtime-staging-00012-def serves)',
    );
    expect(sentQuery().query.get('filter')).toBe(`tags="khala-contract" AND images="${RUNTIME_IMAGE}"`);

    // --image v9.9.9: no build made that image.
    run = await world.run({ image: 'v9.9.9' });
    expect(rowOf(run, 'khala-contract')).toMatchObject({
      status: 'fail',
      reason: `no Cloud Build build matches tags="khala-contract" AND images="${RUNTIME_IMAGE.replace('v2.3.0', 'v9.9.9')}"`,
    });
  });

  it('reads the commit from the revision when the lane names its commitEnv, and says what to pass when it is missing', async () => {
    world.seedLanes();
    const config = lanesConfig();
    const lane = config.environments.staging?.validation?.lanes.find((l) => l.name === 'khala-contract');
    if (lane?.kind === 'external-ci') lane.commitEnv = 'OA_COMMIT_SHA';
    // The runtime's revision carries no OA_COMMIT_SHA yet.
    let run = await world.run({ config });
    expect(rowOf(run, 'khala-contract')).toMatchObject({
      status: 'error',
      reason:
        'revision runtime-staging-00012-def has no OA_COMMIT_SHA environment variable with the commit; pass `--sha <commit>` or `--image <tag>` to /validate',
    });

    world.cloudRun.seedService({
      project: PROJECT,
      region: 'us-central1',
      service: 'runtime-staging',
      image: RUNTIME_IMAGE,
      revision: 'runtime-staging-00013-ghi',
      env: { OA_COMMIT_SHA: COMMIT },
    });
    run = await world.run({ config });
    expect(rowOf(run, 'khala-contract')).toMatchObject({ status: 'pass' });
    expect(rowOf(run, 'khala-contract').line).toContain(
      'for commit 0123456789ab (OA_COMMIT_SHA of revision runtime-staging-00013-ghi)',
    );
  });

  it('lists regional builds under their own location only', async () => {
    world.seedLanes();
    world.cloudBuild.reset();
    world.cloudBuild.addBuild({
      project: PROJECT,
      location: 'us-central1',
      tags: ['khala-contract'],
      substitutions: { COMMIT_SHA: COMMIT },
      status: 'SUCCESS',
    });
    const config = lanesConfig();
    let run = await world.run({ sha: COMMIT, config });
    expect(rowOf(run, 'khala-contract').status).toBe('fail');
    const lane = config.environments.staging?.validation?.lanes.find((l) => l.name === 'khala-contract');
    if (lane?.kind === 'external-ci' && lane.cloudBuild) lane.cloudBuild.location = 'us-central1';
    run = await world.run({ sha: COMMIT, config });
    expect(rowOf(run, 'khala-contract').status).toBe('pass');
  });

  it('tries again when Cloud Build is over quota, and says what it could not read when it stays so', async () => {
    world.seedLanes();
    world.cloudBuild.recorder.inject({ match: 'GET /v1/projects', status: 429 });
    let run = await world.run({ sha: COMMIT });
    expect(rowOf(run, 'khala-contract').status).toBe('pass');

    world.cloudBuild.recorder.inject({ match: 'GET /v1/projects', status: 403, times: 2 });
    run = await world.run({ sha: COMMIT });
    expect(rowOf(run, 'khala-contract')).toMatchObject({ status: 'error' });
    expect(rowOf(run, 'khala-contract').reason).toContain(
      "permission denied; grant the bot's service account roles/cloudbuild.builds.viewer",
    );
  });
});

describe('an external-ci lane on GitHub', () => {
  it('passes on a successful check run of the commit, fails on a failed one, and waits for a running one', async () => {
    world.seedLanes();
    let run = await world.run({ sha: COMMIT });
    const row = rowOf(run, 'surface-parity');
    expect(row).toMatchObject({ status: 'pass', required: false });
    expect(row.observed).toMatch(/^check run \d+ completed success$/);
    expect(row.evidence).toContain(
      `gh api 'repos/${REPO}/commits/${COMMIT}/check-runs?check_name=cross-surface-contract-harness' --hostname 'github.example.test'`,
    );
    const sent = world.github.recorder.requests.at(-1);
    expect(sent?.headers.authorization).toBe(`token ${GITHUB_TWIN_TOKEN}`);

    // Re-run: the newest run failed.
    world.github.addCheckRun(REPO, {
      sha: COMMIT,
      name: CHECK,
      conclusion: 'timed_out',
      title: 'Harness timed out',
    });
    run = await world.run({ sha: COMMIT });
    expect(rowOf(run, 'surface-parity')).toMatchObject({
      status: 'fail',
      reason: 'the newest check run concluded timed_out',
    });
    expect(rowOf(run, 'surface-parity').observed).toContain('(Harness timed out)');
    // Optional: a warning on a go.
    expect(run.verdict).toMatchObject({
      outcome: 'go',
      warnings: [expect.stringContaining('surface-parity')],
    });

    const id = world.github.addCheckRun(REPO, { sha: COMMIT, name: CHECK, status: 'in_progress' });
    run = await world.run({ sha: COMMIT });
    expect(rowOf(run, 'surface-parity')).toMatchObject({ status: 'error' });
    expect(rowOf(run, 'surface-parity').reason).toBe(
      `check run ${id} is still running (in_progress): follow it at https://github.com/${REPO}/runs/${id}; run /validate again when it has finished`,
    );
  });

  it('fails when the commit has no such check run, and errors when the commit is unknown', async () => {
    world.seedLanes();
    const head = world.github.branches(REPO).main as string;
    let run = await world.run({ sha: head });
    expect(rowOf(run, 'surface-parity')).toMatchObject({
      status: 'fail',
      reason: `no check run named "cross-surface-contract-harness" on ${head} in ${REPO}`,
    });
    run = await world.run({ sha: 'a'.repeat(40) });
    expect(rowOf(run, 'surface-parity')).toMatchObject({ status: 'error' });
    expect(rowOf(run, 'surface-parity').reason).toContain(`No commit found for SHA: ${'a'.repeat(40)}`);
  });

  it('says a check run needs a commit when only an image with a version tag is known', async () => {
    world.seedLanes();
    const run = await world.run();
    expect(rowOf(run, 'surface-parity')).toMatchObject({
      status: 'error',
      reason:
        'a GitHub check run belongs to a commit, and image control:v1.42.0 (the image revision control-staging-00007-abc serves) names none (its tag v1.42.0 is not a commit SHA): pass `--sha <commit>` to /validate, or set commitEnv on the lane',
    });
  });

  it('names the token reference, never the token, when GitHub refuses it', async () => {
    world.seedLanes();
    world.github.revokeToken(GITHUB_TWIN_TOKEN);
    const run = await world.run({ sha: COMMIT });
    const row = rowOf(run, 'surface-parity');
    expect(row.status).toBe('error');
    expect(row.reason).toContain(
      '(401): Bad credentials; GitHub rejected the token from env:GITHUB_CHECKS_TOKEN',
    );
    expect(JSON.stringify(run)).not.toContain(GITHUB_TWIN_TOKEN);
  });
});
