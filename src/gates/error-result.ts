import type { Gate } from '../config/gates.ts';
import type { GateContext, GateResult } from './result.ts';

// The result of a gate that could not be measured: `error`, never `fail` (judge.ts treats it apart).

export interface ErrorDetails {
  metric: string;
  threshold: string;
  evidence: string;
  reason: string;
}

export function errorResult(name: string, gate: Gate, ctx: GateContext, details: ErrorDetails): GateResult {
  return {
    gate: name,
    kind: gate.kind,
    status: 'error',
    samples: 0,
    at: ctx.now().toISOString(),
    ...details,
  };
}

/** The message of anything thrown; a PlatformError's message already names the system and the resource. */
export function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message || error.name;
  return String(error);
}
