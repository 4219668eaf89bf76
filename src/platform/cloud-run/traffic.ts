import type { TrafficTarget } from '../../runbooks/ports/cloud-run.ts';
import { sameSplit, splitEntries, splitOf } from '../../runbooks/traffic.ts';

// Traffic lists as Cloud Run takes them, planned as pure functions: the gcloud commands of seed 000
// (`deploy --no-traffic --tag`, `update-traffic --to-revisions`) and the checks of what came back.

export const LATEST = 'TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST';
export const REVISION = 'TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION';

/** A TrafficTarget as sent to Cloud Run: short revision names, '' for LATEST targets. */
export interface WireTarget {
  type: typeof LATEST | typeof REVISION;
  revision: string;
  percent: number;
  tag: string;
}

/** A traffic entry as the client library decodes it (enums as names, or numbers over gRPC). */
export interface RawTarget {
  type?: unknown;
  revision?: string | null;
  percent?: number | null;
  tag?: string | null;
  uri?: string | null;
}

export const shortName = (name: string | null | undefined) =>
  name ? name.slice(name.lastIndexOf('/') + 1) : '';

const isLatest = (type: unknown) => type === LATEST || type === 1;

export function wireTargets(raw: readonly RawTarget[] | null | undefined): WireTarget[] {
  return (raw ?? []).map((t) => ({
    type: isLatest(t.type) ? LATEST : REVISION,
    revision: isLatest(t.type) ? '' : shortName(t.revision),
    percent: t.percent ?? 0,
    tag: t.tag ?? '',
  }));
}

/** Port shape; LATEST targets resolved to the latest ready revision when Cloud Run did not name it. */
export function portTargets(
  raw: readonly RawTarget[] | null | undefined,
  latestReady: string,
): TrafficTarget[] {
  return (raw ?? []).map((t) => {
    const latest = isLatest(t.type);
    return {
      revision: shortName(t.revision) || (latest ? latestReady : ''),
      percent: t.percent ?? 0,
      ...(latest ? { latest: true } : {}),
      ...(t.tag ? { tag: t.tag } : {}),
      ...(t.uri ? { url: t.uri } : {}),
    };
  });
}

export interface Wanted {
  revision: string;
  percent: number;
  tag?: string;
}

/**
 * Exactly `wanted`, every other revision at 0 %. Tags that `wanted` does not claim stay (at 0 %) so their
 * URLs keep working; a tag `wanted` claims moves to its new revision (Cloud Run allows a tag once).
 */
export function exactTraffic(current: readonly WireTarget[], wanted: readonly Wanted[]): WireTarget[] {
  const targets: WireTarget[] = wanted.map((w) => ({
    type: REVISION,
    revision: w.revision,
    percent: w.percent,
    tag: w.tag ?? '',
  }));
  const claimed = new Set(wanted.map((w) => w.tag).filter(Boolean));
  for (const t of current) {
    if (!t.tag || claimed.has(t.tag)) continue;
    claimed.add(t.tag);
    const host =
      t.type === REVISION
        ? targets.find((x) => x.type === REVISION && x.revision === t.revision && !x.tag)
        : undefined;
    if (host) host.tag = t.tag;
    else targets.push({ ...t, percent: 0 });
  }
  return targets.filter((t) => t.percent > 0 || t.tag);
}

/**
 * The same traffic with `tag` on `revision` (a 0 % target of its own when the revision's targets carry
 * other tags), or with `tag` gone when no revision is given. Percents never change; a 0 % target left
 * with no tag is dropped, as Cloud Run does not keep it either.
 */
export function retagged(current: readonly WireTarget[], tag: string, revision?: string): WireTarget[] {
  const targets = current.map((t) => (t.tag === tag ? { ...t, tag: '' } : { ...t }));
  if (revision !== undefined) {
    const host = targets.find((t) => t.type === REVISION && t.revision === revision && !t.tag);
    if (host) host.tag = tag;
    else targets.push({ type: REVISION, revision, percent: 0, tag });
  }
  return targets.filter((t) => t.percent > 0 || t.tag);
}

/** What serves traffic now, each LATEST target pinned to the revision it resolves to. */
export function servingNow(current: readonly WireTarget[], latestReady: string): Wanted[] | string {
  const percent = new Map<string, number>();
  for (const t of current) {
    if (t.percent <= 0) continue;
    const revision = t.type === LATEST ? latestReady : t.revision;
    if (!revision) return 'traffic follows the latest ready revision, but the service has none';
    percent.set(revision, (percent.get(revision) ?? 0) + t.percent);
  }
  return [...percent].map(([revision, p]) => ({ revision, percent: p }));
}

const key = (t: WireTarget) => `${t.type}|${t.revision}|${t.tag}|${t.percent}`;

/** Same targets in any order: nothing to write (a repeated or already applied change). */
export function sameTraffic(a: readonly WireTarget[], b: readonly WireTarget[]): boolean {
  const x = a
    .filter((t) => t.percent > 0 || t.tag)
    .map(key)
    .sort();
  const y = b
    .filter((t) => t.percent > 0 || t.tag)
    .map(key)
    .sort();
  return x.length === y.length && x.every((k, i) => k === y[i]);
}

export interface Expectation {
  /** Served percent per revision, 0 % left out; absent: any split. */
  split?: Record<string, number>;
  /** Tag -> revision; '' for a tag that must be gone. */
  tags: Record<string, string>;
}

export function expectationOf(wanted: readonly Wanted[]): Expectation {
  const tags: Record<string, string> = {};
  for (const w of wanted) if (w.tag) tags[w.tag] = w.revision;
  return { split: splitOf(wanted.map((w) => ({ revision: w.revision, percent: w.percent }))), tags };
}

function describe(split: Record<string, number> | undefined, tags: Record<string, string>): string {
  const parts = split ? splitEntries(split).map(([revision, percent]) => `${revision}=${percent}%`) : [];
  if (split && parts.length === 0) parts.push('no traffic');
  for (const [tag, revision] of Object.entries(tags)) parts.push(`tag ${tag}->${revision || '(none)'}`);
  return parts.join(', ');
}

/** Undefined when the reported traffic is the expected one, else "expected …; Cloud Run reports …". */
export function mismatch(expected: Expectation, reported: readonly TrafficTarget[]): string | undefined {
  const actual = splitOf(reported);
  const actualTags: Record<string, string> = {};
  for (const t of reported) if (t.tag) actualTags[t.tag] = t.revision;
  const split = expected.split;
  const sameTags = Object.entries(expected.tags).every(
    ([tag, revision]) => (actualTags[tag] ?? '') === revision,
  );
  if ((!split || sameSplit(actual, split)) && sameTags) return undefined;
  const shownTags = Object.fromEntries(Object.keys(expected.tags).map((tag) => [tag, actualTags[tag] ?? '']));
  return `expected ${describe(split, expected.tags)}; Cloud Run reports ${describe(split && actual, shownTags)}`;
}
