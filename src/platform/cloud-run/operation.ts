import { failure } from './errors.ts';
import { call } from './retry.ts';
import type { Settings } from './settings.ts';

// Waiting for an update's long-running operation. We poll it ourselves (the library's own `promise()`
// polls without an overall bound unless told, and keeps timers running after we give up): each poll is
// one call with the usual transient retry, and the whole wait is bounded by operationTimeoutMs.

/** The part of google-gax's Operation used here. */
export interface PendingOperation {
  name: string;
  latestResponse: { done?: boolean | null; error?: { code?: number | null; message?: string | null } | null };
  result: unknown;
  getOperation(): Promise<unknown>;
}

const isDone = (op: PendingOperation) => Boolean(op.latestResponse.done);

/** Resolves to the operation's response; 'operation-failed' with Cloud Run's message, or 'timeout'. */
export async function settle(settings: Settings, subject: string, op: PendingOperation): Promise<unknown> {
  const deadline = settings.now() + settings.operationTimeoutMs;
  let wait = settings.pollMs;
  for (;;) {
    if (isDone(op)) {
      const error = op.latestResponse.error;
      if (error) {
        const code = error.code ? ` (code ${error.code})` : '';
        throw failure('operation-failed', `${subject}: operation failed${code}: ${error.message}`);
      }
      return op.result;
    }
    const left = deadline - settings.now();
    if (left <= 0) {
      throw failure(
        'timeout',
        `${subject}: operation ${op.name} not done after ${settings.operationTimeoutMs} ms`,
      );
    }
    await settings.sleep(Math.min(wait, left));
    wait = Math.min(wait * 1.5, settings.maxPollMs);
    await call(settings, `${subject} (polling operation ${op.name})`, async () => {
      try {
        await op.getOperation();
      } catch (error) {
        if (!isDone(op)) throw error; // a failed poll; a failed operation is read above
      }
    });
  }
}
