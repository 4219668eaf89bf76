import { describe, expect, it } from 'vitest';
import { createAfterAck } from '../../src/commands/after-ack.ts';

// The queue of work after acks: at most `limit` pieces run at once, the rest wait their turn in order,
// a failing piece frees its slot, and drained() resolves only once everything accepted has finished.

function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { open, opened };
}

describe('after-ack work queue', () => {
  it('runs at most `limit` at once, in arrival order, and drains', async () => {
    const queue = createAfterAck(2);
    const gates = [gate(), gate(), gate(), gate()];
    const started: number[] = [];
    let drained = false;
    const all = gates.map((g, i) =>
      queue.run(async () => {
        started.push(i);
        await g.opened;
        if (i === 1) throw new Error('work failed');
      }),
    );
    void queue.drained().then(() => {
      drained = true;
    });

    await expect.poll(() => started).toEqual([0, 1]);
    expect(queue.pending()).toBe(4);
    gates[1]?.open(); // a failure frees its slot too
    await expect.poll(() => started).toEqual([0, 1, 2]);
    gates[0]?.open();
    await expect.poll(() => started).toEqual([0, 1, 2, 3]);
    expect(drained).toBe(false);
    gates[2]?.open();
    gates[3]?.open();
    await Promise.all(all);
    await expect.poll(() => drained).toBe(true);
    expect(queue.pending()).toBe(0);
  });

  it('is drained at once when idle', async () => {
    await expect(createAfterAck().drained()).resolves.toBeUndefined();
  });
});
