import { TokenDecodeError } from '../errors';
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { deepFreeze, isStoredExtra, NO_EXTRA } from '../token-extra';
import type { TokenSet } from '../types';

const IV_BYTES = 12;
const TAG_BYTES = 16;
/** `v1:` values bound only the Redis key; `v2:` values also bind the version (written since). */
const LEGACY_PREFIX = 'v1:';
const ENCRYPTED_PREFIX = 'v2:';

/** Raised when a stored value cannot be read back: wrong key, tampering, or not ours. */
export { TokenDecodeError } from '../errors';

/**
 * Turns token sets into stored strings and back: JSON, or AES-256-GCM when given a key.
 * `decode` gets the version the store keeps beside the value (the one its fence compares) and
 * refuses a value whose own version differs: otherwise a write to that field alone could make
 * every fenced write fail after the provider already rotated the refresh token.
 */
export interface TokenCodec {
  encode(token: TokenSet, storageKey: string): string;
  decode(value: string, storageKey: string, storedVersion: number): TokenSet;
}

export function createCodec(encryptionKey: Buffer | undefined): TokenCodec {
  return encryptionKey === undefined ? jsonCodec : aesGcmCodec(encryptionKey);
}

const jsonCodec: TokenCodec = {
  encode: (token) => JSON.stringify(token),
  decode(value, storageKey, storedVersion) {
    if (value.startsWith(ENCRYPTED_PREFIX) || value.startsWith(LEGACY_PREFIX)) {
      throw new TokenDecodeError(`the token set at ${storageKey} is encrypted, but the store has no encryptionKey`);
    }
    return versionChecked(validated(parse(value, storageKey), storageKey), storageKey, storedVersion);
  },
};

/** Additional authenticated data: the Redis key (a value copied to another credential does not decrypt) and the version. */
function associatedData(storageKey: string, version: number | undefined): Buffer {
  return Buffer.from(version === undefined ? storageKey : `${storageKey}\n${version}`);
}

/**
 * `v2:` + base64(iv | tag | ciphertext), with the Redis key and the version as additional
 * authenticated data: neither the version field nor the key can be changed without the key, and
 * a value moved to another credential or version does not decrypt. (Replaying an older value with
 * its own older version is possible for whoever can write to Redis; the plugin treats that as a
 * rollback and never moves a process's copy backwards.)
 */
function aesGcmCodec(key: Buffer): TokenCodec {
  return {
    encode(token, storageKey) {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      cipher.setAAD(associatedData(storageKey, token.version));
      const ciphertext = Buffer.concat([cipher.update(JSON.stringify(token), 'utf8'), cipher.final()]);
      return ENCRYPTED_PREFIX + Buffer.concat([iv, cipher.getAuthTag(), ciphertext]).toString('base64');
    },
    decode(value, storageKey, storedVersion) {
      const legacy = value.startsWith(LEGACY_PREFIX);
      if (!legacy && !value.startsWith(ENCRYPTED_PREFIX)) {
        throw new TokenDecodeError(`the token set at ${storageKey} is not encrypted, but the store has an encryptionKey`);
      }
      const raw = Buffer.from(value.slice(ENCRYPTED_PREFIX.length), 'base64');
      let plain: string;
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, IV_BYTES));
        decipher.setAAD(associatedData(storageKey, legacy ? undefined : storedVersion));
        decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
        plain = Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
      } catch {
        throw new TokenDecodeError(
          `the token set at ${storageKey} could not be decrypted: wrong encryptionKey, or the value or its version was tampered with`,
        );
      }
      return versionChecked(validated(parse(plain, storageKey), storageKey), storageKey, storedVersion);
    },
  };
}

function versionChecked(token: TokenSet, storageKey: string, storedVersion: number): TokenSet {
  if (token.version !== storedVersion) {
    throw new TokenDecodeError(
      `the token set at ${storageKey} says version ${token.version}, but the store's version field says ${storedVersion}: it was tampered with`,
    );
  }
  return token;
}

function parse(text: string, storageKey: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new TokenDecodeError(`the token set at ${storageKey} is not valid JSON`);
  }
}

function validated(value: unknown, storageKey: string): TokenSet {
  const token = value as Partial<Record<keyof TokenSet, unknown>> | null;
  const valid =
    token !== null &&
    typeof token.accessToken === 'string' &&
    /^[\x21-\x7e]+$/.test(token.accessToken) &&
    Number.isInteger(token.version) &&
    (token.version as number) > 0 &&
    // Number.isFinite is false for anything but a finite number (no coercion): no typeof needed.
    Number.isFinite(token.issuedAt) &&
    (token.expiresAt === undefined || token.expiresAt === null || Number.isFinite(token.expiresAt)) &&
    (token.rotatesRefreshToken === undefined || typeof token.rotatesRefreshToken === 'boolean') &&
    (token.generation === undefined || Number.isFinite(token.generation)) &&
    (token.extra === undefined || isStoredExtra(token.extra));
  if (!valid) throw new TokenDecodeError(`the token set at ${storageKey} does not have the expected shape`);
  // Written by an older version from an overflowing `expires_in` (Infinity → JSON null): no known expiry.
  const { expiresAt, extra, ...rest } = token;
  return {
    ...rest,
    ...(expiresAt === null ? {} : { expiresAt }),
    // None (written before `extra` existed, or empty — the common case): one shared frozen object,
    // nothing per cached credential.
    extra: extra === undefined || extra === null || Object.keys(extra).length === 0 ? NO_EXTRA : deepFreeze(extra),
  } as unknown as TokenSet;
}

const HEX_KEY = /^[0-9a-f]{64}$/i;
/** 32 bytes in canonical base64: 43 characters and one `=` (the last character's unused bits zero). */
const BASE64_KEY = /^[A-Za-z0-9+/]{43}=$/;

/**
 * Exactly 32 bytes: a Buffer / Uint8Array, 64 hex digits, or canonical base64. Lenient decodings are
 * refused (Node's base64 decoder skips junk and stops at the first bad character, so a typo could
 * still yield 32 bytes of a different key), and so is a key of all zeros (a placeholder, not a secret).
 */
export function parseEncryptionKey(value: unknown): Buffer | undefined {
  if (value === undefined) return undefined;
  let key: Buffer | undefined;
  if (value instanceof Uint8Array) key = Buffer.from(value);
  else if (typeof value === 'string' && HEX_KEY.test(value)) key = Buffer.from(value, 'hex');
  else if (typeof value === 'string' && BASE64_KEY.test(value)) {
    key = Buffer.from(value, 'base64');
    if (key.toString('base64') !== value) key = undefined;
  }
  if (key?.length !== 32) {
    throw new TypeError(
      'axios-token-flight: RedisTokenStore option `encryptionKey` must be exactly 32 bytes: a Buffer, 64 hex digits, ' +
        'or canonical base64 (44 characters ending in "="), e.g. crypto.randomBytes(32).toString("base64")',
    );
  }
  if (key.every((byte) => byte === 0)) {
    throw new TypeError(
      'axios-token-flight: RedisTokenStore option `encryptionKey` is all zeros: use a random key, e.g. crypto.randomBytes(32)',
    );
  }
  return key;
}
