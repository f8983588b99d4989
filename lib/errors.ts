/**
 * Every failure that leaves the plugin is one of these. `retryable` tells an outer job queue
 * whether trying the whole job again later can succeed without a person stepping in.
 */
export type TokenFlightErrorCode =
  | 'ERR_REFRESH_FAILED'
  | 'ERR_REAUTHORIZATION_REQUIRED'
  | 'ERR_TOKEN_PROPAGATION'
  | 'ERR_REPLAY_LIMIT'
  | 'ERR_UNREPLAYABLE_REQUEST'
  | 'ERR_STORE_UNAVAILABLE'
  | 'ERR_MATCHER_FAILED'
  | 'ERR_TOKEN_DECODE'
  | 'ERR_REDIS_TIMEOUT';

/** The HTTP answer behind an error, shaped as `AxiosError#response` — tokens and secrets replaced. */
export interface HttpAnswer {
  readonly status: number;
  readonly statusText: string;
  readonly headers: Readonly<Record<string, unknown>>;
  /** The parsed body, as axios gave it. */
  readonly data: unknown;
}

/** The request that got that answer, shaped as `AxiosError#config` — the token header's value replaced, kept. */
export interface HttpRequestSummary {
  readonly method: string | undefined;
  readonly url: string | undefined;
  readonly baseURL: string | undefined;
  readonly headers: Readonly<Record<string, unknown>>;
}

interface TokenFlightErrorOptions {
  readonly key: string;
  readonly cause?: unknown;
  /** The HTTP exchange that caused the error (the API's, or the token endpoint's). */
  readonly http?: { readonly response: HttpAnswer; readonly config: HttpRequestSummary } | undefined;
}

export abstract class TokenFlightError extends Error {
  abstract readonly code: TokenFlightErrorCode;
  abstract readonly retryable: boolean;
  readonly key: string;
  /** The HTTP status, when an HTTP answer caused the error: `err.response?.status` works as with an AxiosError. */
  readonly status?: number;
  readonly response?: HttpAnswer;
  readonly config?: HttpRequestSummary;

  constructor(message: string, options: TokenFlightErrorOptions) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.key = options.key;
    if (options.http !== undefined) {
      this.status = options.http.response.status;
      this.response = options.http.response;
      this.config = options.http.config;
    }
  }

  /** A log-safe summary; `cause` is already redacted by the plugin. */
  toJSON(): Record<string, unknown> {
    const summary = { name: this.name, code: this.code, message: this.message, key: this.key, retryable: this.retryable };
    return this.status === undefined ? summary : { ...summary, status: this.status };
  }
}

/**
 * The refresh threw, timed out, or the token endpoint answered 5xx / was unreachable / sent junk —
 * or an earlier such failure put the credential in backoff, fleet-wide. `retryAfterMs`, when set,
 * says when trying again can help (the backoff, or the token endpoint's own `Retry-After`).
 */
export class RefreshFailedError extends TokenFlightError {
  readonly code = 'ERR_REFRESH_FAILED';
  readonly retryable = true;
  readonly retryAfterMs: number | undefined;

  constructor(message: string, options: TokenFlightErrorOptions & { readonly retryAfterMs?: number | undefined }) {
    super(message, options);
    this.retryAfterMs = options.retryAfterMs;
  }

  override toJSON(): Record<string, unknown> {
    return this.retryAfterMs === undefined ? super.toJSON() : { ...super.toJSON(), retryAfterMs: this.retryAfterMs };
  }
}

/** The same refresh failure, to be tried again no sooner than `retryAfterMs` (the fleet's backoff): nothing else changes. */
export function withRetryAfter(failure: RefreshFailedError, retryAfterMs: number): RefreshFailedError {
  const { response, config } = failure;
  const http = response === undefined || config === undefined ? undefined : { response, config };
  return new RefreshFailedError(failure.message, { key: failure.key, cause: failure.cause, http, retryAfterMs });
}

/** The grant is dead (`invalid_grant`, or 401/403 from the token endpoint): a person must re-authorise. */
export class ReauthorizationRequiredError extends TokenFlightError {
  readonly code = 'ERR_REAUTHORIZATION_REQUIRED';
  readonly retryable = false;
}

/** A new token was still rejected as "not yet propagated" after every allowed wait. */
export class TokenPropagationError extends TokenFlightError {
  readonly code = 'ERR_TOKEN_PROPAGATION';
  readonly retryable = true;
  /** When an outer queue should try again. */
  readonly retryAfterMs: number;

  constructor(message: string, options: TokenFlightErrorOptions & { readonly retryAfterMs: number }) {
    super(message, options);
    this.retryAfterMs = options.retryAfterMs;
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), retryAfterMs: this.retryAfterMs };
  }
}

/** A fresh token was still rejected after `maxReplays` replays. */
export class ReplayLimitError extends TokenFlightError {
  readonly code = 'ERR_REPLAY_LIMIT';
  readonly retryable = false;
}

/** The request body is a stream and was consumed by the first send; replaying would send it empty. */
export class UnreplayableRequestError extends TokenFlightError {
  readonly code = 'ERR_UNREPLAYABLE_REQUEST';
  readonly retryable = false;
}

/** The token store is down and `onStoreError` is `'fail'`. */
export class StoreUnavailableError extends TokenFlightError {
  readonly code = 'ERR_STORE_UNAVAILABLE';
  readonly retryable = true;
}

/** A matcher threw instead of returning a verdict: a bug in that matcher, reported rather than swallowed. */
export class MatcherError extends TokenFlightError {
  readonly code = 'ERR_MATCHER_FAILED';
  readonly retryable = false;
}

/** A stored token set that cannot be read back: another `encryptionKey`, tampering, or junk. */
export class TokenDecodeError extends TokenFlightError {
  readonly code = 'ERR_TOKEN_DECODE';
  readonly retryable = false;

  /** `key`: the credential, when the reader knows it. */
  constructor(message: string, options: Partial<TokenFlightErrorOptions> = {}) {
    super(message, { ...options, key: options.key ?? '' });
  }
}

/** A Redis command gave no answer within `commandTimeoutMs` (a paused or unreachable server). */
export class RedisCommandTimeoutError extends TokenFlightError {
  readonly code = 'ERR_REDIS_TIMEOUT';
  readonly retryable = true;

  constructor(message: string, options: Partial<TokenFlightErrorOptions> = {}) {
    super(message, { ...options, key: options.key ?? '' });
  }
}

/** For job queues: `true` when retrying the job later can succeed without a person. */
export function isRetryableAuthError(error: unknown): error is TokenFlightError {
  return error instanceof TokenFlightError && error.retryable;
}
