import type { LuaScript } from './scripts.ts';

// Lua for gate-records.ts. Each write is one script, so the ZSET and its hashes never disagree, and
// each is idempotent: a redriven rollout end writes the same member, score and entry again.

/**
 * KEYS: record ZSET, entries HASH, later HASH. ARGV: rolloutId, end time (ms), entry JSON, how many to keep.
 * Adds (or rewrites) the rollout's entry, then trims the oldest beyond `keep` with their hash fields.
 */
export const recordRollout: LuaScript = {
  name: 'gateRecordAdd',
  keys: 3,
  lua: `
redis.call('HSET', KEYS[2], ARGV[1], ARGV[3])
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
local keep = tonumber(ARGV[4])
local n = redis.call('ZCARD', KEYS[1])
if n > keep then
  local old = redis.call('ZRANGE', KEYS[1], 0, n - keep - 1)
  redis.call('ZREMRANGEBYRANK', KEYS[1], 0, n - keep - 1)
  for _, id in ipairs(old) do
    redis.call('HDEL', KEYS[2], id)
    redis.call('HDEL', KEYS[3], id)
  end
end
return math.min(n, keep)
`,
};

/**
 * KEYS: record ZSET, later HASH. ARGV: rolloutId, later-rollback JSON.
 * Marks a recorded rollout as rolled back later: only while it is still recorded (not trimmed away), and
 * only the first time (HSETNX), so a second /rollback or a redriven one changes nothing. 1 when marked.
 */
export const markRolledBackLater: LuaScript = {
  name: 'gateRecordLater',
  keys: 2,
  lua: `
if not redis.call('ZSCORE', KEYS[1], ARGV[1]) then return 0 end
return redis.call('HSETNX', KEYS[2], ARGV[1], ARGV[2])
`,
};
