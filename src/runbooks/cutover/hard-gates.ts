import type { StreamCutoverRunbook } from '../../config/runbooks.ts';
import type { CutoverStepName, HardGate, StreamCutoverState } from './types.ts';

// The hard gates of seed 004, over what the train observed: each a count of failures (or the consumed
// error budget) against its most. A step that did not run counts nothing; a measurement that could not be
// made (an SLO that could not be read) is an error, never a pass.

const COUNTED: [HardGate['name'], CutoverStepName[], keyof StreamCutoverRunbook['hardGates']][] = [
  ['route-flip-failures', ['route-flip'], 'maxRouteFlipFailures'],
  ['stream-smoke-failures', ['pre-smoke', 'post-smoke'], 'maxStreamSmokeFailures'],
  ['canary-drill-failures', ['canary-drill'], 'maxCanaryDrillFailures'],
  ['dual-run-failures', ['dual-run'], 'maxDualRunFailures'],
];

/** The hard gate a step's failures count against. */
export function hardGateOf(step: CutoverStepName): HardGate['name'] | undefined {
  return COUNTED.find(([, steps]) => steps.includes(step))?.[0];
}

/** A step's failures already breach its hard gate: the train stops there (fail fast). */
export function breached(
  state: StreamCutoverState,
  runbook: StreamCutoverRunbook,
  step: CutoverStepName,
): boolean {
  const entry = COUNTED.find(([, steps]) => steps.includes(step));
  if (!entry) return false;
  const [, steps, max] = entry;
  return failuresOf(state, steps) > runbook.hardGates[max];
}

/** What a step checked: its gate results; the drill's two read-backs (to stable, and back). */
function checksOf(step: StreamCutoverState['steps'][number]): string {
  if (step.name === 'canary-drill') return '2 read-backs';
  const n = Math.max(step.results.length, step.failures);
  return `${n} check${n === 1 ? '' : 's'}`;
}

function failuresOf(state: StreamCutoverState, steps: CutoverStepName[]): number {
  return state.steps.filter((s) => steps.includes(s.name)).reduce((sum, s) => sum + s.failures, 0);
}

export function judgeHardGates(state: StreamCutoverState, runbook: StreamCutoverRunbook): HardGate[] {
  const gates: HardGate[] = COUNTED.map(([name, steps, key]) => {
    const max = runbook.hardGates[key];
    const observed = failuresOf(state, steps);
    const ran = state.steps.filter(
      (s) => steps.includes(s.name) && s.status !== 'pending' && s.status !== 'skipped',
    );
    const evidence =
      ran.length === 0
        ? `${steps.join(', ')}: not run`
        : ran.map((s) => `${s.name}: ${s.failures} failed of ${checksOf(s)}`).join('; ');
    return { name, status: observed > max ? 'fail' : 'pass', observed, unit: 'failures', max, evidence };
  });
  const budget = state.errorBudget;
  const max = runbook.hardGates.maxErrorBudgetConsumedPercent;
  if (budget?.consumedPercent === undefined) {
    gates.push({
      name: 'error-budget-consumed',
      status: 'error',
      unit: '%',
      max,
      evidence: budget?.error ?? 'the error budget was not read (the train stopped before it)',
    });
  } else {
    const source =
      budget.source === 'slo'
        ? `SLO ${budget.slo}${budget.goal === undefined ? '' : `, goal ${+(budget.goal * 100).toFixed(3)} %`}${budget.period ? `, ${budget.period}` : ''}`
        : budget.source === 'operator'
          ? 'given by the operator (--error-budget-consumed)'
          : 'not given: 0 assumed for a dry-run';
    gates.push({
      name: 'error-budget-consumed',
      status: budget.consumedPercent > max ? 'fail' : 'pass',
      observed: budget.consumedPercent,
      unit: '%',
      max,
      evidence: source,
    });
  }
  return gates;
}
