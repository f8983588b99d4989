import type { AxiosResponse, InternalAxiosRequestConfig } from 'axios';

/** What a `refresh` function (or `setToken`) hands the plugin. */
export interface TokenInput {
  readonly accessToken: string;
  /** Omit to keep the previous refresh token (providers that do not rotate). */
  readonly refreshToken?: string | undefined;
  /** Lifetime in seconds, as OAuth2 `expires_in`. */
  readonly expiresIn?: number | undefined;
  /** Absolute expiry, epoch milliseconds. Wins over `expiresIn`. */
  readonly expiresAt?: number | undefined;
  /** @default 'Bearer' */
  readonly tokenType?: string | undefined;
  readonly scope?: string | undefined;
  /**
   * The token response's other fields (`instance_url`, `id_token`, …), as JSON values: stored with
   * the token (encrypted with it), merged over the previous token's so a field a refresh omits is
   * kept. At most 64 KiB serialised. `oauth2` helpers fill it from the token response.
   */
  readonly extra?: Readonly<Record<string, unknown>> | undefined;
}

/** What the store holds: a normalised token plus its version. */
export interface TokenSet {
  readonly accessToken: string;
  readonly refreshToken?: string | undefined;
  /** Epoch milliseconds; absent when the provider gave no lifetime. */
  readonly expiresAt?: number | undefined;
  readonly tokenType?: string | undefined;
  readonly scope?: string | undefined;
  /** The token response's other fields (`instance_url`, `id_token`, `scope`, …); `{}` when none. Deep-frozen. */
  readonly extra: Readonly<Record<string, unknown>>;
  /** Starts at 1 and increments on every write; the unit of "one refresh per version". */
  readonly version: number;
  /** Epoch milliseconds of the write. */
  readonly issuedAt: number;
  /**
   * Whether the provider answered the last refresh with a new refresh token (rotation), as seen by
   * the process that refreshed; absent until a refresh has shown it. Without the store's lock (an
   * outage under `onStoreError: 'local'`), only a credential known not to rotate is refreshed: with
   * rotation, two processes refreshing on their own would spend the same refresh token.
   */
  readonly rotatesRefreshToken?: boolean | undefined;
  /**
   * Epoch milliseconds of the `setToken` that began this grant's line of versions; refreshes keep
   * it. A copy of an older grant (kept by a process through a store's data loss) ranks below any
   * token of a newer one whatever their versions, so a re-connected credential is never replaced by
   * the old one; a deletion's tombstone outranks every grant seeded before it. Absent on token sets
   * written before it existed (ranks as 0).
   */
  readonly generation?: number | undefined;
}

/**
 * What a deleted credential leaves behind (`handle.deleteToken`): no token, but a record that keeps
 * any copy of it — or of anything seeded before the deletion — from being written back.
 */
export interface CredentialTombstone {
  /** Above every version of the deleted credential the deleting process knew. */
  readonly version: number;
  /** Epoch milliseconds; a write whose token `generation` is not above it is refused. */
  readonly deletedAt: number;
}

export type RefreshReason = 'missing' | 'expiring' | 'rejected';

/** Frozen context given to `refresh`. */
export interface RefreshContext {
  readonly key: string;
  readonly current: TokenSet | null;
  readonly reason: RefreshReason;
  /** Aborted when the refresh times out (`refreshTimeoutMs`) or the plugin is detached. */
  readonly signal: AbortSignal;
}

/**
 * - `'refresh'`: the token is bad; get a newer one and replay.
 * - `'propagation'`: the token is new and not live everywhere yet; wait and replay the same token.
 * - `'reauthorize'`: the grant itself is gone (password changed, app removed, claims challenge);
 *   refreshing cannot help, the request fails with `ReauthorizationRequiredError`.
 */
export type Verdict = 'refresh' | 'propagation' | 'reauthorize';

/** Classifies one response; `undefined` means "no opinion" (the next matcher decides). Must never throw. */
export type Matcher = (response: AxiosResponse) => Verdict | undefined;

export type KeyResolver = (config: InternalAxiosRequestConfig) => string;

/**
 * Called as pino and bunyan are: `(fields, message)`, so a pino or bunyan logger is passed as is
 * and its JSON keeps every field. For console or winston, swap the arguments (see the README).
 * Never handed a token.
 */
export interface Logger {
  debug(fields: Record<string, unknown>, message: string): void;
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
}

/** Per-request options, under `config.tokenFlight`. */
export interface TokenFlightRequestOptions {
  /** Send this request without a token and never refresh for it. */
  skip?: boolean | undefined;
  /** Credential to use for this request; overrides the `key` option. */
  key?: string | undefined;
  /** Replays of this request after a rejection; overrides the `maxReplays` option for it alone. */
  maxReplays?: number | undefined;
}

declare module 'axios' {
  interface AxiosRequestConfig {
    tokenFlight?: TokenFlightRequestOptions | undefined;
  }
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
