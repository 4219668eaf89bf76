import { spawn } from 'node:child_process';
import { cp, link, lstat, mkdir, readdir, readFile, readlink, stat, symlink } from 'node:fs/promises';
import { basename, join, matchesGlob, posix, relative, sep } from 'node:path';
import { type Plan, type Stage, stageNamed } from './dockerfile-plan.ts';

// Replays a Dockerfile's plan without a Docker engine: each stage gets a directory that stands for its
// filesystem root, COPY copies from the build context (minus .dockerignore) or from an earlier stage's
// directory, RUN runs the same command with /bin/sh -c in the mapped WORKDIR. What comes out is the
// tree the image would hold under its WORKDIR, ready to start with the image's CMD.

export interface ReplayOptions {
  /** The build context (the repository). */
  context: string;
  /** An empty directory; one subdirectory per stage. */
  root: string;
  /** The environment RUN commands get, under each stage's ENV. */
  env: Record<string, string>;
}

export interface Replayed {
  /** The last stage, the image. */
  stage: Stage;
  /** Its WORKDIR on this machine: where CMD runs. */
  workdir: string;
}

export async function replayDockerfile(plan: Plan, options: ReplayOptions): Promise<Replayed> {
  if (plan.problems.length > 0)
    throw new Error(`the Dockerfile cannot be replayed:\n${plan.problems.join('\n')}`);
  const ignored = await dockerignore(options.context);
  const roots = plan.stages.map((_, index) => join(options.root, `stage-${index}`));
  // Stages run as soon as the stages they copy from are done, so independent ones (the build and the
  // production install) run side by side, as BuildKit runs them.
  const done: Promise<string>[] = [];

  async function replayStage(index: number, stage: Stage): Promise<string> {
    const root = roots[index] as string;
    const host = (containerPath: string) => join(root, containerPath);
    let workdir = '/';
    await mkdir(root, { recursive: true });
    for (const step of stage.steps) {
      if (step.kind === 'workdir') {
        workdir = posix.resolve(workdir, step.path);
        await mkdir(host(workdir), { recursive: true });
      } else if (step.kind === 'run') {
        await run(step.command, host(workdir), { ...options.env, ...stage.env }, step.line);
      } else {
        const dest = posix.resolve(workdir, step.dest);
        const intoDirectory = step.dest.endsWith('/') || step.sources.length > 1;
        for (const source of step.sources) {
          let from: string;
          let filter: ((src: string) => boolean) | undefined;
          if (step.from !== undefined) {
            const other = stageNamed(plan, step.from);
            if (other >= index)
              throw new Error(`line ${step.line}: COPY --from=${step.from}: not an earlier stage`);
            await done[other];
            from = join(roots[other] as string, posix.resolve('/', source));
          } else {
            if (/[*?[]/.test(source) || posix.isAbsolute(source) || source.split('/').includes('..')) {
              throw new Error(
                `line ${step.line}: COPY ${source}: only plain paths inside the context are replayed`,
              );
            }
            from = join(options.context, source);
            if (ignored(source))
              throw new Error(`line ${step.line}: COPY ${source}: excluded by .dockerignore`);
            filter = (src) => !ignored(relative(options.context, src).split(sep).join('/'));
          }
          const isDirectory = await stat(from).then(
            (s) => s.isDirectory(),
            () => {
              throw new Error(`line ${step.line}: COPY ${source}: not found`);
            },
          );
          // A directory's contents go into dest; a file goes into dest/ or becomes dest.
          const target = isDirectory || !intoDirectory ? host(dest) : join(host(dest), basename(source));
          if (filter) await cp(from, target, { recursive: true, verbatimSymlinks: true, filter });
          else await linkTree(from, target);
        }
      }
    }
    return host(workdir);
  }

  for (const [index, stage] of plan.stages.entries()) done.push(replayStage(index, stage));
  // Every stage must succeed, the final one's tree is the image (a failing stage Docker would stop on).
  const workdirs = await Promise.all(done);
  return { stage: plan.stages.at(-1) as Stage, workdir: workdirs.at(-1) as string };
}

/**
 * Copies between stages as hard links: the same bytes as a copy, without rewriting ~10,000 files of
 * node_modules (the trees are this test's own and nothing writes to them afterwards).
 */
async function linkTree(from: string, to: string): Promise<void> {
  const info = await lstat(from);
  if (info.isSymbolicLink()) await symlink(await readlink(from), to);
  else if (!info.isDirectory()) await link(from, to);
  else {
    await mkdir(to, { recursive: true });
    const entries = await readdir(from);
    await Promise.all(entries.map((name) => linkTree(join(from, name), join(to, name))));
  }
}

function run(command: string, cwd: string, env: Record<string, string>, line: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('/bin/sh', ['-c', command], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0
        ? resolve()
        : reject(new Error(`line ${line}: RUN ${command} exited ${code}:\n${output.slice(-4000)}`)),
    );
  });
}

/**
 * The context's .dockerignore as a predicate on context-relative paths: a path is excluded when it or
 * a directory above it matches a pattern; a later `!pattern` takes it back, as Docker reads the file.
 */
export async function dockerignore(context: string): Promise<(path: string) => boolean> {
  const text = await readFile(join(context, '.dockerignore'), 'utf8').catch(() => '');
  const patterns = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => {
      const negated = l.startsWith('!');
      return { negated, glob: posix.normalize((negated ? l.slice(1) : l).replace(/^\/+/, '')) };
    });
  return (path) => {
    const parts = path.split('/');
    const prefixes = parts.map((_, i) => parts.slice(0, i + 1).join('/'));
    let excluded = false;
    for (const { negated, glob } of patterns) {
      if (prefixes.some((p) => matchesGlob(p, glob))) excluded = !negated;
    }
    return excluded;
  };
}
