import type { GateResult, GateStatus } from '../../src/gates/result.ts';
import type { CanaryState } from '../../src/runbooks/types.ts';
import { at, Canary, passing, result } from '../blocks/fixtures.ts';

// A canary whose stage B was watched for ten one-minute ticks with the comparing gates the providers
// make (plots included): the 5xx rate with its band, p95 latency against stable, errors in the logs.
// `bad` makes the canary's 5xx climb until the gate fails at the last tick.

/** The plotted results of one tick, `minute` minutes into the stage (the data judged ends there). */
export function plottedTick(minute: number, bad: boolean, when = at(minute)): GateResult[] {
  const requests = 300 * minute;
  const canaryRate = bad ? 0.6 + 0.25 * minute : 0.4 + 0.05 * Math.sin(minute);
  const spread = 3 / Math.sqrt(requests);
  const failing: GateStatus = bad && minute >= 9 ? 'fail' : 'pass';
  const dataThrough = when;
  return [
    {
      ...result('error-rate', failing, when),
      observed: { value: Number(canaryRate.toFixed(3)), unit: '%' },
      baseline: { value: 0.3, unit: '%' },
      samples: requests,
      dataThrough,
      plot: {
        panel: 'error-rate',
        limit: 1,
        band: [Math.max(0, canaryRate - spread * 30), canaryRate + spread * 40].map((v) =>
          Number(v.toFixed(3)),
        ) as [number, number],
      },
    },
    {
      ...result('latency-p95', 'pass', when),
      observed: { value: (bad ? 380 : 310) + minute, unit: 'ms' },
      baseline: { value: 300, unit: 'ms' },
      dataThrough,
      plot: { panel: 'latency', limit: 360 },
    },
    {
      ...result('auth-verify-errors', 'pass', when),
      observed: { value: bad ? 0.05 : 0.01, unit: '%' },
      baseline: { value: 0.01, unit: '%' },
      plot: { panel: 'error-logs', limit: 0.04 },
    },
    ...passing(['sync-token-errors', 'route-split-audit'], when),
  ];
}

/** A rollout at stage B after `ticks` ticks of plotted results. */
export function watchedStageB(options: { bad?: boolean; ticks?: number } = {}): CanaryState {
  const canary = new Canary().deploy().approveAll().shifted().checked();
  for (let minute = 1; minute <= (options.ticks ?? 10); minute++) {
    canary.min = minute - 1;
    canary.tick(plottedTick(minute, options.bad ?? false));
    if (canary.state.stage !== 1 || canary.state.status !== 'watching') break;
  }
  return canary.state;
}
