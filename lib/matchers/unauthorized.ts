import type { Matcher } from '../types';
import { headerValue } from './read';

/** RFC 6750 §3: `WWW-Authenticate: Bearer …, error="invalid_token"`. */
const INVALID_TOKEN_CHALLENGE = /\bbearer\b[\s\S]*\berror\s*=\s*"?invalid_token"?/i;

/**
 * The generic matcher: any 401, or an error status (4xx/5xx) carrying an RFC 6750 `invalid_token` challenge.
 * A 403 (`insufficient_scope`) is not refreshable and is left alone.
 */
export function unauthorized(): Matcher {
  return (response) => {
    if (response.status === 401) return 'refresh';
    // Successes carry no challenge worth reading; skipping them keeps the hot path free of header scans.
    if (response.status < 400) return undefined;
    const challenge = headerValue(response.headers, 'www-authenticate');
    if (challenge !== undefined && INVALID_TOKEN_CHALLENGE.test(challenge)) return 'refresh';
    return undefined;
  };
}
