import { HttpResponse, http } from 'msw';
import { describe, expect, it } from 'vitest';
import type { ServiceTarget } from '../../src/config/target.ts';
import { validationLane } from '../../src/config/validation.ts';
import type { CheckContext } from '../../src/validation/checks/context.ts';
import { assetPaths, immutableAssetsCheck } from '../../src/validation/checks/immutable-assets.ts';
import { useTwins } from '../helpers/msw.ts';

// Seed 002's immutable-asset check: the assets manifest.json names are served immutable and long-cached.

const ORIGIN = 'https://shell.example.test';
const YEAR = 'public, max-age=31536000, immutable';
const state = { iconCache: YEAR, scriptCache: YEAR, manifest: 200 };
useTwins(
  http.get(`${ORIGIN}/manifest.json`, () =>
    state.manifest === 200
      ? HttpResponse.json({
          name: 'OpenAgents',
          start_url: '/',
          icons: [{ src: '/assets/icon-192.3f9a1c2b.png', sizes: '192x192' }],
          shell: { entry: 'assets/app.abc12345.js' },
          homepage: 'https://openagents.com/',
        })
      : HttpResponse.text('gone', { status: state.manifest }),
  ),
  http.get(`${ORIGIN}/assets/icon-192.3f9a1c2b.png`, () =>
    HttpResponse.text('png', { headers: { 'cache-control': state.iconCache } }),
  ),
  http.get(`${ORIGIN}/assets/app.abc12345.js`, () =>
    HttpResponse.text('js', { headers: { 'cache-control': state.scriptCache } }),
  ),
);

const lane = validationLane.parse({ name: 'static-assets', kind: 'immutable-assets', services: ['control'] });
function ctx(): CheckContext {
  return {
    lane,
    target: { publicUrl: ORIGIN } as ServiceTarget,
    signal: new AbortController().signal,
  } as unknown as CheckContext;
}
const run = () =>
  immutableAssetsCheck(
    ctx(),
    lane.kind === 'immutable-assets' ? lane : { manifest: '/manifest.json', minMaxAge: 1 },
  );

describe('immutable-assets lane', () => {
  it('finds every file path in a manifest, not URLs or plain words', () => {
    expect(
      assetPaths({
        a: '/x/y.1234.js',
        b: 'z.css',
        c: 'https://cdn/z.js',
        d: 'standalone',
        e: ['/i.png'],
      }).sort(),
    ).toEqual(['/i.png', '/x/y.1234.js', 'z.css'].sort());
  });

  it('passes when every asset is immutable and cached a year', async () => {
    Object.assign(state, { iconCache: YEAR, scriptCache: YEAR, manifest: 200 });
    expect(await run()).toMatchObject({ status: 'pass', observed: '2 of 2 immutable' });
  });

  it('fails naming each asset served without immutable or with a short max-age', async () => {
    Object.assign(state, {
      iconCache: 'public, max-age=300',
      scriptCache: 'public, max-age=60, immutable',
      manifest: 200,
    });
    const result = await run();
    expect(result.status).toBe('fail');
    expect(result.line).toContain('/assets/icon-192.3f9a1c2b.png: cache-control "public, max-age=300"');
    expect(result.line).toContain('assets/app.abc12345.js: cache-control "public, max-age=60, immutable"');
  });

  it('fails when the manifest is not there', async () => {
    Object.assign(state, { manifest: 404 });
    expect(await run()).toMatchObject({ status: 'fail' });
  });
});
