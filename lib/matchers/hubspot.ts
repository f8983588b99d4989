import type { Matcher } from '../types';
import { bodyField } from './compose';

/** HubSpot: 401 with `category: "EXPIRED_AUTHENTICATION"` (or `"INVALID_AUTHENTICATION"`, seen in public payloads). */
export function hubspot(): Matcher {
  return bodyField('category', ['EXPIRED_AUTHENTICATION', 'INVALID_AUTHENTICATION'], 'refresh', { status: 401 });
}
