import { EventEmitter } from 'node:events';
import type { RefreshReason } from './types';

/** Event payloads. They name keys, versions, durations and reasons — never token values. */
export interface TokenFlightEventMap {
  'refresh-start': { readonly key: string; readonly reason: RefreshReason; readonly fromVersion: number | null };
  refreshed: {
    readonly key: string;
    readonly reason: RefreshReason;
    readonly fromVersion: number | null;
    readonly version: number;
    readonly durationMs: number;
  };
  'refresh-failed': {
    readonly key: string;
    readonly reason: RefreshReason;
    readonly code: string;
    readonly retryable: boolean;
    readonly durationMs: number;
  };
  replay: { readonly key: string; readonly attempt: number; readonly rejectedVersion: number; readonly method: string };
  'propagation-wait': {
    readonly key: string;
    readonly version: number;
    readonly attempt: number;
    readonly delayMs: number;
    readonly tokenAgeMs: number;
  };
  /**
   * This process waited for another's refresh of `key` (the fleet's lock was held): `served` when
   * that refresh's token ended the wait, `acquired` when the lock came free first (it then refreshes
   * itself), `gave-up` after `lockTtlMs` + 2 s.
   */
  'lock-wait': { readonly key: string; readonly waitedMs: number; readonly outcome: 'served' | 'acquired' | 'gave-up' };
  'store-degraded': { readonly operation: string; readonly errorName: string; readonly errorMessage: string };
  /** `persist.save` failed; the token is in use and the save is retried in `retryInMs` unless a newer version supersedes it. */
  'persist-failed': {
    readonly key: string;
    readonly version: number;
    readonly attempt: number;
    readonly errorName: string;
    readonly retryInMs: number;
  };
  'store-recovered': { readonly degradedForMs: number };
}

export type TokenFlightEventName = keyof TokenFlightEventMap;
type Listener<E extends TokenFlightEventName> = (payload: TokenFlightEventMap[E]) => void;

/** A typed view over Node's EventEmitter. */
export interface TokenFlightEvents {
  on<E extends TokenFlightEventName>(event: E, listener: Listener<E>): this;
  once<E extends TokenFlightEventName>(event: E, listener: Listener<E>): this;
  off<E extends TokenFlightEventName>(event: E, listener: Listener<E>): this;
  emit<E extends TokenFlightEventName>(event: E, payload: TokenFlightEventMap[E]): boolean;
  removeAllListeners(event?: TokenFlightEventName): this;
  listenerCount(event: TokenFlightEventName): number;
}

export function createEvents(): TokenFlightEvents {
  return new EventEmitter() as TokenFlightEvents;
}

/** Counters for this process, as kept while it runs. */
export interface TokenFlightCounters {
  /** Refreshes this process performed (not the ones it waited for). */
  refreshes: number;
  /** Refreshes this process attempted that failed. */
  refreshFailures: number;
  /** Requests replayed after a rejection. */
  replays: number;
  /** Waits for a token to propagate. */
  propagationWaits: number;
  /** Requests the plugin failed with a TokenFlightError. */
  failures: number;
}

/** What `handle.stats()` returns: the counters, and how much this process holds right now. */
export interface TokenFlightStats extends TokenFlightCounters {
  /** Credentials held in memory now (at most `maxCachedTokens`, more only while the store is unreachable). */
  cachedTokens: number;
  /** Refreshes waiting for one of the `maxConcurrentRefreshes` slots now. */
  queuedRefreshes: number;
}

export function createStats(): TokenFlightCounters {
  return { refreshes: 0, refreshFailures: 0, replays: 0, propagationWaits: 0, failures: 0 };
}
