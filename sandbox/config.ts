import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseDocument } from 'yaml';
import { loadConfig, type ServiceTarget, type ShiftgateConfig, serviceTarget } from '../src/config/index.ts';

// examples/sandbox.yaml, made to fit one run: its publicUrl and route-split baseUrl name placeholder ports,
// replaced here with the ones this sandbox listens on, in a copy under the run's folder (comments kept).
// The copy is then loaded through the bot's own loader, so the sandbox seeds its twins from exactly what
// the bot will read.

export const SANDBOX_CONFIG = fileURLToPath(new URL('../examples/sandbox.yaml', import.meta.url));
export const SERVICE = 'demo';
export const ENVIRONMENT = 'sandbox';
/** Where the flags twin serves the demo's flags document, on the twins' origin. */
export const SANDBOX_FLAGS_PATH = '/flags/api/feature-flags';

export interface SandboxConfig {
  file: string;
  config: ShiftgateConfig;
  target: ServiceTarget;
  /** The first deployer and the first approver of the environment: the page's two people. */
  requester: string;
  approver: string;
}

export async function writeRunConfig(
  runDir: string,
  urls: { publicUrl: string; routeSplitBaseUrl: string; legacyUrl?: string; twinsOrigin?: string },
  source = SANDBOX_CONFIG,
): Promise<SandboxConfig> {
  const doc = parseDocument(await readFile(source, 'utf8'));
  const at = ['services', SERVICE, 'environments', ENVIRONMENT];
  if (!doc.hasIn(at)) throw new Error(`${source}: no services.${SERVICE}.environments.${ENVIRONMENT}`);
  doc.setIn([...at, 'publicUrl'], urls.publicUrl);
  if (doc.hasIn([...at, 'routeSplit'])) doc.setIn([...at, 'routeSplit', 'baseUrl'], urls.routeSplitBaseUrl);
  if (urls.twinsOrigin) {
    if (doc.hasIn([...at, 'prometheusUrl'])) doc.setIn([...at, 'prometheusUrl'], urls.twinsOrigin);
    // Every http-json flag backend of the sandbox is the flags twin.
    for (const name of ['demo-flags', 'demo-greeting']) {
      const url = ['runbooks', name, 'backend', 'url'];
      if (doc.hasIn(url)) doc.setIn(url, `${urls.twinsOrigin}${SANDBOX_FLAGS_PATH}`);
    }
  }
  const cutover = ['runbooks', 'stream-cutover', 'dualRun', 'legacyUrls'];
  if (urls.legacyUrl && doc.hasIn(cutover)) doc.setIn(cutover, doc.createNode([urls.legacyUrl]));
  const file = join(runDir, 'shiftgate.yaml');
  await writeFile(file, doc.toString());
  return loadSandboxConfig(file);
}

/** A sandbox config loaded through the bot's own loader, with what the sandbox needs from it. */
export async function loadSandboxConfig(file = SANDBOX_CONFIG): Promise<SandboxConfig> {
  const config = await loadConfig(file);
  const target = serviceTarget(config, SERVICE, ENVIRONMENT);
  const env = config.environments[ENVIRONMENT];
  const requester = env?.deployers.users[0];
  const approver = env?.approval.approvers.users[0];
  if (!target || !requester || !approver) {
    throw new Error(
      `${file}: the sandbox needs service ${SERVICE} in environment ${ENVIRONMENT}, with a deployer and an approver by user id`,
    );
  }
  return { file, config, target, requester, approver };
}
