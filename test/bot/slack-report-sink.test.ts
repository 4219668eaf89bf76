import { describe, expect, it, vi } from 'vitest';
import { createStorageTwin } from '../../sandbox/twins/storage/index.ts';
import { ACTIONS } from '../../src/blocks/actions.ts';
import { createGcsSink } from '../../src/platform/reports/gcs.ts';
import {
  ENV,
  ON_CALL,
  OUTSIDER,
  PROJECT,
  REQUESTER,
  SERVICE,
  STABLE_REVISION,
  testConfig,
} from '../helpers/engine-world.ts';
import { buttonsOf, textsOf, useSlackWorld } from '../helpers/slack-world.ts';

// Reports that outlive Redis (issue 18, section 4), through Slack: a rollout's summary.json and SUMMARY.md,
// and an incident's report, are also kept in the environment's Cloud Storage bucket (the twin, through the
// real client library), the thread links them, and /report fetches them back by id.

const BUCKET = 'shiftgate-reports-test';
const storage = createStorageTwin({ buckets: [BUCKET] });
const s = useSlackWorld('slack-report-sink', storage.handlers);
const { world, slack } = s;
const sink = createGcsSink({
  target: { projectId: PROJECT, endpoint: { host: 'storage.twin', port: 80, protocol: 'http' } },
  bucket: BUCKET,
});

/** A replica whose prod keeps its reports in the bucket too. */
async function startKeepingReports() {
  const config = testConfig();
  const prod = config.environments[ENV];
  if (!prod) throw new Error('no prod');
  prod.reports = { gcs: { bucket: BUCKET, prefix: 'shiftgate-reports/' } };
  await s.start(config, { reportSinks: async (env) => (env === ENV ? sink : undefined) });
}

describe('reports kept beyond Redis', () => {
  it("a rollback's report lands in the bucket, the thread links it, and /report fetches it", async () => {
    storage.reset();
    world.seedBadRelease();
    await startKeepingReports();
    const ran = await s.command(
      ON_CALL,
      '/rollback',
      `${SERVICE} --to ${STABLE_REVISION} --reason "5xx spike"`,
    );
    const id = /`([^`]+)`\. Follow/.exec(ran.text)?.[1] as string;
    expect(id).toBeDefined();
    const line = await s.waitForMessage((m) => m.text.startsWith('Report kept'), 20_000);
    const said = textsOf(line.blocks).join('\n');
    expect(said).toContain(`gs://${BUCKET}/shiftgate-reports/${id}/summary.json`);
    expect(said).toContain(`/report ${id}`);
    const object = storage.object(BUCKET, `shiftgate-reports/${id}/SUMMARY.md`);
    expect(object?.text ?? '').toContain('rollback');
    // Gone from Redis (past its 90 days): /report still finds it in the bucket.
    await world.store.redis.del(world.store.keys.rollout(id), world.store.keys.report(id));
    const fetched = await s.command(ON_CALL, '/report', id);
    expect(fetched.text).toContain(`Report \`${id}\``);
    expect(fetched.text).toContain('summary.json');
    const missing = await s.command(ON_CALL, '/report', 'web-prod-20200101T000000-dead');
    expect(missing.text).toContain('No report');
    await vi.waitFor(() => expect(slack.files().some((f) => f.name === 'summary.json')).toBe(true), {
      timeout: 10_000,
    });
  });
});

