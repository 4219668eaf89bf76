import { describe, expect, it } from 'vitest';
import { cannotDecideMessage } from '../../src/blocks/decision-wait.ts';
import { gateResultsMessage } from '../../src/blocks/gate-results.ts';
import { blockKitProblems } from '../../src/blocks/limits.ts';
import { rolloutCard } from '../../src/blocks/rollout-card.ts';
import type { GateResult } from '../../src/gates/result.ts';
import { type GateWait, stageWait } from '../../src/gates/time-to-decision.ts';
import { at, Canary, GATES, REQUESTER, result, runbook, T0, textOf } from './fixtures.ts';

// Time to decision in the stage's gate message, on the card while it watches, and the warning posted once
// when the watch window cannot decide at the traffic seen.

/** error-rate waiting for 100 canary requests at `at(min)`, with the service's `perSecond` before stage B. */
function waitingErrorRate(min: number, perSecond: number, gate = 'error-rate'): GateResult {
  const through = T0 - 4 * 60_000; // Monitoring's complete data ends 4 min before the stage began
  return {
    ...result(gate, 'inconclusive', at(min)),
    sampleNeed: {
      needed: 100,
      counted: 0,
      through: new Date(through).toISOString(),
      share: 0.05,
      traffic: {
        canary: 0,
        stable: perSecond * 300,
        from: new Date(through - 300_000).toISOString(),
        through: new Date(through).toISOString(),
        before: true,
      },
    },
  };
}

/** Stage B (5 %, 10-minute window from T0) at its first tick, its error-rate waiting. */
function firstTick(perSecond: number, gate = 'error-rate') {
  const c = new Canary().deploy().approveAll().shifted().checked();
  const results = GATES.map((g) =>
    g === 'error-rate' ? waitingErrorRate(1, perSecond, gate) : result(g, 'pass', at(1)),
  );
  return { c: c.tick(results), results };
}

describe('while a gate waits for canary requests', () => {
  it("the stage's gate message says for how many, and about how long at this traffic", () => {
    const { c, results } = firstTick(8);
    const m = gateResultsMessage(
      c.state,
      1,
      { phase: 'gates', tick: 1, results, verdict: 'continue' },
      { now: new Date(at(1)) },
    );
    // 100 at 0.4 a second from 10:00 are served by 10:04:10; the data is 5 min late: 8 min after 10:01.
    expect(textOf(m)).toContain(
      ':hourglass_flowing_sand: *error-rate* waits for 100 more canary requests (100 needed), about 8 min more at 0.4 req/s (5 % of 8 req/s)',
    );
    expect(blockKitProblems(m)).toEqual([]);
  });

  it('the card says it too while it watches, and neither says anything once the gate judged', () => {
    const { c } = firstTick(8);
    const card = rolloutCard(c.state, runbook, { now: new Date(at(1)) });
    expect(textOf(card)).toContain('*Watching the gates of stage B (5 %)*');
    expect(textOf(card)).toContain('*error-rate* waits for 100 more canary requests');

    c.tick();
    const later = c.state.stages[1]?.ticks.at(-1) ?? [];
    expect(textOf(rolloutCard(c.state, runbook, { now: new Date(at(2)) }))).not.toContain('waits for');
    const m = gateResultsMessage(c.state, 1, { phase: 'gates', results: later, verdict: 'continue' });
    expect(textOf(m)).not.toContain('waits for');
  });

  it('says when the window cannot decide, and when there is no traffic to estimate from', () => {
    const short = firstTick(1.6);
    const text = (state: typeof short.c.state, results: GateResult[]) =>
      textOf(gateResultsMessage(state, 1, { phase: 'gates', results }));
    expect(text(short.c.state, short.results)).toContain(
      ':warning: *error-rate* cannot decide within the watch window at this traffic (needs 100 canary requests, expects 48 by the end, at 0.08 req/s (5 % of 1.6 req/s))',
    );
    const none = firstTick(0);
    expect(text(none.c.state, none.results)).toContain(
      ':warning: *error-rate* no traffic: cannot estimate when the canary will have the 100 requests needed',
    );
  });
});

describe('the warning that the window cannot decide', () => {
  const warning = (perSecond: number, gate = 'error-rate', canaryUrl?: string) => {
    const { c, results } = firstTick(perSecond, gate);
    const state = canaryUrl ? { ...c.state, canaryUrl } : c.state;
    const stage = state.stages[1];
    const wait = stageWait(results, {
      start: stage?.startedAt as string,
      end: stage?.windowEndsAt as string,
    }) as GateWait;
    return cannotDecideMessage(state, 1, wait);
  };

  it('names the stage, the requester, the numbers and what to do', () => {
    const m = warning(1.6, 'error-rate', 'https://canary---control-xyz-uc.a.run.app');
    const text = textOf(m);
    expect(text).toContain(
      `:warning: <@${REQUESTER}> *stage B (5 %) cannot reach a decision within its 10 min watch window at this traffic.*`,
    );
    expect(text).toMatch(
      /\*error-rate\* needs 100 canary requests to judge \(0 so far\); at 0\.08 req\/s \(5 % of 1\.6 req\/s\) about 48 are expected by the window's end <!date\^\d+\^/,
    );
    // 100 at 0.08 a second take 1,250 s: a 21-minute window, 11 minutes more than this one.
    expect(text).toContain('*Lengthen the watch*: a `watch` of about 21 min for this stage in the runbook');
    expect(text).toContain(
      'For this rollout: Pause now and Resume about 11 min later, and the window is extended by the time paused',
    );
    expect(text).toContain('*Raise the canary share*');
    expect(text).toContain(
      '*Generate traffic*: send requests to the canary at `https://canary---control-xyz-uc.a.run.app`',
    );
    expect(m.text).toBe(
      'control v1.42.0: stage B (5 %) cannot reach a decision within its watch window at this traffic',
    );
    expect(blockKitProblems(m)).toEqual([]);
  });

  it('without traffic, says there is nothing to estimate from', () => {
    const text = textOf(warning(0));
    expect(text).toContain(
      'Cloud Monitoring saw no request to the service: there is no rate to estimate from',
    );
    expect(text).toContain('a longer `watch` for this stage in the runbook');
  });

  it('keeps a gate name and a canary URL as text: they cannot mention, link or broadcast', () => {
    const m = warning(1.6, '<!channel> rate', 'https://x.example/<@U0BOSS>');
    const text = textOf(m);
    expect(text).not.toContain('<!channel>');
    expect(text).not.toContain('<@U0BOSS>');
    expect(text).toContain('&lt;!channel&gt; rate');
  });
});
