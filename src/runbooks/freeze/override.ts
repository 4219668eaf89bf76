import type { RunbookStateBase } from '../kind.ts';
import { note } from '../timeline.ts';
import type { RunbookEvent, StepResult } from '../types.ts';
import { windowName } from './words.ts';

// An admin's override of freeze windows for a running rollout, applied by the engine for every kind alike
// (the executor steps this instead of the kind's step function): the override joins the rollout's record,
// its timeline and its thread. What it changes is what the engine lets through afterwards: approvals of
// forward traffic shifts (use-cases/send.ts), and a canary stage that would shift by itself (canary/).

export function applyFreezeOverride(
  state: RunbookStateBase,
  e: Extract<RunbookEvent, { type: 'freeze-override' }>,
): StepResult<RunbookStateBase> {
  if (state.dryRun) return { state, effects: [], refused: 'a dry run is never held by a freeze' };
  if (e.windows.length === 0) return { state, effects: [], refused: 'no freeze window to override' };
  const override = { by: e.by, reason: e.reason, at: e.at, windows: e.windows };
  const next: RunbookStateBase = {
    ...state,
    freezeOverrides: [...(state.freezeOverrides ?? []), override],
    timeline: [...state.timeline],
  };
  const names = e.windows.map(windowName).join(', ');
  note(next, e.at, `goes on during freeze window ${names} (admin override: ${e.reason})`, e.by);
  return { state: next, effects: [{ type: 'notify', notification: { kind: 'freeze-override', by: e.by } }] };
}
