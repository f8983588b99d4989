import { StoreUnavailableError } from '../errors';
import type { Reporter } from '../reporting/reporter';
import type { TokenPersistence } from '../options';
import { redactError } from '../secrets/redact';
import type { TokenSet } from '../types';
import type { KnownSecrets } from '../secrets/known-secrets';
import { backoffDelay, type Backoff } from '../backoff';

/** Retries of a failed `save`: doubling from 1 s to a minute, until it lands or a newer version replaces it. */
const SAVE_RETRY: Backoff = { initial: 1_000, max: 60_000 };

interface PendingSave {
  readonly token: TokenSet;
  attempt: number;
  timer: NodeJS.Timeout | undefined;
  /** The save now in progress, for `flush()`. */
  running: Promise<void> | undefined;
}

/**
 * The user's durable copy behind the store (`persist` option). `save` is awaited by the caller
 * (under the refresh lock, before waiters get the token); when it fails, the token is still used —
 * it is valid, and the store has it — the failure is announced (`persist-failed`) and the save
 * retried with backoff until it lands or a newer version for the key supersedes it.
 */
export class Persistence {
  readonly #pending = new Map<string, PendingSave>();
  #closed = false;

  constructor(
    private readonly persist: TokenPersistence,
    private readonly reporter: Reporter,
    private readonly secrets: KnownSecrets,
    private readonly random: () => number,
  ) {}

  /** The durable copy for `key`, or `null`. A failing `load` is retryable: the credential is not lost. */
  async load(key: string): Promise<unknown> {
    try {
      return (await this.persist.load(key)) ?? null;
    } catch (failure) {
      throw new StoreUnavailableError(`axios-token-flight: persist.load failed for "${key}"`, {
        key,
        cause: redactError(failure, this.secrets.forKey(key)),
      });
    }
  }

  /** Saves `token`; never throws (a failure schedules a retry). Resolves when this attempt settled. */
  async save(key: string, token: TokenSet): Promise<void> {
    const previous = this.#pending.get(key);
    if (previous !== undefined) {
      // A newer version supersedes a save still being retried.
      if (previous.token.version > token.version) return;
      clearTimeout(previous.timer);
    }
    const pending: PendingSave = { token, attempt: 0, timer: undefined, running: undefined };
    this.#pending.set(key, pending);
    await this.#attempt(key, pending);
  }

  /** The credential was deleted: a save still pending or being retried must not write it back. */
  forget(key: string): void {
    const pending = this.#pending.get(key);
    if (pending === undefined) return;
    clearTimeout(pending.timer);
    this.#pending.delete(key);
  }

  /** Deletes the durable copy (`persist.delete`, when given), after dropping any pending save. */
  async remove(key: string): Promise<void> {
    this.forget(key);
    const remove = this.persist.delete?.bind(this.persist);
    if (remove === undefined) return;
    try {
      await remove(key);
    } catch (failure) {
      throw new StoreUnavailableError(
        `axios-token-flight: persist.delete failed for "${key}"; the store copy is deleted, call deleteToken again`,
        {
          key,
          cause: redactError(failure, this.secrets.forKey(key)),
        },
      );
    }
  }

  /** One last attempt for every save still pending, then no more retries (`close()`). */
  async flush(): Promise<void> {
    this.#closed = true;
    await Promise.all(
      [...this.#pending].map(([key, pending]) => {
        clearTimeout(pending.timer);
        return pending.running ?? this.#attempt(key, pending);
      }),
    );
  }

  /** Stops retrying at once (`detach()`). */
  stop(): void {
    this.#closed = true;
    for (const pending of this.#pending.values()) clearTimeout(pending.timer);
    this.#pending.clear();
  }

  async #attempt(key: string, pending: PendingSave): Promise<void> {
    pending.attempt += 1;
    const running = callSave(this.persist, key, pending.token);
    pending.running = running.then(
      () => undefined,
      () => undefined,
    );
    try {
      await running;
      if (this.#pending.get(key) === pending) this.#pending.delete(key);
    } catch (failure) {
      if (this.#pending.get(key) !== pending) return; // superseded meanwhile
      const error = redactError(failure, this.secrets.forKey(key));
      const retryInMs = backoffDelay(pending.attempt - 1, SAVE_RETRY, this.random);
      const errorName = error instanceof Error ? error.name : typeof error;
      this.reporter.report('persist-failed', { key, version: pending.token.version, attempt: pending.attempt, errorName, retryInMs });
      if (this.#closed) return;
      pending.timer = setTimeout(() => void this.#attempt(key, pending), retryInMs);
      pending.timer.unref();
    } finally {
      pending.running = undefined;
    }
  }
}

/** `save` as a promise, whatever it does: returns a value, returns nothing, or throws at once. */
function callSave(persist: TokenPersistence, key: string, token: TokenSet): Promise<unknown> {
  try {
    return Promise.resolve(persist.save(key, token));
  } catch (failure) {
    return Promise.reject(failure);
  }
}
