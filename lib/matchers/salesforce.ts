import type { Matcher } from '../types';
import { bodyField } from './compose';

/** Salesforce REST: 401 with a JSON **array** body whose items carry `errorCode: "INVALID_SESSION_ID"`. */
export function salesforce(): Matcher {
  return bodyField('*.errorCode', ['INVALID_SESSION_ID'], 'refresh', { status: 401 });
}
