import type { LuaScript } from './scripts.ts';

// Lua for timelines.ts. KEYS for every script: the timeline ZSET, then its entries HASH.
// Entries HASH fields: seq (counter), e:{id} -> entry JSON, x:{id} -> latest edit JSON,
// t:{slack ts} -> entry id, or '' once removed (a tombstone, so a late Events API retry of a deleted
// message does not bring it back). Entry ids are the zero-padded sequence, so ZSET members with equal
// times sort in insertion order.

/** ARGV: Slack ts ('' = none), time ms, entry JSON. Reply: {added 1|0, id or ''}. */
export const addTimelineEntry: LuaScript = {
  name: 'timelineAdd',
  keys: 2,
  lua: `
if ARGV[1] ~= '' then
  local known = redis.call('HGET', KEYS[2], 't:' .. ARGV[1])
  if known then return {0, known} end
end
local id = string.format('%012d', redis.call('HINCRBY', KEYS[2], 'seq', 1))
redis.call('HSET', KEYS[2], 'e:' .. id, ARGV[3])
if ARGV[1] ~= '' then redis.call('HSET', KEYS[2], 't:' .. ARGV[1], id) end
redis.call('ZADD', KEYS[1], ARGV[2], id)
return {1, id}
`,
};

/** ARGV: Slack ts, edit JSON. Reply: 1 if the entry exists. */
export const editTimelineEntry: LuaScript = {
  name: 'timelineEdit',
  keys: 2,
  lua: `
local id = redis.call('HGET', KEYS[2], 't:' .. ARGV[1])
if not id or id == '' then return 0 end
redis.call('HSET', KEYS[2], 'x:' .. id, ARGV[2])
return 1
`,
};

/**
 * ARGV: Slack ts. Reply: 1 if the entry existed. A removal that arrives before its message (events are
 * not ordered) leaves the tombstone all the same, so the message never comes in after it.
 */
export const removeTimelineEntry: LuaScript = {
  name: 'timelineRemove',
  keys: 2,
  lua: `
local id = redis.call('HGET', KEYS[2], 't:' .. ARGV[1])
if not id then
  redis.call('HSET', KEYS[2], 't:' .. ARGV[1], '')
  return 0
end
if id == '' then return 0 end
redis.call('HDEL', KEYS[2], 'e:' .. id, 'x:' .. id)
redis.call('HSET', KEYS[2], 't:' .. ARGV[1], '')
redis.call('ZREM', KEYS[1], id)
return 1
`,
};

/** Reply: flat {id, entry JSON, edit JSON or '', ...} in time order, read as one snapshot. */
export const listTimeline: LuaScript = {
  name: 'timelineList',
  keys: 2,
  readOnly: true,
  lua: `
local out = {}
for _, id in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  out[#out + 1] = id
  out[#out + 1] = redis.call('HGET', KEYS[2], 'e:' .. id) or ''
  out[#out + 1] = redis.call('HGET', KEYS[2], 'x:' .. id) or ''
end
return out
`,
};
