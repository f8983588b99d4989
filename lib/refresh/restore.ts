import { StoreUnavailableError } from '../errors';
import { normaliseTokenInput } from '../token-set';
import type { TokenSet } from '../types';
import type { KnownSecrets } from './known-secrets';
import type { Persistence } from './persistence';
import type { StoreGuard } from './store-guard';
import type { TokenCache } from './token-cache';

/**
 * The durable copy of `key` (`persist.load`), put into the store only if the store is still empty,
 * and adopted by this process; `null` when there is none. A `TokenSet` as `save` received it keeps
 * its version and issue time, so versions stay monotonic across a store that lost everything; a
 * plain `TokenInput` becomes version 1.
 */
export async function restoredFromDurableCopy(
  key: string,
  persistence: Persistence,
  guard: StoreGuard,
  cache: TokenCache,
  secrets: KnownSecrets,
): Promise<TokenSet | null> {
  const loaded = await persistence.load(key);
  if (loaded === null) return null;
  const now = Date.now();
  const result = normaliseTokenInput(loaded, null, now);
  if ('problem' in result) {
    throw new StoreUnavailableError(`axios-token-flight: persist.load returned an unusable token for "${key}": ${result.problem}`, { key });
  }
  const { version, issuedAt } = loaded as { version?: unknown; issuedAt?: unknown };
  const token: TokenSet = {
    ...result.token,
    ...(Number.isInteger(version) && (version as number) > 0 ? { version: version as number } : {}),
    ...(typeof issuedAt === 'number' && Number.isFinite(issuedAt) && issuedAt <= now ? { issuedAt } : {}),
  };
  secrets.remember(key, token);
  await guard.restore(key, token);
  cache.accept(key, token);
  return token;
}
