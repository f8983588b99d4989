/**
 * The memory of every token value this process has held, per credential. Redaction scrubs these
 * values from errors, and the send guard recognises them in headers it did not write (a copied
 * `Authorization` must not reach another origin), so a value missing here is a token leaked there.
 */
import { KnownSecrets } from '../../lib/secrets/known-secrets';
import type { TokenSet } from '../../lib';
import { NO_EXTRA } from '../../lib/token-extra';

const version = (n: number, refresh = true): TokenSet => ({
  accessToken: `at-${n}`,
  ...(refresh ? { refreshToken: `rt-${n}` } : {}),
  version: n,
  issuedAt: 0,
  extra: NO_EXTRA,
});

describe('forKey', () => {
  it('lists every token of the credential, newest first', () => {
    const secrets = new KnownSecrets();
    secrets.remember('k', version(1));
    secrets.remember('k', version(2));
    expect(secrets.forKey('k')).toEqual(['rt-2', 'at-2', 'rt-1', 'at-1']);
  });

  it('holds the access token of a credential that has no refresh token', () => {
    const secrets = new KnownSecrets();
    secrets.remember('k', version(1, false));
    expect(secrets.forKey('k')).toEqual(['at-1']);
    expect(secrets.forKey('unknown')).toEqual([]);
  });

  it('adds a rotated refresh token even when the access token stayed the same', () => {
    const secrets = new KnownSecrets();
    secrets.remember('k', version(1));
    secrets.remember('k', { ...version(2), accessToken: 'at-1' });
    expect(secrets.forKey('k')).toEqual(['rt-2', 'rt-1', 'at-1']);
  });

  it('keeps the last four versions, and no longer recognises older access tokens', () => {
    const secrets = new KnownSecrets();
    for (let n = 1; n <= 5; n++) secrets.remember('k', version(n));
    expect(secrets.forKey('k')).toEqual(['rt-5', 'at-5', 'rt-4', 'at-4', 'rt-3', 'at-3', 'rt-2', 'at-2']);
    expect(secrets.isManagedHeaderValue('Bearer at-1')).toBe(false);
    expect(secrets.isManagedHeaderValue('Bearer at-2')).toBe(true);
  });

  it('does not list a value twice when the same version is remembered again', () => {
    const secrets = new KnownSecrets();
    secrets.remember('k', version(1));
    secrets.remember('k', version(1));
    expect(secrets.forKey('k')).toEqual(['rt-1', 'at-1']);
  });
});

describe('isManagedHeaderValue', () => {
  const secrets = new KnownSecrets();
  secrets.remember('k', version(1));

  it('recognises the bare token and any scheme before it, spaces around the token ignored', () => {
    for (const value of ['at-1', 'Bearer at-1', 'token at-1', 'Bearer  at-1 ', ' at-1', 'at-1\t'])
      expect([value, secrets.isManagedHeaderValue(value)]).toEqual([value, true]);
  });

  it('recognises a token with a space in it, bare or after a scheme', () => {
    const spaced = new KnownSecrets();
    spaced.remember('k', { accessToken: 'odd token', version: 1, issuedAt: 0, extra: NO_EXTRA });
    expect([spaced.isManagedHeaderValue('odd token'), spaced.isManagedHeaderValue('Bearer odd token')]).toEqual([true, true]);
  });

  it('does not recognise other values, nor a refresh token', () => {
    for (const value of ['', 'at-', 'Bearer at-12', 'Bearer', 'rt-1', 'Bearer rt-1', 'at-1 Bearer'])
      expect([value, secrets.isManagedHeaderValue(value)]).toEqual([value, false]);
  });
});

describe('forget', () => {
  it("drops a credential's tokens, but not a token another credential still holds", () => {
    const secrets = new KnownSecrets();
    secrets.remember('a', version(1));
    secrets.remember('b', version(1));
    secrets.remember('b', version(2));

    secrets.forget('a');
    expect(secrets.forKey('a')).toEqual([]);
    expect(secrets.isManagedHeaderValue('Bearer at-1')).toBe(true);

    secrets.forget('b');
    expect(secrets.isManagedHeaderValue('Bearer at-1')).toBe(false);
    expect(secrets.isManagedHeaderValue('Bearer at-2')).toBe(false);
    secrets.forget('b');
  });
});
