import type { Logger } from 'pino';

// What the process does with a failure nothing caught. A rejected promise nobody awaited (a library's
// fire-and-forget, a handler that forgot a catch) is logged and the replica keeps serving: the work it
// belonged to is recovered by the sweep, and exiting would drop every other request in flight. A failure
// that leaves the process unable to go on (out of memory or file descriptors, or an exception thrown
// outside any promise, after which Node's own state is undefined) stops the replica cleanly: no new
// work, the steps under way finish, Redis closes, exit code 1 so that Cloud Run starts another.

const FATAL_CODES = new Set(['ENOMEM', 'EMFILE', 'ENFILE', 'ERR_WORKER_OUT_OF_MEMORY']);

export function isFatal(reason: unknown): boolean {
  if (typeof reason !== 'object' || reason === null) return false;
  const { code, fatal } = reason as { code?: unknown; fatal?: unknown };
  return fatal === true || (typeof code === 'string' && FATAL_CODES.has(code));
}

export interface ProcessGuard {
  /** Removes the handlers (tests; a second start in one process). */
  remove(): void;
}

export function guardProcess(log: Logger, shutdown: (why: string) => Promise<void>): ProcessGuard {
  const describe = (reason: unknown) =>
    reason instanceof Error
      ? { error: reason.message, code: (reason as { code?: unknown }).code, stack: reason.stack }
      : { error: String(reason) };
  const stop = (why: string) => {
    process.exitCode = 1;
    void shutdown(why).catch((error: unknown) => log.error(describe(error), 'shutdown failed'));
  };
  const onRejection = (reason: unknown) => {
    if (isFatal(reason)) {
      log.fatal(describe(reason), 'fatal unhandled rejection: stopping');
      stop('fatal unhandled rejection');
      return;
    }
    log.error(describe(reason), 'unhandled rejection (logged; still serving)');
  };
  const onException = (error: Error) => {
    log.fatal(describe(error), 'uncaught exception: stopping');
    stop('uncaught exception');
  };
  process.on('unhandledRejection', onRejection);
  process.on('uncaughtException', onException);
  return {
    remove() {
      process.off('unhandledRejection', onRejection);
      process.off('uncaughtException', onException);
    },
  };
}
