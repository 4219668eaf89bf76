import { describe, expect, it } from 'vitest';
import { freezeRule } from '../../src/config/freezes.ts';
import { type CanaryRunbook, canaryRunbook } from '../../src/config/runbooks.ts';
import { canaryStep, newCanary } from '../../src/runbooks/canary/index.ts';
import { activeFreeze, type FreezeOverride } from '../../src/runbooks/freeze/windows.ts';
import type { CanaryState, RunbookEvent, RunbookPolicy } from '../../src/runbooks/types.ts';

// A canary stage that would shift traffic by itself (no approval asked, or after promote-now) does not
// during a scheduled freeze window: it asks for approval instead, decided by the event's own time (the step
// stays pure). An admin's override of that window, kept in the record, lets it shift by itself again.

const STABLE = 'web-00001-stb';
const CANARY = 'web-00002-new';
const book: CanaryRunbook = canaryRunbook.parse({
  kind: 'canary',
  stages: [
    { name: 'A', traffic: 0, approval: false, checks: ['healthz'] },
    { name: 'B', traffic: 5, approval: false, checks: ['healthz'] },
    { name: 'C', traffic: 100, checks: ['healthz'] },
  ],
});
// Weekdays 09:00-17:00 in Tokyo: 2026-06-01 (a Monday) 00:00Z-08:00Z.
const officeHours = freezeRule.parse({
  name: 'office-hours',
  timeZone: 'Asia/Tokyo',
  weeklyWindows: [{ daysOfWeek: ['MONDAY'], startTime: '09:00', endTime: '17:00' }],
});
const policy: RunbookPolicy = {
  requiredApprovals: 1,
  allowSelfApproval: false,
  approvalTtlMs: 3_600_000,
  onGateFailure: 'automatic',
  maxAttempts: 3,
  backoffMs: () => 1000,
  freezes: [officeHours],
};

/** Through stage A at `at` (ISO), with or without an override: where stage B stands then. */
function throughStageA(at: string, options: { dryRun?: boolean; override?: FreezeOverride } = {}) {
  let state: CanaryState = newCanary({
    id: 'web-prod-1',
    service: 'web',
    env: 'prod',
    image: 'europe-docker.pkg.dev/p/web/web',
    tag: 'v2',
    requestedBy: 'U0REQUEST',
    dryRun: options.dryRun ?? false,
    at,
    runbook: book,
  });
  if (options.override) state = { ...state, freezeOverrides: [options.override] };
  const ctx = { runbook: book, policy };
  const events: RunbookEvent[] = [
    { type: 'start', at },
    { type: 'preconditions-done', at, results: [], blocking: [] },
    { type: 'deployed', at, revision: CANARY, stableRevision: STABLE, traffic: { [STABLE]: 100 } },
    { type: 'before-captured', at, values: {} },
    { type: 'checks-done', at, results: [] },
  ];
  let effects: unknown[] = [];
  for (const event of events) {
    const out = canaryStep(state, event, ctx);
    expect(out.refused, `${event.type} refused`).toBeUndefined();
    state = out.state;
    effects = out.effects;
  }
  return { state, effects };
}

describe('a stage that needs no approval, during a freeze window', () => {
  it('shifts by itself outside the window', () => {
    const { state, effects } = throughStageA('2026-06-01T09:00:00.000Z');
    expect(state.stage).toBe(1);
    expect(state.status).toBe('shifting');
    expect(effects).toContainEqual(expect.objectContaining({ type: 'set-traffic', canaryPercent: 5 }));
  });

  it('asks for approval inside it, saying why in the timeline', () => {
    const { state, effects } = throughStageA('2026-06-01T03:00:00.000Z');
    expect(state.status).toBe('awaiting-approval');
    expect(effects).not.toContainEqual(expect.objectContaining({ type: 'set-traffic' }));
    expect(state.timeline.map((t) => t.what)).toContain(
      'stage B: freeze window office-hours until Mon 1 Jun 17:00 Asia/Tokyo: it waits for approval instead of shifting by itself',
    );
  });

  it("goes on by itself when an admin's override lifts that window, and in a dry run", () => {
    const at = '2026-06-01T03:00:00.000Z';
    const window = activeFreeze([officeHours], new Date(at));
    if (!window) throw new Error('expected office hours');
    const override = { by: 'U0ADMIN', reason: 'hotfix', at, windows: [window] };
    expect(throughStageA(at, { override }).state.status).toBe('shifting');
    expect(throughStageA(at, { dryRun: true }).state.status).toBe('shifting');
  });
});
