import { keptRefreshTokenOf } from '../kept-refresh-token';
import type { TokenSet } from '../types';
import type { Persistence } from './persistence';
import { UNREADABLE, type StoreRead } from './store-guard';
import type { StoreView } from './store-view';

interface RefusedAnswer {
  readonly key: string;
  /** What the refresh started from: its refresh token is now spent at the provider. */
  readonly current: TokenSet | null;
  /** Why the refresh failed: a refused answer carries its new refresh token (see kept-refresh-token.ts). */
  readonly error: unknown;
  /** The access token was just rejected by the API: not to be sent again. */
  readonly rejected: boolean;
  readonly stored: StoreRead;
  /** The lock this process holds for `key`. */
  readonly owner: string;
}

/**
 * Writes `current` again with the new refresh token of a refused answer, as the next version, under
 * the lock still held — so the next refresh, here or anywhere in the fleet, presents the new refresh
 * token instead of the spent one. Its access token is used no longer than it was valid anyway, and
 * not at all when the API just rejected it. Best effort: a store failure leaves the error as it was.
 */
export async function keepRotatedRefreshToken(
  view: StoreView,
  persistence: Persistence | undefined,
  { key, current, error, rejected, stored, owner }: RefusedAnswer,
): Promise<TokenSet | null> {
  const kept = keptRefreshTokenOf(error);
  if (current === null || kept === undefined || kept === current.refreshToken) return null;
  const usableUntil = rejected || current.expiresAt === undefined ? Date.now() : current.expiresAt;
  const next: TokenSet = {
    ...current,
    refreshToken: kept,
    expiresAt: usableUntil,
    version: current.version + 1,
    rotatesRefreshToken: true,
  };
  try {
    const written = await view.writeRefreshed(key, next, stored === UNREADABLE ? null : stored, owner);
    await persistence?.save(key, written);
    return written;
  } catch {
    return null;
  }
}
