/**
 * The stored form of a token set, both codecs, every refusal. A value the plugin cannot trust must
 * be a TokenDecodeError naming the key (the store turns it into StoreUnavailableError, never into a
 * token sent to an API); a value it can trust must come back exactly as written.
 */
import { createCipheriv, randomBytes } from 'node:crypto';
import type { TokenSet } from '../../lib';
import { createCodec, parseEncryptionKey, TokenDecodeError } from '../../lib/stores/token-codec';

const KEY = randomBytes(32);
const token: TokenSet = {
  accessToken: 'at_codec-access-token',
  refreshToken: 'rt_codec-refresh-token',
  version: 3,
  issuedAt: 1_700_000_000_000,
  expiresAt: 1_700_000_060_000,
  rotatesRefreshToken: true,
  extra: { instance_url: 'https://acme.my.salesforce.com', nested: { region: 'eu' } },
};

function decodeError(run: () => unknown): TokenDecodeError {
  try {
    run();
  } catch (error) {
    if (error instanceof TokenDecodeError) return error;
    throw error;
  }
  throw new Error('expected a TokenDecodeError');
}

describe.each([
  ['JSON', createCodec(undefined)],
  ['AES-256-GCM', createCodec(KEY)],
])('%s codec', (_name, codec) => {
  it('gives back exactly what was written, with extra deep-frozen', () => {
    const decoded = codec.decode(codec.encode(token, 'p:{k}:token'), 'p:{k}:token', 3);
    expect(decoded).toEqual(token);
    expect(Object.isFrozen(decoded.extra)).toBe(true);
    expect(Object.isFrozen((decoded.extra as { nested: object }).nested)).toBe(true);
  });

  it('a token set without extra, or with an empty one, shares one frozen empty extra', () => {
    const { extra: _omitted, ...bare } = token;
    const first = codec.decode(codec.encode(bare as TokenSet, 'k'), 'k', 3);
    const second = codec.decode(codec.encode({ ...token, extra: {} }, 'k'), 'k', 3);
    expect(first.extra).toEqual({});
    expect(second.extra).toBe(first.extra);
    expect(Object.isFrozen(first.extra)).toBe(true);
  });

  it('refuses a value whose version is not the one the store keeps beside it, naming both', () => {
    const error = decodeError(() => codec.decode(codec.encode(token, 'k'), 'k', 4));
    expect(error.name).toBe('TokenDecodeError');
    expect(error.message).toMatch(
      /^the token set at k (says version 3, but the store's version field says 4: it was tampered with|could not be decrypted)/,
    );
  });
});

describe('JSON codec', () => {
  const codec = createCodec(undefined);
  const decode = (value: unknown, version = 1): TokenSet => codec.decode(JSON.stringify(value), 'p:{k}:token', version);
  const valid = { accessToken: 'at_x', version: 1, issuedAt: 1 };

  it('says so when a value is encrypted but the store has no key (both prefixes)', () => {
    for (const value of ['v2:AAAA', 'v1:AAAA']) {
      expect(decodeError(() => codec.decode(value, 'p:{k}:token', 1)).message).toBe(
        'the token set at p:{k}:token is encrypted, but the store has no encryptionKey',
      );
    }
  });

  it.each(['issuedAt', 'expiresAt'])('refuses an infinite %s (JSON reads 1e999 as Infinity)', (field) => {
    const text = `{"accessToken":"at_x","version":1,"issuedAt":1,"${field}":1e999}`;
    expect(decodeError(() => codec.decode(text, 'p:{k}:token', 1)).message).toBe(
      'the token set at p:{k}:token does not have the expected shape',
    );
  });

  it('says so when a value is not JSON', () => {
    expect(decodeError(() => codec.decode('{"accessToken":', 'p:{k}:token', 1)).message).toBe(
      'the token set at p:{k}:token is not valid JSON',
    );
  });

  it.each([
    ['null', null],
    ['a string', 'at_x'],
    ['no accessToken', { version: 1, issuedAt: 1 }],
    ['an empty accessToken', { ...valid, accessToken: '' }],
    ['an accessToken with a space', { ...valid, accessToken: 'at x' }],
    ['an accessToken with a line break', { ...valid, accessToken: 'at\r\nx' }],
    ['an accessToken with a non-ASCII character', { ...valid, accessToken: 'at_é' }],
    ['version 0', { ...valid, version: 0 }],
    ['a fractional version', { ...valid, version: 1.5 }],
    ['a string version', { ...valid, version: '1' }],
    ['no issuedAt', { accessToken: 'at_x', version: 1 }],
    ['a string issuedAt', { ...valid, issuedAt: '1' }],
    ['a string expiresAt', { ...valid, expiresAt: 'soon' }],
    ['a string rotatesRefreshToken', { ...valid, rotatesRefreshToken: 'yes' }],
    ['an array extra', { ...valid, extra: ['a'] }],
    ['a string extra', { ...valid, extra: 'a' }],
    ['a null extra', { ...valid, extra: null }],
  ])('refuses a value with %s', (_name, value) => {
    expect(decodeError(() => decode(value)).message).toBe('the token set at p:{k}:token does not have the expected shape');
  });

  it.each([
    ['the lowest printable accessToken characters', { ...valid, accessToken: '!~' }],
    ['expiresAt 0', { ...valid, expiresAt: 0 }],
    ['rotatesRefreshToken false', { ...valid, rotatesRefreshToken: false }],
    ['issuedAt 0', { ...valid, issuedAt: 0 }],
  ])('accepts %s', (_name, value) => {
    expect(decode(value)).toMatchObject(value);
  });

  it('reads expiresAt null (an overflowed lifetime written by an older version) as no known expiry', () => {
    const decoded = decode({ ...valid, expiresAt: null });
    expect(decoded).toEqual({ ...valid, extra: {} });
    expect('expiresAt' in decoded).toBe(false);
  });
});

describe('AES-256-GCM codec', () => {
  const codec = createCodec(KEY);

  it('writes v2 values that do not contain the token, and a different ciphertext each time', () => {
    const first = codec.encode(token, 'k');
    const second = codec.encode(token, 'k');
    expect(first.startsWith('v2:')).toBe(true);
    expect(first).not.toBe(second);
    expect(first).not.toContain(token.accessToken);
    expect(Buffer.from(first.slice(3), 'base64').toString('latin1')).not.toContain('codec');
  });

  it('refuses a plain JSON value', () => {
    expect(decodeError(() => codec.decode(JSON.stringify(token), 'k', 3)).message).toBe(
      'the token set at k is not encrypted, but the store has an encryptionKey',
    );
  });

  it.each([
    ['another key', (value: string) => createCodec(randomBytes(32)).decode(value, 'k', 3)],
    ['another Redis key', (value: string) => codec.decode(value, 'other', 3)],
    ['another version field', (value: string) => codec.decode(value, 'k', 4)],
    [
      'one bit of the ciphertext flipped',
      (value: string) => {
        const raw = Buffer.from(value.slice(3), 'base64');
        raw[raw.length - 1] = (raw[raw.length - 1] as number) ^ 1;
        return codec.decode(`v2:${raw.toString('base64')}`, 'k', 3);
      },
    ],
    [
      'one bit of the tag flipped',
      (value: string) => {
        const raw = Buffer.from(value.slice(3), 'base64');
        raw[12] = (raw[12] as number) ^ 1;
        return codec.decode(`v2:${raw.toString('base64')}`, 'k', 3);
      },
    ],
    ['a truncated value', (value: string) => codec.decode(value.slice(0, 20), 'k', 3)],
  ])('refuses a value read with %s', (_name, read) => {
    const value = codec.encode(token, 'k');
    expect(decodeError(() => read(value)).message).toMatch(
      /^the token set at (k|other) could not be decrypted: wrong encryptionKey, or the value or its version was tampered with$/,
    );
  });

  /** A value as versions before the version binding wrote it: the Redis key alone as associated data. */
  function legacyValue(set: TokenSet, storageKey: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', KEY, iv);
    cipher.setAAD(Buffer.from(storageKey));
    const ciphertext = Buffer.concat([cipher.update(JSON.stringify(set), 'utf8'), cipher.final()]);
    return `v1:${Buffer.concat([iv, cipher.getAuthTag(), ciphertext]).toString('base64')}`;
  }

  it('still reads v1 values (bound to the Redis key only), and still checks their version', () => {
    expect(codec.decode(legacyValue(token, 'k'), 'k', 3)).toEqual(token);
    expect(decodeError(() => codec.decode(legacyValue(token, 'k'), 'other', 3)).message).toMatch(/could not be decrypted/);
    expect(decodeError(() => codec.decode(legacyValue(token, 'k'), 'k', 4)).message).toBe(
      "the token set at k says version 3, but the store's version field says 4: it was tampered with",
    );
  });

  it('refuses a decrypted value of the wrong shape', () => {
    const { accessToken: _dropped, ...shapeless } = token;
    expect(decodeError(() => codec.decode(codec.encode(shapeless as TokenSet, 'k'), 'k', 3)).message).toBe(
      'the token set at k does not have the expected shape',
    );
  });
});

/** The same 32 bytes with one of the last character's 2 unused bits set. */
function nonCanonical(base64: string): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  const last = alphabet.indexOf(base64.charAt(42));
  return `${base64.slice(0, 42)}${alphabet.charAt(last ^ 1)}=`;
}

