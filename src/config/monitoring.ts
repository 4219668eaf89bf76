import { z } from 'zod';
import { duration } from './duration.ts';

// How late Cloud Monitoring's data is. Cloud Run's request metrics are "sampled every 60 seconds. After
// sampling, data is not visible for up to 180 seconds" (Google's metric list; platform-facts.md), so the
// gates judge only the complete part of a window and a stage waits for the data that covers all of it
// (gates/baseline.ts, gates/judge.ts). The defaults are production's; the sandbox scales them down with
// its seconds-long stages.
export const monitoringVisibility = z
  .strictObject({
    samplePeriod: duration
      .prefault('60s')
      .meta({ description: "Cloud Monitoring's sampling period of Cloud Run's request metrics" }),
    ingestionLatency: duration
      .prefault('180s')
      .meta({ description: 'How long after a sample its data may still be invisible' }),
  })
  .prefault({})
  .meta({ description: "How late Cloud Monitoring's data arrives; the gates judge only complete data" });
