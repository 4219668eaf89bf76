import type { Redis } from 'ioredis';

/** A Lua script with a fixed number of KEYS; every key it touches is passed in, none built in Lua. */
export interface LuaScript {
  readonly name: string;
  readonly keys: number;
  readonly lua: string;
  readonly readOnly?: boolean;
}

export type ScriptArg = string | number;
export type RunScript = (keys: readonly string[], args: readonly ScriptArg[]) => Promise<unknown>;

type DefinedCommand = (...args: ScriptArg[]) => Promise<unknown>;

/**
 * Registers `script` on the connection (ioredis sends EVALSHA and falls back to EVAL once on NOSCRIPT,
 * so a Redis restart or SCRIPT FLUSH is survived) and returns a typed caller.
 */
export function defineScript(redis: Redis, script: LuaScript): RunScript {
  const name = `shiftgate_${script.name}`;
  redis.defineCommand(name, {
    lua: script.lua,
    numberOfKeys: script.keys,
    readOnly: script.readOnly ?? false,
  });
  // defineCommand adds a method at runtime, which ioredis' types cannot know about.
  const command = (redis as unknown as Record<string, DefinedCommand>)[name];
  if (!command) throw new Error(`ioredis did not define the command ${name}`);
  return (keys, args) => {
    if (keys.length !== script.keys) {
      throw new TypeError(`${script.name}: expected ${script.keys} keys, got ${keys.length}`);
    }
    return command.apply(redis, [...keys, ...args]);
  };
}

/** A flat [field, value, field, value, ...] reply (HGETALL) as an object. */
export function pairsToRecord(reply: unknown): Record<string, string> {
  const flat = asStrings(reply);
  const record: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) record[flat[i] as string] = flat[i + 1] as string;
  return record;
}

export function asArray(reply: unknown): unknown[] {
  if (!Array.isArray(reply)) throw new TypeError(`unexpected Redis reply ${JSON.stringify(reply)}`);
  return reply;
}

export function asStrings(reply: unknown): string[] {
  return asArray(reply).map((item) => String(item));
}
