import type { Matcher } from '../types';
import { bodyField } from './compose';

/** Xero: 401 with `Detail: "TokenExpired: token expired at …"`. */
export function xero(): Matcher {
  return bodyField('Detail', (value) => typeof value === 'string' && value.startsWith('TokenExpired'), 'refresh', { status: 401 });
}
