import { beforeEach, describe, expect, it } from 'vitest';
import { blockKitProblems, gateRecordLine, gateReport } from '../../src/blocks/index.ts';
import type { GateTally } from '../../src/runbooks/gate-tally.ts';
import { KINDS } from '../../src/runbooks/kinds.ts';
import { readTrackRecord, saveGateRecord } from '../../src/runbooks/track-record.ts';
import type { StandaloneRollbackState } from '../../src/runbooks/types.ts';
import { Rollout, runbookWith, STABLE, t } from '../helpers/canary-driver.ts';
import { openTestStore, type TestStore } from '../helpers/redis.ts';

// The gates' track record against a scripted history: 70 rollouts, each of a scenario whose gate verdicts
// and outcome are known by construction, driven through the canary's step function and recorded in Redis
// as the write-report effect does (each write twice, as a redriven end would). The counts /gates report
// shows must be the ones worked out by hand from the script.

type Gate = 'healthz' | 'smoke' | 'error-rate' | 'error-logs';
const GATES: Gate[] = ['healthz', 'smoke', 'error-rate', 'error-logs'];
const ALL: Gate[] = GATES;

/** What each scenario is, by construction: the gates evaluated, the ones that would have blocked, how it ended. */
const SCRIPT = {
  // Promoted; nothing failed.
  quiet: { evaluated: ALL, blocked: [], cause: false, promoted: true },
  // The shadow error-logs fails in B; promoted anyway, and never rolled back: a false alarm.
  'false-alarm': { evaluated: ALL, blocked: ['error-logs'], cause: false, promoted: true },
  // error-logs (shadow) fails in B, error-rate (enforce) fails in C: rolled back by the gate.
  agreed: { evaluated: ALL, blocked: ['error-logs', 'error-rate'], cause: true, promoted: false },
  // error-rate fails in B with error-logs quiet: rolled back by the gate; error-logs missed it.
  missed: { evaluated: ALL, blocked: ['error-rate'], cause: true, promoted: false },
  // A person's /rollback during C, with no gate failing: every gate missed it.
  manual: { evaluated: ALL, blocked: [], cause: true, promoted: false },
  // error-logs fails in B and a person aborts: no verdict either way.
  aborted: { evaluated: ALL, blocked: ['error-logs'], cause: false, promoted: false },
  // error-logs fails in B, promoted, then a /rollback takes its revision away: for cause after all.
  later: { evaluated: ALL, blocked: ['error-logs'], cause: true, promoted: true },
  // The advisory smoke fails at stage A and the click stops it: only stage A's checks were evaluated.
  stopped: { evaluated: ['healthz', 'smoke'], blocked: ['smoke'], cause: true, promoted: false },
  // A dry run: not recorded at all.
  'dry-run': { evaluated: [], blocked: [], cause: false, promoted: false },
} satisfies Record<string, { evaluated: Gate[]; blocked: Gate[]; cause: boolean; promoted: boolean }>;
type Scenario = keyof typeof SCRIPT;

const runbook = runbookWith({ logs: 'shadow', smoke: 'advisory' });

