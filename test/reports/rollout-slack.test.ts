import { describe, expect, it, vi } from 'vitest';
import { ACTIONS } from '../../src/blocks/actions.ts';
import { REPORT_PURPOSE, reportFiles, rolloutReportFiles } from '../../src/platform/slack/report-upload.ts';
import type { RolloutSummary } from '../../src/reports/rollout-summary.ts';
import type { CanaryState, RunbookState } from '../../src/runbooks/types.ts';
import {
  APPROVERS,
  CLOUD_RUN_SERVICE,
  IMAGE_REPO,
  PROJECT,
  REGION,
  REQUESTER,
  STABLE_REVISION,
  testConfig,
} from '../helpers/engine-world.ts';
import { buttonsOf, useSlackWorld } from '../helpers/slack-world.ts';

// End to end through Slack alone: a canary started and approved by signed slash commands and clicks to the
// real Bolt receiver ends with summary.json and SUMMARY.md in its thread (read back from the Slack twin),
// uploaded once however often the ending is notified; and when the upload fails, the thread says the
// report is kept, and it is.

const s = useSlackWorld('report-slack');
const { world, slack } = s;
const waitFor = <T>(read: () => T) => vi.waitFor(read, { timeout: 15_000, interval: 25 });

async function startCanary(tag: string): Promise<string> {
  const started = await s.command(REQUESTER, '/canary', `start ${tag}`);
  const id = /`([^`]+)`/.exec(started.text)?.[1];
  if (!id) throw new Error(`not started: ${started.text}`);
  world.feed(world.canaryRevision(id, tag));
  return id;
}

/** Approves stages B to E by clicking each approval request in the card's thread as it comes. */
async function approveEveryStage(cardTs: string): Promise<void> {
  for (const stage of [1, 2, 3, 4]) {
    const request = await s.waitForMessage(
      (m) =>
        m.thread_ts === cardTs &&
        buttonsOf(m).some((b) => b.action_id === ACTIONS.approve && JSON.parse(b.value).s === stage),
    );
    await s.click(APPROVERS[0], request, ACTIONS.approve);
  }
}

const uploads = () => slack.recorder.requests.filter((r) => r.path.endsWith('files.completeUploadExternal'));
/** Each gated stage's chart (its error-rate gate compares the canary with stable). */
const CHARTS = ['chart-stage-B.png', 'chart-stage-C.png', 'chart-stage-D.png', 'chart-stage-E.png'];

describe('a finished canary', () => {
  it("holds summary.json and SUMMARY.md in its thread, with the rollout's own values; once", async () => {
    await s.start();
    world.seed();
    const id = await startCanary('v2.0.0');
    const canary = world.canaryRevision(id, 'v2.0.0');
    const card = await s.waitForMessage((m) => m.thread_ts === undefined && m.text.includes('v2.0.0'));
    await approveEveryStage(card.ts);
    await world.until(s.current.engine, id, (v) => expect(v.status).toBe('promoted'), 15_000);
    const files = await waitFor(() => {
      const done = slack.files().filter((f) => f.completed);
      expect(done.map((f) => f.name).sort()).toEqual([...CHARTS, 'SUMMARY.md', 'summary.json'].sort());
      return Object.fromEntries(done.map((f) => [f.name, f]));
    });
    // Both files in the card's thread, in one message whose comment names the outcome; each gated
    // stage's chart before it, posted as the stage ended (so the report's upload does not repeat them).
    const withFiles = slack.thread(card.channel, card.ts).filter((m) => m.files);
    expect(withFiles.map((m) => m.files?.map((f) => f.name).sort())).toEqual([
      ...CHARTS.map((c) => [c]),
      ['SUMMARY.md', 'summary.json'],
    ]);
    expect(withFiles.at(-1)?.text).toMatch(
      /^:page_facing_up: Evidence report: \*Promoted\*, web v2\.0\.0 in prod/,
    );

    const summary = JSON.parse(files['summary.json']?.content ?? '') as RolloutSummary;
    const state = (await s.current.engine.get(id))?.state as CanaryState;
    expect(summary.rolloutId).toBe(id);
    expect(summary.requestedBy).toBe(REQUESTER);
    expect(summary.image).toEqual({ ref: `${IMAGE_REPO}:v2.0.0`, tag: 'v2.0.0' });
    expect(summary.revisions).toEqual({ stable: STABLE_REVISION, canary });
    expect(summary.traffic).toEqual({ before: { [STABLE_REVISION]: 100 }, after: { [canary]: 100 } });
    expect(summary.outcome).toMatchObject({ status: 'promoted', ended: true, reason: 'every stage passed' });
    expect(summary.rollback.command).toBe(
      `gcloud run services update-traffic ${CLOUD_RUN_SERVICE} --region ${REGION} --project ${PROJECT} --to-revisions ${STABLE_REVISION}=100`,
    );
    expect(summary.rollback.stableRevision).toBe(STABLE_REVISION);
    // The smoke check ran against the new revision; its output and evidence are there.
    expect(summary.smokeChecks).toHaveLength(1);
    expect(summary.smokeChecks[0]).toMatchObject({
      gate: 'healthz',
      status: 'pass',
      observed: { value: 200 },
    });
    expect(summary.smokeChecks[0]?.evidence).toContain('/healthz');
    // Every stage: the approval by the person who clicked, every gate tick with observed and threshold.
    expect(summary.stages.map((st) => [st.name, st.result])).toEqual([
      ['A', 'passed'],
      ['B', 'passed'],
      ['C', 'passed'],
      ['D', 'passed'],
      ['E', 'passed'],
    ]);
    for (const [i, stage] of summary.stages.entries()) {
      expect(stage.approval.approvals).toEqual(state.stages[i]?.approvals);
      expect(stage.ticks).toHaveLength(state.stages[i]?.ticks.length ?? -1);
      if (i === 0) continue;
      expect(stage.approval.approvals.map((a) => a.userId)).toEqual([APPROVERS[0]]);
      expect(stage.ticks.length).toBeGreaterThan(0);
      // Each gate result as the gate returned it: observed beside threshold, samples, re-runnable evidence.
      const tick = stage.ticks[0]?.results[0];
      const raw = state.stages[i]?.ticks[0]?.[0];
      expect(tick).toMatchObject({
        gate: 'error-rate',
        status: raw?.status,
        observed: raw?.observed,
        threshold: raw?.threshold,
        samples: raw?.samples,
        evidence: raw?.evidence,
      });
      expect(tick?.observed?.unit).toBe('%');
      expect(tick?.threshold).toMatch(/^< 1 %/);
      expect(tick?.samples).toBeGreaterThan(0);
      expect(tick?.evidence).toContain('monitoring.googleapis.com');
    }
    const md = files['SUMMARY.md']?.content ?? '';
    expect(md.split('\n')[0]).toBe('# web v2.0.0 in prod: promoted');
    expect(md).toContain(`| Stable revision (promoted) | \`${canary}\` |`);
    expect(md).toContain(`| Previous stable revision | \`${STABLE_REVISION}\` |`);
    expect(md).toContain(`| Traffic before | \`${STABLE_REVISION}\` 100 % |`);
    expect(md).toContain(`| Traffic after | \`${canary}\` 100 % |`);
    expect(md).toContain(`| Rollback command | \`${summary.rollback.command}\` |`);

    // The report saved in Redis is the state of record: the same files are rebuilt from it.
    await s.current.engine.idle();
    const saved = (await s.current.engine.report(id)) as { state: RunbookState };
    const rebuilt = reportFiles(saved, testConfig()).files;
    expect(summary.stages.map((st) => st.chart)).toEqual([null, ...CHARTS]);
    expect(rebuilt.map((f) => [f.filename, f.content])).toEqual([
      ['summary.json', files['summary.json']?.content],
      ['SUMMARY.md', files['SUMMARY.md']?.content],
    ]);

    // The ending notified again (a redriven step), and by a second replica at the same time: no new upload.
    const first = s.current;
    const second = await s.start();
    await Promise.all([
      first.side.notify(id, { kind: 'promoted' }),
      second.side.notify(id, { kind: 'promoted' }),
      first.side.notify(id, { kind: 'promoted' }),
    ]);
    expect(uploads()).toHaveLength(1 + CHARTS.length);
    expect(slack.files()).toHaveLength(2 + CHARTS.length);
    expect(slack.thread(card.channel, card.ts).filter((m) => m.files)).toHaveLength(1 + CHARTS.length);
    expect(await first.side.poster.ref(id, REPORT_PURPOSE)).toBeDefined();
  });

  it('a dry run: the report says nothing changed and carries the plan', async () => {
    await s.start();
    world.seed();
    const started = await s.command(REQUESTER, '/canary', 'start v4.0.0 --dry-run');
    const id = /`([^`]+)`/.exec(started.text)?.[1] as string;
    const card = await s.waitForMessage((m) => m.thread_ts === undefined && m.text.includes('v4.0.0'));
    await approveEveryStage(card.ts);
    await world.until(s.current.engine, id, (v) => expect(v.status).toBe('promoted'), 15_000);
    const json = await waitFor(() => {
      const file = slack.files().find((f) => f.name === 'summary.json' && f.completed);
      expect(file).toBeDefined();
      return file?.content as string;
    });
    const summary = JSON.parse(json) as RolloutSummary;
    expect(summary.dryRun).toBe(true);
    expect(summary.notes[0]).toMatch(/^Dry run: nothing was changed/);
    const said = summary.plan?.map((p) => p.what);
    expect(said).toContain(`deploy ${IMAGE_REPO}:v4.0.0 as a revision with no traffic, tagged canary`);
    expect(said).toContain('write this report');
    const plan = (await s.current.engine.get(id))?.plan ?? [];
    expect(summary.plan?.map((p) => p.n)).toEqual(plan.map((p) => p.n));
    // Nothing moved in Cloud Run.
    expect(world.split()).toEqual({ [STABLE_REVISION]: 100 });
  });

  it('an upload that fails is said in the thread; the report stays in Redis', async () => {
    await s.start();
    world.seed();
    const id = await startCanary('v3.0.0');
    await world.until(s.current.engine, id, (v) => expect(v.status).toBe('awaiting-approval'));
    // Every try fails: each notification of the ending tries the upload again (report-upload.ts), so a
    // single fault would let a later notification attach the files while this test looks.
    slack.failNext('files.getUploadURLExternal', 'internal_error', 50);
    expect((await s.command(REQUESTER, '/canary', 'abort wrong tag')).text).toContain('Aborting');
    await world.until(s.current.engine, id, (v) => expect(v.status).toBe('aborted'));
    const notice = await s.waitForMessage((m) => m.text.includes('could not be attached'));
    const text = JSON.stringify(notice.blocks);
    expect(text).toContain(`report:${id}`);
    expect(text).toContain('*Aborted*: wrong tag');
    expect(slack.files()).toEqual([]);
    const saved = await waitFor(async () => {
      const report = (await s.current.engine.report(id)) as { state: CanaryState } | undefined;
      expect(report?.state.status).toBe('aborted');
      return report as { state: CanaryState };
    });
    // Nothing lost: the report rebuilt from Redis has what the thread could not get.
    const { summary } = rolloutReportFiles(saved, testConfig());
    expect(summary.outcome).toMatchObject({ status: 'aborted', reason: 'wrong tag', by: REQUESTER });
    expect(summary.revisions.canary).toBe(world.canaryRevision(id, 'v3.0.0'));
  });
});
