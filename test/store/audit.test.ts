import { afterAll, describe, expect, it } from 'vitest';
import type { AuditEntry } from '../../src/store/index.ts';
import { openTestStore } from '../helpers/redis.ts';

const t = openTestStore('audit');
const { audit } = t.store;
afterAll(() => t.cleanup());

describe('audit', () => {
  it('reads entries back newest first, page by page, with nothing lost or duplicated', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 23; i++) {
      ids.push(
        await audit.append({
          who: `U_${i}`,
          what: 'traffic.shift',
          at: `2026-11-20T10:00:${String(i).padStart(2, '0')}.000Z`,
        }),
      );
    }
    const seen: AuditEntry[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await audit.read({ limit: 5, ...(cursor ? { before: cursor } : {}) });
      seen.push(...page.entries);
      cursor = page.next;
      pages += 1;
    } while (cursor);
    expect(pages).toBe(5);
    expect(seen.map((e) => e.id)).toEqual([...ids].reverse());
    expect(seen.map((e) => e.who)).toEqual(ids.map((_, i) => `U_${i}`).reverse());
  });

  it('has no next cursor when the last page is exactly full', async () => {
    const own = openTestStore('audit-exact');
    try {
      for (let i = 0; i < 6; i++) await own.store.audit.append({ who: 'U_A', what: `step-${i}` });
      const first = await own.store.audit.read({ limit: 3 });
      expect(first.entries.map((e) => e.what)).toEqual(['step-5', 'step-4', 'step-3']);
      expect(first.next).toBe(first.entries[2]?.id);
      const last = await own.store.audit.read({ limit: 3, before: first.next });
      expect(last.entries.map((e) => e.what)).toEqual(['step-2', 'step-1', 'step-0']);
      expect(last.next).toBeUndefined();
      expect(await own.store.audit.read({ limit: 3, before: last.entries[2]?.id })).toEqual({ entries: [] });
    } finally {
      await own.cleanup();
    }
  });

  it('keeps before/after JSON and optional fields intact', async () => {
    const before = {
      traffic: [{ revision: 'svc-00001', percent: 100 }],
      tags: [],
      ratio: 0.30000000000000004,
    };
    const after = { traffic: [{ revision: 'svc-00002', percent: 5 }], note: null };
    const id = await audit.append({
      who: 'U_ALICE',
      what: 'traffic.shift',
      rolloutId: 'r-1',
      service: 'control',
      env: 'prod',
      reason: 'stage 5 approved',
      before,
      after,
      at: '2026-11-20T11:00:00.000Z',
    });
    const [latest] = (await audit.read({ limit: 1 })).entries;
    expect(latest).toEqual({
      id,
      who: 'U_ALICE',
      what: 'traffic.shift',
      at: '2026-11-20T11:00:00.000Z',
      rolloutId: 'r-1',
      service: 'control',
      env: 'prod',
      reason: 'stage 5 approved',
      before,
      after,
    });
  });
});
