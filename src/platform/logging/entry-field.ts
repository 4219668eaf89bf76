import type { Entry } from '@google-cloud/logging';

// A field of a listed entry by its filter path (jsonPayload.event, labels.kind, httpRequest.status). The
// library hands entries back as {metadata, data}: the payload (jsonPayload as a plain object, textPayload
// as a string) is `data`, everything else sits in `metadata`.

export function entryField(entry: Entry, path: string): unknown {
  const [head, ...rest] = path.split('.');
  let value: unknown;
  if (head === 'jsonPayload') value = isObject(entry.data) ? entry.data : undefined;
  else if (head === 'textPayload') value = typeof entry.data === 'string' ? entry.data : undefined;
  else if (head === 'protoPayload') value = entry.data;
  else value = (entry.metadata as Record<string, unknown>)[head as string];
  for (const segment of rest) value = isObject(value) ? value[segment] : undefined;
  return value;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Buffer.isBuffer(value);
