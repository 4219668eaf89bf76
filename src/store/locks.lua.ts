import type { LuaScript } from './scripts.ts';

// Lua for locks.ts. Replies are flat arrays: a status word, then the lock or freeze hash as HGETALL
// returned it. Audit entries use the field names documented in audit.ts.

// Builds the JSON of a flat string hash for an audit entry. Safe with cjson: values are strings
// (plus the integer token), never arrays or floats, which are what cjson mangles.
const HASH_JSON = `
local function hash_json(flat)
  local t = {}
  for i = 1, #flat, 2 do t[flat[i]] = flat[i + 1] end
  if t.token then t.token = tonumber(t.token) end
  t.recordBy = nil
  return cjson.encode(t)
end
`;

/**
 * KEYS: lock, fence, freeze, lock index.
 * ARGV: index member, kind, rolloutId, author, reason, since, record-by (ms).
 * `recordBy` is the lock's lease until its rollout record exists (the record's creation removes it): a
 * lock whose record never appeared by then is an orphan any replica's sweep may release.
 * A freeze is checked first for kind 'rollout' (it outlasts any holder, so it is the answer that
 * tells the requester what actually blocks them); kind 'rollback' ignores freezes.
 */
export const acquireLock: LuaScript = {
  name: 'lockAcquire',
  keys: 4,
  lua: `
${takeLock(
  { lock: 'KEYS[1]', fence: 'KEYS[2]', freeze: 'KEYS[3]', index: 'KEYS[4]' },
  {
    member: 'ARGV[1]',
    kind: 'ARGV[2]',
    rolloutId: 'ARGV[3]',
    author: 'ARGV[4]',
    reason: 'ARGV[5]',
    since: 'ARGV[6]',
    recordBy: 'ARGV[7]',
  },
)}
return {'acquired', token}
`,
};

/**
 * Lua that takes the deploy lock or returns why not ({'frozen', freeze} for kind 'rollout', {'held',
 * holder}), leaving `token` set: shared by lockAcquire and rolloutStart (rollouts.lua.ts), which name the
 * same keys and values at other positions.
 */
export function takeLock(
  keys: { lock: string; fence: string; freeze: string; index: string },
  argv: {
    member: string;
    kind: string;
    rolloutId: string;
    author: string;
    reason: string;
    since: string;
    recordBy?: string;
  },
): string {
  const recordBy = argv.recordBy ? `, 'recordBy', ${argv.recordBy}` : '';
  return `if ${argv.kind} == 'rollout' then
  local freeze = redis.call('HGETALL', ${keys.freeze})
  if #freeze > 0 then return {'frozen', freeze} end
end
local holder = redis.call('HGETALL', ${keys.lock})
if #holder > 0 then return {'held', holder} end
local token = redis.call('INCR', ${keys.fence})
redis.call('HSET', ${keys.lock}, 'rolloutId', ${argv.rolloutId}, 'author', ${argv.author}, 'reason', ${argv.reason},
  'since', ${argv.since}, 'token', token, 'kind', ${argv.kind}${recordBy})
redis.call('SADD', ${keys.index}, ${argv.member})`;
}

/** KEYS: lock, lock index. ARGV: index member, token. */
export const releaseLock: LuaScript = {
  name: 'lockRelease',
  keys: 2,
  lua: `
local holder = redis.call('HGETALL', KEYS[1])
if #holder == 0 then return {'not-held'} end
if redis.call('HGET', KEYS[1], 'token') ~= ARGV[2] then return {'stale-token', holder} end
redis.call('DEL', KEYS[1])
redis.call('SREM', KEYS[2], ARGV[1])
return {'released', holder}
`,
};

/**
 * Removes a lock or a freeze and audits it in the same script (force-unlock, unfreeze).
 * KEYS: the hash, its index, audit. ARGV: index member, who, reason ('' = none), at, service, env, what.
 * The audit entry carries the removed hash as `before`, and its rolloutId when it is a lock.
 */
export const removeAudited: LuaScript = {
  name: 'removeAudited',
  keys: 3,
  lua: `${HASH_JSON}
local existing = redis.call('HGETALL', KEYS[1])
if #existing == 0 then return {'absent'} end
local rollout_id = redis.call('HGET', KEYS[1], 'rolloutId')
redis.call('DEL', KEYS[1])
redis.call('SREM', KEYS[2], ARGV[1])
local fields = {'who', ARGV[2], 'what', ARGV[7], 'at', ARGV[4], 'service', ARGV[5], 'env', ARGV[6]}
if rollout_id then table.insert(fields, 'rolloutId'); table.insert(fields, rollout_id) end
if ARGV[3] ~= '' then table.insert(fields, 'reason'); table.insert(fields, ARGV[3]) end
table.insert(fields, 'before'); table.insert(fields, hash_json(existing))
local id = redis.call('XADD', KEYS[3], '*', unpack(fields))
return {'removed', existing, id}
`,
};

/** KEYS: freeze, freeze index, audit. ARGV: index member, author, reason, since, service, env, what, after JSON. */
export const setFreeze: LuaScript = {
  name: 'freezeSet',
  keys: 3,
  lua: `
local existing = redis.call('HGETALL', KEYS[1])
if #existing > 0 then return {'already-frozen', existing} end
redis.call('HSET', KEYS[1], 'author', ARGV[2], 'reason', ARGV[3], 'since', ARGV[4])
redis.call('SADD', KEYS[2], ARGV[1])
local id = redis.call('XADD', KEYS[3], '*', 'who', ARGV[2], 'what', ARGV[7], 'at', ARGV[4],
  'service', ARGV[5], 'env', ARGV[6], 'reason', ARGV[3], 'after', ARGV[8])
return {'frozen', id}
`,
};

/**
 * Releases a lock whose rollout cannot use it any more, and audits it, in one script.
 * KEYS: lock, lock index, the holder's rollout record, audit.
 * ARGV: index member, rolloutId, token, terminal status seen ('' = the record was absent), at, service,
 *       env, what.
 * Only when the lock is still that holding (rolloutId and token) and the record is still as seen: absent,
 * or terminal with no effects pending (its own release-lock will never run again).
 */
export const releaseOrphanLock: LuaScript = {
  name: 'lockReleaseOrphan',
  keys: 4,
  lua: `${HASH_JSON}
local held = redis.call('HMGET', KEYS[1], 'rolloutId', 'token')
if held[1] ~= ARGV[2] or held[2] ~= ARGV[3] then return {'changed'} end
local record = redis.call('HMGET', KEYS[3], '_status', '_pending')
if ARGV[4] == '' then
  if record[1] then return {'changed'} end
elseif record[1] ~= ARGV[4] or record[2] then
  return {'changed'}
end
local existing = redis.call('HGETALL', KEYS[1])
redis.call('DEL', KEYS[1])
redis.call('SREM', KEYS[2], ARGV[1])
local reason = 'its rollout record never appeared'
if ARGV[4] ~= '' then reason = 'its rollout finished (' .. ARGV[4] .. ') without releasing it' end
local id = redis.call('XADD', KEYS[4], '*', 'who', 'shiftgate', 'what', ARGV[8], 'at', ARGV[5],
  'service', ARGV[6], 'env', ARGV[7], 'rolloutId', ARGV[2], 'reason', reason, 'before', hash_json(existing))
return {'released', existing, id}
`,
};
