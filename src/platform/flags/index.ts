import type { FlagBackendConfig } from '../../config/flags.ts';
import type { CloudRun, ServiceRef } from '../../runbooks/ports/cloud-run.ts';
import type { FlagBackend } from '../../runbooks/ports/flags.ts';
import { createCloudRunEnvFlags } from './cloud-run-env.ts';
import { createHttpJsonFlags } from './http-json.ts';

export {
  type CloudRunEnvFlagsOptions,
  createCloudRunEnvFlags,
  defaultFlagVariable,
  FLAGS_TAG,
} from './cloud-run-env.ts';
export { createHttpJsonFlags, type HttpJsonFlagsOptions } from './http-json.ts';

export interface FlagBackendContext {
  /** The flag canary's flags: what read() reports. */
  flags: string[];
  /** The service environment's publicUrl: a relative http-json url is a path on it. */
  publicUrl: string;
  /** The service environment's Cloud Run service (cloud-run-env). */
  ref: ServiceRef;
  cloudRun: CloudRun;
  /** The http-json token, its secret already resolved (required when the config names one). */
  token?: string;
  fetch?: typeof fetch;
}

/** A path such as /api/feature-flags is on publicUrl, kept under its path (https://x/app + /f = https://x/app/f). */
export function flagsUrl(url: string, publicUrl: string): string {
  return url.startsWith('/') ? `${publicUrl.replace(/\/+$/, '')}${url}` : url;
}

/** The backend a flag canary's config names. Paths default to flags.<flag>.enabled, variables to FLAG_NAME. */
export function flagBackendOf(config: FlagBackendConfig, ctx: FlagBackendContext): FlagBackend {
  switch (config.kind) {
    case 'http-json':
      if (config.token && ctx.token === undefined) {
        throw new Error('flagBackendOf: the http-json backend names a token; resolve it and pass ctx.token');
      }
      return createHttpJsonFlags({
        url: flagsUrl(config.url, ctx.publicUrl),
        paths: config.paths,
        flags: ctx.flags,
        ...(ctx.token === undefined ? {} : { token: ctx.token }),
        ...(ctx.fetch === undefined ? {} : { fetch: ctx.fetch }),
      });
    case 'cloud-run-env':
      return createCloudRunEnvFlags({
        cloudRun: ctx.cloudRun,
        ref: ctx.ref,
        variables: config.variables,
        flags: ctx.flags,
      });
  }
}
