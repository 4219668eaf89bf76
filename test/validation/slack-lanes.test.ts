import { describe, expect, it, vi } from 'vitest';
import { TSV_COLUMNS, unescapeTsv } from '../../src/reports/validation-tsv.ts';
import { ACCESS_TOKEN } from '../helpers/fake-control-service.ts';
import { CHANNEL, textsOf } from '../helpers/slack-world.ts';
import {
  BACKUP_BUCKET,
  BACKUP_PREFIX,
  COMMIT,
  HOUR,
  lanesConfig,
  REPO,
  useLanesWorld,
} from './lanes-world.ts';
import { runIdOf, useValidationSlack } from './slack-bot.ts';
import { DEPLOYER, PROJECT } from './world.ts';

// /validate with the external-ci, runtime-smoke and backup lanes, through Slack alone: signed slash
// commands with --phase, --sha and --image to the real Bolt receiver, the matrix run against the Cloud
// Build, GitHub, Cloud Storage and service twins, the card and files read back from the Slack twin.

const { slack, world, start, type, verdictCard } = useValidationSlack((handlers) =>
  useLanesWorld('validation-slack-lanes', handlers),
);

const startBot = () => start(lanesConfig());
/** Types `/validate <text>` as the deployer in #deploys: the ack's text, or the first reply's. */
const validate = (text: string) => type(DEPLOYER, text);

/** results.tsv back into rows of named fields. */
function readTsv(text: string): Record<string, string>[] {
  const [, ...lines] = text.trimEnd().split('\n');
  return lines.map((line) =>
    Object.fromEntries(TSV_COLUMNS.map((name, i) => [name, unescapeTsv(line.split('\t')[i] ?? '')])),
  );
}

/** The card once edited to a verdict, and the run's files in its thread. */
async function finished(runId: string) {
  const card = await verdictCard(runId, /Validation of staging: (GO|NO-GO)/);
  const files = await vi.waitFor(() => {
    const found = slack.files().filter((f) => f.thread_ts === card.ts);
    expect(found).toHaveLength(2);
    return Object.fromEntries(found.map((f) => [f.name, f.content]));
  });
  const rows = readTsv(files['results.tsv'] ?? '');
  return { card, cardText: textsOf(card.blocks).join('\n'), summary: files['SUMMARY.md'] ?? '', rows };
}

