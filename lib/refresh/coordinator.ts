import type { GenericAbortSignal } from 'axios';
import { ReauthorizationRequiredError, StoreUnavailableError } from '../errors';
import type { Reporter } from '../reporting/reporter';
import type { ResolvedOptions } from '../options';
import type { RefreshReason, TokenSet } from '../types';
import { abortable, canceled, settleWithin } from '../async/abortable';
import { FailureMemory } from './failure-memory';
import type { KnownSecrets } from '../secrets/known-secrets';
import { CredentialLifecycle } from './lifecycle';
import { LostTokenRecovery } from './recovery';
import { LOCK_WAIT_MARGIN_MS, LockLoop, type Satisfies } from './lock-loop';
import { Persistence } from './persistence';
import { callRefresh, toRefreshError } from './refresh-call';
import { keepRotatedRefreshToken } from './kept-answer';
import { RefreshSlots } from './refresh-slots';
import { StoreGuard, UNREADABLE, type StoreRead } from './store-guard';
import { credentialDeleted, StoreView } from './store-view';
import { TokenCache, type CacheEntry } from './token-cache';
import { WakeUps } from './wake-ups';

/** After a failed background refresh, try again no sooner than this (never past expiry). */
const BACKGROUND_RETRY_MS = 1_000;
/** Joining a flight that turns out to answer an older rejection is retried this many times. */
const MAX_FLIGHT_ATTEMPTS = 3;

/** A token newer than `staleVersion` is wanted; `rejected`: the provider refused that version. */
type Wanted = { readonly staleVersion: number; readonly rejected: boolean };

/**
 * One refresh per token version: in-process through a shared promise per key, across
 * processes through the store's lock, a re-read after taking it, and a fenced write.
 * Also keeps this process's copy of each token so the hot path never calls the store, and never
 * lets that copy — or the refresh token it presents — go back to an older version.
 */
export class RefreshCoordinator {
  readonly #cache: TokenCache;
  readonly #slots: RefreshSlots;
  readonly #flights = new Map<string, Promise<TokenSet>>();
  readonly #wakeUps = new WakeUps();
  readonly #guard: StoreGuard;
  readonly #view: StoreView;
  readonly #locks: LockLoop;
  readonly #failures: FailureMemory;
  readonly #persistence: Persistence | undefined;
  readonly #lifecycle: CredentialLifecycle;
  readonly #unsubscribe: (() => void) | undefined;
  /** Set by `drain()`: no new refresh starts; those already sent finish. */
  #closing = false;

