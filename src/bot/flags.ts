import type { ShiftgateConfig } from '../config/schema.ts';
import type { SecretResolver } from '../config/secret-resolver.ts';
import { flagBackendOf } from '../platform/flags/index.ts';
import type { FlagBackends } from '../runbooks/effects.ts';
import { targetOf } from '../runbooks/effects.ts';
import type { CloudRun } from '../runbooks/ports/cloud-run.ts';

// The flag canary's backends, from its runbook and the service environment it runs in: a relative
// http-json url is on the service's publicUrl, its token is resolved from its secret reference, and a
// cloud-run-env backend changes the service's own Cloud Run service.

export function flagBackends(deps: {
  config: ShiftgateConfig;
  cloudRun: CloudRun;
  secrets?: SecretResolver;
  fetch?: typeof fetch;
}): FlagBackends {
  return async ({ service, env, runbook }) => {
    const { target, ref } = targetOf(deps.config, service, env);
    const backend = runbook.backend;
    let token: string | undefined;
    if (backend.kind === 'http-json' && backend.token) {
      if (!deps.secrets) throw new Error(`${backend.token.ref}: no secret resolver is configured`);
      token = await deps.secrets.resolve(backend.token);
    }
    return flagBackendOf(backend, {
      flags: runbook.flags.map((f) => f.name),
      publicUrl: target.publicUrl,
      ref,
      cloudRun: deps.cloudRun,
      ...(token === undefined ? {} : { token }),
      ...(deps.fetch ? { fetch: deps.fetch } : {}),
    });
  };
}
