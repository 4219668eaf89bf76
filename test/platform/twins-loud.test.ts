import { HttpResponse, http } from 'msw';
import { expect, it } from 'vitest';
import { useTwins } from '../helpers/msw.ts';

useTwins(http.get('http://known.twin/ok', () => HttpResponse.json({ ok: true })));

it('answers known requests and fails loudly on one no twin handles', async () => {
  expect(await (await fetch('http://known.twin/ok')).json()).toEqual({ ok: true });
  await expect(fetch('http://unknown.twin/nothing')).rejects.toThrow();
});
