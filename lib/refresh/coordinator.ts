import { randomUUID } from 'node:crypto';
import { CanceledError } from 'axios';
import type { GenericAbortSignal } from 'axios';
import { ReauthorizationRequiredError, RefreshFailedError, StoreUnavailableError, TokenFlightError } from '../errors';
import type { TokenFlightEvents, TokenFlightStats } from '../events';
import type { ResolvedOptions } from '../options';
import { redactAxiosError, redactRequestBody } from '../redact';
import { describe, normaliseTokenInput } from '../token-set';
import type { RefreshReason, TokenSet } from '../types';
import { abortable } from './abortable';
import type { KnownSecrets } from './known-secrets';
import { pollDelay } from './policies';
import { StoreGuard } from './store-guard';
import { TokenCache, type CacheEntry } from './token-cache';

/** How long an `invalid_grant` answers every further refresh of the same version without a call. */
const REAUTHORIZATION_MEMORY_MS = 5_000;
/** Waiters give a lock holder this long past `lockTtlMs` before giving up. */
const LOCK_WAIT_MARGIN_MS = 2_000;
/** After a failed background refresh, try again no sooner than this (never past expiry). */
const BACKGROUND_RETRY_MS = 1_000;
/** Joining a flight that turns out to answer an older rejection is retried this many times. */
const MAX_FLIGHT_ATTEMPTS = 3;

interface RememberedFailure {
  readonly error: ReauthorizationRequiredError;
  readonly version: number;
  readonly until: number;
}

/**
 * One refresh per token version: in-process through a shared promise per key, across
 * processes through the store's lock, a re-read after taking it, and a fenced write.
 * Also keeps this process's copy of each token so the hot path never calls the store.
 */
export class RefreshCoordinator {
  readonly #cache: TokenCache;
  readonly #flights = new Map<string, Promise<TokenSet>>();
  readonly #failures = new Map<string, RememberedFailure>();
  readonly #wakers = new Map<string, Set<() => void>>();
  readonly #guard: StoreGuard;
  readonly #unsubscribe: (() => void) | undefined;

