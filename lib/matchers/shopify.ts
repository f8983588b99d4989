import type { Matcher } from '../types';
import { bodyField } from './compose';

/** Shopify Admin API: 401 with `errors: "[API] Invalid API key or access token (…)"`. */
export function shopify(): Matcher {
  return bodyField('errors', (value) => typeof value === 'string' && /invalid api key or access token/i.test(value), 'refresh', {
    status: 401,
  });
}
