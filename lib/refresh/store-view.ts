import { deletedBy, outranks } from '../token-rank';
import { ReauthorizationRequiredError, RefreshFailedError } from '../errors';
import type { Logger, TokenSet } from '../types';
import type { KnownSecrets } from '../secrets/known-secrets';
import { UNREADABLE, withExtra, type ReadOrLock, type StoreGuard, type StoreRead } from './store-guard';
import type { TokenCache } from './token-cache';

/**
 * This process's view of the store: reads that update the in-process copy (never backwards), and
 * the two kinds of write — fenced (`setToken`, `invalidate`), and the write of a provider's answer,
 * which must never drop the tokens it carries.
 */
export class StoreView {
  constructor(
    private readonly guard: StoreGuard,
    private readonly cache: TokenCache,
    private readonly secrets: KnownSecrets,
    private readonly logger: Logger | undefined,
  ) {}

  /** Reads the store and keeps what it answered as this process's copy (never going back a version). */
  async pull(key: string): Promise<StoreRead> {
    const token = await this.guard.read(key);
    // An empty (or unreadable) answer keeps this process's copy: it may be the only surviving refresh token.
    this.#keep(key, token);
    return token;
  }

  /** Reads and tries the lock in one store call (`getOrLock`); what it read is kept like `pull`'s. */
  async pullOrLock(key: string, lock: { owner: string; ttlMs: number; ifVersionAtMost: number }): Promise<ReadOrLock> {
    const answer = await this.guard.getOrLock(key, lock);
    this.#keep(key, answer.token);
    return answer;
  }

  /** A token another process wrote, carried by its change notice: kept as if read (never going back a version). */
  adopt(key: string, token: TokenSet): void {
    this.#keep(key, withExtra(token));
  }

  /** This process's copy of `key`, if it has one. */
  held(key: string): TokenSet | undefined {
    return this.cache.get(key)?.token;
  }

  #keep(key: string, token: StoreRead): void {
    if (token !== null && token !== UNREADABLE) {
      this.secrets.remember(key, token);
      this.cache.accept(key, token);
    }
  }

  /**
   * Whether `key` was deleted (its tombstone fences `copy`'s grant, or any grant when there is no
   * copy); a fenced copy is dropped here, so it is neither put back nor refreshed.
   */
  async isDeleted(key: string, copy: TokenSet | null): Promise<boolean> {
    const tombstone = await this.guard.tombstone(key);
    if (tombstone === null || (copy !== null && !deletedBy(copy, tombstone))) return false;
    this.cache.delete(key);
    return true;
  }

  /** The newest token known for `key`: what the store answered, or this process's copy when that is newer. */
  newest(key: string, stored: StoreRead): TokenSet | null {
    const copy = this.cache.get(key)?.token ?? null;
    if (stored === null || stored === UNREADABLE) return copy;
    return copy !== null && outranks(copy, stored) ? copy : stored;
  }

  /** Fenced write: succeeds only while we hold the lock and the store still has `current`'s version. */
  async write(key: string, next: TokenSet, current: StoreRead, owner: string): Promise<void> {
    // Known before the store sees them: a failing write's error (ioredis quotes its arguments) is scrubbed of them.
    this.secrets.remember(key, next);
    const expected = current === null || current === UNREADABLE ? 0 : current.version;
    if (!(await this.guard.compareAndSet(key, next, expected, owner))) {
      throw new RefreshFailedError(
        `axios-token-flight: the refresh lock for "${key}" expired or the token changed before the new token could be written (is lockTtlMs long enough?)`,
        { key },
      );
    }
    this.cache.accept(key, next);
  }

  /**
   * The provider has already answered, and with rotation the refresh token we presented is spent:
   * these tokens may be the only valid ones anywhere. If the fenced write cannot land — the store
   * failed, or the lock vanished with the store's data — they are put back (`restore`: only if the
   * store has nothing newer) or kept in-process and written back when the store answers; never dropped.
   */
  async writeRefreshed(key: string, next: TokenSet, stored: TokenSet | null, owner: string): Promise<TokenSet> {
    this.secrets.remember(key, next);
    let written: boolean;
    try {
      written = await this.guard.compareAndSet(key, next, stored?.version ?? 0, owner);
    } catch {
      // The guard answers every store failure as StoreUnavailableError ('fail' policy, or a value it cannot decode).
      this.cache.accept(key, next);
      this.guard.writeBackLater();
      this.logger?.warn({ key }, 'axios-token-flight: refreshed, but the store failed; keeping the new tokens in-process until it answers');
      return next;
    }
    // Under our lock still: a store without `restore` of its own has it emulated with that lock.
    if (written || (await this.guard.restore(key, next, owner))) {
      this.cache.accept(key, next);
      return next;
    }
    // Another process wrote a version at least as new while our lock had lapsed: adopt it.
    const latest = await this.pull(key);
    if (latest !== null && latest !== UNREADABLE && !outranks(next, latest)) return latest;
    // Deleted while we refreshed: the new tokens belong to nobody now.
    if (latest === null && (await this.isDeleted(key, next))) throw credentialDeleted(key);
    this.cache.accept(key, next);
    this.guard.writeBackLater();
    return next;
  }
}

/** What a request for a deleted credential ends in, until `setToken` seeds it again. */
export function credentialDeleted(key: string): ReauthorizationRequiredError {
  return new ReauthorizationRequiredError(`axios-token-flight: "${key}" was deleted (deleteToken); seed it again with setToken`, { key });
}
