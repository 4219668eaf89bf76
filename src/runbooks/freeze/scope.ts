import type { FreezeRule } from '../../config/freezes.ts';
import type { ShiftgateConfig } from '../../config/schema.ts';
import { type FreezeWindow, upcomingFreezes } from './windows.ts';

// Which scheduled freezes hold a service in an environment: the environment's (every service in it) and
// the service environment's own. And the schedule of every one of them, for /deploy locks and App Home.

export function freezesOf(config: ShiftgateConfig, service: string, env: string): FreezeRule[] {
  return [
    ...(config.environments[env]?.freezes ?? []),
    ...(config.services[service]?.environments[env]?.freezes ?? []),
  ];
}

/** A window of the schedule and where it holds: `service` absent means every service of `env`. */
export interface ScheduledFreeze {
  env: string;
  service?: string;
  window: FreezeWindow;
}

/** Lists say "the next 7 days". */
export const SCHEDULE_HORIZON_MS = 7 * 86_400_000;

/** Every window in effect now or beginning within the horizon, by start, each where it is configured. */
export function freezeSchedule(
  config: ShiftgateConfig,
  now: Date,
  horizonMs = SCHEDULE_HORIZON_MS,
): ScheduledFreeze[] {
  const out: ScheduledFreeze[] = [];
  for (const [env, environment] of Object.entries(config.environments))
    for (const window of upcomingFreezes(environment.freezes ?? [], now, horizonMs))
      out.push({ env, window });
  for (const [service, svc] of Object.entries(config.services))
    for (const [env, target] of Object.entries(svc.environments))
      for (const window of upcomingFreezes(target.freezes ?? [], now, horizonMs))
        out.push({ env, service, window });
  return out.sort(
    (a, b) =>
      Date.parse(a.window.start) - Date.parse(b.window.start) ||
      a.env.localeCompare(b.env) ||
      (a.service ?? '').localeCompare(b.service ?? ''),
  );
}