describe('parseEncryptionKey', () => {
  const bytes = randomBytes(32);
  it('the non-canonical form decodes to the same bytes in Node (so only the canonical check refuses it)', () => {
    expect(Buffer.from(nonCanonical(bytes.toString('base64')), 'base64')).toEqual(bytes);
  });

  it.each([
    ['a Buffer', bytes],
    ['a Uint8Array', new Uint8Array(bytes)],
    ['64 hex digits', bytes.toString('hex')],
    ['64 upper-case hex digits', bytes.toString('hex').toUpperCase()],
    ['canonical base64', bytes.toString('base64')],
  ])('reads %s as those 32 bytes', (_name, value) => {
    expect(parseEncryptionKey(value)).toEqual(bytes);
  });

  it('no key is no encryption', () => {
    expect(parseEncryptionKey(undefined)).toBeUndefined();
  });

  it.each([
    ['31 bytes', randomBytes(31)],
    ['33 bytes', randomBytes(33)],
    ['63 hex digits', bytes.toString('hex').slice(1)],
    ['64 characters that are not hex', 'g'.repeat(64)],
    ['base64 without padding', bytes.toString('base64').slice(0, 43)],
    ['base64url', `${Buffer.alloc(32, 0xfb).toString('base64url')}=`], // '-_v7…': base64 would be '+/v7…'
    ['base64 with junk inside', `${bytes.toString('base64').slice(0, 20)}!${bytes.toString('base64').slice(21)}`],
    // The last character carries 2 unused bits; a non-zero one decodes to the same 32 bytes in Node.
    ['non-canonical base64', nonCanonical(bytes.toString('base64'))],
    ['a number', 32],
  ])('refuses %s', (_name, value) => {
    expect(() => parseEncryptionKey(value)).toThrow(TypeError);
    expect(() => parseEncryptionKey(value)).toThrow(
      'axios-token-flight: RedisTokenStore option `encryptionKey` must be exactly 32 bytes: a Buffer, 64 hex digits, or canonical base64 (44 characters ending in "="), e.g. crypto.randomBytes(32).toString("base64")',
    );
  });

  it('refuses a key of all zeros, in every form', () => {
    for (const value of [Buffer.alloc(32), '0'.repeat(64), Buffer.alloc(32).toString('base64')]) {
      expect(() => parseEncryptionKey(value)).toThrow(
        'axios-token-flight: RedisTokenStore option `encryptionKey` is all zeros: use a random key, e.g. crypto.randomBytes(32)',
      );
    }
  });

  it('accepts a key with a single non-zero byte', () => {
    const almost = Buffer.alloc(32);
    almost[31] = 1;
    expect(parseEncryptionKey(almost)).toEqual(almost);
  });
});
