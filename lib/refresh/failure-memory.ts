import { ReauthorizationRequiredError, RefreshFailedError, withRetryAfter, type TokenFlightError } from '../errors';
import type { RefreshFailureRecord } from '../stores/token-store';
import { backoffDelay, type Backoff } from '../backoff';
import type { StoreGuard } from './store-guard';

/** How long the fleet remembers `invalid_grant` for a token version (a new version clears it at once). */
const REAUTHORIZATION_MEMORY_MS = 5 * 60_000;
/** A `Retry-After` longer than this is taken as this: a token endpoint cannot park a credential for days. */
const MAX_RETRY_AFTER_MS = 60 * 60_000;
/** In-process records kept at most; expired ones go first, then the oldest. */
const MAX_LOCAL_RECORDS = 10_000;

/**
 * What the fleet remembers about failed refreshes, so a token endpoint that is down or refused a
 * grant is not hammered: by every request of this process (the in-process copy answers without a
 * store call) nor by every process of the fleet (the store's record, read under the refresh lock).
 * - retryable failure → `'backoff'` record: nobody tries that version again before `until`, and
 *   each further failure doubles the wait (jittered, capped), or follows the endpoint's `Retry-After`;
 * - `invalid_grant` → `'reauthorize'` record: nobody presents that version's refresh token again.
 * A success or a new version (`setToken`) clears it.
 */
export class FailureMemory {
  readonly #local = new Map<string, RefreshFailureRecord>();

  constructor(
    private readonly guard: StoreGuard,
    private readonly backoff: Backoff,
    private readonly random: () => number,
  ) {}

  /** Throws the remembered error if refreshing `version` of `key` is held back. No store call. */
  checkLocal(key: string, version: number): void {
    const record = this.#remembered(key);
    if (record !== undefined) throwIfBlocking(record, key, version);
  }

  /** As `checkLocal`, then the fleet's record (one store read); adopts what it finds. Call under the lock. */
  async check(key: string, version: number): Promise<void> {
    this.checkLocal(key, version);
    const shared = await this.guard.getRefreshFailure(key);
    if (shared === null || shared.rememberUntil <= Date.now()) return;
    this.#remember(key, shared);
    throwIfBlocking(shared, key, version);
  }

  /** Records a failed refresh of `version`; returns the error to throw (with `retryAfterMs` for a backoff). */
  async record(key: string, version: number, failure: TokenFlightError): Promise<TokenFlightError> {
    const now = Date.now();
    let record: RefreshFailureRecord;
    let error = failure;
    if (failure instanceof ReauthorizationRequiredError) {
      const until = now + REAUTHORIZATION_MEMORY_MS;
      record = { kind: 'reauthorize', version, attempts: 1, until, rememberUntil: until };
    } else if (failure instanceof RefreshFailedError) {
      const previous = this.#remembered(key) ?? (await this.guard.getRefreshFailure(key)) ?? undefined;
      const attempts = previous?.kind === 'backoff' && previous.version === version ? previous.attempts + 1 : 1;
      const retryAfter = failure.retryAfterMs === undefined ? 0 : Math.min(failure.retryAfterMs, MAX_RETRY_AFTER_MS);
      const delayMs = Math.max(backoffDelay(attempts - 1, this.backoff, this.random), retryAfter);
      // Remembered past the window, so a failure right after it doubles the wait instead of restarting it.
      record = { kind: 'backoff', version, attempts, until: now + delayMs, rememberUntil: now + delayMs + this.backoff.max };
      error = withRetryAfter(failure, delayMs);
    } else {
      return failure;
    }
    this.#remember(key, record);
    await this.guard.setRefreshFailure(key, record);
    return error;
  }

  /** A refresh succeeded or a new token was set: forget, here and fleet-wide. */
  async clear(key: string): Promise<void> {
    this.#local.delete(key);
    await this.guard.setRefreshFailure(key, null);
  }

  /** Forgets everything in this process (`close()` / `detach()`). */
  forgetAll(): void {
    this.#local.clear();
  }

  get size(): number {
    return this.#local.size;
  }

  #remembered(key: string): RefreshFailureRecord | undefined {
    const record = this.#local.get(key);
    if (record === undefined) return undefined;
    if (record.rememberUntil > Date.now()) return record;
    this.#local.delete(key);
    return undefined;
  }

  #remember(key: string, record: RefreshFailureRecord): void {
    this.#local.delete(key);
    if (this.#local.size >= MAX_LOCAL_RECORDS) this.#prune();
    this.#local.set(key, record);
  }

  /** Drops expired records, and the oldest ones if that is not enough (Map order is insertion order). */
  #prune(): void {
    const now = Date.now();
    for (const [key, record] of this.#local) if (record.rememberUntil <= now) this.#local.delete(key);
    for (const key of this.#local.keys()) {
      if (this.#local.size < MAX_LOCAL_RECORDS) break;
      this.#local.delete(key);
    }
  }
}

function throwIfBlocking(record: RefreshFailureRecord, key: string, version: number): void {
  if (record.version !== version || record.until <= Date.now()) return;
  const retryAfterMs = Math.max(0, record.until - Date.now());
  if (record.kind === 'reauthorize') {
    throw new ReauthorizationRequiredError(
      `axios-token-flight: the token endpoint refused the refresh token of "${key}" (version ${version}) as invalid_grant; the user must authorise again`,
      { key },
    );
  }
  throw new RefreshFailedError(
    `axios-token-flight: refreshing "${key}" is backing off after ${record.attempts} failed attempt(s); next try in ${retryAfterMs} ms`,
    { key, retryAfterMs },
  );
}
