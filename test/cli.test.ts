import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { configJsonSchema } from '../src/config/index.ts';
import { runNode } from './helpers/run-node.ts';

const run = (...args: string[]) => runNode(['src/cli.ts', ...args]);

describe('shiftgate config validate', () => {
  it('exits 0 on the example and says what it holds', async () => {
    const result = await run('config', 'validate', 'examples/shiftgate.yaml');
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toBe(
      'examples/shiftgate.yaml: valid (2 environments, 2 services, 3 runbooks, 25 gates)\n',
    );
  });

  it('warns, and still exits 0, when monitoring gates tick faster than Cloud Monitoring measures', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'shiftgate-cli-'));
    const file = join(dir, 'fast.yaml');
    await writeFile(
      file,
      (await readFile('examples/shiftgate.yaml', 'utf8')).replace('interval: 1m', 'interval: 15s'),
    );
    const result = await run('config', 'validate', file);
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(
      /fast\.yaml: warning: runbooks\.canary\.stages\[1\] \(B\): interval 15s is shorter than Cloud Monitoring's one-minute alignment, so error-rate, latency-p95 cannot measure every tick in production/,
    );
  });

  it('exits 1 on a broken copy and prints every error located in the file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'shiftgate-cli-'));
    const file = join(dir, 'broken.yaml');
    const text = (await readFile('examples/shiftgate.yaml', 'utf8'))
      .replace('traffic: 25', 'traffic: 3')
      .replace('watch: 10m', 'watch: 10 minutes');
    await writeFile(file, text);
    const result = await run('config', 'validate', file);
    expect(result.code).toBe(1);
    const lines = result.stderr.trim().split('\n');
    expect(lines).toEqual([
      expect.stringMatching(
        new RegExp(
          `^${file}:\\d+:\\d+: runbooks\\.canary\\.stages\\[1\\]\\.watch: expected a duration.*got "10 minutes"$`,
        ),
      ),
      expect.stringMatching(
        new RegExp(
          `^${file}:\\d+:\\d+: runbooks\\.canary\\.stages\\[2\\]\\.traffic: must be more than the previous`,
        ),
      ),
      `${file}: invalid, 2 errors`,
    ]);
  });

  it('says when the file cannot be read', async () => {
    const result = await run('config', 'validate', 'no/such/file.yaml');
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('no/such/file.yaml: cannot read the config: file not found');
  });

  it('answers a wrong command with its usage and exit 2', async () => {
    for (const args of [[], ['config'], ['config', 'validate'], ['deploy', 'now'], ['--nope']]) {
      const result = await run(...args);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr).toContain('usage:');
    }
  });
});

describe('shiftgate config schema', () => {
  it('prints the JSON Schema of the config', async () => {
    const result = await run('config', 'schema');
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual(configJsonSchema());
  });
});
