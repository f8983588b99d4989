import { randomUUID } from 'node:crypto';
import { CanceledError } from 'axios';
import type { GenericAbortSignal } from 'axios';
import { ReauthorizationRequiredError, RefreshFailedError, StoreUnavailableError, TokenFlightError } from '../errors';
import type { TokenFlightEvents, TokenFlightStats } from '../events';
import type { ResolvedOptions } from '../options';
import { redactError, redactRequestBody } from '../redact';
import { describe, normaliseTokenInput } from '../token-set';
import type { RefreshReason, TokenSet } from '../types';
import { abortable, settleWithin } from './abortable';
import { FailureMemory } from './failure-memory';
import type { KnownSecrets } from './known-secrets';
import { Persistence } from './persistence';
import { pollDelay } from './policies';
import { recoverLostToken, type RecoveryDeps } from './recovery';
import { StoreGuard, UNREADABLE, type StoreRead } from './store-guard';
import { TokenCache, type CacheEntry } from './token-cache';
import { WakeUps } from './wake-ups';

/** Waiters give a lock holder this long past `lockTtlMs` before giving up. */
const LOCK_WAIT_MARGIN_MS = 2_000;
/** After a failed background refresh, try again no sooner than this (never past expiry). */
const BACKGROUND_RETRY_MS = 1_000;
/** Joining a flight that turns out to answer an older rejection is retried this many times. */
const MAX_FLIGHT_ATTEMPTS = 3;

/** Whether a token read ends the wait (it is a `TokenSet` whenever this says yes). */
type Satisfies = (token: StoreRead) => boolean;

interface LockOptions {
  /** Put back what the store lost before refreshing (see `#withLock`); not for `setToken` / `invalidate`. */
  readonly recoverLostTokens: boolean;
}

/**
 * One refresh per token version: in-process through a shared promise per key, across
 * processes through the store's lock, a re-read after taking it, and a fenced write.
 * Also keeps this process's copy of each token so the hot path never calls the store, and never
 * lets that copy — or the refresh token it presents — go back to an older version.
 */
