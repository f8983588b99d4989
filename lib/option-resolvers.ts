/**
 * The checks behind each of `attachTokenRefresh`'s options: each reads one value and returns it
 * resolved, or throws a `TypeError` naming the option (see validate.ts).
 */
import type { AxiosInstance } from 'axios';
import { unauthorized } from './matchers/unauthorized';
import { originOf } from './origin';
import { MemoryTokenStore } from './stores/memory';
import type { TokenStore } from './stores/token-store';
import { describe } from './describe';
import type { KeyResolver, Logger, Matcher } from './types';
import type { TokenPersistence } from './options';
import { MAX_TIMER_MS, optionError } from './validate';
import type { Backoff } from './backoff';

export function resolveStore(store: unknown): TokenStore {
  if (store === undefined) return new MemoryTokenStore();
  const methods = ['get', 'compareAndSet', 'acquireLock', 'releaseLock'] as const;
  if (typeof store !== 'object' || store === null || methods.some((m) => typeof (store as Record<string, unknown>)[m] !== 'function')) {
    throw optionError('', 'store', 'a TokenStore (get, compareAndSet, acquireLock, releaseLock)', store);
  }
  const subscribe = (store as Record<string, unknown>)['subscribe'];
  if (subscribe !== undefined && typeof subscribe !== 'function')
    throw optionError('', 'store.subscribe', 'a function when present', subscribe);
  return store as TokenStore;
}

export function resolveKey(key: unknown, fallback: string): KeyResolver {
  if (key === undefined) return () => fallback;
  if (typeof key === 'function') return key as KeyResolver;
  if (typeof key === 'string' && key !== '') return () => key;
  throw optionError('', 'key', 'a non-empty string or a function (config) => string', key);
}

export function resolveMatchers(value: unknown): readonly Matcher[] {
  if (value === undefined) return Object.freeze([unauthorized()]);
  if (!Array.isArray(value) || value.length === 0 || value.some((m) => typeof m !== 'function')) {
    throw optionError('', 'matchers', 'a non-empty array of functions (response) => verdict', value);
  }
  return Object.freeze([...(value as Matcher[])]);
}

export function resolveOrigins(instance: AxiosInstance, value: unknown): ReadonlySet<string> | null {
  if (value === 'any') return null;
  if (value === undefined) {
    const baseURL = instance.defaults.baseURL;
    const origin = typeof baseURL === 'string' ? originOf(baseURL) : undefined;
    if (origin === undefined) {
      throw new TypeError(
        'axios-token-flight: option `origins` is required when the instance has no absolute `baseURL` ' +
          "(a token must never go to an origin you did not choose); pass origins: ['https://api.example.com'] or 'any'",
      );
    }
    return new Set([origin]);
  }
  if (!Array.isArray(value) || value.length === 0) throw optionError('', 'origins', "a non-empty array of URLs or 'any'", value);
  return new Set(
    (value as unknown[]).map((entry) => {
      const origin = typeof entry === 'string' ? originOf(entry) : undefined;
      if (origin === undefined) throw optionError('', 'origins', `absolute http(s) URLs, and one entry is not (${describe(entry)})`, entry);
      return origin;
    }),
  );
}

export function resolvePersist(value: unknown): TokenPersistence | undefined {
  if (value === undefined) return undefined;
  const persist = value as Partial<Record<keyof TokenPersistence, unknown>>;
  if (typeof value !== 'object' || value === null || typeof persist.load !== 'function' || typeof persist.save !== 'function') {
    throw optionError('', 'persist', 'an object with load(key) and save(key, token) functions', value);
  }
  if (persist.delete !== undefined && typeof persist.delete !== 'function')
    throw optionError('', 'persist', 'delete(key), when given, to be a function', value);
  return value as TokenPersistence;
}

export function resolveBackoff(name: string, value: unknown, fallback: Backoff): Backoff {
  if (value === undefined) return fallback;
  const backoff = value as { initial?: unknown; max?: unknown };
  const valid =
    typeof value === 'object' &&
    value !== null &&
    typeof backoff.initial === 'number' &&
    Number.isFinite(backoff.initial) &&
    backoff.initial >= 0 &&
    typeof backoff.max === 'number' &&
    Number.isFinite(backoff.max) &&
    backoff.max >= backoff.initial &&
    backoff.max <= MAX_TIMER_MS;
  if (!valid) throw optionError('', name, `{ initial, max } with 0 ≤ initial ≤ max ≤ ${MAX_TIMER_MS} (ms)`, value);
  return { initial: backoff.initial as number, max: backoff.max as number };
}

export function resolveStoreErrorPolicy(value: unknown, fallback: 'local' | 'fail'): 'local' | 'fail' {
  if (value === undefined) return fallback;
  if (value === 'local' || value === 'fail') return value;
  throw optionError('', 'onStoreError', "'local' or 'fail'", value);
}

export function resolveLogger(value: unknown): Logger | undefined {
  if (value === undefined) return undefined;
  const levels = ['debug', 'info', 'warn', 'error'] as const;
  if (typeof value !== 'object' || value === null || levels.some((l) => typeof (value as Record<string, unknown>)[l] !== 'function')) {
    throw optionError('', 'logger', 'an object with debug, info, warn and error functions', value);
  }
  return value as Logger;
}