const idOf = (text: string) => /`(incident-[^`]+)`/.exec(text)?.[1] as string;

describe('incident reports kept beyond Redis', () => {
  it("land in the environment's bucket before the thread's files; the thread links them; /report fetches them", async () => {
    storage.reset();
    world.seed();
    await startKeepingReports();
    const id = idOf((await s.command(REQUESTER, '/incident', `open ${SERVICE} checkout 5xx`)).text);
    const card = await s.waitForMessage((m) => buttonsOf(m).some((b) => b.value.includes(id)));
    await s.deliver(slack.people.say(REQUESTER, card.channel, 'pool exhausted, resized', card.ts).delivered);
    await s.current.bot.idle();
    expect((await s.command(REQUESTER, '/incident', 'close resized the pool')).text).toContain(
      `Closed \`${id}\``,
    );

    const folder = `shiftgate-reports/${id}/`;
    expect(storage.names(BUCKET, folder)).toEqual([
      `${folder}incident-report.json`,
      `${folder}incident-report.md`,
    ]);
    const markdown = storage.object(BUCKET, `${folder}incident-report.md`);
    expect(markdown?.contentType).toContain('text/markdown');
    expect(markdown?.text).toContain('pool exhausted, resized');
    const thread = s.thread(card.ts).filter((m) => m.user !== REQUESTER);
    // The durable copy first, then the files, as a rollout's report.
    const kept = thread.findIndex((m) => m.text === `Report kept: ${id}`);
    const files = thread.findIndex((m) => m.text.startsWith('Incident report:'));
    expect(kept).toBeGreaterThanOrEqual(0);
    expect(files).toBeGreaterThan(kept);
    const said = textsOf(thread[kept]?.blocks).join('\n');
    expect(said).toContain(`gs://${BUCKET}/${folder}incident-report.md`);
    expect(said).toContain(`/report ${id}`);
    expect(slack.files().find((f) => f.name === `${id}.md`)?.content).toBe(markdown?.text);

    // Gone from Redis: /report still has it, with the start of its Markdown.
    await world.store.redis.del(world.store.keys.incident(id), world.store.keys.incidentReport(id));
    const fetched = await s.command(OUTSIDER, '/report', id);
    expect(fetched.text).toContain(`Report \`${id}\``);
    expect(fetched.text).toContain('incident-report.md');
    expect(fetched.text).toContain('checkout 5xx');
  });

  it('a resolution that died after the sink write and before the Slack upload is finished by resolving again', async () => {
    storage.reset();
    world.seed();
    await startKeepingReports();
    const id = idOf((await s.command(REQUESTER, '/incident', `open ${SERVICE} login errors`)).text);
    const card = structuredClone(
      await s.waitForMessage((m) => buttonsOf(m).some((b) => b.value.includes(id))),
    );
    // The replica resolving it gets as far as the sink: the thread's upload never happens (Slack refuses it
    // here, as the death would leave it), and its claim lapses as a dead replica's does.
    slack.failNext('files.getUploadURLExternal', 'internal_error');
    const closed = await s.command(REQUESTER, '/incident', 'close fixed');
    expect(closed.text).toContain('could not be posted into the thread');
    const folder = `shiftgate-reports/${id}/`;
    expect(storage.names(BUCKET, folder)).toHaveLength(2);
    expect(slack.files().filter((f) => f.name.startsWith(id))).toEqual([]);
    await world.store.redis.del(world.store.keys.idempotency(`incident.resolve.${id}`));

    // Resolve on the card as it still stood: the report is published, not resolved twice.
    await s.click(REQUESTER, card, ACTIONS.resolve);
    await vi.waitFor(
      () => expect(slack.files().filter((f) => f.name.startsWith(id) && f.completed)).toHaveLength(2),
      { timeout: 10_000 },
    );
    expect(storage.names(BUCKET, folder)).toHaveLength(2);
    const lines = s.thread(card.ts).filter((m) => m.text.startsWith('Report kept'));
    expect(lines).toHaveLength(1);
    const resolutions = (await world.store.timelines.list(id)).filter((e) =>
      e.text.startsWith('Resolved by'),
    );
    expect(resolutions).toHaveLength(1);
    // A third click finds the report in the thread: already resolved, nothing more.
    const third = await s.click(REQUESTER, card, ACTIONS.resolve);
    const answer = await vi.waitFor(() => {
      const [reply] = slack.responses(third);
      expect(reply).toBeDefined();
      return reply as { text?: string };
    });
    expect(answer.text).toContain('already resolved');
    expect(slack.files().filter((f) => f.name.startsWith(id))).toHaveLength(2);
  });
});
