import { outranks } from '../token-rank';
import { StoreUnavailableError } from '../errors';
import { normaliseTokenInput } from '../token-set';
import type { TokenSet } from '../types';
import type { KnownSecrets } from '../secrets/known-secrets';
import type { Persistence } from './persistence';
import { UNREADABLE, type StoreGuard, type StoreRead } from './store-guard';
import type { StoreView } from './store-view';
import type { TokenCache } from './token-cache';

/**
 * Puts back what the store lost. When the store lost a token this process — or the durable copy —
 * still has (restarted empty, rolled back to older data), the newest goes back (`restore`: only if
 * the store is still empty or older) before anyone refreshes from older data.
 */
export class LostTokenRecovery {
  constructor(
    private readonly view: StoreView,
    private readonly guard: StoreGuard,
    private readonly cache: TokenCache,
    private readonly secrets: KnownSecrets,
    private readonly persistence: Persistence | undefined,
  ) {}

  /**
   * Puts the newest copy back and returns it; `null` when nothing was lost. Call under the refresh
   * lock (`lockOwner`), before refreshing.
   */
  async recover(key: string, stored: StoreRead, lockOwner: string): Promise<TokenSet | null> {
    const copy = this.cache.get(key)?.token;
    if (stored === null && (await this.view.isDeleted(key, copy ?? null))) return null;
    if (stored === UNREADABLE) {
      // Nothing can be put back; without a copy, the durable one is still better than nothing.
      return copy === undefined && this.persistence !== undefined ? this.#adopt(key, await loadDurableCopy(key, this.persistence)) : null;
    }
    // The durable copy may be newer than both (another process refreshed and saved, then the store
    // lost it): read before every refresh, so none starts from a version older than the database's.
    const durable = this.persistence === undefined ? null : await durableCopyIfReachable(key, stored, this.persistence);
    const best = newestOf(copy ?? null, durable);
    if (best === null || (stored !== null && !outranks(best, stored))) return null;
    // Refused (the lock lapsed meanwhile, or a newer version just landed): try again when the store
    // next answers — a write-back that finds the store as new as ours stops there.
    if (!(await this.guard.restore(key, best, lockOwner))) this.guard.writeBackLater();
    return best === copy ? copy : this.#adopt(key, best);
  }

  #adopt(key: string, token: TokenSet | null): TokenSet | null {
    if (token === null) return null;
    this.secrets.remember(key, token);
    this.cache.accept(key, token);
    return token;
  }
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

function newestOf(a: TokenSet | null, b: TokenSet | null): TokenSet | null {
  if (a === null) return b;
  if (b === null) return a;
  return outranks(b, a) ? b : a;
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
