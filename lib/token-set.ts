import { VSCHAR } from './kept-refresh-token';
import { normaliseExtra } from './token-extra';
import type { TokenInput, TokenSet } from './types';
import { describe } from './describe';
import { HTTP_TOKEN } from './http-token';

/**
 * The longest lifetime believed: a longer `expires_in` / `expiresAt` is cut to this. A token then
 * gets refreshed after a year instead of never, and an absurd value (1e306 s) cannot overflow to
 * `Infinity`, which JSON stores as `null` and every other process reads as "always due".
 */
const MAX_TOKEN_LIFETIME_MS = 365 * 24 * 60 * 60 * 1000;

/**
 * The largest access token accepted, in characters. It travels in a request header, and servers
 * refuse header lines past 8–16 KiB (431): a bigger token would fail every request until it expires.
 * Real tokens, JWTs with many claims included, stay far below.
 */
const MAX_ACCESS_TOKEN_LENGTH = 16_384;

/** An access token travels in a header: visible ASCII only (RFC 6750 b64token and the `!` Salesforce uses). */
const HEADER_SAFE = /^[\x21-\x7e]+$/;

/** Why a token string cannot be used, or `undefined` when it can. Never quotes the value. */
function tokenStringProblem(name: string, value: string, allowed: RegExp, what: string): string | undefined {
  return allowed.test(value)
    ? undefined
    : `${name} contains characters ${what} cannot carry (control characters, line breaks or non-ASCII)`;
}

/**
 * Turns what a refresh (or `setToken`) returned into the next stored version.
 * Returns a problem description instead of throwing so each caller can pick the error type:
 * a `TypeError` for `setToken`, a `RefreshFailedError` for a refresh.
 */
export function normaliseTokenInput(input: unknown, previous: TokenSet | null, now: number): { token: TokenSet } | { problem: string } {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return { problem: `expected an object with accessToken, got ${describe(input)}` };
  }
  const candidate = input as Record<keyof TokenInput, unknown>;
  const { accessToken, refreshToken, expiresIn, expiresAt, tokenType, scope } = candidate;

  if (typeof accessToken !== 'string' || accessToken.trim() === '') {
    return { problem: `accessToken must be a non-empty string, got ${describe(accessToken)}` };
  }
  for (const [name, value] of [
    ['refreshToken', refreshToken],
    ['tokenType', tokenType],
    ['scope', scope],
  ] as const) {
    if (value !== undefined && typeof value !== 'string') return { problem: `${name} must be a string, got ${describe(value)}` };
  }
  if (refreshToken === '') return { problem: 'refreshToken must not be empty' };
  if (accessToken.length > MAX_ACCESS_TOKEN_LENGTH) {
    return {
      problem: `accessToken is too large (${accessToken.length} characters; at most ${MAX_ACCESS_TOKEN_LENGTH} fit in a request header)`,
    };
  }
  const charsetProblem =
    tokenStringProblem('accessToken', accessToken, HEADER_SAFE, 'an HTTP header') ??
    (typeof refreshToken === 'string' ? tokenStringProblem('refreshToken', refreshToken, VSCHAR, 'a token request') : undefined);
  if (charsetProblem !== undefined) return { problem: charsetProblem };
  if (typeof tokenType === 'string' && !HTTP_TOKEN.test(tokenType)) {
    return {
      problem:
        'tokenType must be an HTTP authentication scheme name such as "Bearer" (letters, digits and !#$%&\'*+-.^_`|~ only, not empty)',
    };
  }
  if (expiresIn !== undefined && !(typeof expiresIn === 'number' && Number.isFinite(expiresIn) && expiresIn > 0)) {
    return { problem: `expiresIn must be a positive number of seconds, got ${describe(expiresIn)}` };
  }
  if (expiresAt !== undefined && !(typeof expiresAt === 'number' && Number.isFinite(expiresAt) && expiresAt > now)) {
    return { problem: `expiresAt must be a future epoch-milliseconds number, got ${describe(expiresAt)}` };
  }

  const requestedExpiresAt =
    (expiresAt as number | undefined) ?? (expiresIn === undefined ? undefined : now + (expiresIn as number) * 1000);
  const resolvedExpiresAt = requestedExpiresAt === undefined ? undefined : Math.min(requestedExpiresAt, now + MAX_TOKEN_LIFETIME_MS);
  const extra = normaliseExtra(candidate.extra, previous?.extra);
  if ('problem' in extra) return extra;
  // Checked above: these are strings or undefined.
  const keptRefreshToken = (refreshToken as string | undefined) ?? previous?.refreshToken;
  return {
    token: {
      accessToken,
      ...(keptRefreshToken === undefined ? {} : { refreshToken: keptRefreshToken }),
      ...(resolvedExpiresAt === undefined ? {} : { expiresAt: resolvedExpiresAt }),
      ...(typeof tokenType === 'string' ? { tokenType } : {}),
      ...(typeof scope === 'string' ? { scope } : {}),
      extra: extra.extra,
      version: (previous?.version ?? 0) + 1,
      issuedAt: now,
      // A property of the provider, not of one token: kept until a refresh shows otherwise.
      ...(previous?.rotatesRefreshToken === undefined ? {} : { rotatesRefreshToken: previous.rotatesRefreshToken }),
      // The grant's line of versions goes on.
      ...(previous?.generation === undefined ? {} : { generation: previous.generation }),
    },
  };
}
