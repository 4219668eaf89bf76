import type { CloudMonitoring } from '../../../src/gates/ports/monitoring.ts';

/**
 * Cloud Monitoring's shortest alignment period is 60 s, and the adapter refuses shorter windows. Tests,
 * benchmarks and the sandbox watch for seconds, not minutes, so their windows are widened to the minute
 * before they end; the traffic fed to the twin covers that minute.
 */
export function widened(monitoring: CloudMonitoring): CloudMonitoring {
  return {
    ...(monitoring.completeThrough ? { completeThrough: monitoring.completeThrough.bind(monitoring) } : {}),
    ...(monitoring.samplePeriodMs === undefined ? {} : { samplePeriodMs: monitoring.samplePeriodMs }),
    revisionStats: (query) => {
      const end = query.window.end;
      const start = new Date(Math.min(query.window.start.getTime(), end.getTime() - 61_000));
      return monitoring.revisionStats({ ...query, window: { start, end } });
    },
  };
}
