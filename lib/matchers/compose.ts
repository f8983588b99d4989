import type { AxiosResponse } from 'axios';
import { describe } from '../describe';
import { HTTP_TOKEN } from '../http-token';
import type { Matcher, Verdict } from '../types';
import { readingOption } from '../validate';
import { fieldValues, headerValue, jsonBody } from './read';

const VERDICTS = new Set<Verdict>(['refresh', 'propagation', 'reauthorize']);

function assertStatuses(helper: string, statuses: readonly unknown[]): readonly number[] {
  if (statuses.length === 0 || statuses.some((s) => !Number.isInteger(s) || (s as number) < 100 || (s as number) > 599)) {
    throw new TypeError(
      `axios-token-flight: matchers.${helper}: statuses must be HTTP status codes, got ${statuses.map(describe).join(', ')}`,
    );
  }
  return statuses as readonly number[];
}

function assertVerdict(helper: string, verdict: unknown): Verdict {
  if (!VERDICTS.has(verdict as Verdict)) {
    throw new TypeError(
      `axios-token-flight: matchers.${helper}: verdict must be 'refresh', 'propagation' or 'reauthorize', got ${describe(verdict)}`,
    );
  }
  return verdict as Verdict;
}

/** The `status` option of a helper, read once (a getter that throws is a TypeError naming it). */
function statusFilter(helper: string, options: unknown): ReadonlySet<number> | undefined {
  if (options === undefined) return undefined;
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`axios-token-flight: matchers.${helper}: options must be an object, got ${describe(options)}`);
  }
  const status = readingOption(`matchers.${helper}: `, 'status', () => (options as BodyFieldOptions).status);
  return status === undefined ? undefined : new Set(assertStatuses(helper, ([] as unknown[]).concat(status)));
}

/** `'refresh'` for any of these statuses, whatever the body. */
export function status(...statuses: number[]): Matcher {
  const wanted = new Set(assertStatuses('status', statuses));
  return (response) => (wanted.has(response.status) ? 'refresh' : undefined);
}

export interface BodyFieldOptions {
  /** Only responses with one of these statuses are looked at. @default any status */
  readonly status?: number | readonly number[] | undefined;
}

/**
 * `verdict` when the JSON body has one of `values` at `path` (dot path; `*` = every array item),
 * or when `values` is a predicate that accepts a value there.
 *
 * @example matchers.bodyField('error.code', [190], 'refresh', { status: 400 })
 * @example matchers.bodyField('*.errorCode', ['INVALID_SESSION_ID'], 'refresh', { status: 401 })
 */
export function bodyField(
  path: string,
  values: readonly unknown[] | ((value: unknown) => boolean),
  verdict: Verdict,
  options: BodyFieldOptions = {},
): Matcher {
  if (typeof path !== 'string' || path === '')
    throw new TypeError('axios-token-flight: matchers.bodyField: path must be a non-empty string');
  if (typeof values !== 'function' && (!Array.isArray(values) || values.length === 0)) {
    throw new TypeError('axios-token-flight: matchers.bodyField: values must be a non-empty array or a predicate');
  }
  const checkedVerdict = assertVerdict('bodyField', verdict);
  const statuses = statusFilter('bodyField', options);
  const accepts = typeof values === 'function' ? values : (value: unknown) => values.includes(value);
  return (response) => {
    if (statuses !== undefined && !statuses.has(response.status)) return undefined;
    return fieldValues(jsonBody(response.data), path).some(accepts) ? checkedVerdict : undefined;
  };
}

/** `verdict` when `header` matches `pattern` (case-insensitive header name), optionally only for some statuses. */
export function header(name: string, pattern: RegExp, verdict: Verdict, options: BodyFieldOptions = {}): Matcher {
  // Checked now, not on the first response: a matcher that throws later is a MatcherError per request.
  if (typeof name !== 'string' || !HTTP_TOKEN.test(name)) {
    throw new TypeError(`axios-token-flight: matchers.header: name must be an HTTP header name, got ${describe(name)}`);
  }
  if (!(pattern instanceof RegExp))
    throw new TypeError(`axios-token-flight: matchers.header: pattern must be a RegExp, got ${describe(pattern)}`);
  const checkedVerdict = assertVerdict('header', verdict);
  const statuses = statusFilter('header', options);
  return (response) => {
    if (statuses !== undefined && !statuses.has(response.status)) return undefined;
    const value = headerValue(response.headers, name);
    return value !== undefined && pattern.test(value) ? checkedVerdict : undefined;
  };
}

/** The first verdict of several matchers, as one matcher (for building a provider's matcher). */
export function any(...matchers: Matcher[]): Matcher {
  if (matchers.length === 0 || matchers.some((m) => typeof m !== 'function')) {
    throw new TypeError('axios-token-flight: matchers.any: expects one or more matchers');
  }
  return (response: AxiosResponse) => {
    for (const matcher of matchers) {
      const verdict = matcher(response);
      if (verdict !== undefined) return verdict;
    }
    return undefined;
  };
}
