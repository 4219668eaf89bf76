import { channelRef, code, type Mrkdwn, md, mdJoin } from '../blocks/message.ts';
import { closest } from '../config/names.ts';
import type { ShiftgateConfig } from '../config/schema.ts';
import { serviceTarget } from '../config/target.ts';

// Which (service, environment) a command is about, from what was typed and where. A channel the config
// ties to one service lets the service be left out; one environment of a service in this channel lets
// the environment be left out. Commands for a service run only in its configured channel.

export interface Channel {
  id: string;
  /** Without '#', as slash commands carry it. */
  name?: string;
}

export type Scope = { ok: true; service: string; env: string } | { ok: false; error: Mrkdwn };

export function inChannel(slackChannel: string, channel: Channel): boolean {
  return slackChannel === channel.id || (channel.name !== undefined && slackChannel === `#${channel.name}`);
}

/** Every (service, environment) of the config whose channel is this one. */
export function targetsIn(config: ShiftgateConfig, channel: Channel): { service: string; env: string }[] {
  const found: { service: string; env: string }[] = [];
  for (const [service, svc] of Object.entries(config.services)) {
    for (const env of Object.keys(svc.environments)) {
      const target = serviceTarget(config, service, env);
      if (target && inChannel(target.slackChannel, channel)) found.push({ service, env });
    }
  }
  return found;
}

export function isService(config: ShiftgateConfig, word: string | undefined): boolean {
  return word !== undefined && Object.hasOwn(config.services, word);
}

export function isEnvironment(config: ShiftgateConfig, word: string | undefined): boolean {
  return word !== undefined && Object.hasOwn(config.environments, word);
}

function unknown(kind: string, word: string, known: string[]): Mrkdwn {
  const near = closest(word, known);
  const hint = near ? md` Did you mean ${code(near)}?` : '';
  return md`Unknown ${kind} ${code(word)}.${hint} Known ${kind}s: ${
    mdJoin(
      known.map((k) => md`${code(k)}`),
      ', ',
    ) || 'none'
  }.`;
}

export function resolveScope(
  config: ShiftgateConfig,
  typed: { service?: string | undefined; env?: string | undefined },
  channel: Channel,
): Scope {
  const here = targetsIn(config, channel);
  let service = typed.service;
  if (service === undefined) {
    const services = [...new Set(here.map((t) => t.service))];
    if (services.length !== 1) {
      const why =
        services.length === 0
          ? 'no service runs from this channel'
          : 'several services run from this channel';
      return { ok: false, error: md`Name the service: ${why}.` };
    }
    service = services[0] as string;
  }
  const svc = config.services[service];
  if (!svc) return { ok: false, error: unknown('service', service, Object.keys(config.services)) };
  const envs = Object.keys(svc.environments);
  let env = typed.env;
  if (env !== undefined && !envs.includes(env)) {
    return { ok: false, error: md`${unknown('environment', env, envs)} (for ${code(service)})` };
  }
  if (env === undefined) {
    const inHere = here.filter((t) => t.service === service).map((t) => t.env);
    const candidates = inHere.length > 0 ? inHere : envs;
    if (candidates.length > 1 && svc.defaultEnvironment && candidates.includes(svc.defaultEnvironment)) {
      candidates.splice(0, candidates.length, svc.defaultEnvironment);
    }
    if (candidates.length !== 1) {
      return {
        ok: false,
        error: md`Name the environment of ${code(service)}: one of ${mdJoin(
          candidates.map((e) => md`${code(e)}`),
          ', ',
        )}.`,
      };
    }
    env = candidates[0] as string;
  }
  const target = serviceTarget(config, service, env);
  if (!target) return { ok: false, error: md`${code(service)} has no environment ${code(env)}.` };
  if (!inChannel(target.slackChannel, channel)) {
    return {
      ok: false,
      error: md`${code(service)} in ${code(env)} is run from ${channelMention(target.slackChannel)}, not from this channel.`,
    };
  }
  return { ok: true, service, env };
}

export function channelMention(slackChannel: string): Mrkdwn {
  return channelRef(slackChannel);
}
