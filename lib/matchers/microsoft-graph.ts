import type { Matcher } from '../types';
import { any, bodyField, header } from './compose';

/**
 * Microsoft Graph: 401 + `error.code: "InvalidAuthenticationToken"` → refresh.
 * A Continuous Access Evaluation claims challenge (401 + `WWW-Authenticate: … error="insufficient_claims"`)
 * needs a token carrying new claims, which a refresh-token grant does not give: `reauthorize`.
 */
export function microsoftGraph(): Matcher {
  return any(
    header('www-authenticate', /\berror\s*=\s*"?insufficient_claims/i, 'reauthorize', { status: 401 }),
    bodyField('error.code', ['InvalidAuthenticationToken'], 'refresh', { status: 401 }),
  );
}
