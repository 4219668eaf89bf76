import { describe, expect, it, vi } from 'vitest';
import { createStorageTwin } from '../../sandbox/twins/storage/index.ts';
import { createGcsSink } from '../../src/platform/reports/gcs.ts';
import { ENV, ON_CALL, PROJECT, SERVICE, STABLE_REVISION, testConfig } from '../helpers/engine-world.ts';
import { textsOf, useSlackWorld } from '../helpers/slack-world.ts';

// Reports that outlive Redis (issue 18, section 4), through Slack: a rollout's summary.json and SUMMARY.md
// are also kept in the environment's Cloud Storage bucket (the twin, through the real client library), the
// thread links them, and /report fetches them back by run id.

const BUCKET = 'shiftgate-reports-test';
const storage = createStorageTwin({ buckets: [BUCKET] });
const s = useSlackWorld('slack-report-sink', storage.handlers);
const { world, slack } = s;
const sink = createGcsSink({
  target: { projectId: PROJECT, endpoint: { host: 'storage.twin', port: 80, protocol: 'http' } },
  bucket: BUCKET,
});

describe('reports kept beyond Redis', () => {
  it("a rollback's report lands in the bucket, the thread links it, and /report fetches it", async () => {
    storage.reset();
    const config = testConfig();
    const prod = config.environments[ENV];
    if (!prod) throw new Error('no prod');
    prod.reports = { gcs: { bucket: BUCKET, prefix: 'shiftgate-reports/' } };
    world.seedBadRelease();
    await s.start(config, { reportSinks: async (env) => (env === ENV ? sink : undefined) });
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
