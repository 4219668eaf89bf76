import { describe, expect, it } from 'vitest';
import { createLoggingTwin } from '../../sandbox/twins/logging/index.ts';
import { createMonitoringTwin } from '../../sandbox/twins/monitoring/index.ts';
import { CLOUD_RUN_VISIBILITY } from '../../src/platform/monitoring/cloud-monitoring.ts';
import { PlatformError } from '../../src/runbooks/ports/errors.ts';
import { useTwins } from '../helpers/msw.ts';
import { twinLogging, twinMonitoring } from '../helpers/observability-twins.ts';

// The twins are as late and as limited as the services: Cloud Monitoring shows a request only once its
// 60 s sample and 180 s of ingestion have passed; Cloud Logging reads an entry seconds after it was
// written and allows a project 60 entries.list calls a minute. Read through the real client libraries.

let clock = Date.parse('2026-11-20T10:00:30Z');
const metrics = createMonitoringTwin({ project: 'p', service: 'svc', now: () => clock });
const logs = createLoggingTwin({ project: 'p', service: 'svc', now: () => clock });
useTwins(...metrics.handlers, ...logs.handlers);
const monitoring = twinMonitoring({ visibility: CLOUD_RUN_VISIBILITY });
const logging = twinLogging();

const minute = (m: number) => new Date(Date.parse('2026-11-20T10:00:00Z') + m * 60_000);

describe('Cloud Monitoring twin, with production latency', () => {
  it('shows a request only after its sample ends and 180 s more have passed', async () => {
    metrics.reset();
    metrics.addTraffic('r1', { requests: 10, errors5xx: 1, at: minute(0.5) }); // sample 10:00-10:01
    const read = async (at: number) => {
      clock = minute(at).getTime();
      const { stats } = await monitoring.revisionStats({
        project: 'p',
        service: 'svc',
        revisions: ['r1'],
        window: { start: minute(0), end: minute(at) },
        percentiles: [],
      });
      return stats.r1?.requests;
    };
    expect(await read(1)).toBe(0); // the sample has just ended
    expect(await read(3.9)).toBe(0); // 174 s after it
    expect(await read(4)).toBe(10); // 180 s after it
    // The adapter says the same: data is complete through the end of the newest visible sample.
    expect(monitoring.completeThrough?.(minute(4.5))).toEqual(minute(1));
    expect(monitoring.completeThrough?.(minute(10.2))).toEqual(minute(7));
  });
});

describe('Cloud Logging twin, with its latency and read quota', () => {
  const count = () =>
    logging.countEntries({
      project: 'p',
      service: 'svc',
      revisions: ['r1'],
      filter: 'severity>=ERROR',
      window: { start: minute(0), end: minute(2) },
    });

  it('reads an entry only once it has been received, seconds after its timestamp', async () => {
    logs.reset();
    clock = minute(1).getTime();
    logs.addEntry('r1', { severity: 'ERROR', textPayload: 'boom', timestamp: minute(1) });
    expect((await count()).counts.r1?.count).toBe(0);
    clock = minute(1).getTime() + 5_000;
    expect((await count()).counts.r1?.count).toBe(1);
  });

  it('answers 429 RESOURCE_EXHAUSTED past 60 reads a minute per project, and again the next minute', async () => {
    logs.reset();
    clock = minute(20).getTime();
    for (let i = 0; i < 60; i++) await count();
    const refused = await count().catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(PlatformError);
    expect(refused).toMatchObject({ kind: 'rate-limited' });
    expect(String((refused as Error).message)).toMatch(/Read requests per minute/);
    clock = minute(21).getTime();
    await expect(count()).resolves.toBeDefined();
  });
});
