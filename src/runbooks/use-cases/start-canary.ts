import { withFastTicks, withGateModes } from '../../config/runbooks.ts';
import { messageOf } from '../../gates/error-result.ts';
import { targetOf } from '../effects.ts';
import type { Engine, StartInput, StartResult } from '../engine.ts';
import type { RunbookStateBase } from '../kind.ts';
import type { CanaryInput } from '../kinds.ts';
import { describePrincipals, isMember } from '../principals.ts';
import { mayStart } from '../roles.ts';
import type { CanaryState } from '../types.ts';
import { auditRefusal, type UseCaseDeps } from './deps.ts';
import { startFreeze } from './freeze.ts';
import { goRefusal } from './go.ts';
import { startRunbook } from './start.ts';

// Starting a rollout as a deployer: the environment's roles first, then its scheduled freezes, then the
// kind's start. /canary start is this with the service's canary runbook and `<image>:<tag>`.

export async function startAsDeployer(
  deps: UseCaseDeps,
  input: StartInput,
): Promise<StartResult<RunbookStateBase>> {
  const environment = deps.config.environments[input.env];
  if (!environment)
    return { ok: false, reason: 'invalid', message: `no environment "${input.env}" in the config` };
  const allowed = mayStart(environment, await deps.personOf(input.requestedBy));
  if (!allowed.ok) {
    const scope = { service: input.service, env: input.env };
    await auditRefusal(deps, input.requestedBy, 'rollout.start', scope, allowed.reason);
    return { ok: false, reason: 'not-allowed', message: allowed.reason };
  }
  const id = deps.newId(input.service, input.env);
  const freeze = await startFreeze(deps, { ...input, rolloutId: id });
  if (!freeze.ok) return freeze;
  return startRunbook(deps, input, id, freeze.override);
}

export async function startCanary(
  deps: UseCaseDeps,
  input: Parameters<Engine['startCanary']>[0],
): Promise<StartResult> {
  const { service, env } = input;
  let targeted: ReturnType<typeof targetOf>;
  try {
    targeted = targetOf(deps.config, service, env);
  } catch (error) {
    return { ok: false, reason: 'invalid', message: messageOf(error) };
  }
  const runbook = deps.config.runbooks[targeted.target.runbook];
  if (runbook?.kind !== 'canary') {
    return {
      ok: false,
      reason: 'invalid',
      message: `no canary runbook "${targeted.target.runbook}" in the config`,
    };
  }
  const image =
    input.image ?? (input.tag && targeted.target.image ? `${targeted.target.image}:${input.tag}` : undefined);
  if (!image) {
    return {
      ok: false,
      reason: 'invalid',
      message: 'give an image tag (the image is <services.X.image>:<tag>) or an image',
    };
  }
  // The promotion gate (requireGo): refused without a recent GO, unless an admin overrides it.
  const noGo = input.dryRun ? undefined : await goRefusal(deps, env);
  if (noGo) {
    if (!input.withoutGo) return { ok: false, reason: 'refused', message: noGo };
    const environment = deps.config.environments[env];
    const person = await deps.personOf(input.requestedBy);
    const scope = { service, env };
    if (!environment || !isMember(environment.admins, person)) {
      const why = `only admins may start without a GO (${describePrincipals(environment?.admins ?? { users: [], groups: [] })}): ${noGo}`;
      await auditRefusal(deps, input.requestedBy, 'rollout.go-override', scope, why);
      return { ok: false, reason: 'not-allowed', message: why };
    }
    await deps.store.audit.append({
      who: input.requestedBy,
      what: 'rollout.go-override',
      ...scope,
      reason: input.withoutGo,
      before: { refusal: noGo },
      at: deps.now().toISOString(),
    });
  }
  const tag = input.tag ?? tagOfImage(image);
  const canary: CanaryInput = {
    image,
    tag,
    ...(noGo && input.withoutGo
      ? { goOverride: { by: input.requestedBy, reason: input.withoutGo, at: deps.now().toISOString() } }
      : {}),
  };
  const started = await startAsDeployer(deps, {
    kind: 'canary',
    // Which gates have a fast signal, and which only watch (shadow) or ask (advisory), is the gates'
    // config: pinned with the runbook, like its stages.
    runbook: withGateModes(withFastTicks(runbook, deps.config.gates), deps.config.gates),
    service,
    env,
    requestedBy: input.requestedBy,
    dryRun: input.dryRun ?? false,
    input: canary,
    lockReason: `canary ${tag}${input.dryRun ? ' (dry-run)' : ''}`,
    ...(input.duringFreeze ? { duringFreeze: input.duringFreeze } : {}),
  });
  return started as StartResult<CanaryState>;
}

/** The tag of `registry/repo/image:tag` (digests have none: the first 12 hex of the digest). */
function tagOfImage(image: string): string {
  const last = image.slice(image.lastIndexOf('/') + 1);
  const at = last.indexOf('@');
  const colon = last.indexOf(':');
  if (at >= 0) return last.slice(at + 1 + 'sha256:'.length, at + 1 + 'sha256:'.length + 12);
  return colon >= 0 ? last.slice(colon + 1) : 'latest';
}
