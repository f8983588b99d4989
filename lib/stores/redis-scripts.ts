/**
 * Lua scripts run atomically by Redis. Both keys of a script share the `{credential}` hash tag,
 * so they live in one Cluster slot. Scripts speak RESP2 internally whatever the client speaks:
 * a missing key is `false`.
 */

/**
 * The fenced write. KEYS: token hash, lock. ARGV: owner, expected version, new version,
 * encoded token set, notice channel, notice message, entry TTL in ms (0: none).
 * Returns 1 written, 0 lock not held by owner, -1 version changed.
 */
export const COMPARE_AND_SET = `
if redis.call('GET', KEYS[2]) ~= ARGV[1] then return 0 end
local stored = redis.call('HGET', KEYS[1], 'v')
local current = 0
if stored then current = tonumber(stored) end
if current ~= tonumber(ARGV[2]) then return -1 end
redis.call('HSET', KEYS[1], 'v', ARGV[3], 'd', ARGV[4])
if tonumber(ARGV[7]) > 0 then redis.call('PEXPIRE', KEYS[1], ARGV[7]) end
redis.call('PUBLISH', ARGV[5], ARGV[6])
return 1
`;

/** Deletes the lock only if `owner` still holds it. KEYS: lock. ARGV: owner. */
export const RELEASE_LOCK = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

/**
 * Lock-free restore: writes only if nothing is stored or an older version is. KEYS: token hash.
 * ARGV: version, encoded token set, notice channel, notice message, entry TTL in ms (0: none).
 * Returns 1 written, 0 not.
 */
export const RESTORE_IF_OLDER = `
local stored = redis.call('HGET', KEYS[1], 'v')
if stored and tonumber(stored) >= tonumber(ARGV[1]) then return 0 end
redis.call('HSET', KEYS[1], 'v', ARGV[1], 'd', ARGV[2])
if tonumber(ARGV[5]) > 0 then redis.call('PEXPIRE', KEYS[1], ARGV[5]) end
redis.call('PUBLISH', ARGV[3], ARGV[4])
return 1
`;
