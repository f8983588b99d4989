import type { CredentialTombstone, TokenSet } from '../types';

export type { CredentialTombstone } from '../types';

/**
 * What the fleet remembers about a credential's failed refreshes, so that every process — not just
 * the one that tried — holds back:
 * - `'backoff'`: a retryable failure (token endpoint 5xx, unreachable, too slow); no process tries
 *   again before `until`, and each further failure doubles the wait;
 * - `'reauthorize'`: `invalid_grant` for token `version`; no process presents that version's refresh
 *   token again (a new version, e.g. from `setToken`, clears it).
 */
export interface RefreshFailureRecord {
  readonly kind: 'backoff' | 'reauthorize';
  /** The token version whose refresh failed. */
  readonly version: number;
  /** Consecutive retryable failures (drives the backoff); 1 for `'reauthorize'`. */
  readonly attempts: number;
  /** Epoch milliseconds until which no process should try again. */
  readonly until: number;
  /**
   * Epoch milliseconds until which the store keeps the record (≥ `until`): a failure soon after the
   * window ends still counts as consecutive, so the wait keeps doubling.
   */
  readonly rememberUntil: number;
}

/** What a change notice says happened to a credential (a store without kinds sends `'written'`). */
export type ChangeKind = 'written' | 'deleted' | 'wanted';

/**
 * Receives change notices. `token`: the token set a `'written'` notice carries, when the store sends
 * it along — a process waiting for that write adopts it without reading the store again.
 */
export type ChangeListener = (key: string, version?: number, kind?: ChangeKind, token?: TokenSet) => void;

/** What `getOrLock` saw and did, in one step. */
export interface GetOrLockResult {
  /** The stored token set, as `get` answers it. */
  readonly token: TokenSet | null;
  /** Whether the lock was taken for the caller (only when nothing newer than `ifVersionAtMost` is stored). */
  readonly locked: boolean;
}

/**
 * Where token sets live, shared by every process that uses the same credentials.
 * Implement it to keep tokens in Postgres, DynamoDB… The plugin relies on exactly these
 * guarantees; see docs/stores.md.
 */
export interface TokenStore {
  /**
   * Set when the store lets entries expire (milliseconds after the last write). The plugin then
   * requires its `persist` option: an expired entry must not be the end of a refresh token.
   */
  readonly entryTtlMs?: number | undefined;

  /** The current token set for `key`, or `null` (also when it was deleted). */
  get(key: string): Promise<TokenSet | null>;

  /**
   * Writes `next` only if the stored version is still `expectedVersion` (0 = nothing stored)
   * **and** `lockOwner` still holds the lock for `key`. Returns whether it wrote.
   * Both checks together are the fence: a writer whose lock expired, or who read a stale
   * version, cannot overwrite a newer token. With a tombstone for `key` (see `delete`), only a token
   * whose `generation` is above its `deletedAt` is written, and that write removes the tombstone.
   */
  compareAndSet(key: string, next: TokenSet, expectedVersion: number, lockOwner: string): Promise<boolean>;

  /** Takes the refresh lock for `key` if it is free (`SET NX PX` semantics). Returns whether it did. */
  acquireLock(key: string, owner: string, ttlMs: number): Promise<boolean>;

  /** Releases the lock only if `owner` still holds it. Returns whether it did. */
  releaseLock(key: string, owner: string): Promise<boolean>;

  /**
   * Optional, atomic: reads `key` like `get` and, only when nothing is stored or the stored version is
   * at most `lock.ifVersionAtMost`, takes the lock like `acquireLock`. A process that needs a newer
   * token than it has then spends one round trip, not three (read, lock attempt, re-read under the
   * lock). Without it the plugin makes those three calls.
   */
  getOrLock?(
    key: string,
    lock: { readonly owner: string; readonly ttlMs: number; readonly ifVersionAtMost: number },
  ): Promise<GetOrLockResult>;

  /**
   * Optional wake-up hint: calls `listener(key, version, kind, token?)` after a token for `key` was
   * written (`'written'`), deleted (`'deleted'`), or asked for by a process that found none
   * (`'wanted'`, see `requestCopies`), by any process. A `'written'` notice may carry the token set
   * written, so waiters need not read it. Hints may be lost; the plugin still polls. Returns an
   * unsubscribe function.
   */
  subscribe?(listener: ChangeListener): () => void;

  /**
   * Optional: removes the credential for good, atomically — its token set and failure record go,
   * `tombstone` stays — and sends a `'deleted'` notice. No lock needed: the tombstone fences every
   * later write of the old grant. Required by `handle.deleteToken`.
   */
  delete?(key: string, tombstone: CredentialTombstone): Promise<void>;

  /** Optional (with `delete`): the tombstone of a deleted credential, or `null`. */
  getTombstone?(key: string): Promise<CredentialTombstone | null>;

  /**
   * Optional: sends a `'wanted'` notice for `key` (a process found no token for it) and resolves
   * whether any *other* process can hear it. Processes holding a copy answer by putting it back
   * with `restore`.
   */
  requestCopies?(key: string): Promise<boolean>;

  /**
   * Puts back a token set the store lost, without the lock: writes `token` only if the store holds
   * nothing for `key`, or a lower-ranked token (an older `generation`, or the same generation and an
   * older version), and no tombstone at or after `token.generation`, atomically. Returns whether it
   * wrote. The plugin calls it when the store restarted empty or was rolled back to older data, and
   * when a refresh's fenced write could not land because the lock vanished with the data — the
   * provider has already rotated, so those tokens may be the only live ones anywhere.
   * Optional: without it the plugin takes the lock and uses `compareAndSet`, which cannot save a
   * refresh whose lock is gone.
   */
  restore?(key: string, token: TokenSet): Promise<boolean>;

  /** Optional: the fleet's failure memory for `key` (see `RefreshFailureRecord`), or `null`. */
  getRefreshFailure?(key: string): Promise<RefreshFailureRecord | null>;

  /**
   * Optional: records (or with `null`, clears) the failure memory for `key`; it must expire by itself
   * at `record.rememberUntil`. Without these two methods each process keeps its own memory.
   */
  setRefreshFailure?(key: string, record: RefreshFailureRecord | null): Promise<void>;
}
