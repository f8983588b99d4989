import type { TokenSet } from '../types';
import type { TokenStore } from './token-store';

interface Lock {
  readonly owner: string;
  readonly expiresAt: number;
}

/**
 * The embedded default: token sets in this process's memory. Several `attachTokenRefresh`
 * handles (several axios instances) can share one; it does not reach other processes.
 */
export class MemoryTokenStore implements TokenStore {
  readonly #tokens = new Map<string, TokenSet>();
  readonly #locks = new Map<string, Lock>();
  readonly #listeners = new Set<(key: string, version?: number) => void>();

  async get(key: string): Promise<TokenSet | null> {
    return this.#tokens.get(key) ?? null;
  }

  async compareAndSet(key: string, next: TokenSet, expectedVersion: number, lockOwner: string): Promise<boolean> {
    if (!this.#holds(key, lockOwner)) return false;
    if ((this.#tokens.get(key)?.version ?? 0) !== expectedVersion) return false;
    this.#tokens.set(key, next);
    // Notify after the caller has seen its own write succeed, as a remote store would.
    queueMicrotask(() => {
      for (const listener of this.#listeners) listener(key, next.version);
    });
    return true;
  }

  async acquireLock(key: string, owner: string, ttlMs: number): Promise<boolean> {
    const lock = this.#locks.get(key);
    if (lock !== undefined && lock.expiresAt > Date.now()) return false;
    this.#locks.set(key, { owner, expiresAt: Date.now() + ttlMs });
    return true;
  }

  async releaseLock(key: string, owner: string): Promise<boolean> {
    if (!this.#holds(key, owner)) return false;
    this.#locks.delete(key);
    return true;
  }

  subscribe(listener: (key: string, version?: number) => void): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  #holds(key: string, owner: string): boolean {
    const lock = this.#locks.get(key);
    return lock !== undefined && lock.owner === owner && lock.expiresAt > Date.now();
  }
}
