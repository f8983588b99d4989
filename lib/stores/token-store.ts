import type { TokenSet } from '../types';

/**
 * Where token sets live, shared by every process that uses the same credentials.
 * Implement it to keep tokens in Postgres, DynamoDB… The plugin relies on exactly these
 * guarantees; see docs/stores.md.
 */
export interface TokenStore {
  /** The current token set for `key`, or `null`. */
  get(key: string): Promise<TokenSet | null>;

  /**
   * Writes `next` only if the stored version is still `expectedVersion` (0 = nothing stored)
   * **and** `lockOwner` still holds the lock for `key`. Returns whether it wrote.
   * Both checks together are the fence: a writer whose lock expired, or who read a stale
   * version, cannot overwrite a newer token.
   */
  compareAndSet(key: string, next: TokenSet, expectedVersion: number, lockOwner: string): Promise<boolean>;

  /** Takes the refresh lock for `key` if it is free (`SET NX PX` semantics). Returns whether it did. */
  acquireLock(key: string, owner: string, ttlMs: number): Promise<boolean>;

  /** Releases the lock only if `owner` still holds it. Returns whether it did. */
  releaseLock(key: string, owner: string): Promise<boolean>;

  /**
   * Optional wake-up hint: calls `listener(key, version)` after a token for `key` was written, by any
   * process. Hints may be lost; the plugin still polls. Returns an unsubscribe function.
   */
  subscribe?(listener: (key: string, version?: number) => void): () => void;
}
