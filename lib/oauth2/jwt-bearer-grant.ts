import type { AxiosInstance } from 'axios';
import type { RefreshContext, TokenInput } from '../types';
import { optionError } from '../validate';
import { type JwtAlgorithm, type PrivateKeyInput, resolveSigner, signAssertion } from './jwt-assertion';
import { readHelperOptions, requestToken, resolveEndpoint } from './token-endpoint';

export interface JwtBearerGrantOptions {
  /** Absolute URL of the provider's token endpoint. */
  readonly tokenUrl: string;
  /** `iss`: who signs — a Google service account's email, a Salesforce connected app's consumer key. */
  readonly issuer: string;
  /** `sub`: whom the token acts for (a Google Workspace user for domain-wide delegation, a Salesforce user). @default the issuer */
  readonly subject?: string | undefined;
  /** `aud`: who the assertion is for (Google: the token endpoint; Salesforce: the login URL). */
  readonly audience: string | readonly string[];
  /** The private key that signs (PEM, JWK or `KeyObject`). Never in an error. */
  readonly privateKey: PrivateKeyInput;
  /** `kid` in the assertion's header (Google: the service account key's id). */
  readonly keyId?: string | undefined;
  /** @default 'RS256' */
  readonly algorithm?: JwtAlgorithm | undefined;
  /** Space-separated scopes, sent as `scope` exactly as given; absent when not given. */
  readonly scope?: string | undefined;
  /** How long each assertion is valid, in seconds (1 to 3600). @default 300 */
  readonly lifetimeSec?: number | undefined;
  /** More form fields. */
  readonly extraParams?: Readonly<Record<string, string>> | undefined;
  /** The largest token response accepted, in bytes. @default 1_048_576 */
  readonly maxResponseBytes?: number | undefined;
  /** The axios instance used to call the token endpoint. @default a private instance */
  readonly httpClient?: AxiosInstance | undefined;
}

const GRANT_TYPE = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
/** Google and Salesforce refuse assertions valid for longer than an hour. */
const MAX_LIFETIME_SEC = 3_600;
const DEFAULT_LIFETIME_SEC = 300;
const HELPER = 'oauth2.jwtBearerGrant';

/**
 * RFC 7523 §2.1: a signed assertion is the grant — Google service accounts, Salesforce's JWT bearer
 * flow. There is no refresh token: every refresh (the first one included, reason `missing`) signs
 * a new assertion, with a fresh `jti` and `iat`.
 */
export function jwtBearerGrant(options: JwtBearerGrantOptions): (context: RefreshContext) => Promise<TokenInput> {
  const where = `${HELPER}: `;
  const given = readHelperOptions(HELPER, options, ['issuer', 'subject', 'audience', 'lifetimeSec']);
  for (const name of ['clientId', 'clientSecret', 'authMethod'] as const) {
    if (given[name] !== undefined) throw optionError(where, name, 'absent: the assertion identifies the client', given[name]);
  }
  const { issuer, subject, audience, lifetimeSec = DEFAULT_LIFETIME_SEC } = given;
  if (typeof issuer !== 'string' || issuer === '') throw optionError(where, 'issuer', 'a non-empty string', issuer);
  if (subject !== undefined && (typeof subject !== 'string' || subject === ''))
    throw optionError(where, 'subject', 'a non-empty string', subject);
  const audiences = typeof audience === 'string' ? [audience] : Array.isArray(audience) ? (audience as unknown[]) : [];
  if (audiences.length === 0 || audiences.some((entry) => typeof entry !== 'string' || entry === '')) {
    throw optionError(where, 'audience', 'a non-empty string or an array of them', audience);
  }
  if (typeof lifetimeSec !== 'number' || !Number.isInteger(lifetimeSec) || lifetimeSec < 1 || lifetimeSec > MAX_LIFETIME_SEC) {
    throw optionError(where, 'lifetimeSec', `an integer number of seconds from 1 to ${MAX_LIFETIME_SEC}`, lifetimeSec);
  }
  const signer = resolveSigner(where, { privateKey: given.privateKey, algorithm: given.algorithm, keyId: given.keyId });
  const endpoint = resolveEndpoint(HELPER, { ...given, privateKey: undefined, keyId: undefined, algorithm: undefined }, 'none');
  const claims = {
    iss: issuer,
    sub: (subject ?? issuer) as string,
    aud: typeof audience === 'string' ? audience : (audiences as string[]),
  };
  return async function jwtBearerGrantRefresh(context) {
    const assertion = await signAssertion(signer, claims, lifetimeSec);
    return requestToken(endpoint, { grant_type: GRANT_TYPE, assertion }, context, [...signer.secrets, assertion]);
  };
}
