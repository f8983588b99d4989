import type { Matcher } from '../types';
import { field, jsonBody } from './read';

/** LinkedIn answers a freshly minted token with this while it propagates (REVOKED_ACCESS_TOKEN). */
const NOT_YET_PROPAGATED = 65601;
/** INVALID_ACCESS_TOKEN, EXPIRED_ACCESS_TOKEN. */
const REFRESHABLE = new Set([65600, 65602]);

/**
 * LinkedIn: 401 + `serviceErrorCode` 65601 → wait for propagation; 65600 / 65602 → refresh.
 * A 401 with another or no code is left to the next matcher (usually `unauthorized()`).
 */
export function linkedin(): Matcher {
  return (response) => {
    if (response.status !== 401) return undefined;
    const code = Number(field(jsonBody(response.data), 'serviceErrorCode'));
    if (code === NOT_YET_PROPAGATED) return 'propagation';
    if (REFRESHABLE.has(code)) return 'refresh';
    return undefined;
  };
}
