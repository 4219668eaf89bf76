import { askedDelayMs, cloudRunError, isTransient } from './errors.ts';
import type { Settings } from './settings.ts';

/**
 * One API call with a small bounded retry on 429 / 5xx / deadline (the client library's own retry is
 * switched off so the bound and the delays are ours). Failures come out as PlatformErrors about `subject`.
 */
export async function call<T>(settings: Settings, subject: string, fn: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (error) {
      if (!isTransient(error) || attempt >= settings.transientAttempts)
        throw cloudRunError(error, subject, attempt);
      const asked = askedDelayMs(error);
      await settings.sleep(
        asked === undefined ? settings.backoffMs(attempt) : Math.min(asked, settings.maxRetryDelayMs),
      );
    }
  }
}
