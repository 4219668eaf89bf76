import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { validate } from 'dockerfile-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type BotProcess,
  freePort,
  minimalEnv,
  type SlackOverHttp,
  serveSlackTwin,
  spawnBot,
} from '../helpers/bot-process.ts';
import { planDockerfile } from './dockerfile-plan.ts';
import { type Replayed, replayDockerfile } from './replay.ts';

// There is no Docker engine here, so the Dockerfile is kept honest by replaying it: its own COPY and RUN
// steps, read from the file, in a temporary directory (npm ci with --prefer-offline from the local npm
// cache), then the image's CMD started on that tree against the Slack twin and the local Redis. A
// Dockerfile change the build, the tree or the start does not survive fails here.

const ROOT = join(import.meta.dirname, '../..');
const read = (file: string) => readFile(join(ROOT, file), 'utf8');

const dockerfile = await read('Dockerfile');
const plan = planDockerfile(dockerfile);
const pkg = JSON.parse(await read('package.json')) as {
  scripts: Record<string, string>;
  engines: { node: string };
};
const lock = JSON.parse(await read('package-lock.json')) as { packages: Record<string, { dev?: boolean }> };

describe('Dockerfile', () => {
  it('passes the Dockerfile linter and can be replayed step by step', () => {
    const diagnostics = validate(dockerfile).map((d) => `line ${d.range.start.line + 1}: ${d.message}`);
    expect(diagnostics).toEqual([]);
    expect(plan.problems).toEqual([]);
  });

  it('builds on a Node slim image the package supports, and runs `npm start` as a non-root user', () => {
    const minimum = Number(/>=\s*(\d+)/.exec(pkg.engines.node)?.[1]);
    for (const stage of plan.stages) {
      const major = Number(/^node:(\d+)-slim$/.exec(stage.image)?.[1]);
      expect(major, `FROM ${stage.image}`).toBeGreaterThanOrEqual(minimum);
    }
    const image = plan.stages.at(-1);
    expect(image?.user).toBeDefined();
    expect(['root', '0']).not.toContain(image?.user?.split(':')[0]);
    // The container starts exactly what `npm start` starts.
    expect(image?.cmd?.join(' ')).toBe(pkg.scripts.start);
    expect(image?.env.NODE_ENV).toBe('production');
  });

  it('names what it cannot replay instead of skipping it', () => {
    const changed = planDockerfile(
      `${dockerfile}\nADD https://example.test/x.tgz /app/\nRUN ["npm", "ci"]\nCMD node dist/bot/main.js\n`,
    );
    expect(changed.problems).toEqual([
      expect.stringMatching(/^line \d+: ADD is not replayed by the test/),
      expect.stringMatching(/^line \d+: RUN in exec form is not replayed/),
      expect.stringMatching(/^line \d+: CMD must use the exec form/),
    ]);
  });
});

describe('the image, replayed without Docker', () => {
  let dir: string;
  let image: Replayed;
  let twin: SlackOverHttp;
  let bot: BotProcess | undefined;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'shiftgate-image-'));
    twin = await serveSlackTwin();
    image = await replayDockerfile(plan, {
      context: ROOT,
      root: dir,
      env: {
        // This test's Node first, as the image's own is on its PATH.
        PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}`,
        HOME: process.env.HOME ?? tmpdir(),
        // No internet but the registry: install from the local cache that the project's `npm ci` filled.
        npm_config_prefer_offline: 'true',
        npm_config_update_notifier: 'false',
        // The registry's proxy and certificates, where this machine has them; none of npm's own run state.
        ...passThrough(
          /^(https?_proxy|no_proxy|node_extra_ca_certs|ssl_cert_(file|dir)|npm_config_(cache|registry|userconfig|globalconfig|cafile|ca|strict_ssl))$/i,
        ),
      },
    });
  }, 300_000);

  afterAll(async () => {
    bot?.child.kill('SIGKILL');
    await twin?.served.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  }, 120_000);

  it('holds only package.json, the production dependencies and dist/', async () => {
    expect((await readdir(image.workdir)).sort()).toEqual(['dist', 'node_modules', 'package.json']);
    const installed = await readdir(join(image.workdir, 'node_modules'));
    const dev = Object.entries(lock.packages)
      .filter(([path, entry]) => entry.dev && path.split('node_modules/').length === 2)
      .map(([path]) => path.replace('node_modules/', ''));
    expect(dev).toEqual(expect.arrayContaining(['vitest', 'typescript', '@biomejs/biome', 'msw']));
    const scoped = await Promise.all(
      installed
        .filter((name) => name.startsWith('@'))
        .map(async (scope) =>
          (await readdir(join(image.workdir, 'node_modules', scope))).map((n) => `${scope}/${n}`),
        ),
    );
    const names = new Set([...installed, ...scoped.flat()]);
    expect(dev.filter((name) => names.has(name))).toEqual([]);
    // Nor can any be reached from the tree (no node_modules above it lends one).
    const require = createRequire(join(image.workdir, 'package.json'));
    expect(() => require.resolve('vitest')).toThrow(/Cannot find module/);
    expect(require.resolve('@slack/bolt')).toContain(image.workdir);
    expect(await readdir(join(image.workdir, 'dist/bot'))).toContain('main.js');
  });

  it("starts with the image's CMD, answers /healthz on PORT, and exits 0 on SIGTERM", async () => {
    const [command, ...args] = image.stage.cmd ?? [];
    expect(command).toBe('node');
    const port = await freePort();
    bot = spawnBot(args, {
      cwd: image.workdir,
      env: { ...image.stage.env, ...(await minimalEnv(dir, twin, port)) },
    });
    await bot.healthy(port, 60_000);
    expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).toBe(200);
    expect(bot.stdout).toContain('"message":"shiftgate is up"');
    expect(await bot.stop()).toBe(0);
    expect(bot.stdout).toContain('"message":"stopped"');
    expect(bot.stderr).toBe('');
  }, 120_000);
});

function passThrough(names: RegExp): Record<string, string> {
  return Object.fromEntries(
    Object.entries(process.env).filter((e): e is [string, string] => names.test(e[0]) && e[1] !== undefined),
  );
}
