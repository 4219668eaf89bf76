import { WebClient } from '@slack/web-api';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createSlackTwin } from '../../sandbox/twins/slack/index.ts';
import { md, textMessage } from '../../src/blocks/message.ts';
import { createMessageRefs } from '../../src/platform/slack/message-refs.ts';
import { createPoster, type Poster } from '../../src/platform/slack/poster.ts';
import { createReportUpload } from '../../src/platform/slack/report-upload.ts';
import { createStageChartPoster } from '../../src/platform/slack/stage-charts.ts';
import { rolloutSummary } from '../../src/reports/rollout-summary.ts';
import { summaryJson } from '../../src/reports/summary-json.ts';
import { summaryMarkdown } from '../../src/reports/summary-md.ts';
import type { ReportFile, ReportSink } from '../../src/runbooks/ports/report-sink.ts';
import type { CanaryState } from '../../src/runbooks/types.ts';
import { GATES, passing, STABLE, scenario, watching } from '../blocks/fixtures.ts';
import { watchedStageB } from '../charts/fixtures.ts';
import { CLOUD_RUN_SERVICE, PROJECT, REGION, SERVICE, testConfig } from '../helpers/engine-world.ts';
import { useTwins } from '../helpers/msw.ts';
import { openTestStore } from '../helpers/redis.ts';

// The evidence report into a rollout's thread (src/platform/slack/report-upload.ts) through the real
// WebClient's filesUploadV2 to the Slack twin, over a real Redis: both files in one upload with a short
// comment, once however many replicas notify the ending, and a failed upload said in the thread with
// nothing lost.

const slack = createSlackTwin();
useTwins(...slack.handlers);
const db = openTestStore('report-upload');
const config = testConfig();
let client: WebClient;
let errors: string[] = [];
const log = {
  warn: () => {},
  error: (message: string, fields?: Record<string, unknown>) =>
    errors.push(`${message} ${JSON.stringify(fields)}`),
};

beforeAll(() => {
  client = new WebClient(slack.botToken, { slackApiUrl: slack.apiUrl, retryConfig: { retries: 0 } });
});
beforeEach(() => {
  slack.reset();
  errors = [];
});
afterAll(() => db.cleanup());

/** One replica's uploader: its own Redis connection and poster, the shared prefix. */
function replica() {
  const store = db.openAnother();
  const poster = createPoster(client, createMessageRefs(store.redis, store.keys));
  return { poster, upload: createReportUpload({ store, poster, config, log }) };
}

/** A fixture state as the config's service, under an id of its own (one rollout per test). */
function asWeb(state: CanaryState): CanaryState {
  return { ...state, id: `r-${Math.random().toString(36).slice(2, 10)}`, service: SERVICE };
}

async function threadOf(poster: Poster) {
  const root = await poster.post({ channel: '#deploys' }, textMessage(md`Canary web`));
  return { channel: root.channel, threadTs: root.ts };
}

const TARGET = { project: PROJECT, region: REGION, cloudRunService: CLOUD_RUN_SERVICE };