/** Drives one rollout of the scenario; returns its final state (and the later /rollback, if any). */
function play(scenario: Scenario, i: number) {
  const r = new Rollout(runbook, {
    id: `web-prod-${i}`,
    start: i * 3600,
    revision: `web-prod-${String(i).padStart(5, '0')}-can`,
    dryRun: scenario === 'dry-run',
  });
  if (scenario === 'stopped') {
    r.throughStageA({ smoke: 'fail' });
    r.send({ type: 'rollback', at: r.at(r.now + 30), by: 'UAPP', reason: 'x', advisory: r.ask() });
    return { state: r.state };
  }
  r.throughStageA();
  const logsInB = ['false-alarm', 'agreed', 'aborted', 'later'].includes(scenario);
  // Stage B.
  r.approveAndShift();
  r.answer();
  if (scenario === 'missed') {
    r.tick({ 'error-rate': 'fail' });
    r.finishRollback();
    return { state: r.state };
  }
  if (scenario === 'aborted') {
    r.tick({ 'error-logs': 'fail' });
    r.send({ type: 'abort', at: r.at(r.now + 20), by: 'UREQ', reason: 'not today' });
    r.finishRollback();
    return { state: r.state };
  }
  r.watch(logsInB ? { 'error-logs': 'fail' } : {});
  // Stage C.
  r.approveAndShift();
  r.answer();
  if (scenario === 'agreed') {
    r.tick({ 'error-rate': 'fail' });
    r.finishRollback();
    return { state: r.state };
  }
  if (scenario === 'manual') {
    r.tick();
    r.send({ type: 'rollback', at: r.at(r.now + 20), by: 'UONCALL', reason: '5xx from support tickets' });
    r.finishRollback();
    return { state: r.state };
  }
  r.watch();
  expect(r.state.status).toBe('promoted');
  if (scenario !== 'later') return { state: r.state };
  const at = t(r.now + 1800);
  const later: StandaloneRollbackState = {
    kind: 'rollback',
    id: `rb-${i}`,
    service: 'web',
    env: 'prod',
    requestedBy: 'UONCALL',
    dryRun: false,
    status: 'rolled-back',
    rollback: {
      trigger: 'manual',
      reason: 'login errors after the release',
      by: 'UONCALL',
      toRevision: STABLE,
      fromRevision: r.revision,
      mode: 'full',
      status: 'done',
      startedAt: at,
      endedAt: at,
    },
    timeline: [],
    startedAt: at,
    endedAt: at,
  };
  return { state: r.state, later };
}

/** 70 rollouts in an irregular but fixed order (a small LCG), so each gate's last 40 differ. */
function script(): Scenario[] {
  const names = Object.keys(SCRIPT) as Scenario[];
  let seed = 7;
  return Array.from({ length: 70 }, () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return names[seed % names.length] as Scenario;
  });
}

/** The counts of one gate over the script, worked out from SCRIPT alone (newest first, its last `n`). */
function expected(history: Scenario[], gate: Gate, n: number) {
  const counted = history
    .filter((s) => s !== 'dry-run' && (SCRIPT[s].evaluated as Gate[]).includes(gate))
    .reverse()
    .slice(0, n);
  const blocked = counted.filter((s) => (SCRIPT[s].blocked as Gate[]).includes(gate));
  const forCause = counted.filter((s) => SCRIPT[s].cause);
  return {
    evaluated: counted.length,
    blocked: blocked.length,
    rightly: blocked.filter((s) => SCRIPT[s].cause).length,
    laterCause: blocked.filter((s) => s === 'later').length,
    falseAlarms: blocked.filter((s) => !SCRIPT[s].cause && SCRIPT[s].promoted).length,
    blockedOther: blocked.filter((s) => !SCRIPT[s].cause && !SCRIPT[s].promoted).length,
    forCause: forCause.length,
    missed: forCause.filter((s) => !(SCRIPT[s].blocked as Gate[]).includes(gate)).length,
  };
}

let db: TestStore;
beforeEach(() => {
  db = openTestStore('gate-track-record');
  return () => db.cleanup();
});