  constructor(
    private readonly options: ResolvedOptions,
    private readonly events: TokenFlightEvents,
    private readonly stats: TokenFlightStats,
    private readonly lifetime: AbortSignal,
    private readonly secrets: KnownSecrets,
    private readonly random: () => number = Math.random,
  ) {
    this.#cache = new TokenCache(options.refreshSkewMs, random);
    this.#guard = new StoreGuard(options.store, options.onStoreError, events, options.logger, secrets, () => {
      void this.#writeBackAfterOutage();
    });
    this.#unsubscribe = options.store.subscribe?.((key, version) => this.#onChangeNotice(key, version));
  }

  /** The hot path: this process's copy, if it is not due for refresh. No store call, no allocation. */
  cachedValid(key: string): TokenSet | undefined {
    return this.#cache.valid(key);
  }

  /** A token to send now: cached, read from the store, or refreshed (`missing` / `expiring`). */
  async currentToken(key: string, signal?: GenericAbortSignal): Promise<TokenSet> {
    let entry = this.#cache.get(key);
    if (entry === undefined) return this.#obtain(key, 0, false, signal);
    if (entry.recheck) {
      entry.recheck = false;
      await this.#read(key);
      entry = this.#cache.get(key) as CacheEntry;
    }
    const now = Date.now();
    if (now < entry.dueAt) return entry.token;
    if (entry.token.expiresAt !== undefined && now < entry.token.expiresAt) {
      // Due but still valid: refresh in the background and keep sending the current token.
      this.#refreshInBackground(key, entry);
      return entry.token;
    }
    return this.#obtain(key, entry.token.version, false, signal);
  }

  /**
   * A token newer than `rejectedVersion`: the store's, if another process (or request) already
   * replaced it, otherwise a refresh with reason `rejected`.
   */
  replacementFor(key: string, rejectedVersion: number, signal?: GenericAbortSignal): Promise<TokenSet> {
    const cached = this.cachedValid(key);
    if (cached !== undefined && cached.version > rejectedVersion) return Promise.resolve(cached);
    return this.#obtain(key, rejectedVersion, true, signal);
  }

  async setToken(input: unknown, key: string): Promise<TokenSet> {
    const check = normaliseTokenInput(input, null, Date.now());
    if ('problem' in check) throw new TypeError(`axios-token-flight: setToken: ${check.problem}`);
    const token = await this.#withLock(key, () => false, async (current, owner) => {
      const result = normaliseTokenInput(input, current, Date.now());
      if ('problem' in result) throw new TypeError(`axios-token-flight: setToken: ${result.problem}`);
      await this.#write(key, result.token, current, owner);
      return result.token;
    });
    this.#failures.delete(key);
    return token;
  }

  /** Marks the current version expired (fleet-wide) so the next use refreshes; keeps the refresh token. */
  async invalidate(key: string): Promise<void> {
    this.#cache.delete(key);
    this.#failures.delete(key);
    const seen = await this.#read(key);
    if (seen === null) return;
    await this.#withLock(
      key,
      // Someone already replaced the version we meant to invalidate: nothing left to do.
      (current) => current === null || current.version !== seen.version,
      async (current, owner) => {
        const now = Date.now();
        const expired: TokenSet = { ...(current as TokenSet), expiresAt: now, issuedAt: now, version: seen.version + 1 };
        await this.#write(key, expired, current, owner);
        return expired;
      },
    );
  }

  close(): void {
    this.#guard.close();
    this.#unsubscribe?.();
    for (const wakers of this.#wakers.values()) for (const wake of wakers) wake();
    this.#cache.clear();
  }

  /**
   * After an outage: tokens this process refreshed while the store was down exist only here, and
   * the store may still hold the refresh token they replaced (spent, with rotation). Write each
   * one back unless the store meanwhile got a newer version from another process.
   */
  async #writeBackAfterOutage(): Promise<void> {
    for (const [key, { token }] of this.#cache.snapshot()) {
      try {
        await this.#withLock(
          key,
          (stored) => stored !== null && stored.version >= token.version,
          async (stored, owner) => {
            const next: TokenSet = { ...token, version: Math.max(token.version, (stored?.version ?? 0) + 1) };
            await this.#write(key, next, stored, owner);
            this.options.logger?.info('axios-token-flight: wrote back a token refreshed during a store outage', { key, version: next.version });
            return next;
          },
        );
      } catch {
        // The store failed again: keep the copy and try again when it next answers.
        this.#guard.writeBackLater();
      }
    }
  }

  async #obtain(key: string, staleVersion: number, rejected: boolean, signal?: GenericAbortSignal): Promise<TokenSet> {
    for (let attempt = 0; ; attempt++) {
      const flight = this.#flights.get(key) ?? this.#startFlight(key, staleVersion, rejected);
      const token = await abortable(flight, signal, this.lifetime);
      if (token.version > staleVersion || attempt + 1 >= MAX_FLIGHT_ATTEMPTS) return token;
      // We joined a flight that answered an older version than the one we hold: fly again for ours.
    }
  }

  #startFlight(key: string, staleVersion: number, rejected: boolean): Promise<TokenSet> {
    const satisfies = (token: TokenSet | null): token is TokenSet =>
      token !== null && token.version > staleVersion && Date.now() < this.#cache.accept(key, token).dueAt;
    const flight = this.#withLock(key, satisfies, (stored, owner) => {
      // A store that lost its data (a Redis without persistence, restarted) must not make every
      // customer re-authorise: refresh from this process's last known token instead.
      const current = stored ?? this.#cache.get(key)?.token ?? null;
      const reason: RefreshReason = rejected ? 'rejected' : current === null ? 'missing' : 'expiring';
      return this.#refreshLocked(key, current, stored, reason, owner);
    }).finally(() => {
      if (this.#flights.get(key) === flight) this.#flights.delete(key);
    });
    // Every caller may have aborted its own wait; the flight's rejection must not go unhandled.
    flight.catch(() => undefined);
    this.#flights.set(key, flight);
    return flight;
  }

  #refreshInBackground(key: string, entry: CacheEntry): void {
    if (this.#flights.has(key)) return;
    this.#startFlight(key, entry.token.version, false).catch(() => {
      // Already reported through `refresh-failed`; back off so every request does not retry it.
      const expiresAt = entry.token.expiresAt ?? Number.POSITIVE_INFINITY;
      entry.dueAt = Math.min(expiresAt, Date.now() + BACKGROUND_RETRY_MS);
    });
  }

  /**
   * Poll the store until `done(token)` holds or the lock is ours; with the lock, re-read (another
   * process may have just finished) and only then run `body`. Bounded by `lockTtlMs` + margin, so
   * a waiter outlives a dead holder's lock and takes over.
   */
  async #withLock(
    key: string,
    done: (token: TokenSet | null) => boolean,
    body: (current: TokenSet | null, owner: string) => Promise<TokenSet>,
  ): Promise<TokenSet> {
    const deadline = Date.now() + this.options.lockTtlMs + LOCK_WAIT_MARGIN_MS;
    for (let attempt = 0; ; attempt++) {
      if (this.lifetime.aborted) throw new CanceledError('axios-token-flight: detached');
      const seen = await this.#read(key);
      if (done(seen)) return seen as TokenSet;
      const owner = randomUUID();
      if (await this.#guard.acquireLock(key, owner, this.options.lockTtlMs)) {
        try {
          const current = await this.#read(key);
          if (done(current)) return current as TokenSet;
          return await body(current, owner);
        } finally {
          await this.#guard.releaseLock(key, owner).catch(() => undefined);
        }
      }
      if (Date.now() >= deadline) {
        throw new RefreshFailedError(
          `axios-token-flight: another process held the refresh lock for "${key}" longer than lockTtlMs + ${LOCK_WAIT_MARGIN_MS} ms`,
          { key },
        );
      }
      await this.#pause(key, pollDelay(attempt, this.random));
    }
  }

  /** `current` is what the refresh starts from; `stored` is what the store holds (the fence's expected version). */
  async #refreshLocked(key: string, current: TokenSet | null, stored: TokenSet | null, reason: RefreshReason, owner: string): Promise<TokenSet> {
    const fromVersion = current?.version ?? null;
    const remembered = this.#failures.get(key);
    if (remembered !== undefined && remembered.until > Date.now() && remembered.version === (fromVersion ?? 0)) {
      throw remembered.error;
    }
    const started = Date.now();
    this.events.emit('refresh-start', { key, reason, fromVersion });
    this.options.logger?.debug('axios-token-flight: refreshing', { key, reason, fromVersion });
    try {
      const input = await this.#callRefresh(key, current, reason);
      const result = normaliseTokenInput(input, current, Date.now());
      if ('problem' in result) {
        throw new RefreshFailedError(`axios-token-flight: refresh() returned an unusable token: ${result.problem}`, { key });
      }
      await this.#writeRefreshed(key, result.token, stored, owner);
      this.#failures.delete(key);
      this.stats.refreshes += 1;
      const durationMs = Date.now() - started;
      this.events.emit('refreshed', { key, reason, fromVersion, version: result.token.version, durationMs });
      this.options.logger?.info('axios-token-flight: refreshed', { key, reason, version: result.token.version, durationMs });
      return result.token;
    } catch (error) {
      const failure = toRefreshError(error, key);
      if (failure instanceof ReauthorizationRequiredError) {
        this.#failures.set(key, { error: failure, version: fromVersion ?? 0, until: Date.now() + REAUTHORIZATION_MEMORY_MS });
      }
      this.stats.refreshFailures += 1;
      const durationMs = Date.now() - started;
      this.events.emit('refresh-failed', { key, reason, code: failure.code, retryable: failure.retryable, durationMs });
      this.options.logger?.warn('axios-token-flight: refresh failed', { key, reason, code: failure.code, durationMs });
      throw failure;
    }
  }

  async #callRefresh(key: string, current: TokenSet | null, reason: RefreshReason): Promise<unknown> {
    const controller = new AbortController();
    const { refreshTimeoutMs } = this.options;
    const timer = setTimeout(() => {
      controller.abort(new RefreshFailedError(`axios-token-flight: refresh did not settle within refreshTimeoutMs (${refreshTimeoutMs} ms)`, { key }));
    }, refreshTimeoutMs);
    const onDetach = (): void => controller.abort(new CanceledError('axios-token-flight: detached'));
    this.lifetime.addEventListener('abort', onDetach);
    const context = Object.freeze({ key, current, reason, signal: controller.signal });
    const aborted = new Promise<never>((_, reject) => {
      controller.signal.addEventListener('abort', () => reject(controller.signal.reason), { once: true });
    });
    try {
      return await Promise.race([Promise.resolve().then(() => this.options.refresh(context)), aborted]);
    } finally {
      clearTimeout(timer);
      this.lifetime.removeEventListener('abort', onDetach);
    }
  }

  /**
   * The provider has already answered, and with rotation the refresh token we presented is spent:
   * if the store dies before the write lands, these tokens may be the only valid ones anywhere.
   * Keep them and write them back when the store answers, rather than throw them away.
   */
  async #writeRefreshed(key: string, next: TokenSet, stored: TokenSet | null, owner: string): Promise<void> {
    try {
      await this.#write(key, next, stored, owner);
    } catch (error) {
      if (!(error instanceof StoreUnavailableError)) throw error;
      this.#cache.accept(key, next);
      this.#guard.writeBackLater();
      this.options.logger?.warn('axios-token-flight: refreshed, but the store failed; keeping the new tokens in-process until it answers', { key });
    }
  }

  /** Fenced write: succeeds only while we hold the lock and the store still has `current`'s version. */
  async #write(key: string, next: TokenSet, current: TokenSet | null, owner: string): Promise<void> {
    // Known before the store sees them: a failing write's error (ioredis quotes its arguments) is scrubbed of them.
    this.secrets.remember(key, next);
    const written = await this.#guard.compareAndSet(key, next, current?.version ?? 0, owner);
    if (!written) {
      throw new RefreshFailedError(
        `axios-token-flight: the refresh lock for "${key}" expired or the token changed before the new token could be written (is lockTtlMs long enough?)`,
        { key },
      );
    }
    this.#cache.accept(key, next);
  }

  async #read(key: string): Promise<TokenSet | null> {
    const token = await this.#guard.get(key, () => this.#cache.get(key)?.token ?? null);
    // An empty answer keeps this process's copy: it may be the only surviving refresh token.
    if (token !== null) {
      this.secrets.remember(key, token);
      this.#cache.accept(key, token);
    }
    return token;
  }

  #onChangeNotice(key: string, version: number | undefined): void {
    this.#cache.markChanged(key, version);
    const wakers = this.#wakers.get(key);
    if (wakers !== undefined) for (const wake of wakers) wake();
  }

  /** Sleeps `ms`, or less if a change notice for `key` arrives or the plugin is detached. */
  #pause(key: string, ms: number): Promise<void> {
    return new Promise((resolve) => {
      let wakers = this.#wakers.get(key);
      if (wakers === undefined) this.#wakers.set(key, (wakers = new Set()));
      const set = wakers;
      const wake = (): void => {
        clearTimeout(timer);
        set.delete(wake);
        if (set.size === 0) this.#wakers.delete(key);
        this.lifetime.removeEventListener('abort', wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      set.add(wake);
      this.lifetime.addEventListener('abort', wake);
    });
  }
}

/** Any refresh failure becomes a typed error; anything we did not make ourselves becomes `RefreshFailedError`. */
function toRefreshError(error: unknown, key: string): TokenFlightError {
  if (error instanceof TokenFlightError) return error;
  if (error instanceof CanceledError) {
    return new RefreshFailedError('axios-token-flight: refresh was cancelled because the plugin was detached', { key });
  }
  // The cause may be the user's own axios call to a token endpoint: its body holds the refresh
  // token and client secret, its headers Basic credentials.
  redactRequestBody(redactAxiosError(error));
  const name = error instanceof Error ? error.name : describe(error);
  return new RefreshFailedError(`axios-token-flight: refresh() threw (${name}); see \`cause\``, { key, cause: error });
}
