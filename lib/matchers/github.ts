import type { Matcher } from '../types';
import { bodyField } from './compose';

/** GitHub REST: 401 with `message: "Bad credentials"` (expired GitHub App user tokens included). */
export function github(): Matcher {
  return bodyField('message', ['Bad credentials'], 'refresh', { status: 401 });
}
