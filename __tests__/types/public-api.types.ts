/**
 * Type tests for the public surface: compiled by `npm run typecheck` (never run). An assignment that
 * stops compiling, or a `@ts-expect-error` that stops erroring, fails CI — so 1.x cannot narrow or
 * widen the surface by accident.
 */
import axios, { type AxiosError, type InternalAxiosRequestConfig } from 'axios';
import {
  attachTokenRefresh,
  isRetryableAuthError,
  matchers,
  oauth2,
  RedisCommandTimeoutError,
  type RefreshFailedError,
  TokenDecodeError,
  type TokenFlightError,
  type CredentialStatus,
  type PropagationOptions,
  type ReplayInfo,
  type TokenFlightErrorCode,
  type TOKEN_FLIGHT_EVENTS,
  type TokenFlightEventName,
  type TokenRefreshHandle,
  type TokenRefreshOptions,
  type TokenSet,
  type Verdict,
} from '../../lib';

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const expectType = <T extends true>(): T => true as T;

// Options: the 1.0 shape.
expectType<
  Equal<
    PropagationOptions,
    {
      readonly windowMs?: number | undefined;
      readonly maxWaits?: number | undefined;
      readonly backoffMs?: { readonly initial: number; readonly max: number } | undefined;
    }
  >
>();
expectType<Equal<ReplayInfo, { readonly key: string; readonly attempt: number; readonly verdict: 'refresh' | 'propagation' }>>();
expectType<Equal<Parameters<NonNullable<TokenRefreshOptions['beforeReplay']>>, [config: InternalAxiosRequestConfig, info: ReplayInfo]>>();
const options: TokenRefreshOptions = {
  refresh: async () => ({ accessToken: 'x' }),
  propagation: { windowMs: 1, maxWaits: 2, backoffMs: { initial: 1, max: 2 } },
  beforeReplay: async (config, { attempt }) => void config.headers.set('X-Attempt', String(attempt)),
};
// @ts-expect-error renamed in 1.0: propagation.windowMs
const renamed: TokenRefreshOptions = { refresh: async () => ({ accessToken: 'x' }), propagationWindowMs: 5 };

// Per request.
void axios.get('/x', { tokenFlight: { skip: false, key: 'tenant', maxReplays: 0 } });
// @ts-expect-error maxReplays is a number
void axios.get('/x', { tokenFlight: { maxReplays: '1' } });

// The handle.
expectType<Equal<ReturnType<TokenRefreshHandle['deleteToken']>, Promise<void>>>();
expectType<Equal<ReturnType<TokenRefreshHandle['setToken']>, Promise<TokenSet>>>();
const handle: TokenRefreshHandle = attachTokenRefresh(axios.create({ baseURL: 'https://api.example.com' }), options);

// Errors read like AxiosErrors.
declare const error: TokenFlightError;
expectType<Equal<typeof error.status, number | undefined>>();
expectType<Equal<NonNullable<typeof error.response>['status'], number>>();
expectType<Equal<NonNullable<typeof error.config>['url'], string | undefined>>();
const axiosLike: Pick<AxiosError, 'status'> = error;
expectType<
  Equal<
    TokenFlightErrorCode,
    | 'ERR_REFRESH_FAILED'
    | 'ERR_REAUTHORIZATION_REQUIRED'
    | 'ERR_TOKEN_PROPAGATION'
    | 'ERR_REPLAY_LIMIT'
    | 'ERR_UNREPLAYABLE_REQUEST'
    | 'ERR_STORE_UNAVAILABLE'
    | 'ERR_MATCHER_FAILED'
    | 'ERR_TOKEN_DECODE'
    | 'ERR_REDIS_TIMEOUT'
  >
>();
const decodes: TokenFlightError = new TokenDecodeError('x');
const timesOut: TokenFlightError = new RedisCommandTimeoutError('x');
declare const unknownError: unknown;
if (isRetryableAuthError(unknownError)) expectType<Equal<typeof unknownError, TokenFlightError>>();
expectType<Equal<RefreshFailedError['retryAfterMs'], number | undefined>>();

// Matchers answer verdicts; factories must be called.
expectType<Equal<Verdict, 'refresh' | 'propagation' | 'reauthorize'>>();
const linkedin = matchers.linkedin();
// @ts-expect-error an uncalled factory is not a matcher
const uncalled: TokenRefreshOptions['matchers'] = [matchers.linkedin];

// Operator view: no secret fields.
expectType<Equal<keyof CredentialStatus, 'key' | 'version' | 'expiresAt' | 'hasRefreshToken' | 'deleted' | 'locked' | 'failure'>>();

// Grants.
const grant: TokenRefreshOptions['refresh'] = oauth2.refreshTokenGrant({ tokenUrl: 'https://idp.example.com/token', clientId: 'c' });

export { axiosLike, decodes, grant, handle, linkedin, renamed, timesOut, uncalled };

// Grants: private_key_jwt replaces the client secret; the JWT bearer grant needs an audience and a key.
declare const pem: string;
oauth2.clientCredentialsGrant({ tokenUrl: 'https://a.example/token', clientId: 'c', authMethod: 'private_key_jwt', privateKey: pem });
oauth2.clientCredentialsGrant({ tokenUrl: 'https://a.example/token', clientId: 'c', clientSecret: 's' });
// @ts-expect-error client credentials need a secret or a private key
oauth2.clientCredentialsGrant({ tokenUrl: 'https://a.example/token', clientId: 'c' });
oauth2.jwtBearerGrant({ tokenUrl: 'https://a.example/token', issuer: 'i', audience: ['a', 'b'], privateKey: pem, algorithm: 'ES256' });
// @ts-expect-error HS256 is not a signing algorithm the helpers accept
oauth2.jwtBearerGrant({ tokenUrl: 'https://a.example/token', issuer: 'i', audience: 'a', privateKey: pem, algorithm: 'HS256' });

// Events: the exported names are exactly the event map's.
expectType<Equal<(typeof TOKEN_FLIGHT_EVENTS)[number], TokenFlightEventName>>();
