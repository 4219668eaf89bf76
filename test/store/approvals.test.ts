import { afterAll, describe, expect, it } from 'vitest';
import { openTestStore } from '../helpers/redis.ts';

const t = openTestStore('approvals');
const { approvals } = t.store;
afterAll(() => t.cleanup());

describe('approvals', () => {
  it('counts one user approving twice once, and two users twice', async () => {
    expect(await approvals.add('r-1', 5, { userId: 'U_A', at: '2026-11-20T10:00:00.000Z' })).toEqual({
      counted: true,
      count: 1,
    });
    expect(await approvals.add('r-1', 5, { userId: 'U_A', at: '2026-11-20T10:05:00.000Z' })).toEqual({
      counted: false,
      count: 1,
    });
    expect(await approvals.add('r-1', 5, { userId: 'U_B', at: '2026-11-20T10:01:00.000Z' })).toEqual({
      counted: true,
      count: 2,
    });
    // The first approval's time is kept; order is approval order.
    expect(await approvals.list('r-1', 5)).toEqual([
      { userId: 'U_A', at: '2026-11-20T10:00:00.000Z' },
      { userId: 'U_B', at: '2026-11-20T10:01:00.000Z' },
    ]);
  });

  it('keeps stages and rollouts apart', async () => {
    await approvals.add('r-2', 'stage-a', { userId: 'U_A' });
    expect(await approvals.add('r-2', 25, { userId: 'U_A' })).toEqual({ counted: true, count: 1 });
    expect(await approvals.add('r-3', 'stage-a', { userId: 'U_A' })).toEqual({ counted: true, count: 1 });
    expect(await approvals.list('r-2', 50)).toEqual([]);
  });

  it('counts 20 concurrent approvals by distinct users as 20', async () => {
    const other = t.openAnother().approvals;
    const users = Array.from({ length: 20 }, (_, i) => `U_${String(i).padStart(2, '0')}`);
    const results = await Promise.all(
      users.map((userId, i) => (i % 2 ? other : approvals).add('r-many', 50, { userId })),
    );
    expect(results.every((r) => r.counted)).toBe(true);
    // Each call saw a different count: the script is atomic.
    expect(results.map((r) => r.count).sort((a, b) => a - b)).toEqual(users.map((_, i) => i + 1));
    const listed = await approvals.list('r-many', 50);
    expect(listed.map((a) => a.userId).sort()).toEqual(users);
  });
});
