import type { GoogleTarget } from '../google.ts';

// Bounds and clocks of the adapter. Defaults suit production; tests pass milliseconds and a recording
// sleep so retries and polling run fast and can be checked.

export interface CloudRunOptions {
  google: GoogleTarget;
  /** Longest wait for an update's long-running operation; a deploy pulls and starts an image. */
  operationTimeoutMs?: number;
  /** First pause between operation polls; it grows ×1.5 up to maxPollMs. */
  pollMs?: number;
  maxPollMs?: number;
  /** Deadline of a single API call. */
  callTimeoutMs?: number;
  /** Read-modify-write attempts while the etag keeps moving (someone else updating the service). */
  conflictAttempts?: number;
  /** Attempts of one call that meets 429, 5xx or a deadline. */
  transientAttempts?: number;
  /** Pause before the given retry (1 = first retry), unless Cloud Run asked for a delay. */
  backoffMs?: (retry: number) => number;
  /** Upper bound on a delay Cloud Run asks for (RetryInfo). */
  maxRetryDelayMs?: number;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

export type Settings = Required<Omit<CloudRunOptions, 'google'>>;

/** Exponential with jitter, so replicas that failed together do not retry together. */
const backoff = (retry: number) => Math.min(8_000, 500 * 2 ** (retry - 1)) * (0.5 + Math.random() / 2);

export function settingsOf(options: CloudRunOptions): Settings {
  return {
    operationTimeoutMs: options.operationTimeoutMs ?? 10 * 60_000,
    pollMs: options.pollMs ?? 1_000,
    maxPollMs: options.maxPollMs ?? 10_000,
    callTimeoutMs: options.callTimeoutMs ?? 60_000,
    conflictAttempts: options.conflictAttempts ?? 3,
    transientAttempts: options.transientAttempts ?? 3,
    backoffMs: options.backoffMs ?? backoff,
    maxRetryDelayMs: options.maxRetryDelayMs ?? 30_000,
    sleep: options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))),
    now: options.now ?? Date.now,
  };
}
