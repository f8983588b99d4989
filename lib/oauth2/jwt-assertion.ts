/**
 * Signed JWT assertions (RFC 7523): the key checked once, when a helper is created; every call
 * signs a fresh assertion with `jose` — a new `jti` and `iat` each time, a short `exp`.
 */
import { createPrivateKey, type JsonWebKey, type KeyObject, randomUUID } from 'node:crypto';
import { describe } from '../describe';
import { optionError } from '../validate';

export type JwtAlgorithm = 'RS256' | 'PS256' | 'ES256';

/** A private key as a PEM string (PKCS#8 or PKCS#1/SEC1), a JWK with its private members, or a `KeyObject`. */
export type PrivateKeyInput = string | JsonWebKey | KeyObject;

const ALGORITHMS: readonly JwtAlgorithm[] = ['RS256', 'PS256', 'ES256'];
/** A JWK's private members: scrubbed by value from every error, as the PEM itself is. */
const PRIVATE_JWK_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k'] as const;
/** RFC 7518 §3.3: RSA keys of 2048 bits or more. */
const MIN_RSA_BITS = 2048;

/** A checked signing key and what it signs with. */
export interface AssertionSigner {
  readonly key: KeyObject;
  readonly algorithm: JwtAlgorithm;
  readonly keyId: string | undefined;
  /** The key material as given (PEM text, JWK private members): never to appear in an error. */
  readonly secrets: readonly string[];
}

/**
 * Checks `privateKey` / `algorithm` / `keyId` as given to a helper (`where` names it) and returns
 * the signer: a public key, a symmetric (HMAC) secret, an unknown algorithm or a key that does not
 * fit the algorithm is a `TypeError` naming the option — never quoting the key.
 */
export function resolveSigner(
  where: string,
  { privateKey, algorithm = 'RS256', keyId }: { privateKey: unknown; algorithm: unknown; keyId: unknown },
): AssertionSigner {
  if (typeof algorithm !== 'string' || !ALGORITHMS.includes(algorithm as JwtAlgorithm)) {
    throw optionError(where, 'algorithm', "'RS256', 'PS256' or 'ES256'", algorithm);
  }
  if (keyId !== undefined && (typeof keyId !== 'string' || keyId === '')) throw optionError(where, 'keyId', 'a non-empty string', keyId);
  const key = privateKeyObject(where, privateKey);
  const fits =
    algorithm === 'ES256'
      ? key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1'
      : (key.asymmetricKeyType === 'rsa' || (algorithm === 'PS256' && key.asymmetricKeyType === 'rsa-pss')) &&
        (key.asymmetricKeyDetails?.modulusLength ?? 0) >= MIN_RSA_BITS;
  if (!fits) {
    const expected = algorithm === 'ES256' ? 'an EC P-256 private key' : `an RSA private key of ${MIN_RSA_BITS} bits or more`;
    throw optionError(where, 'privateKey', `${expected} for algorithm ${algorithm}`, `a ${key.asymmetricKeyType ?? 'unknown'} key`);
  }
  return { key, algorithm: algorithm as JwtAlgorithm, keyId: keyId as string | undefined, secrets: keyMaterial(privateKey) };
}

function privateKeyObject(where: string, given: unknown): KeyObject {
  const expected = 'a private key: PEM text, a JWK with its private members, or a private KeyObject';
  if (isKeyObject(given)) {
    if (given.type !== 'private') throw optionError(where, 'privateKey', expected, `a ${given.type} KeyObject`);
    return given;
  }
  if (typeof given !== 'string' && (typeof given !== 'object' || given === null)) throw optionError(where, 'privateKey', expected, given);
  try {
    return typeof given === 'string' ? createPrivateKey(given) : createPrivateKey({ key: given as JsonWebKey, format: 'jwk' });
  } catch {
    // Node's message can quote the input: say only what it was.
    throw optionError(where, 'privateKey', expected, typeof given === 'string' ? 'a string that is not a private key' : describe(given));
  }
}

function isKeyObject(value: unknown): value is KeyObject {
  return typeof value === 'object' && value !== null && typeof (value as KeyObject).export === 'function' && 'asymmetricKeyType' in value;
}

function keyMaterial(given: unknown): string[] {
  if (typeof given === 'string')
    return [given.trim(), ...given.split(/\r?\n/).filter((line) => line.length >= 16 && !line.startsWith('-----'))];
  if (typeof given !== 'object' || given === null || isKeyObject(given)) return [];
  const jwk = given as Record<string, unknown>;
  return PRIVATE_JWK_MEMBERS.map((member) => jwk[member]).filter((value): value is string => typeof value === 'string' && value !== '');
}

/** The claims of one assertion; `iat`, `exp` and `jti` are added per call. */
export interface AssertionClaims {
  readonly iss: string;
  readonly sub: string;
  readonly aud: string | readonly string[];
  readonly [claim: string]: unknown;
}

/** Signs a fresh assertion: `iat` now, `exp` `lifetimeSec` later, a new `jti`. */
export async function signAssertion(signer: AssertionSigner, claims: AssertionClaims, lifetimeSec: number): Promise<string> {
  // Loaded on first use: applications without JWT grants never load it.
  const { SignJWT } = await import('jose');
  const now = Math.floor(Date.now() / 1000);
  const { iss, sub, aud, ...rest } = claims;
  return new SignJWT({ ...rest })
    .setProtectedHeader({ alg: signer.algorithm, typ: 'JWT', ...(signer.keyId === undefined ? {} : { kid: signer.keyId }) })
    .setIssuer(iss)
    .setSubject(sub)
    .setAudience(typeof aud === 'string' ? aud : [...aud])
    .setIssuedAt(now)
    .setExpirationTime(now + lifetimeSec)
    .setJti(randomUUID())
    .sign(signer.key);
}
