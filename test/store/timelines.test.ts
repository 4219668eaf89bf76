import { afterAll, describe, expect, it } from 'vitest';
import { openTestStore } from '../helpers/redis.ts';

const t = openTestStore('timelines');
const { timelines } = t.store;
afterAll(() => t.cleanup());

const at = (minute: number) => `2026-11-20T10:${String(minute).padStart(2, '0')}:00.000Z`;

describe('timelines', () => {
  it('lists entries in time order, insertion order for equal times', async () => {
    await timelines.add('inc-1', {
      at: at(5),
      author: 'U_A',
      text: 'second',
      source: 'human',
      ts: '1.000200',
    });
    await timelines.add('inc-1', { at: at(1), author: 'bot', text: 'first', source: 'bot' });
    await timelines.add('inc-1', {
      at: at(9),
      author: 'U_B',
      text: 'fourth',
      source: 'human',
      ts: '1.000300',
    });
    await timelines.add('inc-1', {
      at: at(5),
      author: 'U_C',
      text: 'third',
      source: 'human',
      ts: '1.000100',
    });
    const listed = await timelines.list('inc-1');
    expect(listed.map((e) => e.text)).toEqual(['first', 'second', 'third', 'fourth']);
    expect(listed[0]).toEqual({
      id: expect.any(String),
      at: at(1),
      author: 'bot',
      text: 'first',
      source: 'bot',
    });
    expect(listed[1]).toEqual({
      id: expect.any(String),
      at: at(5),
      author: 'U_A',
      text: 'second',
      source: 'human',
      ts: '1.000200',
    });
  });

  it('ignores a second add of the same Slack ts (an Events API retry)', async () => {
    const first = await timelines.add('inc-2', {
      at: at(1),
      author: 'U_A',
      text: 'note',
      source: 'human',
      ts: '2.1',
    });
    const retry = await timelines.add('inc-2', {
      at: at(2),
      author: 'U_A',
      text: 'note',
      source: 'human',
      ts: '2.1',
    });
    expect(first).toEqual({ added: true, id: expect.any(String) });
    expect(retry).toEqual({ added: false, id: first.id });
    expect(await timelines.list('inc-2')).toHaveLength(1);
  });

  it('edits and removes by Slack ts, and a removed message does not come back on retry', async () => {
    await timelines.add('inc-3', { at: at(1), author: 'U_A', text: 'typo', source: 'human', ts: '3.1' });
    await timelines.add('inc-3', { at: at(2), author: 'U_B', text: 'keep', source: 'human', ts: '3.2' });

    expect(await timelines.edit('inc-3', '3.1', 'fixed', at(3))).toBe(true);
    expect((await timelines.list('inc-3'))[0]).toMatchObject({ text: 'fixed', editedAt: at(3), at: at(1) });

    expect(await timelines.remove('inc-3', '3.1')).toBe(true);
    expect(await timelines.remove('inc-3', '3.1')).toBe(false);
    expect(await timelines.edit('inc-3', '3.1', 'again', at(4))).toBe(false);
    expect(await timelines.edit('inc-3', '9.9', 'unknown', at(4))).toBe(false);
    expect(
      await timelines.add('inc-3', { at: at(1), author: 'U_A', text: 'typo', source: 'human', ts: '3.1' }),
    ).toEqual({ added: false });
    expect((await timelines.list('inc-3')).map((e) => e.text)).toEqual(['keep']);
  });

  it('a removal that arrives before its message keeps the message out', async () => {
    expect(await timelines.remove('inc-5', '5.1')).toBe(false);
    const late = await timelines.add('inc-5', { author: 'U_A', text: 'secret', source: 'human', ts: '5.1' });
    expect(late).toEqual({ added: false });
    expect(await timelines.list('inc-5')).toEqual([]);
  });

  it('keeps incidents apart and lists an unknown incident as empty', async () => {
    await timelines.add('inc-4', { at: at(1), author: 'U_A', text: 'a', source: 'human', ts: '3.1' });
    expect((await timelines.list('inc-4')).map((e) => e.text)).toEqual(['a']);
    expect(await timelines.list('inc-none')).toEqual([]);
  });
});
