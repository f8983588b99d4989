import type { AxiosInstance } from 'axios';
import { unauthorized } from './matchers/unauthorized';
import { MemoryTokenStore } from './stores/memory';
import type { TokenStore } from './stores/token-store';
import { resolveInjection, type TokenInjection, type TokenInjectionOptions } from './token-header';
import { describe } from './token-set';
import type { KeyResolver, Logger, Matcher, RefreshContext, TokenInput, TokenSet } from './types';
import { MAX_TIMER_MS, msOption, optionError, readingOption, snapshotOptions } from './validate';

export interface TokenRefreshOptions {
  /** Gets a new token. Use `oauth2.refreshTokenGrant(...)` or write your own. */
  readonly refresh: (context: RefreshContext) => Promise<TokenInput>;
  /** Where tokens live, shared by all processes. @default new MemoryTokenStore() */
  readonly store?: TokenStore | undefined;
  /** Which credential a request uses: a name, or a function of the request config (per tenant). @default 'default' */
  readonly key?: string | KeyResolver | undefined;
  /** Recognise rejections; the first verdict wins. @default [matchers.unauthorized()] */
  readonly matchers?: readonly Matcher[] | undefined;
  /** Origins the token may be sent to. @default the origin of `instance.defaults.baseURL` */
  readonly origins?: readonly string[] | 'any' | undefined;
  /** Replays of one request after a rejection. @default 2 */
  readonly maxReplays?: number | undefined;
  /** Refresh this long before `expiresAt` (never more than half the lifetime; jittered). @default 60_000 */
  readonly refreshSkewMs?: number | undefined;
  /** A "not propagated yet" rejection of a token younger than this is waited out. @default 30_000 */
  readonly propagationWindowMs?: number | undefined;
  /** Propagation waits per request; not counted in `maxReplays`. @default 4 */
  readonly maxPropagationWaits?: number | undefined;
  /** Backoff between propagation waits: doubles from `initial` (±20 % jitter) up to `max`. @default { initial: 500, max: 8_000 } */
  readonly propagationBackoffMs?: { readonly initial: number; readonly max: number } | undefined;
  /** How long a refresh lock lives if its holder dies. @default 15_000 */
  readonly lockTtlMs?: number | undefined;
  /** A refresh taking longer fails with `RefreshFailedError`; must be below `lockTtlMs`. @default 10_000 */
  readonly refreshTimeoutMs?: number | undefined;
  /** Store down: keep going with the in-process token (`'local'`) or reject (`'fail'`). @default 'local' */
  readonly onStoreError?: 'local' | 'fail' | undefined;
  /** pino-compatible logger; never given a token. */
  readonly logger?: Logger | undefined;
  /**
   * Backoff after a retryable refresh failure (token endpoint 5xx, unreachable, too slow), shared by
   * the fleet through the store: doubles from `initial` (±20 % jitter) up to `max`; a `Retry-After`
   * from the token endpoint is honoured. Callers in the window get `RefreshFailedError` with
   * `retryAfterMs`. A success resets it. @default { initial: 1_000, max: 60_000 }
   */
  readonly refreshBackoffMs?: { readonly initial: number; readonly max: number } | undefined;
  /**
   * A durable copy of every credential behind the store (your database): `save` after every refresh
   * and `setToken`, awaited under the lock; `load` when the store has nothing for a key. See
   * docs/stores.md.
   */
  readonly persist?: TokenPersistence | undefined;
  /**
   * Where the token is sent: `header` (default `Authorization`) and `scheme` written before it
   * (default: the token's `tokenType`, else `Bearer`; `null` sends the bare token).
   */
  readonly inject?: TokenInjectionOptions | undefined;
  /**
   * Credentials this process keeps in memory at once (least recently used beyond it are dropped;
   * the next use reads the store once). @default 10_000
   */
  readonly maxCachedTokens?: number | undefined;
  /** Refreshes this process runs at once; more wait in line, requests waiting on a token first. @default 8 */
  readonly maxConcurrentRefreshes?: number | undefined;
}

/** Your durable copy of the credentials; the store stays the coordination point and cache. */
export interface TokenPersistence {
  /**
   * The last saved token for `key` (a `TokenSet` as given to `save`, or any `TokenInput`), or nothing.
   * May answer synchronously; a throw counts as a failed load.
   */
  load(key: string): Promise<TokenInput | null | undefined> | TokenInput | null | undefined;
  /**
   * Stores `token` for `key`. Called with strictly increasing versions per key; retried on failure.
   * May be synchronous; a throw (at once or later) is a failed save: `persist-failed`, then a retry.
   */
  save(key: string, token: TokenSet): Promise<void> | void;
  /**
   * Optional: removes the durable copy for `key` (`handle.deleteToken`). Called once, by the
   * deleting process; a save still pending for `key` is dropped first, so it cannot write it back.
   */
  delete?(key: string): Promise<void> | void;
}

