import type { RolloutStatus } from './types.ts';

/** The statuses a rollout ends in: nothing moves it on, its lock is released and its report written. */
export const TERMINAL_STATUSES = [
  'promoted',
  'rolled-back',
  'aborted',
  'failed',
] as const satisfies readonly RolloutStatus[];
export type TerminalStatus = (typeof TERMINAL_STATUSES)[number];

export function isTerminalStatus(status: string): status is TerminalStatus {
  return (TERMINAL_STATUSES as readonly string[]).includes(status);
}
