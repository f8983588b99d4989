import type { TokenSet } from '../types';

/** Share of the skew removed at random so a fleet does not refresh in the same millisecond. */
const SKEW_JITTER = 0.2;
/** ±20 % around each propagation wait. */
const BACKOFF_JITTER = 0.2;

/**
 * When this process should start refreshing `token` proactively.
 * The skew never exceeds half the lifetime: a 60 s skew on a 90 s token would otherwise
 * refresh after 30 s, and on a 50 s token immediately and forever.
 */
export function refreshDueAt(token: TokenSet, skewMs: number, random: () => number): number {
  if (token.expiresAt === undefined) return Number.POSITIVE_INFINITY;
  const lifetime = Math.max(0, token.expiresAt - token.issuedAt);
  const skew = Math.min(skewMs, lifetime / 2);
  return token.expiresAt - skew * (1 - SKEW_JITTER * random());
}

/** Delay before propagation wait number `attempt` (0-based): doubles from `initial`, capped at `max`, jittered. */
export function propagationDelay(attempt: number, backoff: { initial: number; max: number }, random: () => number): number {
  const base = Math.min(backoff.max, backoff.initial * 2 ** attempt);
  return Math.round(base * (1 - BACKOFF_JITTER + 2 * BACKOFF_JITTER * random()));
}

/** Wait after the `attempts`-th consecutive failed refresh (1-based): doubles from `initial`, capped at `max`, ±20 % jitter. */
export function backoffDelay(attempts: number, backoff: { initial: number; max: number }, random: () => number): number {
  return propagationDelay(Math.max(0, attempts - 1), backoff, random);
}

/**
 * Poll delays for a process waiting on another's refresh. Without change notices, polling is how
 * a waiter learns: fast at first (10 ms), then backing off to 250 ms. With them, a notice wakes the
 * waiter the moment the token is written and polling only covers a lost notice: it starts at
 * 250 ms and backs off to 2 s, so P processes waiting on a refresh do not poll Redis while it runs.
 */
export function pollDelay(attempt: number, random: () => number, changeNotices: boolean): number {
  const base = changeNotices ? Math.min(2_000, 250 * 2 ** attempt) : Math.min(250, 10 * 2 ** attempt);
  return Math.round(base * (0.5 + random()));
}