export interface ResolvedOptions {
  readonly refresh: TokenRefreshOptions['refresh'];
  readonly store: TokenStore;
  readonly key: KeyResolver;
  /** The key for handle methods called without one; `undefined` when `key` is a function. */
  readonly defaultKey: string | undefined;
  readonly matchers: readonly Matcher[];
  /** `null` = any origin. */
  readonly origins: ReadonlySet<string> | null;
  readonly maxReplays: number;
  readonly refreshSkewMs: number;
  readonly propagationWindowMs: number;
  readonly maxPropagationWaits: number;
  readonly propagationBackoffMs: { readonly initial: number; readonly max: number };
  readonly lockTtlMs: number;
  readonly refreshTimeoutMs: number;
  readonly onStoreError: 'local' | 'fail';
  readonly logger: Logger | undefined;
  readonly refreshBackoffMs: { readonly initial: number; readonly max: number };
  readonly persist: TokenPersistence | undefined;
  readonly inject: TokenInjection;
  readonly maxCachedTokens: number;
  readonly maxConcurrentRefreshes: number;
}

const KNOWN_OPTIONS = [
  'refresh', 'store', 'key', 'matchers', 'origins', 'maxReplays', 'refreshSkewMs', 'propagationWindowMs',
  'maxPropagationWaits', 'propagationBackoffMs', 'lockTtlMs', 'refreshTimeoutMs', 'onStoreError', 'logger',
  'refreshBackoffMs', 'persist', 'inject', 'maxCachedTokens', 'maxConcurrentRefreshes',
] as const satisfies ReadonlyArray<keyof TokenRefreshOptions>;

type OptionName = (typeof KNOWN_OPTIONS)[number];

function fail(option: string, expected: string, value: unknown): never {
  throw optionError('', option, expected, value);
}

function countOption(value: unknown, name: OptionName, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) fail(name, 'a non-negative integer', value);
  return value;
}

function positiveCount(value: unknown, name: OptionName, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) fail(name, 'a positive integer', value);
  return value;
}

export function resolveOptions(instance: AxiosInstance, options: TokenRefreshOptions): ResolvedOptions {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`axios-token-flight: options must be an object, got ${describe(options)}`);
  }
  // Each option is read exactly once, here: a getter that throws (or a revoked Proxy) is a TypeError naming it.
  const given = snapshotOptions('', options, KNOWN_OPTIONS);
  const read = <T>(name: OptionName, resolve: (value: unknown) => T): T => readingOption('', name, () => resolve(given[name]));
  if (typeof given.refresh !== 'function') fail('refresh', 'a function (context) => Promise<TokenInput>', given.refresh);

  const lockTtlMs = msOption('', 'lockTtlMs', given.lockTtlMs, 15_000, 1);
  const refreshTimeoutMs = msOption('', 'refreshTimeoutMs', given.refreshTimeoutMs, 10_000, 1);
  if (refreshTimeoutMs >= lockTtlMs) {
    throw new TypeError(
      `axios-token-flight: option \`refreshTimeoutMs\` (${refreshTimeoutMs}) must be less than \`lockTtlMs\` (${lockTtlMs}), ` +
        'or a slow refresh could outlive its lock and race another process',
    );
  }

  const store = read('store', resolveStore);
  const persist = read('persist', resolvePersist);
  if (store.entryTtlMs !== undefined && persist === undefined) {
    throw new TypeError(
      `axios-token-flight: the store lets entries expire (ttlMs ${store.entryTtlMs}), which needs option \`persist\`: ` +
        'without a durable copy, an expired entry would take the only copy of a refresh token with it',
    );
  }

  return Object.freeze({
    refresh: given.refresh as TokenRefreshOptions['refresh'],
    store,
    key: read('key', resolveKey),
    defaultKey: typeof given.key === 'string' ? given.key : given.key === undefined ? 'default' : undefined,
    matchers: read('matchers', resolveMatchers),
    origins: read('origins', (value) => resolveOrigins(instance, value)),
    maxReplays: countOption(given.maxReplays, 'maxReplays', 2),
    refreshSkewMs: msOption('', 'refreshSkewMs', given.refreshSkewMs, 60_000, 0),
    propagationWindowMs: msOption('', 'propagationWindowMs', given.propagationWindowMs, 30_000, 0),
    maxPropagationWaits: countOption(given.maxPropagationWaits, 'maxPropagationWaits', 4),
    propagationBackoffMs: read('propagationBackoffMs', (value) => resolveBackoff('propagationBackoffMs', value, { initial: 500, max: 8_000 })),
    refreshBackoffMs: read('refreshBackoffMs', (value) => resolveBackoff('refreshBackoffMs', value, { initial: 1_000, max: 60_000 })),
    persist,
    inject: read('inject', resolveInjection),
    maxCachedTokens: positiveCount(given.maxCachedTokens, 'maxCachedTokens', 10_000),
    maxConcurrentRefreshes: positiveCount(given.maxConcurrentRefreshes, 'maxConcurrentRefreshes', 8),
    lockTtlMs,
    refreshTimeoutMs,
    onStoreError: resolveStoreErrorPolicy(given.onStoreError),
    logger: read('logger', resolveLogger),
  });
}

