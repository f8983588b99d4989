/**
 * A refresh whose answer is refused (a malformed field, an oversized access token) may still have
 * rotated the refresh token at the provider: the one we presented is spent, and presenting it again
 * is reuse, which revokes the whole grant. So a refusal carries the answer's new refresh token,
 * for the coordinator to store (with the access token unusable) before it reports the failure.
 * Attached beside the error, not on it: an error is printed, logged and serialised; this is a secret.
 */
const kept = new WeakMap<object, string>();

/** RFC 6749 A.17: a refresh token is VSCHAR (visible ASCII and space). */
export const VSCHAR = /^[\x20-\x7e]+$/;
/** Far above any real refresh token; a bigger value is not believed to be one. */
const MAX_REFRESH_TOKEN_LENGTH = 16_384;

/** Whether `value` can be presented as a refresh token in a later token request. */
function isUsableRefreshToken(value: unknown): value is string {
  return typeof value === 'string' && value.length <= MAX_REFRESH_TOKEN_LENGTH && VSCHAR.test(value) && value.trim() !== '';
}

/** Marks `error` as a refusal of an answer that carried `refreshToken` (ignored unless usable). Returns `error`. */
export function keepRefreshToken<E extends object>(error: E, refreshToken: unknown): E {
  if (isUsableRefreshToken(refreshToken)) kept.set(error, refreshToken);
  return error;
}

/** The refresh token a refused answer carried, if any. */
export function keptRefreshTokenOf(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null ? kept.get(error) : undefined;
}
