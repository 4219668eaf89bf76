import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSandboxConfig, SANDBOX_CONFIG, writeRunConfig } from '../../sandbox/config.ts';
import { runNode } from '../helpers/run-node.ts';
import { canaryOf } from '../helpers/runbooks.ts';

// examples/sandbox.yaml: valid for the CLI, and made to fit one run (the loopback ports the sandbox
// listens on), with the rest of the file, comments included, left as written.

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'shiftgate-sandbox-config-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('the sandbox config', () => {
  it('passes `shiftgate config validate`', async () => {
    const ran = await runNode(['src/cli.ts', 'config', 'validate', SANDBOX_CONFIG]);
    expect(ran.stdout).toContain('valid (1 environment, 1 service, 4 runbooks, 11 gates)');
    expect(ran.code).toBe(0);
  });

  it("names the sandbox's service and its two people", async () => {
    const { target, requester, approver, config } = await loadSandboxConfig();
    expect(target).toMatchObject({ service: 'demo', cloudRunService: 'demo', slackChannel: '#deploys' });
    expect(config.environments.sandbox?.approval.approvers.users).toContain(approver);
    expect(config.environments.sandbox?.deployers.users).toEqual([requester]);
    // Short windows: the whole canary in about two minutes.
    const stages = canaryOf(config)?.stages ?? [];
    expect(stages.map((s) => s.traffic)).toEqual([0, 5, 25, 50, 100]);
    expect(stages.reduce((sum, s) => sum + s.watch, 0)).toBeLessThanOrEqual(120_000);
  });

  it("gets this run's URLs in a copy, the rest of the file as written", async () => {
    const run = await writeRunConfig(dir, {
      publicUrl: 'http://127.0.0.1:40001',
      routeSplitBaseUrl: 'http://127.0.0.1:40002/api/v1/control/route-split',
    });
    expect(run.file).toBe(join(dir, 'shiftgate.yaml'));
    expect(run.target.publicUrl).toBe('http://127.0.0.1:40001');
    expect(run.target.routeSplit?.baseUrl).toBe('http://127.0.0.1:40002/api/v1/control/route-split');
    const copy = await readFile(run.file, 'utf8');
    expect(copy).toContain('# the route-split twin');
    expect(copy).not.toContain('8480');
  });
});
