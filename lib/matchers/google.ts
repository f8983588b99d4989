import type { Matcher } from '../types';
import { any, bodyField } from './compose';

/**
 * Google APIs: 401 with `error.status: "UNAUTHENTICATED"` (AIP-193 error model) or the legacy
 * `error.errors[].reason: "authError"` ("Invalid Credentials").
 * A 403 (`PERMISSION_DENIED`, `insufficientPermissions`) is a scope problem, not refreshable.
 */
export function google(): Matcher {
  return any(
    bodyField('error.status', ['UNAUTHENTICATED'], 'refresh', { status: 401 }),
    bodyField('error.errors.*.reason', ['authError'], 'refresh', { status: 401 }),
  );
}
