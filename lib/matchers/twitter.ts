import type { Matcher } from '../types';
import { any, bodyField } from './compose';
import { field, jsonBody } from './read';

/**
 * X (Twitter): API v2 answers 401 with an RFC 7807 problem (`type: "about:blank"`, `title: "Unauthorized"`);
 * v1.1 answers 401 with `errors[].code: 89` ("Invalid or expired token.").
 */
export function twitter(): Matcher {
  return any(
    (response) => {
      if (response.status !== 401) return undefined;
      const body = jsonBody(response.data);
      return field(body, 'type') === 'about:blank' && field(body, 'title') === 'Unauthorized' ? 'refresh' : undefined;
    },
    bodyField('errors.*.code', [89], 'refresh', { status: 401 }),
  );
}