describe('the track record of a scripted history', () => {
  it('counts, per gate over its last 40 rollouts, blocks, true and false alarms, and misses', async () => {
    const history = script();
    // Every scenario is in the script, most of them several times.
    expect(new Set(history).size).toBe(Object.keys(SCRIPT).length);
    for (const [i, scenario] of history.entries()) {
      const { state, later } = play(scenario, i);
      const write = KINDS.canary.gateRecord?.(state);
      if (scenario === 'dry-run') expect(write).toBeUndefined();
      // Written twice, as a redriven end (the replica died after writing) would: it counts once.
      await saveGateRecord(db.store, write);
      await saveGateRecord(db.store, write);
      if (later) {
        const mark = KINDS.rollback.gateRecord?.(later);
        await saveGateRecord(db.store, mark);
        await saveGateRecord(db.store, mark);
      }
    }
    const record = await readTrackRecord(db.store, { services: ['web'], last: 40 });
    expect(record.rollouts).toBe(history.filter((s) => s !== 'dry-run').length);
    for (const gate of GATES) {
      const tally = record.tallies.find((x) => x.gate === gate);
      expect(tally, gate).toBeDefined();
      expect(tally, gate).toMatchObject(expected(history, gate, 40));
    }
    // The numbers are not trivial: each kind of count happens in this history.
    const logs = record.tallies.find((x) => x.gate === 'error-logs') as GateTally;
    expect(logs).toMatchObject({
      mode: 'shadow',
      modes: { shadow: logs.evaluated, enforce: 0, advisory: 0 },
    });
    for (const count of [
      'blocked',
      'rightly',
      'laterCause',
      'falseAlarms',
      'blockedOther',
      'missed',
    ] as const)
      expect(logs[count], count).toBeGreaterThan(0);
    // smoke was evaluated in every rollout, error-logs not in the stopped ones: their 40 differ.
    const smoke = record.tallies.find((x) => x.gate === 'smoke') as GateTally;
    expect(smoke.blockedBy.advisory).toBe(expected(history, 'smoke', 40).blocked);

    // A shorter window counts only the newest.
    const ten = await readTrackRecord(db.store, { services: ['web'], last: 10 });
    expect(ten.tallies.find((x) => x.gate === 'error-logs')).toMatchObject(
      expected(history, 'error-logs', 10),
    );

    // The report says it in words, in a message Slack takes.
    const reply = gateReport({
      service: 'web',
      last: 40,
      rollouts: record.rollouts,
      tallies: record.tallies,
      modeNow: { healthz: 'enforce', smoke: 'advisory', 'error-rate': 'enforce', 'error-logs': 'shadow' },
      unrecorded: [],
    });
    expect(blockKitProblems(reply)).toEqual([]);
    const text = JSON.stringify(reply.blocks);
    const e = expected(history, 'error-logs', 40);
    const line = gateRecordLine(logs, 'shadow').text;
    expect(line).toContain(
      `*error-logs* _shadow_: would have blocked *${e.blocked}* of the last ${e.evaluated} rollouts: ${e.rightly} were rolled back for cause (${e.laterCause} of them after promotion), ${e.falseAlarms} promoted healthy`,
    );
    expect(line).toContain(`missed ${e.missed} of ${e.forCause} rollbacks for cause`);
    expect(text).toContain(JSON.stringify(line).slice(1, -1));
  });

  it('a later /rollback marks only the promoted rollout whose revision it took away, once', async () => {
    const first = play('later', 1);
    const second = play('quiet', 2);
    await saveGateRecord(db.store, KINDS.canary.gateRecord?.(first.state));
    await saveGateRecord(db.store, KINDS.canary.gateRecord?.(second.state));
    const mark = KINDS.rollback.gateRecord?.(first.later as StandaloneRollbackState);
    await saveGateRecord(db.store, mark);
    // A second, different /rollback of the same revision does not replace the first.
    const again = structuredClone(first.later as StandaloneRollbackState);
    again.id = 'rb-again';
    await saveGateRecord(db.store, KINDS.rollback.gateRecord?.(again));
    const listed = await db.store.gateRecords.list<{ rolloutId: string }, { rollbackId: string }>('web', 10);
    expect(listed.map((x) => [x.entry.rolloutId, x.later?.rollbackId])).toEqual([
      ['web-prod-2', undefined],
      ['web-prod-1', 'rb-1'],
    ]);
    // A dry-run rollback, or one from a revision no recorded rollout promoted, marks nothing.
    expect(KINDS.rollback.gateRecord?.({ ...again, dryRun: true })).toBeUndefined();
    const stranger = structuredClone(again);
    stranger.rollback.fromRevision = 'web-prod-99999-xyz';
    await saveGateRecord(db.store, KINDS.rollback.gateRecord?.(stranger));
    expect((await db.store.gateRecords.list('web', 10)).filter((x) => x.later)).toHaveLength(1);
  });
});
