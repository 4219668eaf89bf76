import type { LuaScript } from './scripts.ts';

// Lua for rollouts.ts. Record fields hold JSON that JavaScript encoded; these scripts only copy it,
// never decode it (cjson turns empty arrays into objects and rounds floats to 14 digits).
// Meta fields: _v (version), _fence (token of the last write), _service, _env, _status.
// The owner check reads the lock hash: held by this rollout id with exactly this fencing token.

/**
 * KEYS: rollout, lock of (service, env), active set of (service, env), all-active set.
 * ARGV: id, token, service, env, status, terminal ('1' | '0'), retention ms, field/value pairs...
 */
export const createRollout: LuaScript = {
  name: 'rolloutCreate',
  keys: 4,
  lua: `
local version = redis.call('HGET', KEYS[1], '_v')
if version then return {'exists', version} end
local owner = redis.call('HMGET', KEYS[2], 'rolloutId', 'token')
if owner[1] ~= ARGV[1] or owner[2] ~= ARGV[2] then return {'fencing', redis.call('HGETALL', KEYS[2])} end
redis.call('HSET', KEYS[1], '_v', 1, '_fence', ARGV[2], '_service', ARGV[3], '_env', ARGV[4], '_status', ARGV[5],
  unpack(ARGV, 8))
if ARGV[6] == '1' then
  redis.call('PEXPIRE', KEYS[1], ARGV[7])
else
  redis.call('SADD', KEYS[3], ARGV[1])
  redis.call('SADD', KEYS[4], ARGV[1])
end
return {'created'}
`,
};

/**
 * KEYS: rollout, lock of the fence's (service, env), its active set, all-active set.
 * ARGV: id, expected version, token, service, env, new status ('' = unchanged), terminal ('1' | '0'),
 *       retention ms, count of set args, set field/value pairs..., fields to delete...
 * The active indexes follow the status, so a status set here always keeps them in step.
 */
export const transitionRollout: LuaScript = {
  name: 'rolloutTransition',
  keys: 4,
  lua: `
local meta = redis.call('HMGET', KEYS[1], '_v', '_service', '_env')
if not meta[1] then return {'not-found'} end
if meta[1] ~= ARGV[2] then return {'version', meta[1]} end
if meta[2] ~= ARGV[4] or meta[3] ~= ARGV[5] then return {'fencing', meta[1], {}} end
local owner = redis.call('HMGET', KEYS[2], 'rolloutId', 'token')
if owner[1] ~= ARGV[1] or owner[2] ~= ARGV[3] then
  return {'fencing', meta[1], redis.call('HGETALL', KEYS[2])}
end
local version = redis.call('HINCRBY', KEYS[1], '_v', 1)
local nset = tonumber(ARGV[9])
redis.call('HSET', KEYS[1], '_fence', ARGV[3], unpack(ARGV, 10, 9 + nset))
if #ARGV > 9 + nset then redis.call('HDEL', KEYS[1], unpack(ARGV, 10 + nset)) end
if ARGV[6] ~= '' then
  redis.call('HSET', KEYS[1], '_status', ARGV[6])
  if ARGV[7] == '1' then
    redis.call('SREM', KEYS[3], ARGV[1])
    redis.call('SREM', KEYS[4], ARGV[1])
    redis.call('PEXPIRE', KEYS[1], ARGV[8])
  else
    redis.call('SADD', KEYS[3], ARGV[1])
    redis.call('SADD', KEYS[4], ARGV[1])
    redis.call('PERSIST', KEYS[1])
  end
end
return {'ok', version}
`,
};
