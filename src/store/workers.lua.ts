import type { LuaScript } from './scripts.ts';

// Lua for workers.ts. Times come from the Redis server (TIME), so replicas whose clocks disagree still
// agree on whose lease has ended. The hash's own TTL is the longest lease in it, so it disappears with
// the last replica that held it.

const NOW_MS = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local function stretch(key, ttl)
  if redis.call('PTTL', key) < ttl then redis.call('PEXPIRE', key, ttl) end
end
`;

/** KEYS: workers hash. ARGV: owner, ttl ms. Holds (or renews) this owner's lease. */
export const holdWorker: LuaScript = {
  name: 'workerHold',
  keys: 1,
  lua: `${NOW_MS}
local ttl = tonumber(ARGV[2])
redis.call('HSET', KEYS[1], ARGV[1], now + ttl)
stretch(KEYS[1], ttl)
return 1
`,
};

/**
 * KEYS: workers hash. ARGV: owner, ttl ms.
 * Takes the lease only when no other owner's lease is still running (their replica is gone): 1, else 0.
 */
export const claimWorker: LuaScript = {
  name: 'workerClaim',
  keys: 1,
  lua: `${NOW_MS}
local ttl = tonumber(ARGV[2])
local held = redis.call('HGETALL', KEYS[1])
for i = 1, #held, 2 do
  if held[i] ~= ARGV[1] and tonumber(held[i + 1]) > now then return 0 end
  if held[i] ~= ARGV[1] then redis.call('HDEL', KEYS[1], held[i]) end
end
redis.call('HSET', KEYS[1], ARGV[1], now + ttl)
stretch(KEYS[1], ttl)
return 1
`,
};
