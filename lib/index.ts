export { attachTokenRefresh, type TokenRefreshHandle } from './attach';
export type { TokenRefreshOptions, TokenPersistence, PropagationOptions, ReplayInfo } from './options';
export type { TokenInjectionOptions } from './token-header';
export type { Backoff } from './backoff';
export type {
  TokenInput,
  TokenSet,
  RefreshContext,
  RefreshReason,
  Matcher,
  Verdict,
  KeyResolver,
  Logger,
  TokenFlightRequestOptions,
} from './types';
export type { TokenFlightEvents, TokenFlightEventMap, TokenFlightEventName, TokenFlightStats } from './events';
export { TOKEN_FLIGHT_EVENTS } from './reporting/vocabulary';
export type {
  TokenStore,
  RefreshFailureRecord,
  CredentialTombstone,
  ChangeKind,
  ChangeListener,
  GetOrLockResult,
} from './stores/token-store';
export type { CredentialStatus, CredentialListOptions } from './stores/credential-status';
export { MemoryTokenStore } from './stores/memory';
export {
  RedisTokenStore,
  RedisCommandTimeoutError,
  type RedisTokenStoreOptions,
  type RedisClientLike,
  type RedisSubscriberLike,
  type RedisTokenStoreClient,
  type NodeRedisClientLike,
  type NodeRedisClusterLike,
  type NodeRedisSentinelLike,
  type NodeRedisSubscriberLike,
} from './stores/redis';
export { TokenDecodeError } from './stores/token-codec';
export { matchers, type BodyFieldOptions } from './matchers';
export { oauth2 } from './oauth2';
export type { TokenEndpointOptions, ClientAuthMethod } from './oauth2/token-endpoint';
export type { RefreshTokenGrantOptions } from './oauth2/refresh-token-grant';
export type { ClientCredentialsGrantOptions } from './oauth2/client-credentials-grant';
export type { JwtBearerGrantOptions } from './oauth2/jwt-bearer-grant';
export type { JwtAlgorithm, PrivateKeyInput } from './oauth2/jwt-assertion';
export {
  TokenFlightError,
  RefreshFailedError,
  ReauthorizationRequiredError,
  TokenPropagationError,
  ReplayLimitError,
  UnreplayableRequestError,
  StoreUnavailableError,
  MatcherError,
  isRetryableAuthError,
  type TokenFlightErrorCode,
  type HttpAnswer,
  type HttpRequestSummary,
} from './errors';
