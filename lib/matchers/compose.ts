import type { AxiosResponse } from 'axios';
import { describe } from '../token-set';
import type { Matcher, Verdict } from '../types';
import { fieldValues, headerValue, jsonBody } from './read';

const VERDICTS = new Set<Verdict>(['refresh', 'propagation', 'reauthorize']);

function assertStatuses(helper: string, statuses: readonly unknown[]): readonly number[] {
  if (statuses.length === 0 || statuses.some((s) => !Number.isInteger(s) || (s as number) < 100 || (s as number) > 599)) {
    throw new TypeError(`axios-token-flight: matchers.${helper}: statuses must be HTTP status codes, got ${statuses.map(describe).join(', ')}`);
  }
  return statuses as readonly number[];
}

function assertVerdict(helper: string, verdict: unknown): Verdict {
  if (!VERDICTS.has(verdict as Verdict)) {
    throw new TypeError(`axios-token-flight: matchers.${helper}: verdict must be 'refresh', 'propagation' or 'reauthorize', got ${describe(verdict)}`);
  }
  return verdict as Verdict;
}

/** `'refresh'` for any of these statuses, whatever the body. */
export function status(...statuses: number[]): Matcher {
  const wanted = new Set(assertStatuses('status', statuses));
  return (response) => (wanted.has(response.status) ? 'refresh' : undefined);
}

export interface BodyFieldOptions {
  /** Only responses with one of these statuses are looked at. @default any status */
  readonly status?: number | readonly number[];
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
  if (typeof path !== 'string' || path === '') throw new TypeError('axios-token-flight: matchers.bodyField: path must be a non-empty string');
  if (typeof values !== 'function' && (!Array.isArray(values) || values.length === 0)) {
    throw new TypeError('axios-token-flight: matchers.bodyField: values must be a non-empty array or a predicate');
  }
  const checkedVerdict = assertVerdict('bodyField', verdict);
  const statuses = options.status === undefined ? undefined : new Set(assertStatuses('bodyField', ([] as unknown[]).concat(options.status)));
  const accepts = typeof values === 'function' ? values : (value: unknown) => values.includes(value);
  return (response) => {
    if (statuses !== undefined && !statuses.has(response.status)) return undefined;
    return fieldValues(jsonBody(response.data), path).some(accepts) ? checkedVerdict : undefined;
  };
}

/** `verdict` when `header` matches `pattern` (case-insensitive header name), optionally only for some statuses. */
export function header(name: string, pattern: RegExp, verdict: Verdict, options: BodyFieldOptions = {}): Matcher {
  const checkedVerdict = assertVerdict('header', verdict);
  const statuses = options.status === undefined ? undefined : new Set(assertStatuses('header', ([] as unknown[]).concat(options.status)));
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