function resolveStore(store: unknown): TokenStore {
  if (store === undefined) return new MemoryTokenStore();
  const methods = ['get', 'compareAndSet', 'acquireLock', 'releaseLock'] as const;
  if (typeof store !== 'object' || store === null || methods.some((m) => typeof (store as Record<string, unknown>)[m] !== 'function')) {
    fail('store', 'a TokenStore (get, compareAndSet, acquireLock, releaseLock)', store);
  }
  const subscribe = (store as Record<string, unknown>)['subscribe'];
  if (subscribe !== undefined && typeof subscribe !== 'function') fail('store.subscribe', 'a function when present', subscribe);
  return store as TokenStore;
}

function resolveKey(key: unknown): KeyResolver {
  if (key === undefined) return () => 'default';
  if (typeof key === 'function') return key as KeyResolver;
  if (typeof key === 'string' && key !== '') return () => key;
  return fail('key', 'a non-empty string or a function (config) => string', key);
}

function resolveMatchers(value: unknown): readonly Matcher[] {
  if (value === undefined) return Object.freeze([unauthorized()]);
  if (!Array.isArray(value) || value.length === 0 || value.some((m) => typeof m !== 'function')) {
    fail('matchers', 'a non-empty array of functions (response) => verdict', value);
  }
  return Object.freeze([...(value as Matcher[])]);
}

function resolveOrigins(instance: AxiosInstance, value: unknown): ReadonlySet<string> | null {
  if (value === 'any') return null;
  if (value === undefined) {
    const baseURL = instance.defaults.baseURL;
    const origin = typeof baseURL === 'string' ? originOf(baseURL) : undefined;
    if (origin === undefined) {
      throw new TypeError(
        'axios-token-flight: option `origins` is required when the instance has no absolute `baseURL` ' +
          "(a token must never go to an origin you did not choose); pass origins: ['https://api.example.com'] or 'any'",
      );
    }
    return new Set([origin]);
  }
  if (!Array.isArray(value) || value.length === 0) fail('origins', "a non-empty array of URLs or 'any'", value);
  return new Set(
    (value as unknown[]).map((entry) => {
      const origin = typeof entry === 'string' ? originOf(entry) : undefined;
      if (origin === undefined) fail('origins', `absolute http(s) URLs, and one entry is not (${describe(entry)})`, entry);
      return origin;
    }),
  );
}

/** `undefined` for anything that is not an absolute http(s) URL. */
export function originOf(url: string): string | undefined {
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'http:' || parsed.protocol === 'https:' ? parsed.origin : undefined;
  } catch {
    return undefined;
  }
}

function resolvePersist(value: unknown): TokenPersistence | undefined {
  if (value === undefined) return undefined;
  const persist = value as Partial<Record<keyof TokenPersistence, unknown>>;
  if (typeof value !== 'object' || value === null || typeof persist.load !== 'function' || typeof persist.save !== 'function') {
    fail('persist', 'an object with load(key) and save(key, token) functions', value);
  }
  if (persist.delete !== undefined && typeof persist.delete !== 'function') fail('persist', 'delete(key), when given, to be a function', value);
  return value as TokenPersistence;
}

function resolveBackoff(name: OptionName, value: unknown, fallback: { initial: number; max: number }): { initial: number; max: number } {
  if (value === undefined) return fallback;
  const backoff = value as { initial?: unknown; max?: unknown };
  const valid =
    typeof value === 'object' && value !== null &&
    typeof backoff.initial === 'number' && Number.isFinite(backoff.initial) && backoff.initial >= 0 &&
    typeof backoff.max === 'number' && Number.isFinite(backoff.max) && backoff.max >= backoff.initial && backoff.max <= MAX_TIMER_MS;
  if (!valid) fail(name, `{ initial, max } with 0 ≤ initial ≤ max ≤ ${MAX_TIMER_MS} (ms)`, value);
  return { initial: backoff.initial as number, max: backoff.max as number };
}

function resolveStoreErrorPolicy(value: unknown): 'local' | 'fail' {
  if (value === undefined) return 'local';
  if (value === 'local' || value === 'fail') return value;
  return fail('onStoreError', "'local' or 'fail'", value);
}

function resolveLogger(value: unknown): Logger | undefined {
  if (value === undefined) return undefined;
  const levels = ['debug', 'info', 'warn', 'error'] as const;
  if (typeof value !== 'object' || value === null || levels.some((l) => typeof (value as Record<string, unknown>)[l] !== 'function')) {
    fail('logger', 'an object with debug, info, warn and error functions', value);
  }
  return value as Logger;
}
