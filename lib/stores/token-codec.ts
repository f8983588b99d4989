import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { TokenSet } from '../types';

const IV_BYTES = 12;
const TAG_BYTES = 16;
const ENCRYPTED_PREFIX = 'v1:';

/** Raised when a stored value cannot be read back: wrong key, tampering, or not ours. */
export class TokenDecodeError extends Error {
  override readonly name = 'TokenDecodeError';
}

/** Turns token sets into stored strings and back: JSON, or AES-256-GCM when given a key. */
export interface TokenCodec {
  encode(token: TokenSet, storageKey: string): string;
  decode(value: string, storageKey: string): TokenSet;
}

export function createCodec(encryptionKey: Buffer | undefined): TokenCodec {
  return encryptionKey === undefined ? jsonCodec : aesGcmCodec(encryptionKey);
}

const jsonCodec: TokenCodec = {
  encode: (token) => JSON.stringify(token),
  decode(value, storageKey) {
    if (value.startsWith(ENCRYPTED_PREFIX)) {
      throw new TokenDecodeError(`the token set at ${storageKey} is encrypted, but the store has no encryptionKey`);
    }
    return validated(parse(value, storageKey), storageKey);
  },
};

/**
 * `v1:` + base64(iv | tag | ciphertext). The Redis key is the additional authenticated data,
 * so a value copied to another credential's key does not decrypt.
 */
function aesGcmCodec(key: Buffer): TokenCodec {
  return {
    encode(token, storageKey) {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      cipher.setAAD(Buffer.from(storageKey));
      const ciphertext = Buffer.concat([cipher.update(JSON.stringify(token), 'utf8'), cipher.final()]);
      return ENCRYPTED_PREFIX + Buffer.concat([iv, cipher.getAuthTag(), ciphertext]).toString('base64');
    },
    decode(value, storageKey) {
      if (!value.startsWith(ENCRYPTED_PREFIX)) {
        throw new TokenDecodeError(`the token set at ${storageKey} is not encrypted, but the store has an encryptionKey`);
      }
      const raw = Buffer.from(value.slice(ENCRYPTED_PREFIX.length), 'base64');
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, IV_BYTES));
        decipher.setAAD(Buffer.from(storageKey));
        decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
        const plain = Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
        return validated(parse(plain, storageKey), storageKey);
      } catch (error) {
        if (error instanceof TokenDecodeError) throw error;
        throw new TokenDecodeError(`the token set at ${storageKey} could not be decrypted: wrong encryptionKey, or the value was tampered with`);
      }
    },
  };
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
    typeof token === 'object' && token !== null &&
    typeof token.accessToken === 'string' && /^[\x21-\x7e]+$/.test(token.accessToken) &&
    Number.isInteger(token.version) && (token.version as number) > 0 &&
    typeof token.issuedAt === 'number' && Number.isFinite(token.issuedAt) &&
    (token.expiresAt === undefined || token.expiresAt === null || (typeof token.expiresAt === 'number' && Number.isFinite(token.expiresAt)));
  if (!valid) throw new TokenDecodeError(`the token set at ${storageKey} does not have the expected shape`);
  if (token.expiresAt === null) {
    // Written by an older version from an overflowing `expires_in` (Infinity → JSON null): no known expiry.
    const { expiresAt: _overflowed, ...rest } = token;
    return rest as unknown as TokenSet;
  }
  return token as unknown as TokenSet;
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
    throw new TypeError('axios-token-flight: RedisTokenStore option `encryptionKey` is all zeros: use a random key, e.g. crypto.randomBytes(32)');
  }
  return key;
}
