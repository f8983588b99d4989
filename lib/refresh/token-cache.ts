import { outranks } from '../token-rank';
import type { TokenSet } from '../types';
import { refreshDueAt } from './policies';

export interface CacheEntry {
  readonly token: TokenSet;
  /** When to start refreshing proactively (jittered once per version, not per request). */
  dueAt: number;
  /** Another process wrote a newer version: read the store before using this copy again. */
  recheck: boolean;
  /** Used since the eviction sweep last passed it (the CLOCK algorithm's reference bit). */
  referenced: boolean;
}

export interface TokenCacheOptions {
  readonly skewMs: number;
  readonly random: () => number;
  /** Most credentials held at once; the least recently used beyond it are dropped. */
  readonly maxEntries: number;
  /**
   * Whether copies may be dropped now. Not while the store is unreachable or a write-back is
   * pending: a copy may then hold the only live refresh token anywhere.
   */
  readonly canEvict: () => boolean;
  /** Called for each dropped key, so per-key state elsewhere goes with it. */
  readonly onEvict: (key: string) => void;
}

/**
 * This process's copy of each credential's token set — what the hot path reads without touching
 * the store. A copy only moves forward in versions, and is never dropped because the store answered
 * with nothing or with an older version: it may hold the only live refresh token (a write that did
 * not land, a store restarted empty).
 *
 * Bounded to `maxEntries` with the CLOCK approximation of LRU: a read only sets a flag on the entry
 * (no allocation, no reordering on the hot path); inserting beyond the bound sweeps from the oldest
 * insertion, giving flagged entries a second chance and dropping the first unflagged one. An
 * evicted credential's next use reads the store once.
 */
export class TokenCache {
  readonly #entries = new Map<string, CacheEntry>();

  constructor(private readonly options: TokenCacheOptions) {}

  get size(): number {
    return this.#entries.size;
  }

  /** The entry, without counting it as a use (notices, recovery and writes look too). */
  get(key: string): CacheEntry | undefined {
    return this.#entries.get(key);
  }

  /** The entry, counted as a use: a request is about to send its token. */
  use(key: string): CacheEntry | undefined {
    const entry = this.#entries.get(key);
    if (entry !== undefined) entry.referenced = true;
    return entry;
  }

  /** The copy, if it is neither due for refresh nor flagged for a re-read. No allocation. */
  valid(key: string): TokenSet | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined || entry.recheck || Date.now() >= entry.dueAt) return undefined;
    entry.referenced = true;
    return entry.token;
  }

  /** Adopts `token` unless the copy is newer; returns the entry describing `token` either way. */
  accept(key: string, token: TokenSet): CacheEntry {
    const existing = this.#entries.get(key);
    if (existing !== undefined && existing.token.version === token.version && existing.token.issuedAt === token.issuedAt) return existing;
    // Unflagged until used again: a credential read once and never again is the first to go.
    const entry: CacheEntry = {
      token,
      dueAt: refreshDueAt(token, this.options.skewMs, this.options.random),
      recheck: false,
      referenced: existing?.referenced ?? false,
    };
    if (existing === undefined) {
      this.#entries.set(key, entry);
      if (this.#entries.size > this.options.maxEntries) this.#evict(key);
    } else if (!outranks(existing.token, token)) {
      this.#entries.set(key, entry); // same position: replacing a value keeps Map order
    }
    return entry;
  }

  /**
   * A change notice: flag the copy for a re-read unless it is our own write coming back (same
   * version). A lower version is re-read too: it may be a newer grant (`setToken` after data loss).
   * O(1), no allocation.
   */
  markChanged(key: string, version: number | undefined): void {
    const entry = this.#entries.get(key);
    if (entry !== undefined && (version === undefined || entry.token.version !== version)) entry.recheck = true;
  }

  /** Forgets `key` at once (the credential was deleted). */
  delete(key: string): void {
    if (this.#entries.delete(key)) this.options.onEvict(key);
  }

  clear(): void {
    this.#entries.clear();
  }

  /** A copy of the current entries, safe to iterate across awaits. */
  snapshot(): Array<[string, CacheEntry]> {
    return [...this.#entries];
  }

  /** Drops entries until the bound holds again, never `keep` (the entry being inserted). */
  #evict(keep: string): void {
    if (!this.options.canEvict()) return;
    // Two passes at most: the first clears every flag it passes, so the second finds a victim.
    let budget = this.#entries.size * 2;
    for (const [key, entry] of this.#entries) {
      if (this.#entries.size <= this.options.maxEntries || budget-- <= 0) return;
      if (key === keep) continue;
      this.#entries.delete(key);
      if (entry.referenced) {
        entry.referenced = false;
        this.#entries.set(key, entry); // second chance: to the back of the sweep
      } else {
        this.options.onEvict(key);
      }
    }
  }
}
