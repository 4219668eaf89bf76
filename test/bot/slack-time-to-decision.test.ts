import { describe, expect, it } from 'vitest';
import type { TwinMessage } from '../../sandbox/twins/slack/state.ts';
import { ACTIONS } from '../../src/blocks/actions.ts';
import type { CanaryState } from '../../src/runbooks/types.ts';
import {
  APPROVERS,
  CLOUD_RUN_SERVICE,
  IMAGE_REPO,
  REF,
  REQUESTER,
  STABLE_REVISION,
  testConfig,
} from '../helpers/engine-world.ts';
import { buttonsOf, textsOf, useSlackWorld } from '../helpers/slack-world.ts';

// Time to decision through Slack: while stage B waits for the canary requests its error-rate gate needs,
// its gate message in the thread says for how many and about how long; when the watch window cannot get
// them at the traffic seen, a warning says so in the thread at the stage's first tick, once.
//
// The Monitoring twin is as late as Cloud Monitoring, scaled with the stages: samples of 1 s visible 3 s
// later (production: 60 s and 180 s), watched every second (production: every minute). At the stage's
// first tick none of its window is complete yet: the estimate comes from the service's traffic before it.

const s = useSlackWorld('slack-ttd', [], {
  visibility: { samplePeriodMs: 1_000, ingestionLatencyMs: 3_000 },
});
const { world, slack } = s;
const TAG = 'v3.0.0';

function config(watch: string, minRequests: number) {
  const c = testConfig({ watch, interval: '1s', samplePeriod: '1s', ingestionLatency: '3s' });
  (c.gates['error-rate'] as { minRequests: number }).minRequests = minRequests;
  return c;
}

/** `requests` served by `revision` every `everyS` seconds, from `backS` seconds ago to 2 minutes ahead. */
function serve(revision: string, requests: number, everyS = 1, backS = 360): void {
  const now = Date.now();
  for (let t = -backS; t <= 120; t += everyS) {
    world.metrics.addTraffic(revision, { requests, at: now + t * 1000, service: CLOUD_RUN_SERVICE });
  }
}

/** Starts the canary through Slack and approves stage B (5 %); `traffic` feeds its canary revision. */
async function startAndApproveB(traffic: (canary: string) => void) {
  world.cloudRun.seedService({ ...REF, image: `${IMAGE_REPO}:v1.0.0`, revision: STABLE_REVISION });
  const started = await s.command(REQUESTER, '/canary', `start ${TAG}`);
  const id = /`([^`]+)`/.exec(started.text)?.[1] as string;
  traffic(world.canaryRevision(id, TAG));
  const card = await s.waitForMessage((m) => m.thread_ts === undefined && m.text.includes(TAG));
  const request = await s.waitForMessage(
    (m) =>
      m.thread_ts === card.ts &&
      buttonsOf(m).some((b) => b.action_id === ACTIONS.approve && JSON.parse(b.value).s === 1),
  );
  await s.click(APPROVERS[0], request, ACTIONS.approve);
  return { id, card };
}

/** Every text of a message, as it is now and in each earlier version. */
const versions = (m: TwinMessage | undefined) =>
  m ? [m, ...m.history].map((v) => [v.text, ...textsOf(v.blocks)].join('\n')) : [];

const stageB = (state: CanaryState) => state.stages[1];

describe('time to decision, through Slack', { timeout: 60_000 }, () => {
  it("says in stage B's gate message what it waits for, and about how long at this traffic", async () => {
    await s.start(config('60s', 20));
    const { card } = await startAndApproveB((canary) => {
      serve(STABLE_REVISION, 19); // 20 requests a second on the service, 5 % of them on the canary
      serve(canary, 1, 1, 70);
    });
    const line =
      /waits for 20 more canary requests \(20 needed\), about (\d+) s more at [\d.]+ req\/s \(5 % of [\d.]+ req\/s\)/;
    const gates = await s.waitForMessage(
      (m) =>
        m.thread_ts === card.ts &&
        m.text.includes('Gates of stage B') &&
        versions(m).some((v) => line.test(v)),
      20_000,
    );
    // About 20 requests at 1 a second, plus how late Monitoring is.
    const said = versions(gates).find((v) => line.test(v)) as string;
    expect(said).toContain(':hourglass_flowing_sand: *error-rate* waits for 20 more canary requests');
    const seconds = Number(line.exec(said)?.[1]);
    expect(seconds).toBeGreaterThanOrEqual(15);
    expect(seconds).toBeLessThanOrEqual(40);
    // The window reaches them: no warning.
    expect(s.thread(card.ts).some((m) => m.text.includes('cannot reach a decision'))).toBe(false);
  });

  it('warns once, at the first tick of the stage, when the watch window cannot get the requests', async () => {
    await s.start(config('10s', 20));
    const { id, card } = await startAndApproveB((canary) => {
      serve(STABLE_REVISION, 2); // 2 requests a second on the service: 0.1 a second at 5 %, 1 in 10 s
      serve(canary, 1, 10, 0);
    });
    const isWarning = (m: TwinMessage) =>
      m.thread_ts === card.ts && m.text.includes('cannot reach a decision within its watch window');
    const warning = await s.waitForMessage(isWarning, 20_000);
    const text = [warning.text, ...textsOf(warning.blocks)].join('\n');
    expect(text).toContain(
      `:warning: <@${REQUESTER}> *stage B (5 %) cannot reach a decision within its 10 s watch window at this traffic.*`,
    );
    // At the first tick, from the service's traffic before the stage: 5 % of 2 requests a second. (A
    // runner slow enough to reach its first tick with the window's data complete counts the canary's own.)
    expect(text).toMatch(
      /\*error-rate\* needs 20 canary requests to judge \(\d so far\); at [\d.]+ req\/s( \(5 % of 2 req\/s\))? about \d are expected by the window's end/,
    );
    for (const todo of ['*Lengthen the watch*', '*Raise the canary share*', '*Generate traffic*']) {
      expect(text).toContain(todo);
    }

    // Said at the stage's first tick, not at the end of its window.
    const state = (await s.current.engine.get(id))?.state as CanaryState;
    const b = stageB(state);
    const lines = state.timeline.map((e) => e.what);
    const said = lines.findIndex((w) => /^stage B: error-rate cannot decide within the watch window/.test(w));
    expect(lines[said - 1]).toMatch(/^stage B tick 1: continue/);
    expect(Date.parse(b?.decisionWarnedAt as string)).toBeLessThan(
      Date.parse(b?.windowEndsAt as string) - 5_000,
    );

    // The stage's gate message says it at every tick; the warning is posted once, whatever the ticks after.
    await world.until(
      s.current.engine,
      id,
      (v) => expect(stageB(v.state as CanaryState)?.ticks.length).toBeGreaterThanOrEqual(6),
      20_000,
    );
    const gates = s.thread(card.ts).find((m) => m.text.includes('Gates of stage B'));
    expect(versions(gates)[0]).toContain(
      ':warning: *error-rate* cannot decide within the watch window at this traffic (needs 20 canary requests, expects',
    );
    expect(s.thread(card.ts).filter(isWarning)).toHaveLength(1);
    const posts = slack.recorder.requests.filter(
      (r) =>
        r.path.endsWith('chat.postMessage') && JSON.stringify(r.body).includes('cannot reach a decision'),
    );
    expect(posts).toHaveLength(1);
  });
});
