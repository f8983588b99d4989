import type { TokenSet } from '../types';
import { refreshDueAt } from './policies';

export interface CacheEntry {
  readonly token: TokenSet;
  /** When to start refreshing proactively (jittered once per version, not per request). */
  dueAt: number;
  /** Another process wrote a newer version: read the store before using this copy again. */
  recheck: boolean;
}

/**
 * This process's copy of each credential's token set — what the hot path reads without touching
 * the store. A copy only moves forward in versions, and is never dropped because the store answered
 * with nothing or with an older version: it may hold the only live refresh token (a write that did
 * not land, a store restarted empty).
 */
export class TokenCache {
  readonly #entries = new Map<string, CacheEntry>();

  constructor(
    private readonly skewMs: number,
    private readonly random: () => number,
  ) {}

  get(key: string): CacheEntry | undefined {
    return this.#entries.get(key);
  }

  /** The copy, if it is neither due for refresh nor flagged for a re-read. No allocation. */
  valid(key: string): TokenSet | undefined {
    const entry = this.#entries.get(key);
    return entry !== undefined && !entry.recheck && Date.now() < entry.dueAt ? entry.token : undefined;
  }

  /** Adopts `token` unless the copy is newer; returns the entry describing `token` either way. */
  accept(key: string, token: TokenSet): CacheEntry {
    const existing = this.#entries.get(key);
    if (existing !== undefined && existing.token.version === token.version && existing.token.issuedAt === token.issuedAt) {
      return existing;
    }
    const entry: CacheEntry = { token, dueAt: refreshDueAt(token, this.skewMs, this.random), recheck: false };
    if (existing === undefined || existing.token.version <= token.version) this.#entries.set(key, entry);
    return entry;
  }

  /** A change notice: flag an older copy for a re-read (our own write coming back needs nothing). */
  markChanged(key: string, version: number | undefined): void {
    const entry = this.#entries.get(key);
    if (entry !== undefined && (version === undefined || entry.token.version < version)) entry.recheck = true;
  }

  delete(key: string): void {
    this.#entries.delete(key);
  }

  clear(): void {
    this.#entries.clear();
  }

  /** A copy of the current entries, safe to iterate across awaits. */
  snapshot(): Array<[string, CacheEntry]> {
    return [...this.#entries];
  }
}
