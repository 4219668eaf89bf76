import { code, type Mrkdwn, md, mdJoin } from '../blocks/message.ts';
import { serviceTarget } from '../config/target.ts';
import type { RunbookState } from '../runbooks/types.ts';
import { inChannel, resolveScope } from './scope.ts';
import { activeStates, type Invocation, type Surface } from './surface.ts';

// The active rollout a control command (/canary status|pause|resume|abort|promote) is about: the one of
// the named service (and environment, when named) run from this channel. An environment left out is not
// guessed from the service's default when exactly one rollout of the service is active here.

export type Found = { ok: true; state: RunbookState } | { ok: false; error: Mrkdwn };

export async function findRollout(
  surface: Surface,
  typed: { service?: string; env?: string },
  who: Invocation,
): Promise<Found> {
  const { config } = surface;
  if (typed.env === undefined) {
    const scope = resolveScope(config, { service: typed.service }, who.channel);
    const service = scope.ok ? scope.service : typed.service;
    if (!scope.ok && (service === undefined || !config.services[service]))
      return { ok: false, error: scope.error };
    const here = (await activeStates(surface.store, service)).filter((s) => {
      const target = serviceTarget(config, s.service, s.env);
      return target !== undefined && inChannel(target.slackChannel, who.channel);
    });
    if (here.length === 1) return { ok: true, state: here[0] as RunbookState };
    if (here.length > 1) {
      return {
        ok: false,
        error: md`Name the environment: ${code(service ?? '')} has rollouts in ${mdJoin(
          here.map((s) => md`${code(s.env)}`),
          ' and ',
        )}.`,
      };
    }
    if (!scope.ok) return { ok: false, error: scope.error };
    return { ok: false, error: md`No rollout of ${code(service ?? '')} is active here.` };
  }
  const scope = resolveScope(config, typed, who.channel);
  if (!scope.ok) return scope;
  const [state] = await activeStates(surface.store, scope.service, scope.env);
  return state
    ? { ok: true, state }
    : { ok: false, error: md`No rollout of ${code(scope.service)} in ${code(scope.env)} is active.` };
}