describe('the evidence report in the thread', () => {
  it('both files in one upload, with a one-line comment naming the outcome; once across replicas', async () => {
    const state = asWeb(scenario('rolled-back'));
    const [a, b] = [replica(), replica()];
    const thread = await threadOf(a.poster);
    // Two replicas notify the ending at once, then a redriven step notifies it again.
    await Promise.all([a.upload(state, thread), b.upload(state, thread)]);
    await b.upload(state, thread);

    const completed = slack.recorder.requests.filter((r) => r.path.endsWith('files.completeUploadExternal'));
    expect(completed).toHaveLength(1);
    const summary = rolloutSummary({ state, target: TARGET });
    const files = Object.fromEntries(slack.files().map((f) => [f.name, f]));
    expect(Object.keys(files).sort()).toEqual(['SUMMARY.md', 'summary.json']);
    expect(files['summary.json']?.content).toBe(summaryJson(summary));
    expect(files['SUMMARY.md']?.content).toBe(summaryMarkdown(summary));
    expect(files['summary.json']?.completed).toBe(true);

    const replies = slack.thread(thread.channel, thread.threadTs);
    expect(replies).toHaveLength(1);
    expect(replies[0]?.text).toMatch(
      /^:page_facing_up: Evidence report: \*Rolled back\*, web v1\.42\.0 in prod: stage B: /,
    );
    expect(replies[0]?.text.length).toBeLessThan(300);
    expect(errors).toEqual([]);
  });

  it('nothing before the rollout has ended', async () => {
    const { poster, upload } = replica();
    await upload(asWeb(watching().state), await threadOf(poster));
    expect(slack.files()).toEqual([]);
  });

  it('a report bigger than any message goes whole as files; the comment stays one line', async () => {
    const c = watching();
    const stage = c.state.stages[1];
    if (!stage) throw new Error('no stage B');
    while (stage.ticks.length < 600) stage.ticks.push(passing(GATES, c.state.startedAt));
    const state = asWeb(
      c
        .send({ type: 'abort', by: 'UREQUEST1', reason: 'enough watching' })
        .send({ type: 'traffic-set', traffic: { [STABLE]: 100 } })
        .send({ type: 'checks-done', results: passing(['healthz', 'auth-session']) }).state,
    );
    const { poster, upload } = replica();
    const thread = await threadOf(poster);
    await upload(state, thread);
    const md = slack.files().find((f) => f.name === 'SUMMARY.md');
    expect(md?.content.length).toBeGreaterThan(40_000);
    expect(md?.content).toBe(summaryMarkdown(rolloutSummary({ state, target: TARGET })));
    const [reply] = slack.thread(thread.channel, thread.threadTs);
    expect(reply?.text).toContain('*Aborted*');
    expect(reply?.text.length).toBeLessThan(300);
  });

  it('a failed upload is logged and said in the thread, with where the report is kept and its key fields', async () => {
    const state = asWeb(scenario('promoted'));
    const { poster, upload } = replica();
    const thread = await threadOf(poster);
    slack.failNext('files.getUploadURLExternal', 'internal_error');
    await expect(upload(state, thread)).resolves.toBeUndefined();

    expect(slack.files()).toEqual([]);
    const key = `${db.prefix}report:${state.id}`;
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain('evidence report upload failed');
    expect(errors[0]).toContain(key);
    const replies = slack.thread(thread.channel, thread.threadTs);
    expect(replies).toHaveLength(1);
    const text = JSON.stringify(replies[0]?.blocks);
    expect(text).toContain('could not be attached: An API error occurred: internal_error');
    expect(text).toContain(`Redis key \`${key}\``);
    expect(text).toContain(`redis-cli GET ${key}`);
    expect(text).toContain(`previous stable: \`${STABLE}\``);
    expect(text).toContain(
      `gcloud run services update-traffic ${CLOUD_RUN_SERVICE} --region ${REGION} --project ${PROJECT} --to-revisions ${STABLE}=100`,
    );

    // The claim was given back: the next notification of the ending uploads the files, once.
    await upload(state, thread);
    await upload(state, thread);
    expect(
      slack
        .files()
        .map((f) => f.name)
        .sort(),
    ).toEqual(['SUMMARY.md', 'summary.json']);
    expect(slack.thread(thread.channel, thread.threadTs)).toHaveLength(2);
  });
});

describe('stage charts beside the report', () => {
  /** A rollout rolled back at stage B, whose gates charted every tick; a sink that keeps what it is given. */
  function chartedRollout() {
    const state = asWeb({ ...watchedStageB({ bad: true }), status: 'rolled-back' });
    const kept: ReportFile[] = [];
    const sink: ReportSink = {
      put: async (file) => {
        kept.push(file);
        return { url: `https://storage.example/${file.name}`, where: `gs://bucket/${file.name}` };
      },
      list: async () => [],
      get: async () => undefined,
    };
    return { state, kept, sink };
  }

  it('keeps every chart as a PNG beside SUMMARY.md, and uploads one the thread does not have yet', async () => {
    const { state, kept, sink } = chartedRollout();
    const store = db.openAnother();
    const poster = createPoster(client, createMessageRefs(store.redis, store.keys));
    const upload = createReportUpload({ store, poster, config, log, sinks: async () => sink });
    await upload(state, await threadOf(poster));

    expect(kept.map((f) => [f.name, f.contentType])).toEqual([
      ['summary.json', 'application/json'],
      ['SUMMARY.md', 'text/markdown; charset=utf-8'],
      ['chart-stage-B.png', 'image/png'],
    ]);
    const png = PNG.sync.read(Buffer.from(kept[2]?.content as Uint8Array));
    expect(png.width).toBeGreaterThan(1000);
    expect(String(kept[1]?.content)).toContain('](chart-stage-B.png)');
    // Never posted when the stage ended (here): it joins the report's upload.
    expect(
      slack
        .files()
        .map((f) => f.name)
        .sort(),
    ).toEqual(['SUMMARY.md', 'chart-stage-B.png', 'summary.json']);
    expect(errors).toEqual([]);
  });

  it('leaves out of the report upload a chart already posted in the thread when its stage ended', async () => {
    const { state, kept, sink } = chartedRollout();
    const store = db.openAnother();
    const poster = createPoster(client, createMessageRefs(store.redis, store.keys));
    const thread = await threadOf(poster);
    const link = await createStageChartPoster({ store, poster, log })(state, 1, thread);
    expect(link?.file).toBe('chart-stage-B.png');
    await createReportUpload({ store, poster, config, log, sinks: async () => sink })(state, thread);
    const [chart, ...report] = slack.files().map((f) => f.name);
    expect([chart, report.sort()]).toEqual(['chart-stage-B.png', ['SUMMARY.md', 'summary.json']]);
    // The durable copy has it all the same: SUMMARY.md shows it by that name.
    expect(kept.map((f) => f.name)).toContain('chart-stage-B.png');
  });
});