export class RefreshCoordinator {
  readonly #cache: TokenCache;
  readonly #flights = new Map<string, Promise<TokenSet>>();
  readonly #wakeUps = new WakeUps();
  readonly #guard: StoreGuard;
  readonly #failures: FailureMemory;
  readonly #persistence: Persistence | undefined;
  readonly #unsubscribe: (() => void) | undefined;
  readonly #recovery: RecoveryDeps;
  /** Set by `drain()`: no new refresh starts; those already sent finish. */
  #closing = false;

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
    this.#failures = new FailureMemory(this.#guard, options.refreshBackoffMs, random);
    this.#persistence = options.persist === undefined ? undefined : new Persistence(options.persist, events, options.logger, secrets, random);
    this.#unsubscribe = options.store.subscribe?.((key, version) => this.#onChangeNotice(key, version));
    this.#recovery = { guard: this.#guard, cache: this.#cache, secrets, persistence: this.#persistence };
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
    const token = await this.#withLock(key, () => false, { recoverLostTokens: false }, async (stored, owner) => {
      // Numbered above every version this process has seen, so no copy anywhere outranks it.
      const result = normaliseTokenInput(input, this.#newest(key, stored), Date.now());
      if ('problem' in result) throw new TypeError(`axios-token-flight: setToken: ${result.problem}`);
      await this.#write(key, result.token, stored, owner);
      await this.#persistence?.save(key, result.token);
      return result.token;
    });
    await this.#failures.clear(key);
    return token;
  }

  /** Marks the current version expired (fleet-wide) so the next use refreshes; keeps the refresh token. */
  async invalidate(key: string): Promise<void> {
    const seen = this.#newest(key, await this.#read(key));
    if (seen === null) return;
    await this.#withLock(
      key,
      // Someone already replaced the version we meant to invalidate: nothing left to do.
      (current) => current !== null && current !== UNREADABLE && current.version !== seen.version,
      { recoverLostTokens: false },
      async (stored, owner) => {
        const now = Date.now();
        const expired: TokenSet = { ...seen, expiresAt: now, issuedAt: now, version: seen.version + 1 };
        await this.#write(key, expired, stored, owner);
        return expired;
      },
    );
  }

  /**
   * Graceful shutdown (`handle.close()`): no new refresh starts, waits for lock holders stop
   * waiting, and refreshes already sent to the provider finish and are written (and saved) —
   * bounded by `refreshTimeoutMs` plus a margin for the writes.
   */
  async drain(): Promise<void> {
    this.#closing = true;
    this.#wakeUps.wakeAll();
    const bound = this.options.refreshTimeoutMs + LOCK_WAIT_MARGIN_MS;
    await settleWithin(Promise.allSettled([...this.#flights.values()]), bound);
    if (this.#persistence !== undefined) await settleWithin(this.#persistence.flush(), bound);
  }

  /** Immediate teardown (`detach()`, and the end of `close()`): timers, subscription, memory. */
  close(): void {
    this.#closing = true;
    this.#guard.close();
    this.#unsubscribe?.();
    this.#wakeUps.wakeAll();
    this.#persistence?.stop();
    this.#failures.forgetAll();
    this.#cache.clear();
  }

  /**
   * After an outage: tokens this process refreshed while the store was down exist only here, and
   * the store may still hold the refresh token they replaced (spent, with rotation). Put each one
   * back unless the store meanwhile got a newer version from another process.
   */
  async #writeBackAfterOutage(): Promise<void> {
    for (const [key, { token }] of this.#cache.snapshot()) {
      try {
        if (await this.#guard.restore(key, token)) {
          this.options.logger?.info('axios-token-flight: wrote back a token the store did not have', { key, version: token.version });
        }
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
    const satisfies: Satisfies = (token) =>
      token !== null && token !== UNREADABLE && token.version > staleVersion && Date.now() < this.#cache.accept(key, token).dueAt;
    const run = async (): Promise<TokenSet> => {
      // In backoff (or invalid_grant remembered) for the version we hold: answer at once, no store call.
      this.#failures.checkLocal(key, this.#cache.get(key)?.token.version ?? 0);
      return this.#withLock(key, satisfies, { recoverLostTokens: true }, (stored, owner) => this.#refreshLocked(key, stored, rejected, owner));
    };
    const flight = run().finally(() => {
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
   *
   * With `recoverLostTokens`, a store that lost what this process (or the durable copy) still has
   * gets it back first, and is never refreshed from older data. Then, still holding the lock — so
   * the whole fleet waits, not only this process — it waits up to `refreshTimeoutMs` for a newer
   * version: a refresher whose lock vanished with the store's data may still be writing back what
   * the provider gave it, and presenting the same refresh token again would be reuse.
   */
  async #withLock(key: string, done: Satisfies, { recoverLostTokens }: LockOptions, body: (current: StoreRead, owner: string) => Promise<TokenSet>): Promise<TokenSet> {
    const deadline = Date.now() + this.options.lockTtlMs + LOCK_WAIT_MARGIN_MS;
    let recoveryTried = !recoverLostTokens;
    for (let attempt = 0; ; attempt++) {
      this.#assertOpen();
      const seen = await this.#read(key);
      if (done(seen)) return seen as TokenSet;
      const owner = randomUUID();
      if (await this.#guard.acquireLock(key, owner, this.options.lockTtlMs)) {
        let lockHandedOver = false;
        try {
          const current = await this.#read(key);
          if (done(current)) return current as TokenSet;
          const recovered = recoveryTried ? null : await recoverLostToken(key, current, owner, this.#recovery);
          recoveryTried = true;
          if (recovered === null) return await body(current, owner);
          this.options.logger?.warn('axios-token-flight: the store had lost a token; put it back', { key, version: recovered.version });
          // A store that cannot be read cannot tell us about a write-back either: use what we have.
          if (current === UNREADABLE) return done(recovered) ? recovered : await body(current, owner);
          if (done(recovered)) {
            // Our caller is served; the fleet still must not refresh from this token during the grace.
            lockHandedOver = true;
            void this.#holdLockForGrace(key, owner, recovered.version);
            return recovered;
          }
          const newer = await this.#newerWithin(key, recovered.version, done, this.options.refreshTimeoutMs);
          if (newer !== undefined) return newer;
        } finally {
          if (!lockHandedOver) await this.#guard.releaseLock(key, owner).catch(() => undefined);
        }
        // Nobody wrote back: refresh from what was put back, under a fresh lock (its TTL must cover the refresh).
        continue;
      }
      if (Date.now() >= deadline) {
        throw new RefreshFailedError(
          `axios-token-flight: another process held the refresh lock for "${key}" longer than lockTtlMs + ${LOCK_WAIT_MARGIN_MS} ms`,
          { key },
        );
      }
      await this.#wakeUps.pause(key, pollDelay(attempt, this.random), this.lifetime);
    }
  }

  /** Keeps the lock taken to put back a lost token until a newer version shows up or the grace ends. */
  async #holdLockForGrace(key: string, owner: string, version: number): Promise<void> {
    try {
      await this.#newerWithin(key, version, () => true, this.options.refreshTimeoutMs);
    } catch {
      // closed or detached: give the lock back now
    } finally {
      await this.#guard.releaseLock(key, owner).catch(() => undefined);
    }
  }

  /** Polls the store (woken early by change notices) for a version above `version` that satisfies `done`, for up to `ms`. */
  async #newerWithin(key: string, version: number, done: Satisfies, ms: number): Promise<TokenSet | undefined> {
    const until = Date.now() + ms;
    for (let attempt = 0; Date.now() < until; attempt++) {
      this.#assertOpen();
      await this.#wakeUps.pause(key, Math.min(pollDelay(attempt, this.random), Math.max(0, until - Date.now())), this.lifetime);
      const seen = await this.#read(key);
      if (seen !== null && seen !== UNREADABLE && seen.version > version && done(seen)) return seen;
    }
    return undefined;
  }

  /** Refreshes from the newest token known (the store's, or this process's copy if newer), under the lock. */
  async #refreshLocked(key: string, stored: StoreRead, rejected: boolean, owner: string): Promise<TokenSet> {
    const current = this.#newest(key, stored);
    const storeUnreadable = stored === UNREADABLE && current === null;
    if (stored === UNREADABLE && current?.refreshToken !== undefined && current.rotatesRefreshToken !== false) {
      // No fleet-wide lock: another process may be refreshing the same token on its own. With
      // rotation (or until a refresh has shown there is none) that would be reuse, and the provider
      // would revoke the grant; a retryable failure is the safe answer.
      throw new StoreUnavailableError(
        `axios-token-flight: the token store cannot be reached, and refreshing "${key}" without its lock could spend a rotating refresh token twice; try again when the store answers`,
        { key },
      );
    }
    const reason: RefreshReason = rejected ? 'rejected' : current === null ? 'missing' : 'expiring';
    const fromVersion = current?.version ?? null;
    await this.#failures.check(key, fromVersion ?? 0);
    const started = Date.now();
    this.events.emit('refresh-start', { key, reason, fromVersion });
    this.options.logger?.debug('axios-token-flight: refreshing', { key, reason, fromVersion });
    let token: TokenSet;
    try {
      token = await this.#callRefresh(key, current, reason);
    } catch (error) {
      let failure = toRefreshError(error, key);
      if (storeUnreadable && failure instanceof ReauthorizationRequiredError) {
        // No refresh token because the store could not be read, not because the grant is gone.
        failure = new StoreUnavailableError(
          `axios-token-flight: the token store could not be read and this process holds no copy of "${key}"; try again when the store answers`,
          { key, cause: failure },
        );
      } else {
        failure = await this.#failures.record(key, fromVersion ?? 0, failure);
      }
      this.stats.refreshFailures += 1;
      const durationMs = Date.now() - started;
      this.events.emit('refresh-failed', { key, reason, code: failure.code, retryable: failure.retryable, durationMs });
      this.options.logger?.warn('axios-token-flight: refresh failed', { key, reason, code: failure.code, durationMs });
      throw failure;
    }
    const written = await this.#writeRefreshed(key, token, stored === UNREADABLE ? null : stored, owner);
    await this.#persistence?.save(key, written);
    await this.#failures.clear(key);
    this.stats.refreshes += 1;
    const durationMs = Date.now() - started;
    this.events.emit('refreshed', { key, reason, fromVersion, version: written.version, durationMs });
    this.options.logger?.info('axios-token-flight: refreshed', { key, reason, version: written.version, durationMs });
    return written;
  }

  /** Calls `refresh` with a timeout; the answer, checked and numbered as the next version. */
  async #callRefresh(key: string, current: TokenSet | null, reason: RefreshReason): Promise<TokenSet> {
    const controller = new AbortController();
    const { refreshTimeoutMs } = this.options;
    const timer = setTimeout(() => {
      controller.abort(new RefreshFailedError(`axios-token-flight: refresh did not settle within refreshTimeoutMs (${refreshTimeoutMs} ms)`, { key }));
    }, refreshTimeoutMs);
    // Not aborted by detach() or close(): a refresh already sent may already have rotated the refresh
    // token at the provider, and its answer must be written, not dropped.
    const context = Object.freeze({ key, current, reason, signal: controller.signal });
    const aborted = new Promise<never>((_, reject) => {
      controller.signal.addEventListener('abort', () => reject(controller.signal.reason), { once: true });
    });
    let input: unknown;
    try {
      input = await Promise.race([Promise.resolve().then(() => this.options.refresh(context)), aborted]);
    } finally {
      clearTimeout(timer);
    }
    const result = normaliseTokenInput(input, current, Date.now());
    if ('problem' in result) throw new RefreshFailedError(`axios-token-flight: refresh() returned an unusable token: ${result.problem}`, { key });
    const presented = current?.refreshToken;
    if (presented === undefined) return result.token;
    return { ...result.token, rotatesRefreshToken: result.token.refreshToken !== presented };
  }

  /**
   * The provider has already answered, and with rotation the refresh token we presented is spent:
   * these tokens may be the only valid ones anywhere. If the fenced write cannot land — the store
   * failed, or the lock vanished with the store's data — they are put back (`restore`: only if the
   * store has nothing newer) or kept in-process and written back when the store answers; never dropped.
   */
  async #writeRefreshed(key: string, next: TokenSet, stored: TokenSet | null, owner: string): Promise<TokenSet> {
    this.secrets.remember(key, next);
    let written: boolean;
    try {
      written = await this.#guard.compareAndSet(key, next, stored?.version ?? 0, owner);
    } catch (error) {
      if (!(error instanceof StoreUnavailableError)) throw error;
      this.#cache.accept(key, next);
      this.#guard.writeBackLater();
      this.options.logger?.warn('axios-token-flight: refreshed, but the store failed; keeping the new tokens in-process until it answers', { key });
      return next;
    }
    if (written || (await this.#guard.restore(key, next))) {
      this.#cache.accept(key, next);
      return next;
    }
    // Another process wrote a version at least as new while our lock had lapsed: adopt it.
    const latest = await this.#read(key);
    if (latest !== null && latest !== UNREADABLE && latest.version >= next.version) return latest;
    this.#cache.accept(key, next);
    this.#guard.writeBackLater();
    return next;
  }

  /** Fenced write: succeeds only while we hold the lock and the store still has `current`'s version. */
  async #write(key: string, next: TokenSet, current: StoreRead, owner: string): Promise<void> {
    // Known before the store sees them: a failing write's error (ioredis quotes its arguments) is scrubbed of them.
    this.secrets.remember(key, next);
    const expected = current === null || current === UNREADABLE ? 0 : current.version;
    const written = await this.#guard.compareAndSet(key, next, expected, owner);
    if (!written) {
      throw new RefreshFailedError(
        `axios-token-flight: the refresh lock for "${key}" expired or the token changed before the new token could be written (is lockTtlMs long enough?)`,
        { key },
      );
    }
    this.#cache.accept(key, next);
  }

  async #read(key: string): Promise<StoreRead> {
    const token = await this.#guard.read(key);
    // An empty (or unreadable) answer keeps this process's copy: it may be the only surviving refresh token.
    if (token !== null && token !== UNREADABLE) {
      this.secrets.remember(key, token);
      this.#cache.accept(key, token);
    }
    return token;
  }

  /** The newest token known for `key`: what the store answered, or this process's copy when that is newer. */
  #newest(key: string, stored: StoreRead): TokenSet | null {
    const copy = this.#cache.get(key)?.token ?? null;
    if (stored === null || stored === UNREADABLE) return copy;
    return copy !== null && copy.version > stored.version ? copy : stored;
  }

  #assertOpen(): void {
    if (this.lifetime.aborted || this.#closing) throw new CanceledError('axios-token-flight: closed');
  }

  #onChangeNotice(key: string, version: number | undefined): void {
    const copy = this.#cache.get(key)?.token;
    if (copy !== undefined && version !== undefined && version < copy.version && !this.lifetime.aborted) {
      // Someone wrote an older version than ours: the store went back (restarted empty and refilled
      // from a stale copy, rolled back). Put ours back before anyone refreshes from the older one.
      this.#guard.restore(key, copy).catch(() => undefined);
    }
    this.#cache.markChanged(key, version);
    this.#wakeUps.wake(key);
  }
}

/** Any refresh failure becomes a typed error; anything we did not make ourselves becomes `RefreshFailedError`. */
function toRefreshError(error: unknown, key: string): TokenFlightError {
  if (error instanceof TokenFlightError) return error;
  if (error instanceof CanceledError) {
    return new RefreshFailedError('axios-token-flight: refresh was cancelled', { key });
  }
  // The cause may be the user's own axios call to a token endpoint: its body holds the refresh
  // token and client secret, its headers Basic credentials.
  redactRequestBody(redactError(error));
  const name = error instanceof Error ? error.name : describe(error);
  return new RefreshFailedError(`axios-token-flight: refresh() threw (${name}); see \`cause\``, { key, cause: error });
}
