import { shellQuote } from '../../gates/curl.ts';
import { messageOf } from '../../gates/error-result.ts';
import { type CheckContext, judged, notMeasured, type Observation } from './context.ts';

// Seed 002's static host policy, its third part: the assets the web shell's manifest.json names (icons,
// scripts, styles: every path in it to a file with an extension) are served as immutable, long-cached
// files, so a deploy can never leave a browser holding a stale one under the same name.

export interface ImmutableAssetsLane {
  manifest: string;
  minMaxAge: number;
}

/** Every path in the manifest that names a file (a string with an extension), relative or absolute. */
export function assetPaths(document: unknown): string[] {
  const found = new Set<string>();
  const walk = (node: unknown): void => {
    if (typeof node === 'string') {
      if (
        /^(?:\/|\.\/|[A-Za-z0-9_-]+\/)?[^\s?#:]*\.[A-Za-z0-9]{1,8}(?:[?#].*)?$/.test(node) &&
        !/^[a-z]+:/.test(node)
      )
        found.add(node);
    } else if (Array.isArray(node)) node.forEach(walk);
    else if (node && typeof node === 'object') Object.values(node).forEach(walk);
  };
  walk(document);
  return [...found];
}

function maxAgeOf(cacheControl: string): number | undefined {
  const match = /(?:^|,)\s*max-age=(\d+)/i.exec(cacheControl);
  return match ? Number(match[1]) : undefined;
}

export async function immutableAssetsCheck(
  ctx: CheckContext,
  lane: ImmutableAssetsLane,
  fetchImpl: typeof fetch = (input, init) => globalThis.fetch(input, init),
): Promise<Observation> {
  const base = ctx.target.publicUrl.replace(/\/+$/, '');
  const manifestUrl = new URL(lane.manifest, `${base}/`).toString();
  const expected = `immutable, max-age >= ${lane.minMaxAge} s`;
  const evidence = `curl -sS ${shellQuote(manifestUrl)} # then curl -sI each asset it names`;
  const what = `assets of ${lane.manifest}`;
  let paths: string[];
  try {
    const response = await fetchImpl(manifestUrl, { signal: ctx.signal });
    if (!response.ok)
      return judged(what, `manifest answered ${response.status}`, expected, evidence, [
        `${lane.manifest} answered ${response.status}`,
      ]);
    paths = assetPaths(await response.json());
  } catch (error) {
    return notMeasured(what, expected, evidence, messageOf(error));
  }
  if (paths.length === 0)
    return judged(what, 'no asset path in the manifest', expected, evidence, ['the manifest names no asset']);
  const problems: string[] = [];
  await Promise.all(
    paths.map(async (path) => {
      const url = new URL(path, manifestUrl).toString();
      try {
        const response = await fetchImpl(url, { method: 'GET', signal: ctx.signal });
        await response.body?.cancel();
        const cache = response.headers.get('cache-control') ?? '';
        const age = maxAgeOf(cache);
        if (!response.ok) problems.push(`${path} answered ${response.status}`);
        else if (!/\bimmutable\b/i.test(cache) || age === undefined || age < lane.minMaxAge)
          problems.push(`${path}: cache-control ${cache ? `"${cache}"` : 'absent'}`);
      } catch (error) {
        problems.push(`${path} could not be fetched: ${messageOf(error)}`);
      }
    }),
  );
  problems.sort();
  return judged(
    what,
    `${paths.length - problems.length} of ${paths.length} immutable`,
    expected,
    evidence,
    problems,
  );
}
