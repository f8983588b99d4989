import { deletedBy, outranks } from '../token-rank';
import type { TokenSet } from '../types';
import { globToRegExp, statusOf, type CredentialListOptions, type CredentialStatus } from './credential-status';
import type { ChangeKind, ChangeListener, CredentialTombstone, GetOrLockResult, RefreshFailureRecord, TokenStore } from './token-store';

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
  readonly #failures = new Map<string, RefreshFailureRecord>();
  readonly #tombstones = new Map<string, CredentialTombstone>();
  readonly #listeners = new Set<ChangeListener>();

  async get(key: string): Promise<TokenSet | null> {
    return this.#tokens.get(key) ?? null;
  }

  async getOrLock(key: string, lock: { owner: string; ttlMs: number; ifVersionAtMost: number }): Promise<GetOrLockResult> {
    const token = this.#tokens.get(key) ?? null;
    const wanted = token === null || token.version <= lock.ifVersionAtMost;
    return { token, locked: wanted && this.#takeLock(key, lock.owner, lock.ttlMs) };
  }

  async compareAndSet(key: string, next: TokenSet, expectedVersion: number, lockOwner: string): Promise<boolean> {
    if (!this.#holds(key, lockOwner)) return false;
    if ((this.#tokens.get(key)?.version ?? 0) !== expectedVersion) return false;
    if (deletedBy(next, this.#tombstones.get(key) ?? null)) return false;
    this.#write(key, next);
    return true;
  }

  async restore(key: string, token: TokenSet): Promise<boolean> {
    const stored = this.#tokens.get(key);
    if ((stored !== undefined && !outranks(token, stored)) || deletedBy(token, this.#tombstones.get(key) ?? null)) return false;
    this.#write(key, token);
    return true;
  }

  async delete(key: string, tombstone: CredentialTombstone): Promise<void> {
    this.#tokens.delete(key);
    this.#failures.delete(key);
    this.#tombstones.set(key, tombstone);
    this.#notify(key, tombstone.version, 'deleted');
  }

  async getTombstone(key: string): Promise<CredentialTombstone | null> {
    return this.#tombstones.get(key) ?? null;
  }

  /** One process: nobody else can answer. */
  async requestCopies(): Promise<boolean> {
    return false;
  }

  async acquireLock(key: string, owner: string, ttlMs: number): Promise<boolean> {
    return this.#takeLock(key, owner, ttlMs);
  }

  async releaseLock(key: string, owner: string): Promise<boolean> {
    if (!this.#holds(key, owner)) return false;
    this.#locks.delete(key);
    return true;
  }

  async getRefreshFailure(key: string): Promise<RefreshFailureRecord | null> {
    const record = this.#failures.get(key);
    if (record === undefined) return null;
    if (record.rememberUntil > Date.now()) return record;
    this.#failures.delete(key);
    return null;
  }

  async setRefreshFailure(key: string, record: RefreshFailureRecord | null): Promise<void> {
    if (record === null) this.#failures.delete(key);
    else this.#failures.set(key, record);
  }

  /** Every credential (and tombstone) whose key matches, as an operator may see it: no secret. */
  async *credentials(options: CredentialListOptions = {}): AsyncIterable<CredentialStatus> {
    const pattern = globToRegExp(options.match ?? '*');
    const keys = new Set([...this.#tokens.keys(), ...this.#tombstones.keys()]);
    for (const key of keys) {
      if (!pattern.test(key)) continue;
      const token = this.#tokens.get(key) ?? null;
      yield statusOf(
        key,
        token,
        this.#tombstones.get(key)?.version,
        (this.#locks.get(key)?.expiresAt ?? 0) > Date.now(),
        await this.getRefreshFailure(key),
      );
    }
  }

  subscribe(listener: ChangeListener): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  #write(key: string, token: TokenSet): void {
    this.#tokens.set(key, token);
    // A grant seeded after the deletion: the tombstone has done its work.
    this.#tombstones.delete(key);
    this.#notify(key, token.version, 'written', token);
  }

  #notify(key: string, version: number, kind: ChangeKind, token?: TokenSet): void {
    // After the caller has seen its own write succeed, as a remote store would.
    queueMicrotask(() => {
      for (const listener of this.#listeners) listener(key, version, kind, token);
    });
  }

  #takeLock(key: string, owner: string, ttlMs: number): boolean {
    const lock = this.#locks.get(key);
    if (lock !== undefined && lock.expiresAt > Date.now()) return false;
    this.#locks.set(key, { owner, expiresAt: Date.now() + ttlMs });
    return true;
  }

  #holds(key: string, owner: string): boolean {
    const lock = this.#locks.get(key);
    return lock !== undefined && lock.owner === owner && lock.expiresAt > Date.now();
  }
}
