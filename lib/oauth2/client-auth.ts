/**
 * How a grant helper authenticates its client to the token endpoint (RFC 6749 §2.3; RFC 7523 §2.2;
 * OpenID Connect Core §9): a secret in Basic or in the form, a signed assertion, or nothing.
 */
import { optionError } from '../validate';
import { type AssertionSigner, resolveSigner, signAssertion } from './jwt-assertion';

export type ClientAuthMethod = 'client_secret_basic' | 'client_secret_post' | 'private_key_jwt';

/**
 * `required`: the client must authenticate (client credentials); `optional`: a public client may
 * send only its `client_id` (refresh token grant); `none`: no client id either (the JWT bearer
 * grant, whose assertion names the client).
 */
export type ClientAuthRequirement = 'required' | 'optional' | 'none';

const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
/** A client assertion is used once, right away: five minutes covers clock skew, not replays. */
const CLIENT_ASSERTION_LIFETIME_SEC = 300;

export interface ClientAuth {
  readonly headers: Readonly<Record<string, string>>;
  readonly params: Readonly<Record<string, string>>;
  /** Client secrets and key material, scrubbed by value from every error. */
  readonly secrets: readonly string[];
  /** `private_key_jwt`: a fresh `client_assertion` for each call to the token endpoint. */
  readonly assertion: ((tokenUrl: string) => Promise<Record<string, string>>) | undefined;
}

export interface ClientAuthOptions {
  readonly clientId: unknown;
  readonly clientSecret: unknown;
  readonly authMethod: unknown;
  readonly privateKey: unknown;
  readonly keyId: unknown;
  readonly algorithm: unknown;
}

export function resolveClientAuth(where: string, options: ClientAuthOptions, requirement: ClientAuthRequirement): ClientAuth {
  const { clientId, clientSecret, authMethod, privateKey } = options;
  if (requirement === 'none' ? clientId !== undefined && typeof clientId !== 'string' : typeof clientId !== 'string' || clientId === '') {
    throw optionError(where, 'clientId', 'a non-empty string', clientId);
  }
  if (clientSecret !== undefined && (typeof clientSecret !== 'string' || clientSecret === '')) {
    throw optionError(where, 'clientSecret', 'a non-empty string', clientSecret);
  }
  if (
    authMethod !== undefined &&
    authMethod !== 'client_secret_basic' &&
    authMethod !== 'client_secret_post' &&
    authMethod !== 'private_key_jwt'
  ) {
    throw optionError(where, 'authMethod', "'client_secret_basic', 'client_secret_post' or 'private_key_jwt'", authMethod);
  }
  if (authMethod === 'private_key_jwt') return privateKeyJwt(where, clientId as string, options);
  if (privateKey !== undefined) throw optionError(where, 'privateKey', "given only with authMethod 'private_key_jwt'", 'a key');
  if (requirement === 'required' && clientSecret === undefined)
    throw optionError(where, 'clientSecret', 'a non-empty string', clientSecret);
  if (authMethod !== undefined && clientSecret === undefined) {
    throw optionError(where, 'clientSecret', `set when authMethod is '${authMethod}'`, clientSecret);
  }
  const idParams: Record<string, string> = typeof clientId === 'string' && clientId !== '' ? { client_id: clientId } : {};
  if (clientSecret === undefined) return { headers: {}, params: idParams, secrets: [], assertion: undefined };
  if ((authMethod ?? 'client_secret_basic') === 'client_secret_post') {
    return {
      headers: {},
      params: { ...idParams, client_secret: clientSecret as string },
      secrets: [clientSecret as string],
      assertion: undefined,
    };
  }
  // RFC 6749 §2.3.1: each part form-urlencoded before base64.
  const credentials = Buffer.from(`${formEncode(clientId as string)}:${formEncode(clientSecret as string)}`).toString('base64');
  return {
    headers: { Authorization: `Basic ${credentials}` },
    params: {},
    secrets: [clientSecret as string, credentials],
    assertion: undefined,
  };
}

function privateKeyJwt(where: string, clientId: string, { clientSecret, privateKey, keyId, algorithm }: ClientAuthOptions): ClientAuth {
  if (clientSecret !== undefined)
    throw optionError(where, 'clientSecret', "absent with authMethod 'private_key_jwt' (the key replaces it)", 'a secret');
  if (privateKey === undefined) throw optionError(where, 'privateKey', "given with authMethod 'private_key_jwt'", privateKey);
  const signer: AssertionSigner = resolveSigner(where, { privateKey, algorithm, keyId });
  return {
    headers: {},
    params: { client_id: clientId },
    secrets: signer.secrets,
    // iss = sub = the client; aud = the token endpoint (RFC 7523 §3; OpenID Connect Core §9).
    assertion: async (tokenUrl) => ({
      client_assertion_type: ASSERTION_TYPE,
      client_assertion: await signAssertion(signer, { iss: clientId, sub: clientId, aud: tokenUrl }, CLIENT_ASSERTION_LIFETIME_SEC),
    }),
  };
}

function formEncode(value: string): string {
  return new URLSearchParams({ v: value }).toString().slice(2);
}
