import type { LuaScript } from './scripts.ts';

/**
 * KEYS: approvals of (rollout, stage). ARGV: userId, at.
 * Value `seq|at`: seq is the approver's position, so the list reads back in approval order whatever
 * encoding Redis picks for the hash. HSETNX makes a second approval by the same user a no-op.
 */
export const addApproval: LuaScript = {
  name: 'approvalAdd',
  keys: 1,
  lua: `
local count = redis.call('HLEN', KEYS[1])
local added = redis.call('HSETNX', KEYS[1], ARGV[1], (count + 1) .. '|' .. ARGV[2])
return {added, count + added}
`,
};
