import type { Matcher } from '../types';
import { bodyField } from './compose';

/** Zoom: 401 with `code: 124` ("Invalid access token."). */
export function zoom(): Matcher {
  return bodyField('code', [124], 'refresh', { status: 401 });
}
