import type { AxiosInstance, InternalAxiosRequestConfig } from 'axios';
import type { Backoff } from './backoff';
import { describe } from './describe';
import {
  resolveBackoff,
  resolveKey,
  resolveLogger,
  resolveMatchers,
  resolveOrigins,
  resolvePersist,
  resolveStore,
  resolveStoreErrorPolicy,
} from './option-resolvers';
import type { TokenStore } from './stores/token-store';
import { DEFAULT_TOKEN_HEADER, resolveInjection, type TokenInjection, type TokenInjectionOptions } from './token-header';
import type { KeyResolver, Logger, Matcher, RefreshContext, TokenInput, TokenPersistence } from './types';
import { countOption, msOption, optionError, optionNames, readingOption, snapshotOptions } from './validate';

export type { TokenPersistence } from './types';

/** The propagation policy: how a "not propagated yet" rejection (LinkedIn 65601) is waited out. */
export interface PropagationOptions {
  /** A rejection of a token younger than this is waited out; an older one is refreshed. @default 30_000 */
  readonly windowMs?: number | undefined;
  /** Waits per request; not counted in `maxReplays`. @default 4 */
  readonly maxWaits?: number | undefined;
  /** Backoff between waits: doubles from `initial` (±20 % jitter) up to `max`. @default { initial: 500, max: 8_000 } */
  readonly backoffMs?: Backoff | undefined;
}

/** What `beforeReplay` is told about the replay it may adjust. */
export interface ReplayInfo {
  readonly key: string;
  /** Replays of this request so far, this one included: 1, 2, … (propagation waits and refreshes together). */
  readonly attempt: number;
  /** Why it is replayed: a refreshed token (`'refresh'`), or the same one after a propagation wait. */
  readonly verdict: 'refresh' | 'propagation';
}

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
  /** How a "not propagated yet" rejection (LinkedIn 65601) is waited out. See `PropagationOptions`. */
  readonly propagation?: PropagationOptions | undefined;
  /**
   * Called before every replay (after a refresh or a propagation wait), with the config about to be
   * sent again: the last chance to re-sign it, renew a timestamp or an idempotency key. May be async;
   * a throw ends that request with the error (redacted). It runs before the replay passes the
   * instance's request interceptors again, so the new token is not in `config` yet: signing over
   * the token belongs in a request interceptor.
   */
  readonly beforeReplay?: ((config: InternalAxiosRequestConfig, info: ReplayInfo) => void | Promise<void>) | undefined;
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
  readonly refreshBackoffMs?: Backoff | undefined;
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
  readonly propagationBackoffMs: Backoff;
  readonly beforeReplay: TokenRefreshOptions['beforeReplay'];
  readonly lockTtlMs: number;
  readonly refreshTimeoutMs: number;
  readonly onStoreError: 'local' | 'fail';
  readonly logger: Logger | undefined;
  readonly refreshBackoffMs: Backoff;
  readonly persist: TokenPersistence | undefined;
  readonly inject: TokenInjection;
  readonly maxCachedTokens: number;
  readonly maxConcurrentRefreshes: number;
}

/**
 * Every default, in one place: the resolvers below read them from here, and a test checks the
 * README's options table against it.
 */
export const DEFAULTS = {
  key: 'default',
  maxReplays: 2,
  refreshSkewMs: 60_000,
  propagation: { windowMs: 30_000, maxWaits: 4, backoffMs: { initial: 500, max: 8_000 } },
  lockTtlMs: 15_000,
  refreshTimeoutMs: 10_000,
  onStoreError: 'local',
  refreshBackoffMs: { initial: 1_000, max: 60_000 },
  inject: { header: DEFAULT_TOKEN_HEADER },
  maxCachedTokens: 10_000,
  maxConcurrentRefreshes: 8,
} as const satisfies Omit<TokenRefreshOptions, 'refresh'>;

const KNOWN_OPTIONS = [
  'refresh',
  'store',
  'key',
  'matchers',
  'origins',
  'maxReplays',
  'refreshSkewMs',
  'propagation',
  'beforeReplay',
  'lockTtlMs',
  'refreshTimeoutMs',
  'onStoreError',
  'logger',
  'refreshBackoffMs',
  'persist',
  'inject',
  'maxCachedTokens',
  'maxConcurrentRefreshes',
] as const satisfies ReadonlyArray<keyof TokenRefreshOptions>;

