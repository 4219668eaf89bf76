import { readFile } from 'node:fs/promises';
import { expect, it } from 'vitest';
import { configJsonSchema } from '../../src/config/index.ts';

it('the committed JSON Schema matches the zod schema (run `npm run schema` after changing it)', async () => {
  const committed = JSON.parse(await readFile('schema/shiftgate.schema.json', 'utf8'));
  expect(committed).toEqual(configJsonSchema());
});
