import type { GateContext } from '../../src/gates/result.ts';
import { CANARY_URL, PUBLIC_URL } from './fake-control-service.ts';

// A rollout at 5 % with a fixed clock, for gate tests; override what a test is about.

export const NOW = new Date('2026-11-02T10:10:00.000Z');

export function gateContext(overrides: Partial<GateContext> = {}): GateContext {
  return {
    project: 'openagentsgemini',
    region: 'us-central1',
    service: 'openagents-control-service',
    publicUrl: PUBLIC_URL,
    canaryUrl: CANARY_URL,
    stableRevision: 'openagents-control-service-00010-abc',
    canaryRevision: 'openagents-control-service-00011-def',
    canaryShare: 0.05,
    window: { start: new Date(NOW.getTime() - 600_000), end: NOW },
    alpha: 0.01,
    now: () => NOW,
    ...overrides,
  };
}
