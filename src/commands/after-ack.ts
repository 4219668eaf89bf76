// The work that follows an ack (engine calls, the answer through response_url) runs at most `limit` at a
// time. Acks share the event loop with that work, and Slack wants them within 3 s: under a burst of
// commands or clicks every request is acked at once while its work waits its turn, instead of every
// piece of work slowing every ack. Replies may come later under a burst; response_urls stay valid 30 min.

export interface AfterAck {
  /** Runs `work` when a slot is free; never rejects (work handles its own failures). */
  run(work: () => Promise<void>): Promise<void>;
  /** Waiting and running pieces of work. */
  pending(): number;
  /** Resolves once nothing waits or runs (shutdown lets the accepted work finish). */
  drained(): Promise<void>;
}

export const AFTER_ACK_LIMIT = 4;

export function createAfterAck(
  limit = AFTER_ACK_LIMIT,
  onError: (error: unknown) => void = () => {},
): AfterAck {
  const pending = createCounter();
  let running = 0;
  const waiting: (() => void)[] = [];

  return {
    async run(work) {
      pending.enter();
      if (running < limit) running += 1;
      else await new Promise<void>((resolve) => waiting.push(resolve));
      try {
        await work();
      } catch (error) {
        // Nothing may escape into Bolt's listener; work that has a person to answer did so already.
        onError(error);
      } finally {
        // The slot goes to the next waiting piece of work, or is freed.
        const next = waiting.shift();
        if (next) next();
        else running -= 1;
        pending.leave();
      }
    },
    pending: pending.count,
    drained: pending.idle,
  };
}

/**
 * Requests between their arrival in Bolt's middleware and the end of their work. Slack events are acked
 * before the middleware runs, so "every queue is empty" can be true while an acked event has not reached
 * its queue yet; counting from the first middleware closes that gap (tests and shutdown wait on it).
 */
export function createInFlight() {
  const inFlight = createCounter();
  return {
    async track<T>(work: () => Promise<T>): Promise<T> {
      inFlight.enter();
      try {
        return await work();
      } finally {
        inFlight.leave();
      }
    },
    idle: inFlight.idle,
  };
}

export type InFlight = ReturnType<typeof createInFlight>;

/** Work under way, counted; idle() resolves once the count is back at zero. */
function createCounter() {
  let count = 0;
  let waiters: (() => void)[] = [];
  return {
    enter() {
      count += 1;
    },
    leave() {
      count -= 1;
      if (count > 0) return;
      for (const done of waiters) done();
      waiters = [];
    },
    count: () => count,
    idle: (): Promise<void> =>
      count === 0 ? Promise.resolve() : new Promise((resolve) => waiters.push(resolve)),
  };
}
