import { isDeepStrictEqual } from 'node:util';
import { formatDuration } from '../../config/duration.ts';
import type { GateOf } from '../result.ts';

// The http gate's expectations, checked in the order a person reads them: status, headers (in the
// order written), body, then latency. The first rule that breaks is the reason, with what was seen.

type Expect = GateOf<'http'>['expect'];
type HeaderExpectation = NonNullable<Expect['headers']>[string];

export interface HttpObservation {
  status: number;
  headers: Headers;
  body: string;
  latencyMs: number;
}

/** Undefined when every rule holds, else the first broken rule in words. */
export function firstBrokenRule(expect: Expect, seen: HttpObservation): string | undefined {
  const statuses = Array.isArray(expect.status) ? expect.status : [expect.status];
  if (!statuses.includes(seen.status)) {
    const body = seen.body.trim() ? `; body ${snippet(seen.body)}` : '';
    return `expected status ${statuses.join(' or ')}${body}`;
  }
  for (const [name, rule] of Object.entries(expect.headers ?? {})) {
    const broken = headerRule(name, rule, seen.headers.get(name));
    if (broken) return broken;
  }
  const broken = expect.body ? bodyRule(expect.body, seen.body) : undefined;
  if (broken) return broken;
  if (expect.maxLatency !== undefined && seen.latencyMs > expect.maxLatency) {
    return `expected within ${formatDuration(expect.maxLatency)}`;
  }
  return undefined;
}

function headerRule(name: string, rule: HeaderExpectation, value: string | null): string | undefined {
  const saw = value === null ? 'missing' : `saw ${quote(value)}`;
  if (typeof rule === 'string') {
    return value?.trim() === rule ? undefined : `header ${name}: expected ${quote(rule)}, ${saw}`;
  }
  if ('absent' in rule) return value === null ? undefined : `header ${name}: expected absent, ${saw}`;
  if ('contains' in rule) {
    return value?.includes(rule.contains)
      ? undefined
      : `header ${name}: expected to contain ${quote(rule.contains)}, ${saw}`;
  }
  return value !== null && new RegExp(rule.matches).test(value)
    ? undefined
    : `header ${name}: expected to match /${rule.matches}/, ${saw}`;
}

function bodyRule(rule: NonNullable<Expect['body']>, body: string): string | undefined {
  if (rule.contains !== undefined && !body.includes(rule.contains)) {
    return `body: expected to contain ${quote(rule.contains)}, saw ${snippet(body)}`;
  }
  if (rule.matches !== undefined && !new RegExp(rule.matches).test(body)) {
    return `body: expected to match /${rule.matches}/, saw ${snippet(body)}`;
  }
  if (rule.json === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return `body: expected JSON, saw ${snippet(body)}`;
  }
  for (const [path, expected] of Object.entries(rule.json)) {
    const found = atPath(parsed, path);
    if (!found.present) return `body ${path}: expected ${json(expected)}, missing`;
    if (!isDeepStrictEqual(found.value, expected)) {
      return `body ${path}: expected ${json(expected)}, saw ${json(found.value)}`;
    }
  }
  return undefined;
}

/** A dotted path into parsed JSON: "data.allowed", "items.0.id" (array indices as segments). */
export function atPath(value: unknown, path: string): { present: boolean; value?: unknown } {
  let current = value;
  for (const key of path.split('.')) {
    if (current === null || typeof current !== 'object' || !Object.hasOwn(current, key)) {
      return { present: false };
    }
    current = (current as Record<string, unknown>)[key];
  }
  return { present: true, value: current };
}

// Plain double quotes, no escaping: the line is for a person, and a quoted JSON body stays readable.
const quote = (text: string) => `"${text.length > 120 ? `${text.slice(0, 120)}...` : text}"`;
const json = (value: unknown) => {
  const text = JSON.stringify(value) ?? 'undefined';
  return text.length > 120 ? `${text.slice(0, 120)}...` : text;
};

/** The start of a body on one line, quoted: enough to see what the service said. */
function snippet(body: string): string {
  const line = body.replace(/\s+/g, ' ').trim();
  return line ? quote(line) : 'an empty body';
}
