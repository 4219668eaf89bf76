import { gateReport, help } from '../blocks/index.ts';
import { code, md, truncate } from '../blocks/message.ts';
import type { GateMode } from '../config/gates.ts';
import { closest } from '../config/names.ts';
import type { ShiftgateConfig } from '../config/schema.ts';
import { serviceTarget } from '../config/target.ts';
import { DEFAULT_LAST } from '../runbooks/gate-tally.ts';
import { readTrackRecord } from '../runbooks/track-record.ts';
import { DEFAULT_GATE_RECORD_KEEP } from '../store/index.ts';
import { type Parsed, words } from './args.ts';
import { isEnvironment, isService } from './scope.ts';
import { type Invocation, type Reply, type Surface, say } from './surface.ts';

// `/gates report [service] [env] [--last <n>]`: the gates' track record (runbooks/gate-tally.ts), answered
// to the person who asked. Reading it needs no role, like /canary status.

export type GatesIntent = { sub: 'report'; service?: string; env?: string; last: number } | { sub: 'help' };

export function parseGates(text: string, config: ShiftgateConfig): Parsed<GatesIntent> {
  const parsed = words(text, { last: { type: 'string' } });
  if (!parsed.ok) return parsed;
  const [sub, ...rest] = parsed.value.positionals;
  if (sub === undefined || sub === 'help') return { ok: true, value: { sub: 'help' } };
  if (sub !== 'report')
    return {
      ok: false,
      error: md`Unknown subcommand ${code(truncate(sub, 40))}: \`/gates\` has \`report\`.`,
    };
  let service: string | undefined;
  let env: string | undefined;
  for (const word of rest) {
    if (service === undefined && env === undefined && isService(config, word)) service = word;
    else if (env === undefined && isEnvironment(config, word)) env = word;
    else {
      const near = closest(word, [...Object.keys(config.services), ...Object.keys(config.environments)]);
      return {
        ok: false,
        error: md`${code(truncate(word, 80))} is not a service or an environment here.${near ? md` Did you mean ${code(near)}?` : ''}`,
      };
    }
  }
  if (service !== undefined && env !== undefined && !(env in (config.services[service]?.environments ?? {})))
    return { ok: false, error: md`${code(service)} does not run in ${code(env)}.` };
  const last = parsed.value.flags.last === undefined ? DEFAULT_LAST : Number(parsed.value.flags.last);
  if (!Number.isInteger(last) || last < 1 || last > DEFAULT_GATE_RECORD_KEEP)
    return {
      ok: false,
      error: md`\`--last\` is a whole number of rollouts from 1 to ${DEFAULT_GATE_RECORD_KEEP}, like \`--last 40\`.`,
    };
  return {
    ok: true,
    value: {
      sub: 'report',
      ...(service === undefined ? {} : { service }),
      ...(env === undefined ? {} : { env }),
      last,
    },
  };
}

export async function runGates(intent: GatesIntent, _who: Invocation, surface: Surface): Promise<Reply> {
  if (intent.sub === 'help') return help('/gates');
  const { config } = surface;
  const services = intent.service === undefined ? Object.keys(config.services) : [intent.service];
  const record = await readTrackRecord(surface.store, {
    services,
    last: intent.last,
    ...(intent.env === undefined ? {} : { env: intent.env }),
  });
  const modeNow: Record<string, GateMode | undefined> = {};
  for (const t of record.tallies) modeNow[t.gate] = modeInConfig(config, t.gate);
  const unrecorded = namedGates(config, services, intent.env);
  for (const gate of unrecorded) modeNow[gate] = modeInConfig(config, gate);
  if (record.rollouts === 0 && unrecorded.length === 0)
    return say(
      md`No gate is named by the runbooks of ${intent.service ? code(intent.service) : 'any service'}.`,
    );
  return gateReport({
    ...(intent.service === undefined ? {} : { service: intent.service }),
    ...(intent.env === undefined ? {} : { env: intent.env }),
    last: intent.last,
    rollouts: record.rollouts,
    tallies: record.tallies,
    modeNow,
    unrecorded,
  });
}

function modeInConfig(config: ShiftgateConfig, gate: string): GateMode | undefined {
  const found = config.gates[gate];
  return found === undefined ? undefined : (found.mode ?? 'enforce');
}

/** The gates the canary runbooks of these services (in this environment, when given) name. */
function namedGates(config: ShiftgateConfig, services: readonly string[], env: string | undefined): string[] {
  const names = new Set<string>();
  for (const service of services) {
    for (const e of Object.keys(config.services[service]?.environments ?? {})) {
      if (env !== undefined && e !== env) continue;
      const book = config.runbooks[serviceTarget(config, service, e)?.runbook ?? ''];
      if (book?.kind !== 'canary') continue;
      for (const stage of book.stages) for (const g of [...stage.checks, ...stage.gates]) names.add(g);
    }
  }
  return [...names];
}
