import { randomUUID } from 'node:crypto';
import { StoreUnavailableError } from '../errors';
import type { Reporter } from '../reporting/reporter';
import { redactError } from '../secrets/redact';
import { TokenDecodeError } from '../stores/token-codec';
import type { CredentialTombstone, GetOrLockResult, RefreshFailureRecord, TokenStore } from '../stores/token-store';
import { NO_EXTRA } from '../token-extra';
import { deletedBy, outranks } from '../token-rank';
import type { TokenSet } from '../types';
import type { KnownSecrets } from '../secrets/known-secrets';

/** While degraded, how often to check whether the store is back. */
const RECOVERY_PROBE_MS = 1_000;
/** While only this process holds rotated tokens, check far more often: others may refresh from spent ones. */
const WRITE_BACK_PROBE_MS = 200;
/** Lock lifetime when `restore` is emulated with the lock for a store that lacks it. */
const EMULATED_RESTORE_LOCK_MS = 5_000;

/** What a read answers when the store could not be asked (degraded, `'local'`): "don't know", not "nothing". */
export const UNREADABLE = Symbol('axios-token-flight.unreadable');
export type StoreRead = TokenSet | null | typeof UNREADABLE;

/** A read and a lock attempt in one store call (`getOrLock`), through the guard. */
export interface ReadOrLock {
  readonly token: StoreRead;
  readonly locked: boolean;
}

/**
 * Applies the `onStoreError` policy around every store call.
 * `'local'`: a failed call is answered locally (reads: `UNREADABLE`; lock: granted, in-process
 * single-flight being all that is left; writes: kept in-process) and the handle announces
 * `store-degraded` once. From then on calls are answered locally at once (a hung store would make
 * each wait out its timeout), and a probe every second asks the store; when it answers, the handle
 * announces `store-recovered`.
 * `'fail'`: the call rejects with `StoreUnavailableError`.
 * Either way, a value that cannot be decoded is that credential's problem alone: a
 * `StoreUnavailableError` for its key, with no effect on the circuit.
 */
export class StoreGuard {
  #degradedSince: number | undefined;
  #probe: NodeJS.Timeout | undefined;
  #lastKey: string | undefined;
  /** Tokens exist only in this process (a write failed after the provider rotated): write back on the next answer. */
  #pendingWriteBack = false;

  constructor(
    private readonly store: TokenStore,
    private readonly policy: 'local' | 'fail',
    private readonly reporter: Reporter,
    /** A store's error can quote the command that failed, tokens included (ioredis does). */
    private readonly secrets: KnownSecrets,
    /** Called once the store answers again, to write back what was refreshed meanwhile. */
    private readonly onRecovered: () => void,
  ) {}

  close(): void {
    clearInterval(this.#probe);
    this.#probe = undefined;
  }

  /** A write failed after a successful refresh: probe the store and write back as soon as it answers. */
  writeBackLater(): void {
    this.#pendingWriteBack = true;
    // Already probing (degraded, or an earlier write-back): that probe will find the store too.
    this.#startProbe(WRITE_BACK_PROBE_MS);
  }

  /** Answering, with nothing left to write back: copies held only in-process may be let go. */
  get healthy(): boolean {
    return this.#degradedSince === undefined && !this.#pendingWriteBack;
  }

  read(key: string): Promise<StoreRead> {
    return this.#run<StoreRead>(
      'get',
      key,
      async () => withExtra(await this.store.get(key)),
      () => UNREADABLE,
    );
  }

  /** Whether the store reads and locks in one call (`getOrLock`). */
  get readsAndLocks(): boolean {
    return this.store.getOrLock !== undefined;
  }

