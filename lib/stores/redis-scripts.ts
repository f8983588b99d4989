import { redisScript } from './redis-commands';

/**
 * Lua scripts run atomically by Redis. Both keys of a script share the `{credential}` hash tag,
 * so they live in one Cluster slot. Scripts speak RESP2 internally whatever the client speaks:
 * a missing key is `false`.
 */

/**
 * The fenced write. KEYS: token hash, lock, tombstone. ARGV: owner, expected version, new version,
 * encoded token set, notice channel, notice message, entry TTL in ms (0: none), generation.
 * Returns 1 written, 0 lock not held by owner, -1 version changed, -2 deleted (a tombstone at or
 * after the token's generation). A write past a tombstone (a grant seeded after it) removes it.
 */
export const COMPARE_AND_SET = redisScript(`
if redis.call('GET', KEYS[2]) ~= ARGV[1] then return 0 end
local stored = redis.call('HGET', KEYS[1], 'v')
local current = 0
if stored then current = tonumber(stored) end
if current ~= tonumber(ARGV[2]) then return -1 end
local deletedAt = redis.call('HGET', KEYS[3], 'at')
if deletedAt and tonumber(ARGV[8]) <= tonumber(deletedAt) then return -2 end
redis.call('HSET', KEYS[1], 'v', ARGV[3], 'd', ARGV[4], 'g', ARGV[8])
if deletedAt then redis.call('DEL', KEYS[3]) end
if tonumber(ARGV[7]) > 0 then redis.call('PEXPIRE', KEYS[1], ARGV[7]) end
redis.call('PUBLISH', ARGV[5], ARGV[6])
return 1
`);

/** Deletes the lock only if `owner` still holds it. KEYS: lock. ARGV: owner. */
export const RELEASE_LOCK = redisScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`);

/**
 * Lock-free restore: writes only if nothing is stored or a lower-ranked token is (an older
 * generation, or the same generation and an older version), and no tombstone fences the token's
 * generation. KEYS: token hash, tombstone. ARGV: version, encoded token set, notice channel, notice
 * message, entry TTL in ms (0: none), generation. Returns 1 written, 0 not.
 */
export const RESTORE_IF_OLDER = redisScript(`
local deletedAt = redis.call('HGET', KEYS[2], 'at')
if deletedAt and tonumber(ARGV[6]) <= tonumber(deletedAt) then return 0 end
local stored = redis.call('HMGET', KEYS[1], 'v', 'g')
if stored[1] then
  local generation = tonumber(stored[2] or '0')
  local ours = tonumber(ARGV[6])
  if generation > ours then return 0 end
  if generation == ours and tonumber(stored[1]) >= tonumber(ARGV[1]) then return 0 end
end
redis.call('HSET', KEYS[1], 'v', ARGV[1], 'd', ARGV[2], 'g', ARGV[6])
if deletedAt then redis.call('DEL', KEYS[2]) end
if tonumber(ARGV[5]) > 0 then redis.call('PEXPIRE', KEYS[1], ARGV[5]) end
redis.call('PUBLISH', ARGV[3], ARGV[4])
return 1
`);

/**
 * Deletes a credential: its token set and failure record go, the tombstone is written, a notice
 * goes out. KEYS: token hash, failure record, tombstone. ARGV: tombstone version, deletedAt, notice
 * channel, notice message.
 */
export const DELETE_CREDENTIAL = redisScript(`
redis.call('DEL', KEYS[1], KEYS[2])
redis.call('HSET', KEYS[3], 'v', ARGV[1], 'at', ARGV[2])
redis.call('PUBLISH', ARGV[3], ARGV[4])
return 1
`);

/**
 * One round trip for a process that needs a newer token than it has: reads the token set and, when
 * the store holds nothing newer than ARGV[3], takes the lock if it is free (`SET NX PX`). KEYS: token
 * hash, lock. ARGV: owner, lock TTL in ms, the newest version the caller would replace. Returns
 * { version, value, 1 locked | 0 not } (version and value nil when nothing is stored).
 */
export const GET_OR_LOCK = redisScript(`
local stored = redis.call('HMGET', KEYS[1], 'v', 'd')
local locked = 0
if (not stored[1] or tonumber(stored[1]) <= tonumber(ARGV[3])) and redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[2], 'NX') then
  locked = 1
end
return { stored[1], stored[2], locked }
`);
