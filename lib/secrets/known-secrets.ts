import type { TokenSet } from '../types';

/** Versions of a credential whose tokens are remembered: a copied header can carry an older one. */
const VERSIONS_PER_KEY = 4;

/**
 * Every token value this plugin has held, per credential, for the last few versions. Two uses:
 * - the send guard asks whether a header value is one of ours (a token copied from an earlier
 *   request must not go to another origin, even though the plugin did not inject it this time);
 * - redaction scrubs these values out of every error the plugin emits or passes through.
 * Holds references to strings the token cache holds anyway, plus a few superseded ones per key.
 */
export class KnownSecrets {
  readonly #byKey = new Map<string, string[]>();
  /** Access token → how many credentials hold it (the same token may be seeded under two keys). */
  readonly #accessTokens = new Map<string, number>();

  remember(key: string, token: TokenSet): void {
    let secrets = this.#byKey.get(key);
    if (secrets === undefined) {
      // Sized exactly: an array grown by push() reserves room for 16 more (~70 bytes per credential).
      secrets = token.refreshToken === undefined ? [token.accessToken] : [token.accessToken, token.refreshToken];
      this.#byKey.set(key, secrets);
      this.#accessTokens.set(token.accessToken, (this.#accessTokens.get(token.accessToken) ?? 0) + 1);
      return;
    }
    if (!secrets.includes(token.accessToken)) {
      secrets.push(token.accessToken);
      this.#accessTokens.set(token.accessToken, (this.#accessTokens.get(token.accessToken) ?? 0) + 1);
    }
    if (token.refreshToken !== undefined && !secrets.includes(token.refreshToken)) secrets.push(token.refreshToken);
    while (secrets.length > VERSIONS_PER_KEY * 2) this.#forget(secrets.shift() as string);
  }

  /** Drops a credential the token cache let go (its tokens are read again on next use). */
  forget(key: string): void {
    const secrets = this.#byKey.get(key);
    if (secrets === undefined) return;
    this.#byKey.delete(key);
    for (const secret of secrets) this.#forget(secret);
  }

  /** The values to scrub from an error about `key`, newest first. */
  forKey(key: string): readonly string[] {
    return this.#byKey.get(key)?.slice().reverse() ?? [];
  }

  /** Whether a header value carries one of our access tokens: `Scheme <token>` or the bare token, whitespace (spaces, tabs) around it ignored. */
  isManagedHeaderValue(value: string): boolean {
    if (this.#accessTokens.has(value)) return true;
    const trimmed = value.trim();
    if (this.#accessTokens.has(trimmed)) return true;
    // After the scheme: whatever whitespace separates them (axios sends a tab as it is).
    const gap = trimmed.search(/[ \t]/);
    return gap !== -1 && this.#accessTokens.has(trimmed.slice(gap + 1).trim());
  }

  #forget(secret: string): void {
    const count = this.#accessTokens.get(secret);
    if (count === undefined) return;
    if (count <= 1) this.#accessTokens.delete(secret);
    else this.#accessTokens.set(secret, count - 1);
  }
}
