import { readFileSync } from 'node:fs';
import { afterAll, beforeEach } from 'vitest';
import { parse } from 'yaml';
import { createLoggingTwin, INSTANT_LOGS } from '../../sandbox/twins/logging/index.ts';
import { createMonitoringTwin, INSTANT_DATA } from '../../sandbox/twins/monitoring/index.ts';
import { type GateKind, gate as gateSchema } from '../../src/config/gates.ts';
import type { GateContext, GateOf } from '../../src/gates/result.ts';
import {
  type CloudLoggingAdapter,
  type CloudLoggingOptions,
  createCloudLogging,
} from '../../src/platform/logging/index.ts';
import {
  type CloudMonitoringAdapter,
  type CloudMonitoringOptions,
  createCloudMonitoring,
} from '../../src/platform/monitoring/index.ts';
import { useTwins } from './msw.ts';

// The Cloud Logging and Cloud Monitoring gates' tests: service svc of project p rolled out from STABLE to
// CANARY over a fixed 10-minute window, the Logging and Monitoring twins answering for the test file,
// the real adapters pointed at them, and the gates of examples/shiftgate.yaml.

export const START = new Date('2026-11-20T10:00:00Z');
export const END = new Date('2026-11-20T10:10:00Z');
export const minute = (n: number) => new Date(START.getTime() + n * 60_000);
export const STABLE = 'svc-00010-abc';
export const CANARY = 'svc-00011-def';

export function context(overrides: Partial<GateContext> = {}): GateContext {
  return {
    project: 'p',
    region: 'us-central1',
    service: 'svc',
    publicUrl: 'https://svc-hash-uc.a.run.app',
    stableRevision: STABLE,
    canaryRevision: CANARY,
    canaryShare: 0.05,
    window: { start: START, end: END },
    alpha: 0.01,
    now: () => END,
    ...overrides,
  };
}

/** Both twins, serving the calling test file and emptied before each of its tests. */
export function useObservabilityTwins() {
  const logs = createLoggingTwin({ project: 'p', service: 'svc', ...INSTANT_LOGS });
  const metrics = createMonitoringTwin({ project: 'p', service: 'svc', ...INSTANT_DATA });
  useTwins(...logs.handlers, ...metrics.handlers);
  beforeEach(() => {
    logs.reset();
    metrics.reset();
  });
  return { logs, metrics };
}

const target = (host: string) => ({
  projectId: 'p',
  endpoint: { host, port: 80, protocol: 'http' as const },
});

/** The real Cloud Logging adapter against the twin, retrying at once, closed after the test file. */
export function twinLogging(options: Partial<CloudLoggingOptions> = {}): CloudLoggingAdapter {
  const logging = createCloudLogging({ target: target('logging.twin'), retryDelayMs: 1, ...options });
  afterAll(() => logging.close());
  return logging;
}

/** The real Cloud Monitoring adapter against the twin, retrying at once, closed after the test file. */
export function twinMonitoring(options: Partial<CloudMonitoringOptions> = {}): CloudMonitoringAdapter {
  const monitoring = createCloudMonitoring({
    target: target('monitoring.twin'),
    retryDelayMs: 1,
    visibility: INSTANT_DATA,
    ...options,
  });
  afterAll(() => monitoring.close());
  return monitoring;
}

const example = parse(readFileSync(new URL('../../examples/shiftgate.yaml', import.meta.url), 'utf8')) as {
  gates: Record<string, unknown>;
};

/** `input` parsed as the config parses a gate, which must be of `kind`. */
export function gateOf<K extends GateKind>(kind: K, input: unknown): GateOf<K> {
  const parsed = gateSchema.parse(input);
  if (parsed.kind !== kind) throw new Error(`not a ${kind} gate: ${parsed.kind}`);
  return parsed as GateOf<K>;
}

/** The gate of examples/shiftgate.yaml named `name`, which must be of `kind`. */
export function exampleGate<K extends GateKind>(kind: K, name: string): GateOf<K> {
  return gateOf(kind, example.gates[name]);
}
