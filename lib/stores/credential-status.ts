import type { RefreshFailureRecord } from './token-store';
import type { TokenSet } from '../types';

/** What an operator may see of a credential (`store.credentials()`): never a token or secret. */
export interface CredentialStatus {
  readonly key: string;
  /** The stored version; a deleted credential's tombstone version. */
  readonly version: number;
  /** Epoch milliseconds, as in the token set; absent when unknown or deleted. */
  readonly expiresAt?: number | undefined;
  readonly hasRefreshToken: boolean;
  /** Deleted with `deleteToken`: only a tombstone is left. */
  readonly deleted: boolean;
  /** A refresh holds the credential's lock right now. */
  readonly locked: boolean;
  /** The fleet's memory of a failed refresh: holding back until `until`, or a person must re-authorise. */
  readonly failure?: { readonly kind: 'backoff' | 'reauthorize'; readonly until?: number | undefined } | undefined;
}

export interface CredentialListOptions {
  /** Redis glob rules on the credential key (`*`, `?`, `[abc]`, `\` to escape). @default '*' */
  readonly match?: string | undefined;
}

export function statusOf(
  key: string,
  token: TokenSet | null,
  tombstoneVersion: number | undefined,
  locked: boolean,
  failure: RefreshFailureRecord | null,
): CredentialStatus {
  const deleted = token === null && tombstoneVersion !== undefined;
  return {
    key,
    version: token?.version ?? tombstoneVersion ?? 0,
    ...(token?.expiresAt === undefined ? {} : { expiresAt: token.expiresAt }),
    hasRefreshToken: token?.refreshToken !== undefined,
    deleted,
    locked,
    ...(failure === null || deleted ? {} : { failure: { kind: failure.kind, until: failure.until } }),
  };
}

/** Redis glob rules (`*`, `?`, `[…]`, `[^…]`, `\x`) as a RegExp over the whole key. */
export function globToRegExp(pattern: string): RegExp {
  let source = '';
  for (let index = 0; index < pattern.length; index++) {
    const char = pattern[index] as string;
    if (char === '*') source += '.*';
    else if (char === '?') source += '.';
    else if (char === '\\' && index + 1 < pattern.length) source += escapeRegExp(pattern[++index] as string);
    else if (char === '[') {
      const end = pattern.indexOf(']', index + 1);
      if (end === -1) {
        source += '\\[';
        continue;
      }
      const body = pattern.slice(index + 1, end).replace(/\\/g, '\\\\');
      source += `[${body.startsWith('^') ? `^${body.slice(1)}` : body}]`;
      index = end;
    } else source += escapeRegExp(char);
  }
  return new RegExp(`^${source}$`, 's');
}

/** Escapes `*?[]\` so a text matches itself only (a credential key for `show <key>`, a store prefix). */
export function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&');
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