type OptionName = (typeof KNOWN_OPTIONS)[number];
/** Compile-time: an option added to `TokenRefreshOptions` but not to `KNOWN_OPTIONS` would be refused as unknown. */
const EVERY_OPTION_KNOWN: Exclude<keyof TokenRefreshOptions, OptionName> extends never ? true : never = true;
void EVERY_OPTION_KNOWN;

/** 0.x names and what replaced them: refused with a TypeError that names the new one, never aliased. */
const RENAMED: Readonly<Record<string, string>> = {
  propagationWindowMs: 'propagation.windowMs',
  maxPropagationWaits: 'propagation.maxWaits',
  propagationBackoffMs: 'propagation.backoffMs',
};

export function resolveOptions(instance: AxiosInstance, options: TokenRefreshOptions): ResolvedOptions {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`axios-token-flight: options must be an object, got ${describe(options)}`);
  }
  const names = optionNames('', options);
  for (const [old, replacement] of Object.entries(RENAMED)) {
    if (names.includes(old)) {
      throw new TypeError(`axios-token-flight: option \`${old}\` was renamed in 1.0: use \`${replacement}\``);
    }
  }
  // Each option is read exactly once, here: a getter that throws (or a revoked Proxy) is a TypeError naming it.
  const given = snapshotOptions('', options, KNOWN_OPTIONS);
  const read = <T>(name: OptionName, resolve: (value: unknown) => T): T => readingOption('', name, () => resolve(given[name]));
  if (typeof given.refresh !== 'function') throw optionError('', 'refresh', 'a function (context) => Promise<TokenInput>', given.refresh);

  const lockTtlMs = msOption('', 'lockTtlMs', given.lockTtlMs, DEFAULTS.lockTtlMs, 1);
  const refreshTimeoutMs = msOption('', 'refreshTimeoutMs', given.refreshTimeoutMs, DEFAULTS.refreshTimeoutMs, 1);
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
    key: read('key', (value) => resolveKey(value, DEFAULTS.key)),
    defaultKey: typeof given.key === 'string' ? given.key : given.key === undefined ? DEFAULTS.key : undefined,
    matchers: read('matchers', resolveMatchers),
    origins: read('origins', (value) => resolveOrigins(instance, value)),
    maxReplays: countOption('', 'maxReplays', given.maxReplays, DEFAULTS.maxReplays, 0),
    refreshSkewMs: msOption('', 'refreshSkewMs', given.refreshSkewMs, DEFAULTS.refreshSkewMs, 0),
    ...read('propagation', resolvePropagation),
    beforeReplay: read('beforeReplay', resolveBeforeReplay),
    refreshBackoffMs: read('refreshBackoffMs', (value) => resolveBackoff('refreshBackoffMs', value, DEFAULTS.refreshBackoffMs)),
    persist,
    inject: read('inject', resolveInjection),
    maxCachedTokens: countOption('', 'maxCachedTokens', given.maxCachedTokens, DEFAULTS.maxCachedTokens, 1),
    maxConcurrentRefreshes: countOption('', 'maxConcurrentRefreshes', given.maxConcurrentRefreshes, DEFAULTS.maxConcurrentRefreshes, 1),
    lockTtlMs,
    refreshTimeoutMs,
    onStoreError: resolveStoreErrorPolicy(given.onStoreError, DEFAULTS.onStoreError),
    logger: read('logger', resolveLogger),
  });
}

function resolvePropagation(value: unknown): Pick<ResolvedOptions, 'propagationWindowMs' | 'maxPropagationWaits' | 'propagationBackoffMs'> {
  if (value !== undefined && (typeof value !== 'object' || value === null))
    throw optionError('', 'propagation', 'an object { windowMs?, maxWaits?, backoffMs? }', value);
  const given = value === undefined ? {} : snapshotOptions('propagation: ', value, ['windowMs', 'maxWaits', 'backoffMs'] as const);
  return {
    propagationWindowMs: msOption('', 'propagation.windowMs', given.windowMs, DEFAULTS.propagation.windowMs, 0),
    maxPropagationWaits: countOption('', 'propagation.maxWaits', given.maxWaits, DEFAULTS.propagation.maxWaits, 0),
    propagationBackoffMs: readingOption('', 'propagation.backoffMs', () =>
      resolveBackoff('propagation.backoffMs', given.backoffMs, DEFAULTS.propagation.backoffMs),
    ),
  };
}

function resolveBeforeReplay(value: unknown): ResolvedOptions['beforeReplay'] {
  if (value !== undefined && typeof value !== 'function')
    throw optionError('', 'beforeReplay', 'a function (config, { key, attempt, verdict }) => void | Promise<void>', value);
  return value as ResolvedOptions['beforeReplay'];
}