describe('/validate with the external-ci, runtime-smoke and backup lanes', () => {
  it('runs the legacy-deletion phase for a commit: every lane in the files, the phase and commit on the card', async () => {
    world.seedLanes();
    await startBot();
    const answer = await validate(`staging --phase legacy-deletion --sha ${COMMIT}`);
    expect(answer.ephemeral).toBe(true);
    expect(answer.text).toMatch(
      new RegExp(
        `^Validation of \`staging\` \\(phase \`legacy-deletion\`, commit \`${COMMIT}\`\\) started: \`val-staging-[^\`]+\`, 7 checks\\.`,
      ),
    );
    const { card, cardText, summary, rows } = await finished(runIdOf(answer.text));
    expect(card.text).toBe('Validation of staging: GO: 7 of 7 checks passed');
    expect(cardText).toContain('phase `legacy-deletion`');
    expect(cardText).toContain(`commit \`${COMMIT}\``);
    expect(rows.map((r) => [r.lane, r.check, r.service, r.status])).toEqual([
      ['khala-contract', 'external-ci', 'runtime', 'pass'],
      ['surface-parity', 'external-ci', 'control', 'pass'],
      ['runtime-smoke', 'GET /healthz', 'runtime', 'pass'],
      ['runtime-smoke', 'GET /readyz', 'runtime', 'pass'],
      ['runtime-smoke', 'authorize', 'runtime', 'pass'],
      ['runtime-smoke', 'GET /api/auth/session', 'runtime', 'pass'],
      ['legacy-db-backup', 'backup', 'control', 'pass'],
    ]);
    expect(rows.find((r) => r.lane === 'legacy-db-backup')?.observed).toMatch(
      new RegExp(`^gs://${BACKUP_BUCKET}/${BACKUP_PREFIX}\\S+ from \\S+Z, (59m|1h) old$`),
    );
    expect(summary).toContain('- Phase: `legacy-deletion` (with the lanes limited to it)');
    expect(summary).toContain(`- Commit: \`${COMMIT}\``);
    expect(JSON.stringify({ card, summary, rows })).not.toContain(ACCESS_TOKEN);
  });

  it('is a no-go with a stale backup in the phase, naming its age and the bound; without the phase it is not run', async () => {
    world.seedLanes();
    world.storage.reset();
    world.storage.putObject(BACKUP_BUCKET, `${BACKUP_PREFIX}laravel-old.sql.gz`, 'dump', 'application/gzip', {
      at: new Date(Date.now() - 30 * HOUR),
    });
    await startBot();
    const phased = await validate(`staging --phase legacy-deletion --sha ${COMMIT}`);
    const { card, cardText } = await finished(runIdOf(phased.text));
    expect(card.text).toMatch(/^Validation of staging: NO-GO/);
    expect(cardText).toContain('legacy-db-backup / backup');
    expect(cardText).toContain('1d6h old (the newest backup is older than 1d): FAIL');

    const plain = await validate(`staging --sha ${COMMIT}`);
    expect(plain.text).toContain(', 6 checks.');
    const second = await finished(runIdOf(plain.text));
    expect(second.card.text).toBe('Validation of staging: GO: 6 of 6 checks passed');
    expect(second.rows.map((r) => r.lane)).not.toContain('legacy-db-backup');
    expect(second.summary).not.toContain('- Phase:');
  });

  it('reads what the service serves without --sha: a running Khala build is a no-go naming its log, surface parity a warning', async () => {
    world.seedLanes();
    const id = world.cloudBuild.addBuild({
      project: PROJECT,
      tags: ['khala-contract'],
      images: ['us-central1-docker.pkg.dev/openagentsgemini/runtime/runtime:v2.3.0'],
    });
    world.cloudBuild.setStatus(id, 'WORKING');
    await startBot();
    const answer = await validate('staging');
    const { card, cardText, rows } = await finished(runIdOf(answer.text));
    expect(card.text).toMatch(/^Validation of staging: NO-GO/);
    const khala = rows.find((r) => r.lane === 'khala-contract');
    expect(khala).toMatchObject({ status: 'error' });
    expect(khala?.reason).toContain(
      `build ${id} is still running (WORKING): follow it at https://console.cloud.google.com/cloud-build/builds;region=global/${id}`,
    );
    expect(cardText).toContain(`build ${id} is still running (WORKING)`);
    const parity = rows.find((r) => r.lane === 'surface-parity');
    expect(parity).toMatchObject({ status: 'error', required: 'optional' });
    expect(parity?.reason).toContain('pass `--sha <commit>` to /validate');
  });

  it('passes --image on to the Cloud Build filter', async () => {
    world.seedLanes();
    world.github.addCheckRun(REPO, {
      sha: COMMIT,
      name: 'cross-surface-contract-harness',
      conclusion: 'success',
    });
    await startBot();
    const answer = await validate('staging --image v9.9.9');
    expect(answer.text).toContain('(image `v9.9.9`)');
    const { rows } = await finished(runIdOf(answer.text));
    expect(rows.find((r) => r.lane === 'khala-contract')).toMatchObject({
      status: 'fail',
      reason:
        'no Cloud Build build matches tags="khala-contract" AND images="us-central1-docker.pkg.dev/openagentsgemini/runtime/runtime:v9.9.9"',
    });
  });

  it('refuses an unknown phase, a bad SHA and both --sha and --image, and posts nothing', async () => {
    world.seedLanes();
    await startBot();
    const phase = await validate('staging --phase legacy-deleton');
    expect(phase.ephemeral).toBe(true);
    expect(phase.text).toContain(
      'Unknown phase `legacy-deleton`. Did you mean `legacy-deletion`? Phases of the `staging` matrix: `legacy-deletion`.',
    );
    expect(phase.text).toContain('Usage:');
    const sha = await validate('staging --sha main');
    expect(sha.text).toContain('`main` is not a commit SHA: 7 to 40 hexadecimal characters');
    const both = await validate(`staging --sha ${COMMIT} --image v1`);
    expect(both.text).toContain('Give `--sha` or `--image`, not both');
    const files = await validate('files --phase legacy-deletion');
    expect(files.text).toContain('`--phase` goes with a run');
    expect(slack.channel(slack.channelId(CHANNEL))).toEqual([]);
  });
});
