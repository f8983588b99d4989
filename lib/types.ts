import type { AxiosResponse, InternalAxiosRequestConfig } from 'axios';

/** What a `refresh` function (or `setToken`) hands the plugin. */
export interface TokenInput {
  readonly accessToken: string;
  /** Omit to keep the previous refresh token (providers that do not rotate). */
  readonly refreshToken?: string;
  /** Lifetime in seconds, as OAuth2 `expires_in`. */
  readonly expiresIn?: number;
  /** Absolute expiry, epoch milliseconds. Wins over `expiresIn`. */
  readonly expiresAt?: number;
  /** @default 'Bearer' */
  readonly tokenType?: string;
  readonly scope?: string;
}

/** What the store holds: a normalised token plus its version. */
export interface TokenSet {
  readonly accessToken: string;
  readonly refreshToken?: string;
  /** Epoch milliseconds; absent when the provider gave no lifetime. */
  readonly expiresAt?: number;
  readonly tokenType?: string;
  readonly scope?: string;
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
  readonly rotatesRefreshToken?: boolean;
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

/** pino / console compatible. Never handed a token. */
export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/** Per-request options, under `config.tokenFlight`. */
export interface TokenFlightRequestOptions {
  /** Send this request without a token and never refresh for it. */
  skip?: boolean;
  /** Credential to use for this request; overrides the `key` option. */
  key?: string;
}

/** Internal per-request state, kept under the string key `'axios-token-flight'`. */
export interface TokenFlightState {
  /** Replays already made for this original request. */
  replays: number;
  /** Propagation waits already made for this original request. */
  propagationWaits: number;
  /** Credential key the token was injected for. */
  key?: string | undefined;
  /** Version of the token that was sent; absent when no token was sent by the plugin. */
  sentVersion?: number | undefined;
  /** `issuedAt` of the token that was sent (drives the propagation window). */
  sentIssuedAt?: number | undefined;
}

export const STATE_KEY = 'axios-token-flight';

declare module 'axios' {
  interface AxiosRequestConfig {
    tokenFlight?: TokenFlightRequestOptions;
    'axios-token-flight'?: TokenFlightState;
  }
}


