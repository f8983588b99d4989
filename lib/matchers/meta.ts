import type { Matcher } from '../types';
import { field, jsonBody } from './read';

/** The user must act (458 app removed, 459 checkpoint, 460 password changed): a new token will not come from a refresh. */
const REAUTHORIZE_SUBCODES = new Set([458, 459, 460]);

/**
 * Meta Graph API (Facebook, Instagram, WhatsApp Cloud): `OAuthException` code 190 — sent with HTTP
 * **400** (occasionally 401). Subcodes 458 / 459 / 460 → `reauthorize`; anything else (463 expired,
 * 467 invalid, none) → refresh.
 */
export function meta(): Matcher {
  return (response) => {
    if (response.status !== 400 && response.status !== 401) return undefined;
    const body = jsonBody(response.data);
    if (Number(field(body, 'error', 'code')) !== 190) return undefined;
    return REAUTHORIZE_SUBCODES.has(Number(field(body, 'error', 'error_subcode'))) ? 'reauthorize' : 'refresh';
  };
}
