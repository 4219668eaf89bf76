import { takeLock } from './locks.lua.ts';
import type { LuaScript } from './scripts.ts';

// Lua for rollouts.ts. Record fields hold JSON that JavaScript encoded; these scripts only copy it,
// never decode it (cjson turns empty arrays into objects and rounds floats to 14 digits).
// Meta fields: _v (version), _fence (token of the last write), _service, _env, _status.
// The owner check reads the lock hash: held by this rollout id with exactly this fencing token.

// A new record is pending (_pending = 1) until its `start` event is applied: a replica that dies before
// that leaves it in the pending set, where the sweep finds it.
const CREATE_RECORD = `
redis.call('HSET', KEYS[1], '_v', 1, '_fence', token, '_service', ARGV[3], '_env', ARGV[4], '_status', ARGV[5],
  unpack(ARGV, first))
if ARGV[6] == '1' then
  redis.call('PEXPIRE', KEYS[1], ARGV[7])
else
  redis.call('SADD', KEYS[3], ARGV[1])
  redis.call('SADD', KEYS[4], ARGV[1])
  redis.call('HSET', KEYS[1], '_pending', 1)
  redis.call('SADD', KEYS[5], ARGV[1])
end
`;

/**
 * KEYS: rollout, lock of (service, env), active set of (service, env), all-active set, pending set.
 * ARGV: id, token, service, env, status, terminal ('1' | '0'), retention ms, field/value pairs...
 * The lock's `recordBy` (the lease it had until its record exists) ends here.
 */
export const createRollout: LuaScript = {
  name: 'rolloutCreate',
  keys: 5,
  lua: `
local version = redis.call('HGET', KEYS[1], '_v')
if version then return {'exists', version} end
local owner = redis.call('HMGET', KEYS[2], 'rolloutId', 'token')
if owner[1] ~= ARGV[1] or owner[2] ~= ARGV[2] then return {'fencing', redis.call('HGETALL', KEYS[2])} end
redis.call('HDEL', KEYS[2], 'recordBy')
local token = ARGV[2]
local first = 8
${CREATE_RECORD}
return {'created'}
`,
};

/**
 * The deploy lock and the record in one script, so no crash can leave one without the other.
 * KEYS: rollout, lock, active set of (service, env), all-active set, pending set, fence, freeze, lock index.
 * ARGV: id, (unused), service, env, status, terminal, retention ms, lock kind, author, reason, since,
 *       index member, field/value pairs...
 * Replies like lockAcquire: {'acquired', token} | {'held', lock hash} | {'frozen', freeze hash}, or
 * {'exists', version} when the id is taken.
 */
export const startRollout: LuaScript = {
  name: 'rolloutStart',
  keys: 8,
  lua: `
local version = redis.call('HGET', KEYS[1], '_v')
if version then return {'exists', version} end
${takeLock(
  { lock: 'KEYS[2]', fence: 'KEYS[6]', freeze: 'KEYS[7]', index: 'KEYS[8]' },
  {
    member: 'ARGV[12]',
    kind: 'ARGV[8]',
    rolloutId: 'ARGV[1]',
    author: 'ARGV[9]',
    reason: 'ARGV[10]',
    since: 'ARGV[11]',
  },
)}
local first = 13
${CREATE_RECORD}
return {'acquired', token}
`,
};

/**
 * KEYS: rollout, pending set. ARGV: id, version.
 * The step of `version` has run all its effects: the record leaves the pending set (unless a later step
 * made it pending again).
 */
export const settleRollout: LuaScript = {
  name: 'rolloutSettle',
  keys: 2,
  lua: `
local pending = redis.call('HGET', KEYS[1], '_pending')
if pending and tonumber(pending) > tonumber(ARGV[2]) then return 0 end
redis.call('HDEL', KEYS[1], '_pending')
if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('HSET', KEYS[1], '_settled', ARGV[2]) end
redis.call('SREM', KEYS[2], ARGV[1])
return 1
`,
};

/**
 * KEYS: rollout, lock of the fence's (service, env), its active set, all-active set, pending set.
 * ARGV: id, expected version, token, service, env, new status ('' = unchanged), terminal ('1' | '0'),
 *       retention ms, pending ('1' | '0'), count of set args, set field/value pairs..., fields to delete...
 * The active indexes follow the status, so a status set here always keeps them in step. A step with
 * effects still to run is pending in the same write: the sweep finds it even when the step made the
 * rollout terminal (and so left the active indexes).
 */
export const transitionRollout: LuaScript = {
  name: 'rolloutTransition',
  keys: 5,
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
local nset = tonumber(ARGV[10])
redis.call('HSET', KEYS[1], '_fence', ARGV[3], unpack(ARGV, 11, 10 + nset))
if #ARGV > 10 + nset then redis.call('HDEL', KEYS[1], unpack(ARGV, 11 + nset)) end
if ARGV[9] == '1' then
  redis.call('HSET', KEYS[1], '_pending', version)
  redis.call('SADD', KEYS[5], ARGV[1])
else
  redis.call('HDEL', KEYS[1], '_pending')
  redis.call('SREM', KEYS[5], ARGV[1])
end
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