  /** `getOrLock`; degraded, answered as `read` and `acquireLock` would be: unreadable, and granted. */
  getOrLock(key: string, lock: { owner: string; ttlMs: number; ifVersionAtMost: number }): Promise<ReadOrLock> {
    const getOrLock = this.store.getOrLock?.bind(this.store);
    if (getOrLock === undefined) throw new TypeError('axios-token-flight: this token store has no getOrLock()');
    return this.#run<ReadOrLock>(
      'getOrLock',
      key,
      async () => {
        const answer: GetOrLockResult = await getOrLock(key, lock);
        return { token: withExtra(answer.token), locked: answer.locked };
      },
      () => ({ token: UNREADABLE, locked: true }),
    );
  }

  compareAndSet(key: string, next: TokenSet, expectedVersion: number, owner: string): Promise<boolean> {
    // Degraded: the write lands only in this process's copy, which the caller keeps anyway.
    return this.#run(
      'compareAndSet',
      key,
      () => this.store.compareAndSet(key, next, expectedVersion, owner),
      () => true,
    );
  }

  /**
   * Writes `token` only if the store holds nothing or an older version. Degraded: not written
   * (written back later). `lockOwner`: the caller already holds the refresh lock (used only when
   * the store has no `restore` of its own and it must be emulated with the lock).
   */
  restore(key: string, token: TokenSet, lockOwner?: string): Promise<boolean> {
    const call = (): Promise<boolean> =>
      this.store.restore === undefined ? this.#restoreWithLock(key, token, lockOwner) : this.store.restore(key, token);
    return this.#run('restore', key, call, () => {
      this.writeBackLater();
      return false;
    });
  }

  acquireLock(key: string, owner: string, ttlMs: number): Promise<boolean> {
    // Degraded: in-process single-flight is the only coordination left, and it already holds.
    return this.#run(
      'acquireLock',
      key,
      () => this.store.acquireLock(key, owner, ttlMs),
      () => true,
    );
  }

  releaseLock(key: string, owner: string): Promise<boolean> {
    return this.#run(
      'releaseLock',
      key,
      () => this.store.releaseLock(key, owner),
      () => true,
    );
  }

  /** The tombstone of a deleted credential; a store without deletion, or one that cannot answer, has none. */
  async tombstone(key: string): Promise<CredentialTombstone | null> {
    if (this.store.getTombstone === undefined) return null;
    return this.#run(
      'getTombstone',
      key,
      async () => (await this.store.getTombstone?.(key)) ?? null,
      () => null,
    );
  }

  /** Deletes fleet-wide. No local fallback: a deletion that did not reach the store did not happen. */
  async delete(key: string, tombstone: CredentialTombstone): Promise<void> {
    const remove = this.store.delete?.bind(this.store);
    if (remove === undefined)
      throw new TypeError('axios-token-flight: deleteToken: this token store has no delete(); implement it (see docs/stores.md)');
    await this.#run(
      'delete',
      key,
      () => remove(key, tombstone),
      () => {
        throw new StoreUnavailableError(`axios-token-flight: the token store is unavailable; "${key}" was not deleted`, { key });
      },
    );
  }

  /** Asks other processes for their copy of `key`; whether anyone can hear it. */
  requestCopies(key: string): Promise<boolean> {
    const ask = this.store.requestCopies?.bind(this.store);
    return ask === undefined
      ? Promise.resolve(false)
      : this.#run(
          'requestCopies',
          key,
          () => ask(key),
          () => false,
        );
  }

  /** Failure records are hints: a store that cannot be asked, or lacks them, means "none". */
  async getRefreshFailure(key: string): Promise<RefreshFailureRecord | null> {
    if (this.store.getRefreshFailure === undefined || this.#degradedSince !== undefined) return null;
    return this.store.getRefreshFailure(key).catch(() => null);
  }

  async setRefreshFailure(key: string, record: RefreshFailureRecord | null): Promise<void> {
    if (this.store.setRefreshFailure === undefined || this.#degradedSince !== undefined) return;
    await this.store.setRefreshFailure(key, record).catch(() => undefined);
  }

  /** `restore` for a store that lacks it: under the lock (ours, or taken for it), only if still empty or older. */
  async #restoreWithLock(key: string, token: TokenSet, heldBy: string | undefined): Promise<boolean> {
    const owner = heldBy ?? randomUUID();
    if (heldBy === undefined && !(await this.store.acquireLock(key, owner, EMULATED_RESTORE_LOCK_MS))) return false;
    try {
      const stored = await this.store.get(key);
      if (stored !== null && !outranks(token, stored)) return false;
      if (deletedBy(token, (await this.store.getTombstone?.(key)) ?? null)) return false;
      return await this.store.compareAndSet(key, token, stored?.version ?? 0, owner);
    } finally {
      if (heldBy === undefined) await this.store.releaseLock(key, owner).catch(() => undefined);
    }
  }

  async #run<T>(operation: string, key: string, call: () => Promise<T>, fallback: () => T, probing = false): Promise<T> {
    this.#lastKey = key;
    // Circuit open: a hung store would make every call wait out its timeout; the probe alone
    // keeps asking, and closes the circuit when the store answers.
    if (this.#degradedSince !== undefined && !probing) return fallback();
    let result: T;
    try {
      result = await call();
    } catch (failure) {
      const error = redactError(failure, this.secrets.forKey(key));
      if (error instanceof TokenDecodeError) {
        // One bad value (another encryptionKey, tampering) is that key's problem: the store answered.
        this.#markRecovered();
        throw new StoreUnavailableError(`axios-token-flight: the stored token for "${key}" cannot be read: ${error.message}`, {
          key,
          cause: error,
        });
      }
      if (this.policy === 'fail') {
        throw new StoreUnavailableError(`axios-token-flight: token store failed during ${operation}`, { key, cause: error });
      }
      this.#markDegraded(operation, error);
      return fallback();
    }
    this.#markRecovered();
    return result;
  }

  #markDegraded(operation: string, error: unknown): void {
    if (this.#degradedSince !== undefined) return;
    this.#degradedSince = Date.now();
    this.#startProbe(RECOVERY_PROBE_MS);
    const errorName = error instanceof Error ? error.name : typeof error;
    const errorMessage = error instanceof Error ? error.message : String(error);
    this.reporter.report('store-degraded', { operation, errorName, errorMessage });
  }

  /** With valid tokens cached, requests make no store calls, so an answering store must be looked for. */
  #startProbe(intervalMs: number): void {
    if (this.#probe !== undefined) return;
    this.#probe = setInterval(() => {
      const key = this.#lastKey;
      if (key !== undefined)
        this.#run(
          'get',
          key,
          () => this.store.get(key),
          () => null,
          true,
        ).catch(() => undefined);
    }, intervalMs);
    this.#probe.unref();
  }

  #markRecovered(): void {
    if (this.#degradedSince === undefined && !this.#pendingWriteBack) return;
    this.#pendingWriteBack = false;
    this.close();
    if (this.#degradedSince !== undefined) {
      const degradedForMs = Date.now() - this.#degradedSince;
      this.#degradedSince = undefined;
      this.reporter.report('store-recovered', { degradedForMs });
    }
    this.onRecovered();
  }
}

/** A store written before `TokenSet.extra` existed (or a custom one that drops it) reads as "no extras". */
export function withExtra(token: TokenSet | null): TokenSet | null {
  return token === null || token.extra !== undefined ? token : { ...token, extra: NO_EXTRA };
}
