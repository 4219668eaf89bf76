// Dotted JSON paths into a flags document (`flags.failure_catalog_runtime_integration.enabled`), kept as
// segments so a default path can hold a flag name that has dots of its own.

export type JsonPath = readonly string[];

export const parsePath = (dotted: string): JsonPath => dotted.split('.');

export const showPath = (path: JsonPath): string => path.join('.');

const isContainer = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object';

/** The value at `path`, or `found: false` when a segment is missing (an own property only). */
export function lookup(
  document: unknown,
  path: JsonPath,
): { found: true; value: unknown } | { found: false } {
  let here: unknown = document;
  for (const key of path) {
    if (!isContainer(here) || !Object.hasOwn(here, key)) return { found: false };
    here = here[key];
  }
  return { found: true, value: here };
}

/** Replaces the value at an existing `path` in place; false when the path is not there. */
export function assign(document: unknown, path: JsonPath, value: unknown): boolean {
  const parent = lookup(document, path.slice(0, -1));
  const key = path[path.length - 1];
  if (key === undefined || !parent.found || !isContainer(parent.value) || !Object.hasOwn(parent.value, key)) {
    return false;
  }
  parent.value[key] = value;
  return true;
}
