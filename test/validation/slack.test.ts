import { HttpResponse, http } from 'msw';
import { describe, expect, it, vi } from 'vitest';
import type { TwinMessage } from '../../sandbox/twins/slack/state.ts';
import { TSV_COLUMNS } from '../../src/reports/validation-tsv.ts';
import type { ValidationRun } from '../../src/validation/index.ts';
import { CHANNEL, textsOf } from '../helpers/slack-world.ts';
import { runIdOf, useValidationSlack } from './slack-bot.ts';
import { DEPLOYER, matrixConfig, OUTSIDER, RUNTIME_URL, useValidationWorld } from './world.ts';

// /validate through Slack alone: signed slash commands to the real Bolt receiver, the card and the files
// read back from the Slack twin, the matrix run against the Cloud Run, Logging and service twins.

const { slack, world, start, type, verdictCard } = useValidationSlack((handlers) =>
  useValidationWorld('validation-slack', handlers),
);

const startBot = () => start(matrixConfig());
const validate = (userId: string, text: string) => type(userId, text);

/** The card once edited to a verdict. */
const finishedCard = (runId: string) => verdictCard(runId, /Validation of staging: (GO|NO-GO|BASELINE)/);

describe('/validate through Slack', () => {
  it('a replica stopped during a run finishes it first: files in the thread, card edited', async () => {
    world.seed();
    const { bot } = await startBot();
    const answer = await validate(DEPLOYER, 'staging');
    const runId = runIdOf(answer.text);
    await bot.stop(); // SIGTERM: no new work; what was accepted finishes
    const card = slack
      .channel(slack.channelId(CHANNEL))
      .find((m) => JSON.stringify(m.blocks).includes(runId)) as TwinMessage;
    expect(card.text).toMatch(/^Validation of staging: GO/);
    expect(
      slack
        .files()
        .filter((f) => f.thread_ts === card.ts)
        .map((f) => f.name)
        .sort(),
    ).toEqual(['SUMMARY.md', 'results.tsv']);
  });

  it('acks, posts a card, runs the matrix, puts results.tsv and SUMMARY.md in its thread and edits the card', async () => {
    world.seed();
    await startBot();
    const answer = await validate(DEPLOYER, 'staging');
    expect(answer.ephemeral).toBe(true);
    expect(answer.text).toMatch(
      /^Validation of `staging` started: `val-staging-\d{8}T\d{6}-[0-9a-f]{4}`, 12 checks\./,
    );
    const runId = runIdOf(answer.text);

    const card = await finishedCard(runId);
    expect(card.thread_ts).toBeUndefined();
    expect(card.edits).toBeGreaterThanOrEqual(1);
    expect(card.history[0]?.text).toBe('Validation of staging: running (12 checks)');
    expect(card.text).toBe('Validation of staging: GO: 12 of 12 checks passed');
    const cardText = textsOf(card.blocks).join('\n');
    expect(cardText).toContain(
      ':large_green_circle: Go: every required check passed (12 of 12 checks passed).',
    );
    expect(cardText).toContain('control-health      yes     2    0    0    0  PASS');
    expect(cardText).toContain('migration-drift     yes     1    0    0    0  PASS');

    // The files are in the card's thread, uploaded once, with the comment naming the run and verdict.
    const files = await vi.waitFor(() => {
      const found = slack.files().filter((f) => f.thread_ts === card.ts);
      expect(found).toHaveLength(2);
      return found;
    });
    const byName = Object.fromEntries(files.map((f) => [f.name, f]));
    expect(byName['results.tsv']).toMatchObject({ completed: true, channel: card.channel });
    const [head, ...rows] = (byName['results.tsv']?.content ?? '').trimEnd().split('\n');
    expect(head).toBe(TSV_COLUMNS.join('\t'));
    expect(rows).toHaveLength(12);
    expect(rows.every((r) => r.split('\t')[TSV_COLUMNS.indexOf('status')] === 'pass')).toBe(true);
    expect(rows.every((r) => r.split('\t')[0] === 'staging')).toBe(true);
    expect(byName['SUMMARY.md']?.content).toContain('# Validation matrix: staging');
    expect(byName['SUMMARY.md']?.content).toContain('**GO.**');
    expect(byName['SUMMARY.md']?.title).toBe(`SUMMARY.md (${runId})`);
    const replies = slack.thread(card.channel, card.ts);
    expect(replies.map((m) => m.text)).toEqual([
      `results.tsv and SUMMARY.md of validation run ${runId} (staging): GO`,
    ]);
  });

  it('answers who may not run it, unknown environments and missing matrices, and changes nothing', async () => {
    world.seed();
    await startBot();
    const outsider = await validate(OUTSIDER, 'staging');
    expect(outsider).toMatchObject({ ephemeral: true });
    expect(outsider.text).toContain(
      'Only deployers, approvers and admins of `staging` may run its validation',
    );
    expect(outsider.text).toContain('Anyone can read');

    const unknown = await validate(DEPLOYER, 'stagin');
    expect(unknown.ephemeral).toBe(true);
    expect(unknown.text).toContain('Unknown environment `stagin`. Did you mean `staging`?');
    expect(unknown.text).toContain('Usage:');
    const noMatrix = await validate(DEPLOYER, 'dev');
    expect(noMatrix.text).toContain('`dev` has no validation matrix');

    expect(slack.channel(slack.channelId(CHANNEL))).toEqual([]);
    expect(await world.store.redis.keys(`${world.store.keys.prefix}validation*`)).toEqual([]);
  });

  it('answers a second run while one is under way with the first one', async () => {
    world.seed();
    let release: () => void = () => {};
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    world.server.use(
      http.get(`${RUNTIME_URL}/healthz`, async () => {
        await released;
        return HttpResponse.text('ok');
      }),
    );
    await startBot();
    const first = await validate(DEPLOYER, 'staging');
    const runId = runIdOf(first.text);
    const second = await validate(DEPLOYER, 'staging --baseline');
    expect(second.text).toContain(`A validation of \`staging\` is already running: \`${runId}\``);
    expect(second.text).toContain(`asked by <@${DEPLOYER}>`);
    release();
    await finishedCard(runId);
    expect(slack.channel(slack.channelId(CHANNEL))).toHaveLength(1);
  });

  it('keeps the results when the files cannot be uploaded, says so in the thread, and uploads them on request', async () => {
    world.seed();
    world.services.state.healthy = false;
    await startBot();
    slack.failNext('files.getUploadURLExternal', 'file_uploads_disabled');
    const answer = await validate(DEPLOYER, 'staging');
    const runId = runIdOf(answer.text);

    const card = await finishedCard(runId);
    expect(card.text).toMatch(/^Validation of staging: NO-GO/);
    expect(textsOf(card.blocks).join('\n')).toContain(
      'could not be uploaded: An API error occurred: file_uploads_disabled',
    );
    const [notice] = await vi.waitFor(() => {
      const replies = slack.thread(card.channel, card.ts);
      expect(replies).toHaveLength(1);
      return replies;
    });
    expect(textsOf(notice?.blocks).join('\n')).toContain(`\`/validate files ${runId}\` uploads them`);
    expect(slack.files()).toEqual([]);
    // Nothing measured was lost: the run is in Redis with every result.
    const kept = JSON.parse(
      (await world.store.redis.get(world.store.keys.validation(runId))) as string,
    ) as ValidationRun;
    expect(kept).toMatchObject({ status: 'finished', verdict: { outcome: 'no-go' } });
    expect(kept.results).toHaveLength(12);

    const again = await validate(OUTSIDER, `files ${runId}`);
    expect(again.text).toContain(`results.tsv and SUMMARY.md of \`${runId}\` are in its thread`);
    const files = slack.files().filter((f) => f.thread_ts === card.ts);
    expect(files.map((f) => f.name).sort()).toEqual(['SUMMARY.md', 'results.tsv']);
    expect(files.find((f) => f.name === 'results.tsv')?.content.split('\n')[1]).toMatch(
      /^staging\tcontrol-health\thealthz\tcontrol\trequired\tfail\t503 in/,
    );
  });
});
