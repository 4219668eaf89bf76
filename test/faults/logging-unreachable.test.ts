import { describe, expect, it } from 'vitest';
import { judgeStage } from '../../src/gates/judge.ts';
import { createCloudLoggingGate } from '../../src/gates/providers/cloud-logging.ts';
import {
  CANARY,
  context,
  exampleGate,
  minute,
  STABLE,
  twinLogging,
  twinMonitoring,
  useObservabilityTwins,
} from '../helpers/observability-twins.ts';

// Cloud Logging unreachable (503, or its read quota spent: 429) while a stage is watched: its gates answer
// `error`, never `fail`, so nothing rolls back on a source that could not be read; one error is a warning,
// four in a row stop the stage for people (judge.ts rule 4), and the line names what could not be read.

const { logs, metrics } = useObservabilityTwins();
const gates = createCloudLoggingGate({ logging: twinLogging(), monitoring: twinMonitoring() });
const SPIKE = exampleGate('cloud-logging', 'auth-verify-errors');
const AUDIT = exampleGate('cloud-logging', 'audit-events');

describe('Cloud Logging unreachable', () => {
  it.each([
    [503, /unavailable/i],
    [429, /rate-limited|quota|Read requests/i],
  ])(
    'answers %i: the gates are error, never fail, and four in a row stop the stage',
    async (status, said) => {
      metrics.addTraffic(STABLE, { requests: 5_000, at: minute(3) });
      metrics.addTraffic(CANARY, { requests: 300, at: minute(3) });
      logs.auditEvent(CANARY, 'auth.verify.completed', minute(2), { outcome: 'failure' });
      logs.recorder.inject({ match: 'entries:list', status, times: 1_000 });
      const ticks = [];
      for (let i = 0; i < 4; i++) {
        const tick = [
          await gates.evaluate('auth-verify-errors', SPIKE, context()),
          await gates.evaluate('audit-events', AUDIT, context()),
        ];
        for (const result of tick) {
          expect(result.status).toBe('error');
          expect(result.reason).toMatch(said);
        }
        ticks.push(tick);
        const judged = judgeStage({ ticks, windowComplete: false }, { failureLimit: 0 });
        expect(judged.verdict).toBe(i < 3 ? 'continue' : 'needs-attention');
        if (i === 0) expect(judged.warnings.join(' ')).toMatch(/could not be measured/);
      }
    },
  );
});