  constructor(
    private readonly options: ResolvedOptions,
    private readonly reporter: Reporter,
    private readonly lifetime: AbortSignal,
    secrets: KnownSecrets,
    random: () => number = Math.random,
  ) {
    this.#guard = new StoreGuard(options.store, options.onStoreError, reporter, secrets, () => {
      void this.#locks.putBackAll(this.#cache.snapshot());
    });
    this.#cache = new TokenCache({
      skewMs: options.refreshSkewMs,
      random,
      maxEntries: options.maxCachedTokens,
      canEvict: () => this.#guard.healthy,
      onEvict: (key) => secrets.forget(key),
    });
    this.#slots = new RefreshSlots(options.maxConcurrentRefreshes, options.refreshTimeoutMs);
    this.#view = new StoreView(this.#guard, this.#cache, secrets, options.logger);
    this.#failures = new FailureMemory(this.#guard, options.refreshBackoffMs, random);
    this.#persistence = options.persist === undefined ? undefined : new Persistence(options.persist, reporter, secrets, random);
    this.#locks = new LockLoop({
      guard: this.#guard,
      view: this.#view,
      wakeUps: this.#wakeUps,
      recovery: new LostTokenRecovery(this.#view, this.#guard, this.#cache, secrets, this.#persistence),
      lockTtlMs: options.lockTtlMs,
      refreshTimeoutMs: options.refreshTimeoutMs,
      lifetime,
      random,
      changeNotices: options.store.subscribe !== undefined,
      logger: options.logger,
      reporter,
      assertOpen: () => {
        if (this.lifetime.aborted || this.#closing) throw canceled('closed');
      },
    });
    const [guard, view, cache, locks, failures] = [this.#guard, this.#view, this.#cache, this.#locks, this.#failures];
    this.#lifecycle = new CredentialLifecycle({
      guard,
      view,
      cache,
      locks,
      failures,
      persistence: this.#persistence,
      wakeUps: this.#wakeUps,
      lifetime,
    });
    this.#unsubscribe = options.store.subscribe?.((key, version, kind, token) => this.#lifecycle.onChangeNotice(key, version, kind, token));
  }

  /** How much this process holds right now, for `stats()`. */
  holdings(): { cachedTokens: number; queuedRefreshes: number } {
    return { cachedTokens: this.#cache.size, queuedRefreshes: this.#slots.queued };
  }

  /** The hot path: this process's copy, if it is not due for refresh. No store call, no allocation. */
  cachedValid(key: string): TokenSet | undefined {
    return this.#cache.valid(key);
  }

  /** A token to send now: cached, read from the store, or refreshed (`missing` / `expiring`). */
  async currentToken(key: string, signal?: GenericAbortSignal): Promise<TokenSet> {
    let entry = this.#cache.use(key);
    if (entry === undefined) return this.#obtain(key, { staleVersion: 0, rejected: false }, signal);
    if (entry.recheck) {
      entry.recheck = false;
      await this.#view.pull(key);
      entry = this.#cache.get(key) as CacheEntry;
    }
    const now = Date.now();
    if (now < entry.dueAt) return entry.token;
    if (entry.token.expiresAt !== undefined && now < entry.token.expiresAt) {
      // Due but still valid: refresh in the background and keep sending the current token.
      this.#refreshInBackground(key, entry);
      return entry.token;
    }
    return this.#obtain(key, { staleVersion: entry.token.version, rejected: false }, signal);
  }

  /**
   * A token newer than `rejectedVersion`: the store's, if another process (or request) already
   * replaced it, otherwise a refresh with reason `rejected`.
   */
  replacementFor(key: string, rejectedVersion: number, signal?: GenericAbortSignal): Promise<TokenSet> {
    const cached = this.cachedValid(key);
    if (cached !== undefined && cached.version > rejectedVersion) return Promise.resolve(cached);
    return this.#obtain(key, { staleVersion: rejectedVersion, rejected: true }, signal);
  }

  setToken(input: unknown, key: string): Promise<TokenSet> {
    return this.#lifecycle.setToken(input, key);
  }

  invalidate(key: string): Promise<void> {
    return this.#lifecycle.invalidate(key);
  }

  deleteToken(key: string): Promise<void> {
    return this.#lifecycle.deleteToken(key);
  }

  /**
   * Graceful shutdown (`handle.close()`): no new refresh starts, waits for lock holders stop
   * waiting, and refreshes already sent to the provider finish and are written (and saved) —
   * bounded by `refreshTimeoutMs` plus a margin for the writes.
   */
  async drain(): Promise<void> {
    this.#closing = true;
    this.#wakeUps.wakeAll();
    // Queued refreshes have sent nothing to the provider yet: they end now.
    this.#slots.cancelAll(canceled('closed'));
    const bound = this.options.refreshTimeoutMs + LOCK_WAIT_MARGIN_MS;
    await settleWithin(Promise.allSettled([...this.#flights.values()]), bound);
    if (this.#persistence !== undefined) await settleWithin(this.#persistence.flush(), bound);
  }

  /** Immediate teardown (`detach()`, and the end of `close()`): timers, subscription, memory. */
  close(): void {
    this.#closing = true;
    this.#slots.cancelAll(canceled('closed'));
    this.#guard.close();
    this.#unsubscribe?.();
    this.#wakeUps.wakeAll();
    this.#persistence?.stop();
    this.#failures.forgetAll();
    this.#cache.clear();
  }

  async #obtain(key: string, wanted: Wanted, signal?: GenericAbortSignal): Promise<TokenSet> {
    for (let attempt = 0; ; attempt++) {
      const joined = this.#flights.get(key);
      // A request now waits on it: a background refresh still queued for a slot goes ahead of the others.
      if (joined !== undefined) this.#slots.promote(key);
      const token = await abortable(joined ?? this.#startFlight(key, wanted, { urgent: true }), signal, this.lifetime);
      // Our own flight's answer is fresh even when its number is not higher (the store lost the
      // history and this copy was evicted: numbering restarts); refreshing again would only spend
      // the new token. A joined flight may have answered an older rejection: fly again for ours.
      if (joined === undefined || token.version > wanted.staleVersion || attempt + 1 >= MAX_FLIGHT_ATTEMPTS) return token;
    }
  }

  /** `urgent`: a request is waiting for it (it is served before background refreshes when slots are short). */
  #startFlight(key: string, { staleVersion, rejected }: Wanted, { urgent }: { urgent: boolean }): Promise<TokenSet> {
    const satisfies: Satisfies = (token) =>
      token !== null && token !== UNREADABLE && token.version > staleVersion && Date.now() < this.#cache.accept(key, token).dueAt;
    const run = async (): Promise<TokenSet> => {
      // In backoff (or invalid_grant remembered) for the version we hold: answer at once, no store call.
      this.#failures.checkLocal(key, this.#cache.get(key)?.token.version ?? 0);
      const slots = { now: () => this.#slots.tryAcquire(), wait: () => this.#slots.acquire(key, urgent) };
      const flightStartedAt = Date.now();
      const lockRun = { done: satisfies, recoverLostTokens: true, slots, replacing: staleVersion };
      return this.#locks.run(key, lockRun, (stored, owner) => this.#refreshLocked(key, { stored, owner, rejected, flightStartedAt }));
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
    this.#startFlight(key, { staleVersion: entry.token.version, rejected: false }, { urgent: false }).catch(() => {
      // Already reported through `refresh-failed`; back off so every request does not retry it.
      const expiresAt = entry.token.expiresAt ?? Number.POSITIVE_INFINITY;
      entry.dueAt = Math.min(expiresAt, Date.now() + BACKGROUND_RETRY_MS);
    });
  }

  /** Refreshes from the newest token known (the store's, or this process's copy if newer), under the lock. */
  async #refreshLocked(
    key: string,
    locked: { stored: StoreRead; owner: string; rejected: boolean; flightStartedAt: number },
  ): Promise<TokenSet> {
    const { stored, rejected } = locked;
    const current = this.#view.newest(key, stored);
    if (stored === UNREADABLE && current?.refreshToken !== undefined && current.rotatesRefreshToken !== false) {
      // No fleet-wide lock: another process may be refreshing the same token on its own. With
      // rotation (or until a refresh has shown there is none) that would be reuse, and the provider
      // would revoke the grant; a retryable failure is the safe answer.
      throw new StoreUnavailableError(
        `axios-token-flight: the token store cannot be reached, and refreshing "${key}" without its lock could spend a rotating refresh token twice; try again when the store answers`,
        { key },
      );
    }
    if (stored === null) {
      if (await this.#view.isDeleted(key, current)) throw credentialDeleted(key);
      // Nothing here nor in the store: another process may still hold it (the store lost it).
      if (current === null) {
        const copy = await this.#lifecycle.copyFromFleet(key);
        if (copy !== null) return copy;
      }
    }
    const reason: RefreshReason = rejected ? 'rejected' : current === null ? 'missing' : 'expiring';
    const fromVersion = current?.version ?? null;
    await this.#failures.check(key, fromVersion ?? 0);
    this.reporter.report('refresh-start', { key, reason, fromVersion });
    const message = { key, reason, fromVersion, lockWaitMs: Date.now() - locked.flightStartedAt };
    return this.reporter.traceRefresh(message, () => this.#refreshFrom(current, { ...locked, key, reason }));
  }

  /** Calls `refresh` from `current` and writes its answer (fenced); or shapes and records the failure. */
  async #refreshFrom(
    current: TokenSet | null,
    run: { key: string; reason: RefreshReason; stored: StoreRead; owner: string; rejected: boolean },
  ): Promise<TokenSet> {
    const { key, reason, stored, owner, rejected } = run;
    const fromVersion = current?.version ?? null;
    const started = Date.now();
    let token: TokenSet;
    try {
      token = await callRefresh(this.options.refresh, key, current, reason, this.options.refreshTimeoutMs);
    } catch (error) {
      let failure = toRefreshError(error, key);
      // A refused answer's rotated refresh token is stored first: the one we presented is spent.
      const kept = await keepRotatedRefreshToken(this.#view, this.#persistence, { key, current, error, rejected, stored, owner });
      const noTokenAtAll = current === null && failure instanceof ReauthorizationRequiredError;
      if (noTokenAtAll && stored === UNREADABLE) {
        // No refresh token because the store could not be read, not because the grant is gone.
        failure = new StoreUnavailableError(
          `axios-token-flight: the token store could not be read and this process holds no copy of "${key}"; try again when the store answers`,
          { key, cause: failure },
        );
      } else if (!noTokenAtAll) {
        // Missing is not dead: no token at all leaves no fleet-wide record. Backoff is for the
        // version now held, so a kept refresh token is not tried at once in a loop.
        failure = await this.#failures.record(key, kept?.version ?? fromVersion ?? 0, failure);
      }
      const durationMs = Date.now() - started;
      this.reporter.report('refresh-failed', { key, reason, code: failure.code, retryable: failure.retryable, durationMs });
      throw failure;
    }
    const written = await this.#view.writeRefreshed(key, token, stored === UNREADABLE ? null : stored, owner);
    await this.#persistence?.save(key, written);
    await this.#failures.clear(key);
    const durationMs = Date.now() - started;
    this.reporter.report('refreshed', { key, reason, fromVersion, version: written.version, durationMs });
    return written;
  }
}
