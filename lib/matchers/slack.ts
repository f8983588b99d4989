import type { Matcher } from '../types';
import { field, jsonBody } from './read';

const REFRESHABLE = new Set(['invalid_auth', 'token_expired', 'not_authed']);
/** The user or an admin took the grant away. */
const REAUTHORIZE = new Set(['token_revoked', 'account_inactive']);

/**
 * Slack Web API: HTTP **200** with `ok: false` and `error`. `invalid_auth`, `token_expired`,
 * `not_authed` → refresh; `token_revoked`, `account_inactive` → reauthorize; `missing_scope`,
 * `ratelimited`… → no opinion.
 */
export function slack(): Matcher {
  return (response) => {
    if (response.status !== 200) return undefined;
    const body = jsonBody(response.data);
    if (field(body, 'ok') !== false) return undefined;
    const error = field(body, 'error');
    if (typeof error !== 'string') return undefined;
    if (REFRESHABLE.has(error)) return 'refresh';
    return REAUTHORIZE.has(error) ? 'reauthorize' : undefined;
  };
}
