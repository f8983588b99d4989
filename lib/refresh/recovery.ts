import { deletedBy, outranks } from '../token-rank';
import { ReauthorizationRequiredError, StoreUnavailableError } from '../errors';
import { normaliseTokenInput } from '../token-set';
import type { TokenSet } from '../types';
import type { KnownSecrets } from './known-secrets';
import type { Persistence } from './persistence';
import { UNREADABLE, type StoreGuard, type StoreRead } from './store-guard';
import type { TokenCache } from './token-cache';

export interface RecoveryDeps {
  readonly guard: StoreGuard;
  readonly cache: TokenCache;
  readonly secrets: KnownSecrets;
  readonly persistence: Persistence | undefined;
}

/**
 * When the store lost a token this process — or the durable copy — still has (restarted empty,
 * rolled back to older data), puts the newest back (`restore`: only if the store is still empty or
 * older) and returns it; `null` when nothing was lost. Call under the refresh lock, before refreshing.
 */
export async function recoverLostToken(key: string, stored: StoreRead, lockOwner: string, deps: RecoveryDeps): Promise<TokenSet | null> {
  const copy = deps.cache.get(key)?.token;
  if (stored === null && (await isDeleted(key, copy ?? null, deps))) return null;
  if (stored === UNREADABLE) {
    // Nothing can be put back; without a copy, the durable one is still better than nothing.
    return copy === undefined && deps.persistence !== undefined ? adopt(key, await loadDurableCopy(key, deps.persistence), deps) : null;
  }
  // The durable copy may be newer than both (another process refreshed and saved, then the store
  // lost it): read before every refresh, so none starts from a version older than the database's.
  const durable = deps.persistence === undefined ? null : await durableCopyIfReachable(key, stored, deps.persistence);
  const best = newestOf(copy ?? null, durable);
  if (best === null || (stored !== null && !outranks(best, stored))) return null;
  // Refused (the lock lapsed meanwhile, or a newer version just landed): try again when the store
  // next answers — a write-back that finds the store as new as ours stops there.
  if (!(await deps.guard.restore(key, best, lockOwner))) deps.guard.writeBackLater();
  return best === copy ? copy : adopt(key, best, deps);
}

/** The durable copy; when the store has a token, a database that cannot be read only loses us this extra check. */
async function durableCopyIfReachable(key: string, stored: TokenSet | null, persistence: Persistence): Promise<TokenSet | null> {
  try {
    return await loadDurableCopy(key, persistence);
  } catch (error) {
    if (stored === null) throw error;
    return null;
  }
}

/** What a request for a deleted credential ends in, until `setToken` seeds it again. */
export function credentialDeleted(key: string): ReauthorizationRequiredError {
  return new ReauthorizationRequiredError(`axios-token-flight: "${key}" was deleted (deleteToken); seed it again with setToken`, { key });
}

/**
 * Whether `key` was deleted (its tombstone fences `copy`'s grant, or any grant when there is no
 * copy); a fenced copy is dropped here, so it is neither put back nor refreshed.
 */
export async function isDeleted(key: string, copy: TokenSet | null, deps: Pick<RecoveryDeps, 'guard' | 'cache'>): Promise<boolean> {
  const tombstone = await deps.guard.tombstone(key);
  if (tombstone === null || (copy !== null && !deletedBy(copy, tombstone))) return false;
  deps.cache.delete(key);
  return true;
}

function newestOf(a: TokenSet | null, b: TokenSet | null): TokenSet | null {
  if (a === null) return b;
  if (b === null) return a;
  return outranks(b, a) ? b : a;
}

function adopt(key: string, token: TokenSet | null, deps: RecoveryDeps): TokenSet | null {
  if (token === null) return null;
  deps.secrets.remember(key, token);
  deps.cache.accept(key, token);
  return token;
}

/**
 * `persist.load` as a token set. A `TokenSet` as `save` received it keeps its version and issue
 * time, so versions stay monotonic across a store that lost everything; a plain `TokenInput`
 * becomes version 1.
 */
async function loadDurableCopy(key: string, persistence: Persistence): Promise<TokenSet | null> {
  const loaded = await persistence.load(key);
  if (loaded === null) return null;
  const now = Date.now();
  const result = normaliseTokenInput(loaded, null, now);
  if ('problem' in result) {
    throw new StoreUnavailableError(`axios-token-flight: persist.load returned an unusable token for "${key}": ${result.problem}`, { key });
  }
  const { version, issuedAt, generation } = loaded as { version?: unknown; issuedAt?: unknown; generation?: unknown };
  return {
    ...result.token,
    ...(typeof generation === 'number' && Number.isFinite(generation) ? { generation } : {}),
    ...(Number.isInteger(version) && (version as number) > 0 ? { version: version as number } : {}),
    ...(typeof issuedAt === 'number' && Number.isFinite(issuedAt) && issuedAt <= now ? { issuedAt } : {}),
  };
}
